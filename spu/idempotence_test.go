package spu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// idemRecords builds one batch of producer pid starting at sequence seq.
func idemRecords(pid int64, seq int32, values ...string) []byte {
	var b batch.Builder
	ts := time.Now().UnixMilli()
	b.Reset(ts)
	b.SetProducer(pid, 0, seq)
	for _, v := range values {
		b.Add(nil, []byte(v), nil, ts)
	}
	return append([]byte(nil), b.Bytes()...)
}

func produceRaw(c *wire.Conn, topic string, acks wire.Acks, rec []byte) (int64, error) {
	r, err := c.Produce(context.Background(), &wire.ProduceRequest{Acks: acks, TimeoutMs: 10000, Topic: topic,
		Partition: 0, Records: append([]byte(nil), rec...)})
	if r != nil {
		return r.BaseOffset, err
	}
	return -1, err
}

// produceDup sends a retry of stored batches: the answer must be
// DuplicateSequence with their original offset, which it returns.
func produceDup(t *testing.T, c *wire.Conn, topic string, acks wire.Acks, rec []byte) int64 {
	t.Helper()
	off, err := produceRaw(c, topic, acks, rec)
	if !errors.Is(err, wire.ErrDuplicateSequence) || off < 0 {
		t.Fatalf("retry answered %d, %v; want DuplicateSequence with the original offset", off, err)
	}
	return off
}

// TestIdempotentProduceOverTCP: the same batch sent twice to a real SPU
// is stored once and both answers carry its offset; a gap is refused as
// out of order (retriable); after a restart of the SPU the retry is still
// recognized (the table is rebuilt from the log).
func TestIdempotentProduceOverTCP(t *testing.T) {
	dir := t.TempDir()
	s := startSPUIn(t, 1, dir, 0)
	s.apply(t, true, nil, spec("idem", 0, 1, 0))
	c := dial(t, s.public)
	_, err := produce(context.Background(), c, "idem", 0, wire.AcksAll, "plain")
	testkit.NoErr(t, err)
	b := idemRecords(1234, 0, "a", "b")
	first, err := produceRaw(c, "idem", wire.AcksAll, b)
	testkit.NoErr(t, err)
	testkit.Equal(t, first, 1)
	testkit.Equal(t, produceDup(t, c, "idem", wire.AcksAll, b), first)
	// A second connection (as after a reconnect) gets the same answer.
	testkit.Equal(t, produceDup(t, dial(t, s.public), "idem", wire.AcksLeader, b), first)
	got, pr := consume(t, c, "idem", 0, 0)
	testkit.NoErr(t, eq(got, []string{"plain", "a", "b"}))
	testkit.Equal(t, pr.HighWatermark, 3)

	_, err = produceRaw(c, "idem", wire.AcksAll, idemRecords(1234, 5, "late"))
	testkit.ErrIs(t, err, wire.ErrOutOfOrderSequence)
	if !wire.IsRetriable(err) {
		t.Fatalf("out of order is not retriable: %v", err)
	}
	next, err := produceRaw(c, "idem", wire.AcksAll, idemRecords(1234, 2, "c"))
	testkit.NoErr(t, err)
	testkit.Equal(t, next, 3)

	s.stop()
	s2 := startSPUIn(t, 1, dir, 0)
	s2.apply(t, true, nil, spec("idem", 0, 1, 1))
	c2 := dial(t, s2.public)
	for i, rec := range [][]byte{b, idemRecords(1234, 2, "c")} {
		off := produceDup(t, c2, "idem", wire.AcksAll, rec)
		if want := []int64{1, 3}[i]; off != want {
			t.Fatalf("retry %d after restart answered offset %d, want %d", i, off, want)
		}
	}
	off, err := produceRaw(c2, "idem", wire.AcksAll, idemRecords(1234, 3, "d"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, 4)
	got, _ = consume(t, c2, "idem", 0, 0)
	testkit.NoErr(t, eq(got, []string{"plain", "a", "b", "c", "d"}))
}

// TestIdempotentFailoverRetry: a 3-replica partition stores a batch with
// acks=all, the answer is lost, the leader stops and a follower takes
// over; the producer's retry to the new leader is answered with the
// original offset and the logs hold the records once.
func TestIdempotentFailoverRetry(t *testing.T) {
	s1, s2, s3 := startSPU(t, 1, 0), startSPU(t, 2, 0), startSPU(t, 3, 0)
	peers := peersOf(s1, s2, s3)
	sp0 := spec("fo", 0, 1, 0, 1, 2, 3)
	for _, s := range []*testSPU{s1, s2, s3} {
		s.apply(t, true, peers, sp0)
	}
	c1 := dial(t, s1.public)
	for i := range 3 {
		off, err := produceRaw(c1, "fo", wire.AcksAll, idemRecords(77, int32(i), fmt.Sprint("m", i)))
		testkit.NoErr(t, err)
		testkit.Equal(t, off, int64(i))
	}
	// The batch whose answer is lost: it is committed (acks=all), the
	// client never reads the answer.
	lost := idemRecords(77, 3, "lost-ack")
	c1.StartProduce(context.Background(), &wire.ProduceRequest{Acks: wire.AcksAll, TimeoutMs: 10000,
		Topic: "fo", Partition: 0, Records: append([]byte(nil), lost...)}) // never waited for
	testkit.WaitFor(t, 10*time.Second, func() error {
		for _, s := range []*testSPU{s2, s3} {
			if st := status(s, "fo"); st.LEO != 4 {
				return fmt.Errorf("SPU %d at %d", s.id, st.LEO)
			}
		}
		return nil
	})
	s1.stop()
	sp1 := spec("fo", 0, 2, 1, 2, 3, 1)
	sp1.ISR = []int32{2, 3}
	peers = peersOf(s2, s3)
	s2.apply(t, true, peers, sp1)
	s3.apply(t, true, peers, sp1)
	c2 := dial(t, s2.public)
	testkit.Equal(t, produceDup(t, c2, "fo", wire.AcksAll, lost), 3)
	off, err := produceRaw(c2, "fo", wire.AcksAll, idemRecords(77, 4, "after"))
	testkit.NoErr(t, err)
	testkit.Equal(t, off, 4)
	sameLogs(t, "fo", s2, s3)
	got, _ := consume(t, c2, "fo", 0, 0)
	testkit.NoErr(t, eq(got, []string{"m0", "m1", "m2", "lost-ack", "after"}))
}

// TestIdempotentConcurrentRetries: the same batch sent at once on 8
// connections (a retry racing its first try) is stored once; every
// answer names that offset (one success, seven DuplicateSequence).
func TestIdempotentConcurrentRetries(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("race", 0, 1, 0))
	for round := range 20 {
		b := idemRecords(99, int32(round), fmt.Sprint("r", round))
		offs := make(chan int64, 8)
		errs := make(chan error, 8)
		var wg sync.WaitGroup
		for range 8 {
			c := dial(t, s.public)
			wg.Go(func() {
				off, err := produceRaw(c, "race", wire.AcksAll, b)
				offs <- off
				errs <- err
			})
		}
		wg.Wait()
		dups := 0
		for range 8 {
			if err := <-errs; errors.Is(err, wire.ErrDuplicateSequence) {
				dups++
			} else {
				testkit.NoErr(t, err)
			}
			testkit.Equal(t, <-offs, int64(round))
		}
		testkit.Equal(t, dups, 7)
	}
	got, _ := consume(t, dial(t, s.public), "race", 0, 0)
	testkit.Equal(t, len(got), 20)
}
