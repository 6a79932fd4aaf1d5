package spu

import (
	"context"
	"reflect"
	"time"

	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

// serveFetch serves consumers (ReplicaID -1: committed records only, from the
// leader, or up to the log end with ReadUncommitted) and followers (their fetch offset reports their progress). It
// is a long poll on the writer goroutine: it reads, and while there is
// less than MinBytes and MaxWaitMs has not passed, waits for the HW (or,
// for followers, the log end) to move and reads again. No lock is held
// while waiting. Records go from the log's chunk to the socket without
// being decoded.
// The answer is recorded in the metrics as it is resolved.
func (d *dataPlane) serveFetch(req *wire.FetchRequest) wire.Reply {
	start := time.Now()
	return wire.Defer(func(ctx context.Context) (wire.Response, error) {
		resp, err := d.longPoll(ctx, req)
		d.cfg.metrics.fetched(req, resp, err, time.Since(start))
		return resp, err
	})
}

// longPoll reads until the answer holds MinBytes, MaxWaitMs has passed or
// a partition failed.
func (d *dataPlane) longPoll(ctx context.Context, req *wire.FetchRequest) (wire.Response, error) {
	wait := min(time.Duration(max(req.MaxWaitMs, 0))*time.Millisecond, maxFetchWait)
	minBytes := max(int(req.MinBytes), 1)
	deadline := time.Now().Add(wait)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		chans := d.fetchWaitChans(req)
		resp, total, failed := d.readFetch(req)
		if total >= minBytes || failed || !time.Now().Before(deadline) {
			return resp, nil
		}
		closeChunks(resp)
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
		}
		cases := make([]reflect.SelectCase, 0, len(chans)+2)
		cases = append(cases,
			reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
			reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)})
		for _, c := range chans {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c)})
		}
		switch i, _, _ := reflect.Select(cases); i {
		case 0:
			return nil, wire.ShuttingDown.ErrMsg("the connection or the SPU is closing")
		case 1:
			timer = nil // fired
			resp, _, _ := d.readFetch(req)
			return resp, nil
		}
	}
}

// fetchWaitChans returns the channels that close when a fetch's answer may
// have changed: each partition's HW (consumers) and log end (followers).
func (d *dataPlane) fetchWaitChans(req *wire.FetchRequest) []<-chan struct{} {
	var out []<-chan struct{}
	for _, p := range req.Partitions {
		r := d.lookup(p.Topic, p.Partition)
		if r == nil {
			continue
		}
		out = append(out, r.HWChanged())
		if req.ReplicaID >= 0 || req.ReadUncommitted {
			out = append(out, r.Log().Changed())
		}
	}
	return out
}

// readFetch reads every partition once. It returns the bytes of records
// read and whether a partition failed (answer at once then).
func (d *dataPlane) readFetch(req *wire.FetchRequest) (*wire.FetchResponse, int, bool) {
	budget := int(req.MaxBytes)
	if budget <= 0 || budget > maxFetchBytes {
		budget = maxFetchBytes
	}
	resp := &wire.FetchResponse{Partitions: make([]wire.FetchPartitionResponse, len(req.Partitions))}
	total, failed := 0, false
	for i, p := range req.Partitions {
		out := &resp.Partitions[i]
		out.Topic, out.Partition = p.Topic, p.Partition
		out.HighWatermark, out.LogStartOffset, out.LogEndOffset = -1, -1, -1
		r := d.lookup(p.Topic, p.Partition)
		if r == nil {
			out.ErrorCode, out.ErrorMessage = errFields(d.unknownPartition(p.Topic, p.Partition))
			failed = true
			continue
		}
		limit := int(p.MaxBytes)
		if limit <= 0 {
			limit = defaultFetchPartitionBytes
		}
		limit = min(limit, budget-total)
		if limit <= 0 && total > 0 {
			o := r.Offsets()
			out.HighWatermark, out.LogStartOffset, out.LogEndOffset = o.HW, o.Start, o.LEO
			continue
		}
		var (
			c   *wal.Chunk
			off replica.Offsets
			err error
		)
		if req.ReplicaID >= 0 && req.ProgressApart {
			c, off, err = r.ReadForFollowerAt(req.ReplicaID, p.Offset, max(limit, 1), p.CurrentLeaderEpoch)
		} else if req.ReplicaID >= 0 {
			c, off, err = r.ReadForFollower(req.ReplicaID, p.Offset, max(limit, 1), p.CurrentLeaderEpoch)
			d.kickISR()
		} else if req.ReadUncommitted {
			c, off, err = r.ReadUncommitted(p.Offset, max(limit, 1), p.CurrentLeaderEpoch)
		} else {
			c, off, err = r.ReadCommitted(p.Offset, max(limit, 1), p.CurrentLeaderEpoch)
		}
		out.HighWatermark, out.LogStartOffset, out.LogEndOffset = off.HW, off.Start, off.LEO
		if err != nil {
			out.ErrorCode, out.ErrorMessage = errFields(err)
			if off == (replica.Offsets{}) {
				out.HighWatermark, out.LogStartOffset, out.LogEndOffset = -1, -1, -1
			}
			failed = true
			continue
		}
		if c.Len() == 0 {
			_ = c.Close()
			continue
		}
		out.Source = c
		total += c.Len()
	}
	return resp, total, failed
}

// closeChunks returns the chunks of a response that will not be sent.
func closeChunks(resp *wire.FetchResponse) {
	for i := range resp.Partitions {
		if c, ok := resp.Partitions[i].Source.(*wal.Chunk); ok {
			_ = c.Close()
			resp.Partitions[i].Source = nil
		}
	}
}
