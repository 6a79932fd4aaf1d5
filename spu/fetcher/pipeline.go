package fetcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// leaderTakesProgress asks the leader (APIVersions) whether it serves
// FollowerProgress, i.e. pipelined fetches (wire ProgressApart). A leader
// of an older version does not: the worker then fetches one at a time,
// its fetch offsets reporting its progress.
func leaderTakesProgress(ctx context.Context, conn *wire.Conn) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := conn.APIVersions(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(v.APIs, func(a wire.APIVersion) bool { return a.Key == wire.KeyFollowerProgress }), nil
}

// want is one partition of a fetch in flight.
type want struct {
	k      Key
	p      *fetchPart
	epoch  int32
	offset int64 // where the fetch reads from
}

// pipeline is the worker's fetch loop with a leader that takes progress
// reports: the next fetch (from where the previous answer ends) is sent
// before the previous answer is appended and fsynced, and a
// FollowerProgress report follows each append, so the transfer of new
// batches overlaps the follower's disk work and the leader learns of the
// append (and answers acks=all) without waiting for a fetch. One fetch is
// in flight at a time: the next one's offsets come from the answer before
// it. It returns when ctx ends or the worker has no partitions (nil), or
// on a connection or protocol failure.
func (w *worker) pipeline(ctx context.Context, conn *wire.Conn, log *slog.Logger) error {
	cfg := w.m.cfg
	var (
		inflight *wire.PendingFetch
		wants    []want
		reports  []*wire.PendingProgress
	)
	for ctx.Err() == nil {
		var (
			resp *wire.FetchResponse
			ends map[Key]int64 // where each partition's answer ends
		)
		if inflight != nil {
			var err error
			if resp, ends, err = w.awaitFetch(ctx, inflight, wants, log); err != nil {
				return err
			}
			inflight = nil
		}
		parts, any := w.snapshot(time.Now())
		if !any {
			return nil
		}
		if err := w.reconcile(ctx, conn, parts, log); err != nil {
			return err
		}
		// The next fetch goes out before this answer is appended.
		prev := wants
		wants = w.nextWants(parts, prev, ends)
		if len(wants) > 0 {
			req := &wire.FetchRequest{ReplicaID: cfg.Self, MaxWaitMs: int32(cfg.MaxWait / time.Millisecond), MinBytes: 1,
				MaxBytes: 16 << 20, ProgressApart: true, Partitions: make([]wire.FetchPartition, len(wants))}
			for i, wt := range wants {
				req.Partitions[i] = wire.FetchPartition{Topic: wt.k.Topic, Partition: wt.k.Partition, Offset: wt.offset,
					MaxBytes: cfg.PartitionMaxBytes, CurrentLeaderEpoch: wt.epoch}
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			inflight = conn.StartFetch(wctx, req)
			cancel()
		}
		if resp != nil {
			w.applyAnswer(prev, resp, log)
		}
		if len(wants) == 0 {
			// Nothing to fetch now (every partition backs off or waits for
			// its epoch): the loop would spin.
			if !sleepCtx(ctx, 50*time.Millisecond) {
				return nil
			}
			continue
		}
		// Report what this follower holds now, for every partition it
		// fetches: after an append it lets the leader move the HW; when
		// idle it keeps the follower caught up in the leader's view.
		rep := &wire.FollowerProgressRequest{ReplicaID: cfg.Self, Partitions: make([]wire.ProgressPartition, 0, len(wants))}
		for _, wt := range wants {
			v, ok := wt.p.r.View()
			if !ok || v.Epoch != wt.epoch {
				continue
			}
			rep.Partitions = append(rep.Partitions, wire.ProgressPartition{Topic: wt.k.Topic, Partition: wt.k.Partition,
				EndOffset: v.LEO, CurrentLeaderEpoch: wt.epoch})
		}
		if len(rep.Partitions) > 0 {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			reports = append(reports, conn.StartFollowerProgress(wctx, rep))
			cancel()
		}
		reports = w.reapReports(reports, log)
	}
	return nil
}

// awaitFetch waits for the fetch in flight and returns its answer with,
// per partition answered without error and with whole batches, where its
// records end (the next fetch's offset). A partition's records are
// trimmed of whole batches before its fetch offset.
func (w *worker) awaitFetch(ctx context.Context, f *wire.PendingFetch, wants []want, log *slog.Logger) (*wire.FetchResponse, map[Key]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, w.m.cfg.MaxWait+10*time.Second)
	defer cancel()
	resp, err := f.Wait(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(resp.Partitions) != len(wants) {
		return nil, nil, fmt.Errorf("fetch answer has %d partitions, asked %d", len(resp.Partitions), len(wants))
	}
	ends := make(map[Key]int64, len(wants))
	for i, wt := range wants {
		pr := &resp.Partitions[i]
		if pr.ErrorCode != wire.None {
			continue
		}
		records, err := skipBefore(pr.Records, wt.offset)
		if err == nil {
			err = checkContiguous(records, wt.offset)
		}
		if err != nil {
			log.Warn("bad batches from the leader; reconciling again", "partition", wt.k, "err", err)
			pr.Records = nil
			pr.ErrorCode, pr.ErrorMessage = wire.CorruptBatch, err.Error()
			continue
		}
		pr.Records = records
		ends[wt.k] = wt.offset
		if len(records) > 0 {
			ends[wt.k] = lastNextOffset(records)
		}
	}
	return resp, ends, nil
}

// nextWants returns the partitions of the next fetch: each reconciled
// partition of parts, from where the previous answer ended (ends) if the
// previous fetch asked for it under the same epoch, from its log end if
// the previous fetch did not ask for it. A partition whose previous
// answer failed is left out (applyAnswer sends it back to reconciling).
func (w *worker) nextWants(parts map[Key]*fetchPart, prev []want, ends map[Key]int64) []want {
	asked := make(map[Key]want, len(prev))
	for _, wt := range prev {
		asked[wt.k] = wt
	}
	var out []want
	for k, p := range parts {
		v, ok := p.r.View()
		if !ok || v.Leader != w.src.leader || p.epoch != v.Epoch {
			continue
		}
		off := v.LEO
		if a, ok := asked[k]; ok && a.p == p {
			end, ok := ends[k]
			if !ok {
				continue
			}
			if a.epoch == v.Epoch {
				off = end
			}
		}
		out = append(out, want{k: k, p: p, epoch: v.Epoch, offset: off})
	}
	return out
}

// applyAnswer appends a fetch's answer, partition by partition (see
// fetchFromLeader for the errors). A partition whose answer does not start
// at its log end (an earlier answer failed to append) is sent back to
// reconciling, and so is one that failed.
func (w *worker) applyAnswer(wants []want, resp *wire.FetchResponse, log *slog.Logger) {
	for i, wt := range wants {
		pr := &resp.Partitions[i]
		if !w.handleFetchError(wt.k, wt.p, wt.epoch, wt.offset, pr, log) {
			continue
		}
		if len(pr.Records) == 0 {
			if err := wt.p.r.AppendFromLeader(wt.epoch, nil, pr.HighWatermark); err != nil && !errors.Is(err, replica.ErrRoleChanged) {
				log.Debug("taking the leader's HW failed", "partition", wt.k, "err", err)
			} else if err == nil {
				followLogStart(wt.k, wt.p, pr.LogStartOffset, log)
			}
			continue
		}
		if !w.current(wt.k, wt.p, wt.epoch) {
			continue // reconciling since this fetch was sent
		}
		w.appendFetched(wt.k, wt.p, wt.epoch, pr.Records, pr, log)
	}
}

// current reports whether partition k is still p, reconciled for epoch.
func (w *worker) current(k Key, p *fetchPart, epoch int32) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.parts[k] == p && p.epoch == epoch
}

