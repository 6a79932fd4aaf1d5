package spu

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// Named consumers' offsets live in the consumer-offset system topic
// (bus.ConsumerOffsetTopic, created by the SC). The leader of each of its
// partitions serves the offset APIs (wire OffsetCommit, OffsetFetch,
// OffsetDelete) for the consumers hashed to it:
//
//   - Every change is a record of that partition, appended through the
//     leader's normal produce path (Replica.Append and Commit) with
//     acks=all: the answer comes once the ISR has it, so a committed
//     offset survives SPU restarts and leader failovers as any
//     acknowledged record does. Key {"consumer","topic","partition"};
//     value {"offset","topicId","modifiedMs"}, or {"deleted":true} (a
//     tombstone).
//   - The leader keeps the latest entry per key in memory (offsetStore),
//     built by replaying its log from the start the first time a request
//     reaches it at a leader epoch; changes update it as they are appended.
//     Fetches answer only once the high watermark covers everything
//     appended so far, so nobody reads an entry that could still be lost.
//   - Our logs have no compaction. Instead the leader bounds the log with
//     snapshots: once the records written since the last snapshot reach
//     max(Config.OffsetSnapshotEvery, 2 x the live entries), it rolls the
//     log to a new segment, appends a marker record {"snapshot":N}
//     followed by every live entry, and once that is committed deletes
//     the segments before the marker (wal.Log.DeleteBefore). Followers
//     delete up to the leader's log start as they fetch. A replay from any
//     record boundary at or before a snapshot's marker gives the same map.
//   - A produce to the topic is refused: only the leader writes it.
//
// Writes need no producer id: a client that retries a commit writes the
// same value again, which changes nothing.

// DefaultOffsetSnapshotEvery is the default Config.OffsetSnapshotEvery.
const DefaultOffsetSnapshotEvery = 10000

// offsetWriteTimeout bounds the acks=all wait of an offset change.
const offsetWriteTimeout = 10 * time.Second

// snapshotBatchRecords caps the records of one snapshot batch.
const snapshotBatchRecords = 500

type offsetKey struct {
	Consumer  string `json:"consumer"`
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
}

type offsetValue struct {
	Offset     int64 `json:"offset"`
	TopicID    int64 `json:"topicId"`
	ModifiedMs int64 `json:"modifiedMs"`
	Deleted    bool  `json:"deleted,omitempty"`
	// Snapshot marks the start of a snapshot of this many entries (the
	// record has no key).
	Snapshot *int `json:"snapshot,omitempty"`
}

// offsetStore is the leader's state of one consumer-offset partition, at
// one leader epoch of one Replica.
type offsetStore struct {
	r     *replica.Replica
	epoch int32

	mu      sync.Mutex // serializes appends to the partition and guards the rest
	loaded  bool
	entries map[offsetKey]wire.OffsetEntry
	// since counts the records written since the last snapshot marker.
	since int
}

// offsetStores maps each consumer-offset partition this SPU leads to its
// store; guarded by its mutex.
type offsetStores struct {
	sync.Mutex
	m map[int32]*offsetStore
}

// offsetStore returns the loaded store of consumer-offset partition p,
// locked: the caller unlocks s.mu. Not the leader is NotLeader (the
// client asks the SC where the leader is).
func (d *dataPlane) offsetStore(p int32) (*offsetStore, error) {
	r := d.lookup(bus.ConsumerOffsetTopic, p)
	if r == nil {
		return nil, d.unknownPartition(bus.ConsumerOffsetTopic, p)
	}
	st := r.Status()
	if st.Role != replica.Leader {
		return nil, wire.NotLeader.ErrMsg(fmt.Sprintf("SPU %d does not lead %s-%d (the leader is SPU %d); refresh metadata",
			d.self, bus.ConsumerOffsetTopic, p, st.Leader))
	}
	d.offsets.Lock()
	if d.offsets.m == nil {
		d.offsets.m = map[int32]*offsetStore{}
	}
	s := d.offsets.m[p]
	if s == nil || s.r != r || s.epoch != st.Epoch {
		s = &offsetStore{r: r, epoch: st.Epoch}
		d.offsets.m[p] = s
	}
	d.offsets.Unlock()
	s.mu.Lock()
	if !s.loaded {
		if err := s.load(); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		d.log.Info("consumer offsets loaded", "partition", p, "epoch", s.epoch, "entries", len(s.entries),
			"start", r.Log().StartOffset(), "end", r.Log().EndOffset())
	}
	return s, nil
}

// load replays the log from its start to its end. Caller holds mu.
func (s *offsetStore) load() error {
	s.entries, s.since = map[offsetKey]wire.OffsetEntry{}, 0
	l := s.r.Log()
	off, end := l.StartOffset(), l.EndOffset()
	for off < end {
		chunk, err := l.ReadUpTo(off, 1<<20, end)
		if err != nil {
			return fmt.Errorf("replay %s: %w", bus.ConsumerOffsetTopic, err)
		}
		buf, _ := chunk.Bytes()
		next := chunk.NextOffset()
		err = s.replay(buf)
		_ = chunk.Close()
		if err != nil {
			return err
		}
		if next <= off {
			break
		}
		off = next
	}
	s.loaded = true
	return nil
}

