package fluvio

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// fakeCluster is an SC (a metadata.get responder on an embedded NATS) and
// in-memory SPUs that lead partitions of one topic, answer NotLeader for
// the others and long-poll fetches. It tests the client's routing, retries
// and reads without the real servers.
type fakeCluster struct {
	topic string
	nats  *bustest.Server

	mu        sync.Mutex
	leaders   []int32                  // guarded by mu; per partition
	online    map[int32]bool           // guarded by mu
	logs      [][][]byte               // guarded by mu; per partition, stored batches
	next      []int64                  // guarded by mu; per partition, log end
	changed   chan struct{}            // guarded by mu; closed on every append
	metaCalls int                      // guarded by mu
	dials     map[string]int           // guarded by mu
	failOnce  map[int32]wire.ErrorCode // guarded by mu: next produce to partition fails
	metaGate  chan struct{}            // guarded by mu: if set, metadata answers wait for it
}

func startFakeCluster(t *testing.T, topic string, leaders ...int32) *fakeCluster {
	t.Helper()
	f := &fakeCluster{
		topic: topic, nats: bustest.Start(t), leaders: leaders,
		online: map[int32]bool{}, logs: make([][][]byte, len(leaders)), next: make([]int64, len(leaders)),
		changed: make(chan struct{}), dials: map[string]int{}, failOnce: map[int32]wire.ErrorCode{},
	}
	for _, l := range leaders {
		f.online[l] = true
	}
	nc := f.nats.Connect(t)
	sub, err := nc.Subscribe(bus.SubjectAdminMetadataGet, bus.Msg(context.Background(),
		func(ctx context.Context, _ string, req bus.MetadataRequest) (bus.MetadataResponse, error) {
			return f.metadata(req)
		}))
	testkit.NoErr(t, err)
	testkit.NoErr(t, nc.Flush()) // the server knows the subscription before any request
	t.Cleanup(func() { sub.Unsubscribe() })
	return f
}

func spuAddr(id int32) string { return fmt.Sprintf("spu-%d:9005", id) }

func (f *fakeCluster) metadata(req bus.MetadataRequest) (bus.MetadataResponse, error) {
	f.mu.Lock()
	f.metaCalls++
	gate := f.metaGate
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var resp bus.MetadataResponse
	if len(req.Topics) == 1 && req.Topics[0] != f.topic {
		return resp, bus.ErrTopicNotFound.With(fmt.Sprintf("topic %q not found", req.Topics[0]), "")
	}
	for id, on := range f.online {
		resp.SPUs = append(resp.SPUs, bus.SPUEndpoint{ID: id, Public: spuAddr(id), Online: on})
	}
	for i, l := range f.leaders {
		resp.Partitions = append(resp.Partitions, bus.PartitionMetadata{
			PartitionID: bus.PartitionID{Topic: f.topic, Partition: int32(i)}, Leader: l, Replicas: []int32{l}, ISR: []int32{l},
		})
	}
	return resp, nil
}

