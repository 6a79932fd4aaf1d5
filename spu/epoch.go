package spu

import "github.com/fluvio-go/fluvio/wire"

// epochEndOffset answers followers' KIP-101 queries on the leader.
func (d *dataPlane) epochEndOffset(req *wire.EpochEndOffsetRequest) wire.Reply {
	resp := &wire.EpochEndOffsetResponse{Partitions: make([]wire.EpochPartitionResponse, len(req.Partitions))}
	for i, p := range req.Partitions {
		out := &resp.Partitions[i]
		out.Topic, out.Partition, out.LeaderEpoch, out.EndOffset = p.Topic, p.Partition, -1, -1
		r := d.lookup(p.Topic, p.Partition)
		if r == nil {
			out.ErrorCode, out.ErrorMessage = errFields(d.unknownPartition(p.Topic, p.Partition))
			continue
		}
		e, end, err := r.EndOffsetForEpoch(p.LeaderEpoch, p.CurrentLeaderEpoch)
		if err != nil {
			out.ErrorCode, out.ErrorMessage = errFields(err)
			continue
		}
		out.LeaderEpoch, out.EndOffset = e, end
	}
	return wire.Respond(resp)
}