// replay applies the records of whole batches.
func (s *offsetStore) replay(buf []byte) error {
	for len(buf) > 0 {
		b, n, err := batch.Decode(buf)
		if err != nil {
			return fmt.Errorf("replay %s: %w", bus.ConsumerOffsetTopic, err)
		}
		for _, rec := range b.Records {
			s.apply(rec.Key, rec.Value)
		}
		buf = buf[n:]
	}
	return nil
}

// apply updates the map with one record; undecodable records are skipped
// (nobody else writes the topic).
func (s *offsetStore) apply(key, value []byte) {
	var v offsetValue
	if json.Unmarshal(value, &v) != nil {
		return
	}
	if v.Snapshot != nil {
		s.since = 0
		return
	}
	s.since++
	var k offsetKey
	if json.Unmarshal(key, &k) != nil {
		return
	}
	if v.Deleted {
		delete(s.entries, k)
		return
	}
	s.entries[k] = wire.OffsetEntry{Consumer: k.Consumer, Topic: k.Topic, Partition: k.Partition,
		Offset: v.Offset, TopicID: v.TopicID, ModifiedMs: v.ModifiedMs}
}

func keyOf(e wire.OffsetEntry) offsetKey {
	return offsetKey{Consumer: e.Consumer, Topic: e.Topic, Partition: e.Partition}
}

// record encodes an entry (or its tombstone) as a record's key and value.
func record(e wire.OffsetEntry, deleted bool) (key, value []byte) {
	key, _ = json.Marshal(keyOf(e)) // plain strings and ints: never fails
	v := offsetValue{Offset: e.Offset, TopicID: e.TopicID, ModifiedMs: e.ModifiedMs}
	if deleted {
		v = offsetValue{Deleted: true, ModifiedMs: e.ModifiedMs}
	}
	value, _ = json.Marshal(v)
	return key, value
}

// appendLocked appends the records (in batches of at most
// snapshotBatchRecords) with acks=all and applies them to the map; it
// returns the offset after the last one. Caller holds mu.
func (s *offsetStore) appendLocked(recs [][2][]byte, now int64) (int64, error) {
	var buf []byte
	var b batch.Builder
	for i := 0; i < len(recs); i += snapshotBatchRecords {
		b.Reset(now)
		for _, kv := range recs[i:min(i+snapshotBatchRecords, len(recs))] {
			b.Add(kv[0], kv[1], nil, now)
		}
		buf = append(buf, b.Bytes()...)
	}
	_, next, err := s.r.Append(buf, wire.AcksAll)
	if err != nil {
		return -1, err
	}
	for _, kv := range recs {
		s.apply(kv[0], kv[1])
	}
	return next, nil
}

// snapshotLocked writes a snapshot when enough records were written since
// the last one: it rolls the log, appends the marker and every entry, and
// returns the marker's offset and the offset after the snapshot (-1, -1
// when none was due). Caller holds mu.
func (s *offsetStore) snapshotLocked(every int, now int64) (start, next int64, err error) {
	if s.since < max(every, 2*len(s.entries)) {
		return -1, -1, nil
	}
	if err := s.r.Log().Roll(); err != nil {
		return -1, -1, err
	}
	n := len(s.entries)
	marker, _ := json.Marshal(offsetValue{Snapshot: &n, ModifiedMs: now})
	recs := make([][2][]byte, 0, n+1)
	recs = append(recs, [2][]byte{nil, marker})
	for _, e := range s.sortedLocked("", "") {
		k, v := record(e, false)
		recs = append(recs, [2][]byte{k, v})
	}
	start = s.r.Log().EndOffset()
	next, err = s.appendLocked(recs, now)
	if err != nil {
		return -1, -1, err
	}
	return start, next, nil
}