// connect returns a Client whose SPU dials reach the fake SPUs.
func (f *fakeCluster) connect(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := Connect(context.Background(), f.nats.Addr(), append(opts, func(cfg *clientConfig) {
		cfg.dial = func(ctx context.Context, _ bus.SPUID, addr string) (spuConn, error) {
			var id int32
			if _, err := fmt.Sscanf(addr, "spu-%d:9005", &id); err != nil {
				return nil, err
			}
			f.mu.Lock()
			f.dials[addr]++
			f.mu.Unlock()
			return &fakeSPU{f: f, id: id}, nil
		}
	})...)
	testkit.NoErr(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func (f *fakeCluster) moveLeader(part, to int32) {
	f.mu.Lock()
	f.leaders[part] = to
	if _, ok := f.online[to]; !ok {
		f.online[to] = true
	}
	f.mu.Unlock()
}

// append stores a produced request's batches like a leader.
func (f *fakeCluster) append(part int32, records []byte) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	base := f.next[part]
	for b, err := range batch.All(records) {
		if err != nil {
			return -1, wire.CorruptBatch.Err()
		}
		c := bytes.Clone(b)
		batch.SetBaseOffset(c, f.next[part])
		f.logs[part] = append(f.logs[part], c)
		f.next[part] = batch.NextOffset(c)
	}
	close(f.changed)
	f.changed = make(chan struct{})
	return base, nil
}

type fakeSPU struct {
	f  *fakeCluster
	id int32
}

func (s *fakeSPU) leads(part int32) bool {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return int(part) < len(s.f.leaders) && s.f.leaders[part] == s.id
}

func (s *fakeSPU) Produce(ctx context.Context, req *wire.ProduceRequest) (*wire.ProduceResponse, error) {
	if req.Topic != s.f.topic || !s.leads(req.Partition) {
		return &wire.ProduceResponse{ErrorCode: wire.NotLeader}, wire.NotLeader.Err()
	}
	s.f.mu.Lock()
	code := s.f.failOnce[req.Partition]
	delete(s.f.failOnce, req.Partition)
	s.f.mu.Unlock()
	if code != wire.None {
		return &wire.ProduceResponse{ErrorCode: code}, code.Err()
	}
	base, err := s.f.append(req.Partition, req.Records)
	if err != nil {
		return nil, err
	}
	return &wire.ProduceResponse{BaseOffset: base}, nil
}

func (s *fakeSPU) Fetch(ctx context.Context, req *wire.FetchRequest) (*wire.FetchResponse, error) {
	fp := req.Partitions[0]
	out := wire.FetchPartitionResponse{Topic: fp.Topic, Partition: fp.Partition}
	if !s.leads(fp.Partition) {
		out.ErrorCode = wire.NotLeader
		return &wire.FetchResponse{Partitions: []wire.FetchPartitionResponse{out}}, nil
	}
	deadline := time.NewTimer(time.Duration(req.MaxWaitMs) * time.Millisecond)
	defer deadline.Stop()
	for {
		s.f.mu.Lock()
		end, changed := s.f.next[fp.Partition], s.f.changed
		out.HighWatermark, out.LogEndOffset = end, end
		if fp.Offset > end {
			s.f.mu.Unlock()
			out.ErrorCode = wire.OffsetOutOfRange
			return &wire.FetchResponse{Partitions: []wire.FetchPartitionResponse{out}}, nil
		}
		for _, b := range s.f.logs[fp.Partition] {
			if batch.NextOffset(b) > fp.Offset && (len(out.Records) == 0 || len(out.Records)+len(b) <= int(fp.MaxBytes)) {
				out.Records = append(out.Records, b...)
			}
		}
		s.f.mu.Unlock()
		if len(out.Records) > 0 || req.MaxWaitMs == 0 {
			return &wire.FetchResponse{Partitions: []wire.FetchPartitionResponse{out}}, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return &wire.FetchResponse{Partitions: []wire.FetchPartitionResponse{out}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *fakeSPU) ListOffsets(ctx context.Context, req *wire.ListOffsetsRequest) (*wire.ListOffsetsResponse, error) {
	if !s.leads(req.Partition) {
		return &wire.ListOffsetsResponse{ErrorCode: wire.NotLeader}, wire.NotLeader.Err()
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	switch req.Timestamp {
	case wire.EarliestTimestamp:
		return &wire.ListOffsetsResponse{Offset: 0}, nil
	case wire.LatestTimestamp:
		return &wire.ListOffsetsResponse{Offset: s.f.next[req.Partition]}, nil
	}
	for _, b := range s.f.logs[req.Partition] {
		if batch.MaxTimestamp(b) >= req.Timestamp {
			return &wire.ListOffsetsResponse{Offset: batch.BaseOffset(b)}, nil
		}
	}
	return &wire.ListOffsetsResponse{Offset: s.f.next[req.Partition]}, nil
}

func (s *fakeSPU) Close() error { return nil }
