package spu

import "github.com/fluvio-go/fluvio/wire"

// followerProgress takes a pipelining follower's report of its log ends
// (wire FollowerProgress) on the connection's reader goroutine, as soon as
// the frame is read: the HW moves and acks=all produces waiting for it
// are answered without waiting for the answers queued before this one
// (the follower's long-poll fetch) to be written.
func (d *dataPlane) followerProgress(req *wire.FollowerProgressRequest) wire.Reply {
	resp := &wire.FollowerProgressResponse{Partitions: make([]wire.ProgressPartitionResponse, len(req.Partitions))}
	for i, p := range req.Partitions {
		out := &resp.Partitions[i]
		out.Topic, out.Partition, out.HighWatermark = p.Topic, p.Partition, -1
		r := d.lookup(p.Topic, p.Partition)
		if r == nil {
			out.ErrorCode, out.ErrorMessage = errFields(d.unknownPartition(p.Topic, p.Partition))
			continue
		}
		off, err := r.FollowerProgress(req.ReplicaID, p.EndOffset, p.CurrentLeaderEpoch)
		if err != nil {
			out.ErrorCode, out.ErrorMessage = errFields(err)
			continue
		}
		out.HighWatermark = off.HW
	}
	d.kickISR()
	return wire.Respond(resp)
}
