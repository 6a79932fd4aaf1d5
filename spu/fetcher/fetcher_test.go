package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

// batchAt encodes one record batch at base offset with epoch.
func batchAt(base int64, epoch int32, values ...string) []byte {
	var b batch.Builder
	b.Reset(1000)
	for _, v := range values {
		b.Add(nil, []byte(v), nil, 1000)
	}
	out := append([]byte(nil), b.Bytes()...)
	batch.SetBaseOffset(out, base)
	batch.SetLeaderEpoch(out, epoch)
	return out
}

// fakeLeader serves a fixed log (concatenated batches) for epoch 0 and
// records the fetch offsets it saw.
type fakeLeader struct {
	log []byte
	end int64

	mu      sync.Mutex
	offsets []int64
	events  []string // "fetch OFFSET", "fetch-apart OFFSET", "progress END"
}

func (f *fakeLeader) event(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf(format, args...))
}

func (f *fakeLeader) eventLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *fakeLeader) Handle(ctx context.Context, req wire.Request) wire.Reply {
	switch r := req.(type) {
	case *wire.EpochEndOffsetRequest:
		resp := &wire.EpochEndOffsetResponse{}
		for _, p := range r.Partitions {
			resp.Partitions = append(resp.Partitions, wire.EpochPartitionResponse{Topic: p.Topic, Partition: p.Partition,
				LeaderEpoch: 0, EndOffset: f.end})
		}
		return wire.Respond(resp)
	case *wire.FollowerProgressRequest:
		resp := &wire.FollowerProgressResponse{}
		for _, p := range r.Partitions {
			f.event("progress %s %d", p.Topic, p.EndOffset)
			resp.Partitions = append(resp.Partitions, wire.ProgressPartitionResponse{Topic: p.Topic, Partition: p.Partition, HighWatermark: f.end})
		}
		return wire.Respond(resp)
	case *wire.FetchRequest:
		resp := &wire.FetchResponse{}
		for _, p := range r.Partitions {
			f.event("%s %s %d", map[bool]string{false: "fetch", true: "fetch-apart"}[r.ProgressApart], p.Topic, p.Offset)
			f.mu.Lock()
			f.offsets = append(f.offsets, p.Offset)
			f.mu.Unlock()
			out := wire.FetchPartitionResponse{Topic: p.Topic, Partition: p.Partition, HighWatermark: f.end, LogEndOffset: f.end}
			// Serve from the batch holding the offset (skipBefore's job).
			rest := f.log
			for len(rest) > 0 && batch.NextOffset(rest) <= p.Offset {
				n, _ := batch.Size(rest)
				rest = rest[n:]
			}
			out.Records = rest
			resp.Partitions = append(resp.Partitions, out)
		}
		if len(resp.Partitions[0].Records) == 0 {
			return wire.Defer(func(ctx context.Context) (wire.Response, error) {
				select {
				case <-ctx.Done():
				case <-time.After(time.Duration(r.MaxWaitMs) * time.Millisecond):
				}
				return resp, nil
			})
		}
		return wire.Respond(resp)
	}
	return wire.RespondErr(wire.UnknownAPIKey.Err())
}

