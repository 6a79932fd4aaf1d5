package spu

import "github.com/fluvio-go/fluvio/wire"

// listOffsets answers earliest (log start), latest (high watermark) or
// the first offset at or after a time, on the leader.
func (d *dataPlane) listOffsets(req *wire.ListOffsetsRequest) wire.Reply {
	r := d.lookup(req.Topic, req.Partition)
	if r == nil {
		code, msg := errFields(d.unknownPartition(req.Topic, req.Partition))
		return wire.Respond(&wire.ListOffsetsResponse{ErrorCode: code, ErrorMessage: msg, Offset: -1})
	}
	off, err := r.ListOffset(req.Timestamp)
	code, msg := errFields(err)
	return wire.Respond(&wire.ListOffsetsResponse{ErrorCode: code, ErrorMessage: msg, Offset: off})
}