// sortedLocked returns the entries matching the filters, ordered by
// consumer, topic and partition. Caller holds mu.
func (s *offsetStore) sortedLocked(consumer, topic string) []wire.OffsetEntry {
	out := []wire.OffsetEntry{}
	for k, e := range s.entries {
		if (consumer == "" || k.Consumer == consumer) && (topic == "" || k.Topic == topic) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b wire.OffsetEntry) int {
		return cmp.Or(cmp.Compare(a.Consumer, b.Consumer), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}

// checkEntry refuses an entry no consumer could have written.
func checkEntry(e wire.OffsetEntry) error {
	switch {
	case e.Consumer == "" || e.Topic == "":
		return wire.InvalidRequest.ErrMsg("an offset entry needs a consumer name and a topic")
	case e.Partition < 0:
		return wire.InvalidRequest.ErrMsg(fmt.Sprintf("partition %d: partitions start at 0", e.Partition))
	case e.Offset < -1:
		return wire.InvalidRequest.ErrMsg(fmt.Sprintf("offset %d: offsets start at 0", e.Offset))
	}
	return nil
}

// offsetCommit serves OffsetCommit: append, then wait for the ISR on the
// connection's writer (as produce does).
func (d *dataPlane) offsetCommit(ctx context.Context, req *wire.OffsetCommitRequest) wire.Reply {
	fail := func(err error) wire.Reply {
		code, msg := errFields(err)
		return wire.Respond(&wire.OffsetCommitResponse{ErrorCode: code, ErrorMessage: msg})
	}
	for _, e := range req.Entries {
		if err := checkEntry(e); err != nil {
			return fail(err)
		}
	}
	s, err := d.offsetStore(req.Partition)
	if err != nil {
		return fail(err)
	}
	now := time.Now().UnixMilli()
	recs := make([][2][]byte, 0, len(req.Entries))
	for _, e := range req.Entries {
		e.ModifiedMs = now
		k, v := record(e, false)
		recs = append(recs, [2][]byte{k, v})
	}
	next, err := int64(-1), error(nil)
	if len(recs) > 0 {
		next, err = s.appendLocked(recs, now)
	}
	snapStart, snapNext := int64(-1), int64(-1)
	if err == nil {
		var serr error
		if snapStart, snapNext, serr = s.snapshotLocked(d.cfg.OffsetSnapshotEvery, now); serr != nil {
			d.log.Warn("consumer offsets: snapshot failed; the log keeps growing until one succeeds", "partition", req.Partition, "err", serr)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return fail(err)
	}
	return d.offsetWait(ctx, s.r, max(next, snapNext), func(err error) wire.Response {
		if err != nil {
			code, msg := errFields(err)
			return &wire.OffsetCommitResponse{ErrorCode: code, ErrorMessage: msg}
		}
		if snapStart >= 0 {
			if _, err := s.r.Log().DeleteBefore(snapStart); err != nil {
				d.log.Warn("consumer offsets: cannot delete the segments before a snapshot", "partition", req.Partition, "err", err)
			}
		}
		return &wire.OffsetCommitResponse{}
	})
}

// offsetFetch serves OffsetFetch: the matching entries, answered once
// everything appended before is committed.
func (d *dataPlane) offsetFetch(ctx context.Context, req *wire.OffsetFetchRequest) wire.Reply {
	s, err := d.offsetStore(req.Partition)
	if err != nil {
		code, msg := errFields(err)
		return wire.Respond(&wire.OffsetFetchResponse{ErrorCode: code, ErrorMessage: msg})
	}
	entries := s.sortedLocked(req.Consumer, req.Topic)
	end := s.r.Log().EndOffset()
	s.mu.Unlock()
	return d.offsetWait(ctx, s.r, end, func(err error) wire.Response {
		if err != nil {
			code, msg := errFields(err)
			return &wire.OffsetFetchResponse{ErrorCode: code, ErrorMessage: msg}
		}
		return &wire.OffsetFetchResponse{Entries: entries}
	})
}

// offsetDelete serves OffsetDelete: tombstones for the keys that have an
// entry.
func (d *dataPlane) offsetDelete(ctx context.Context, req *wire.OffsetDeleteRequest) wire.Reply {
	fail := func(err error) wire.Reply {
		code, msg := errFields(err)
		return wire.Respond(&wire.OffsetDeleteResponse{ErrorCode: code, ErrorMessage: msg})
	}
	s, err := d.offsetStore(req.Partition)
	if err != nil {
		return fail(err)
	}
	now := time.Now().UnixMilli()
	deleted := []wire.OffsetEntry{}
	var recs [][2][]byte
	for _, k := range req.Keys {
		e, ok := s.entries[keyOf(k)]
		if !ok || slices.ContainsFunc(deleted, func(x wire.OffsetEntry) bool { return keyOf(x) == keyOf(k) }) {
			continue
		}
		deleted = append(deleted, e)
		key, v := record(wire.OffsetEntry{Consumer: k.Consumer, Topic: k.Topic, Partition: k.Partition, ModifiedMs: now}, true)
		recs = append(recs, [2][]byte{key, v})
	}
	next := s.r.Log().EndOffset()
	if len(recs) > 0 {
		next, err = s.appendLocked(recs, now)
	}
	s.mu.Unlock()
	if err != nil {
		return fail(err)
	}
	return d.offsetWait(ctx, s.r, next, func(err error) wire.Response {
		if err != nil {
			code, msg := errFields(err)
			return &wire.OffsetDeleteResponse{ErrorCode: code, ErrorMessage: msg}
		}
		return &wire.OffsetDeleteResponse{Deleted: deleted}
	})
}

// offsetWait answers once the partition's HW reaches next (acks=all),
// waiting in a commit goroutine as produce does.
func (d *dataPlane) offsetWait(ctx context.Context, r *replica.Replica, next int64, answer func(error) wire.Response) wire.Reply {
	return d.deferCommit(ctx, r, next, wire.AcksAll, offsetWriteTimeout, answer)
}