// reapReports drops the progress reports that have been answered, logging
// refused ones (the next fetch answer says what to do about them).
func (w *worker) reapReports(reports []*wire.PendingProgress, log *slog.Logger) []*wire.PendingProgress {
	out := reports[:0]
	for _, r := range reports {
		resp, done, err := r.Poll()
		if !done {
			out = append(out, r)
			continue
		}
		if err != nil {
			log.Debug("progress report failed", "err", err)
			continue
		}
		for i := range resp.Partitions {
			if err := resp.Partitions[i].Err(); err != nil {
				log.Debug("leader refused a progress report", "partition", Key{resp.Partitions[i].Topic, resp.Partitions[i].Partition}, "err", err)
			}
		}
	}
	clear(reports[len(out):])
	return out
}

// checkContiguous checks that records (whole batches, after skipBefore)
// start at offset and follow each other without a gap.
func checkContiguous(records []byte, offset int64) error {
	for len(records) > 0 {
		n, err := batch.Size(records)
		if err != nil {
			return err
		}
		if n < batch.HeaderSize || n > len(records) {
			return fmt.Errorf("%w: a %d-byte batch with %d bytes left", batch.ErrTooShort, n, len(records))
		}
		if b := batch.BaseOffset(records); b != offset {
			return fmt.Errorf("batch at offset %d where %d was expected", b, offset)
		}
		offset = batch.NextOffset(records)
		records = records[n:]
	}
	return nil
}

// lastNextOffset returns the offset after the last of records' batches
// (checked by checkContiguous).
func lastNextOffset(records []byte) int64 {
	var next int64
	for len(records) > 0 {
		n, _ := batch.Size(records)
		next = batch.NextOffset(records)
		records = records[n:]
	}
	return next
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