func serve(t *testing.T, h wire.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- wire.Serve(ctx, ln, wire.ServerConfig{}, h) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

func follower(t *testing.T, topic string, leader int32) *replica.Replica {
	l, err := wal.Open(t.TempDir(), wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := replica.New(replica.Config{Topic: topic, Partition: 0, Self: 2, Log: l})
	t.Cleanup(func() { r.Close() })
	if _, err := r.Become(replica.Assignment{Leader: leader, Epoch: 0, Replicas: []int32{leader, 2}, ISR: []int32{leader, 2}}); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFollowCopiesTheLeadersBatches(t *testing.T) {
	for _, sequential := range []bool{false, true} {
		t.Run(map[bool]string{false: "pipelined", true: "sequential"}[sequential], func(t *testing.T) {
			testFollowCopiesTheLeadersBatches(t, sequential)
		})
	}
}

func testFollowCopiesTheLeadersBatches(t *testing.T, sequential bool) {
	log := append(append(batchAt(0, 0, "a", "b"), batchAt(2, 0, "c")...), batchAt(3, 0, "d", "e", "f")...)
	fl := &fakeLeader{log: log, end: 6}
	addr := serve(t, fl)
	m := New(Config{Self: 2, MaxWait: 50 * time.Millisecond, Sequential: sequential})
	defer m.Close()
	r1, r2 := follower(t, "one", 1), follower(t, "two", 1)
	m.Follow(context.Background(), "one", 0, r1, 1, addr)
	m.Follow(context.Background(), "two", 0, r2, 1, addr)
	for _, r := range []*replica.Replica{r1, r2} {
		testkit.WaitFor(t, 5*time.Second, func() error {
			if o := r.Offsets(); o.LEO != 6 || o.HW != 6 {
				return fmt.Errorf("%s: %+v", r.Topic(), o)
			}
			return nil
		})
		c, err := r.Log().Read(0, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := c.Bytes()
		if string(got) != string(log) {
			t.Fatalf("%s: the follower's bytes differ from the leader's", r.Topic())
		}
		c.Close()
	}
	// The follower reports what it appended when the next answer arrives
	// (pipelined), or asks from offset 6 once it has appended (sequential:
	// its LEO and HW may reach 6 before that fetch is sent): wait for that
	// event before reading the order of events.
	last := map[bool]string{false: "progress one 6", true: "fetch one 6"}[sequential]
	testkit.WaitFor(t, 5*time.Second, func() error {
		if e := fl.eventLog(); !slices.Contains(e, last) {
			return fmt.Errorf("no %q yet: %q", last, e)
		}
		return nil
	})
	checkFetchOrder(t, fl.eventLog(), sequential)
	if leader, a, ok := m.Following("one", 0); !ok || leader != 1 || a != addr {
		t.Fatalf("Following = %d %s %v", leader, a, ok)
	}
	// One worker for both partitions: one connection.
	m.mu.Lock()
	workers := len(m.workers)
	m.mu.Unlock()
	if workers != 1 {
		t.Fatalf("%d workers for one source", workers)
	}
	m.Remove("one", 0)
	m.Remove("two", 0)
	testkit.WaitFor(t, 5*time.Second, func() error {
		m.mu.Lock()
		defer m.mu.Unlock()
		if len(m.workers) != 0 {
			return errors.New("worker still running without partitions")
		}
		return nil
	})
}

// checkFetchOrder checks how the follower fetched partition "one" (six
// records, one answer): sequentially, fetch offsets 0 then 6 and no
// progress report; pipelined, the fetch from 6 (where the first answer
// ends) is sent before the report that the follower holds 6 records,
// i.e. before the first answer was appended, and the fetch offsets are
// not progress.
func checkFetchOrder(t *testing.T, events []string, sequential bool) {
	t.Helper()
	idx := func(e string) int { return slices.Index(events, e) }
	if sequential {
		if idx("fetch one 0") < 0 || idx("fetch one 6") < 0 || slices.ContainsFunc(events, func(e string) bool {
			return strings.HasPrefix(e, "progress") || strings.HasPrefix(e, "fetch-apart")
		}) {
			t.Fatalf("sequential follower: events %q", events)
		}
		return
	}
	first, next, report := idx("fetch-apart one 0"), idx("fetch-apart one 6"), idx("progress one 6")
	if first < 0 || next < 0 || report < 0 || !(first < next && next < report) {
		t.Fatalf("pipelined follower: want fetch from 0, fetch from 6, then the report of 6; events %q", events)
	}
	if slices.Contains(events, "fetch one 0") {
		t.Fatalf("pipelined follower sent a fetch whose offset is its progress: %q", events)
	}
}

func TestUnreachableLeaderRetriesAndCloses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var mu sync.Mutex
	dials := 0
	m := New(Config{Self: 2, Dial: func(ctx context.Context, _ int32, a string) (*wire.Conn, error) {
		mu.Lock()
		dials++
		mu.Unlock()
		return wire.Dial(ctx, a)
	}})
	r := follower(t, "t", 1)
	m.Follow(context.Background(), "t", 0, r, 1, addr)
	testkit.WaitFor(t, 5*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		if dials < 2 {
			return fmt.Errorf("%d dials", dials)
		}
		return nil
	})
	done := make(chan struct{})
	go func() { m.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop a retrying worker")
	}
}

func TestSkipBefore(t *testing.T) {
	log := append(batchAt(0, 0, "a", "b"), batchAt(2, 0, "c")...)
	for _, tc := range []struct {
		offset  int64
		want    int // bytes kept
		wantErr bool
	}{{0, len(log), false}, {2, len(log) - len(batchAt(0, 0, "a", "b")), false}, {3, 0, false}, {1, 0, true}} {
		got, err := skipBefore(log, tc.offset)
		if (err != nil) != tc.wantErr || (err == nil && len(got) != tc.want) {
			t.Errorf("offset %d: %d bytes, err %v", tc.offset, len(got), err)
		}
	}
	bad := batchAt(0, 0, "a")
	bad[len(bad)-1] ^= 1
	if _, err := skipBefore(bad, 0); err == nil {
		t.Fatal("corrupt batch accepted")
	}
}
