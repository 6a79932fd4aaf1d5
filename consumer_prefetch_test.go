package fluvio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/fluviotest"
)

// readAllWithReader reads a partition to its end (DisableContinuous)
// with a partitionReader and returns the values and the reader.
func readAllWithReader(t *testing.T, cons *Consumer) ([]string, *partitionReader, error) {
	t.Helper()
	r := cons.newReader(0)
	defer r.conn.close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	for {
		recs, done, err := r.next(ctx)
		for _, rec := range recs {
			got = append(got, string(rec.Value))
		}
		if err != nil || done {
			return got, r, err
		}
	}
}

// TestConsumerPrefetch: with one batch per fetch, every fetch after the
// first is sent before the previous answer is decoded, and the records
// still arrive once each, in order; none is asked past the end.
func TestConsumerPrefetch(t *testing.T) {
	f := startFakeCluster(t, "pre", 1)
	c := f.connect(t)
	const n = 50
	var want []string
	for i := range n {
		_, err := f.append(0, oneRecord(strconv.Itoa(i)))
		requireNoErr(t, err)
		want = append(want, strconv.Itoa(i))
	}
	cons, err := c.Consumer("pre", FromBeginning(), DisableContinuous(), WithFetchMaxBytes(1))
	requireNoErr(t, err)
	got, r, err := readAllWithReader(t, cons)
	requireNoErr(t, err)
	requireEqual(t, strings.Join(got, ","), strings.Join(want, ","))
	requireEqual(t, r.prefetched, n-1)
	if r.pre != nil {
		t.Errorf("a fetch was sent past the end, at offset %d", r.pre.offset)
	}
}

// TestConsumerPrefetchBadBatch: a prefetched answer is never delivered
// past a batch that does not decode: the records before it arrive, then
// the error, and not the record after it.
func TestConsumerPrefetchBadBatch(t *testing.T) {
	f := startFakeCluster(t, "poison", 1)
	c := f.connect(t)
	poison := oneRecord("x")
	for i := batch.RecordsOffset + 1; i < len(poison); i++ {
		poison[i] = 0xff
	}
	binary.BigEndian.PutUint32(poison[batch.CRCOffset:], batch.Checksum(poison[batch.AttributesOffset:]))
	for _, b := range [][]byte{oneRecord("a"), oneRecord("b"), poison, oneRecord("c")} {
		_, err := f.append(0, b)
		requireNoErr(t, err)
	}
	cons, err := c.Consumer("poison", FromBeginning(), DisableContinuous(), WithFetchMaxBytes(1))
	requireNoErr(t, err)
	got, r, err := readAllWithReader(t, cons)
	requireEqual(t, strings.Join(got, ","), "a,b")
	if !errors.Is(err, ErrBadBatch) {
		t.Fatalf("error %v, want ErrBadBatch", err)
	}
	if r.prefetched == 0 {
		t.Error("no prefetched answer was taken: the test did not reach the prefetch path")
	}
}

// TestConsumerPrefetchNotTakenElsewhere: an answer prefetched for one
// offset is not taken for a fetch of another; that fetch gets its own.
func TestConsumerPrefetchNotTakenElsewhere(t *testing.T) {
	f := startFakeCluster(t, "other", 1)
	c := f.connect(t)
	for i := range 5 {
		_, err := f.append(0, oneRecord(strconv.Itoa(i)))
		requireNoErr(t, err)
	}
	cons, err := c.Consumer("other", FromBeginning(), WithFetchMaxBytes(1))
	requireNoErr(t, err)
	r := cons.newReader(0)
	defer r.conn.close()
	ctx := t.Context()
	_, err = c.fetchRecords(ctx, &r.conn, "other", 0, 0, &cons.cfg, false, nil) // dials
	requireNoErr(t, err)
	pre := c.startFetch(ctx, &r.conn, "other", 0, 3, &cons.cfg, false)
	if pre == nil {
		t.Fatal("no prefetch on a connection that can send one")
	}
	resp, err := c.fetchRecords(ctx, &r.conn, "other", 0, 1, &cons.cfg, false, pre)
	requireNoErr(t, err)
	if pre.taken || batch.BaseOffset(resp.Records) != 1 {
		t.Errorf("fetch of offset 1 answered from offset %d (prefetch for 3 taken: %v)", batch.BaseOffset(resp.Records), pre.taken)
	}
	resp, err = c.fetchRecords(ctx, &r.conn, "other", 0, 3, &cons.cfg, false, pre)
	requireNoErr(t, err)
	if !pre.taken || batch.BaseOffset(resp.Records) != 3 {
		t.Errorf("fetch of offset 3 answered from offset %d (prefetch taken: %v)", batch.BaseOffset(resp.Records), pre.taken)
	}
}

// TestConsumerPrefetchWire reads 1 KiB records from a real SPU over the
// wire in small fetches: every record once, in order, and the prefetched
// answers taken.
func TestConsumerPrefetchWire(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "prefetch", TopicConfig{})
	p, err := c.Producer("prefetch", WithAcks(AcksLeader))
	requireNoErr(t, err)
	const n = 2000
	value := make([]byte, 1024)
	for i := range n {
		copy(value, fmt.Sprintf("%08d", i))
		requireNoErr(t, p.Send(t.Context(), nil, value))
	}
	requireNoErr(t, p.Close())
	cons, err := c.Consumer("prefetch", FromBeginning(), DisableContinuous(), WithFetchMaxBytes(32<<10))
	requireNoErr(t, err)
	got, r, err := readAllWithReader(t, cons)
	requireNoErr(t, err)
	requireEqual(t, len(got), n)
	for i, v := range got {
		if v[:8] != fmt.Sprintf("%08d", i) {
			t.Fatalf("record %d holds %q", i, v[:8])
		}
	}
	if r.prefetched == 0 {
		t.Error("no prefetched answer taken over the wire")
	}
}
