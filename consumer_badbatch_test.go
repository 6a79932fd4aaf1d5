package fluvio

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// oneRecord builds a batch of one record with value v.
func oneRecord(v string) []byte {
	var b batch.Builder
	b.Reset(time.Now().UnixMilli())
	b.Add(nil, []byte(v), nil, time.Now().UnixMilli())
	return append([]byte(nil), b.Bytes()...)
}

// TestConsumerMeetsBadBatch: a batch that passes its CRC but whose records
// do not decode (stored before the SPU checked records) ends the read with
// an error naming topic, partition and offset and the --start that skips
// it, after every record before it (before, the record before it was
// hidden too).
func TestConsumerMeetsBadBatch(t *testing.T) {
	f := startFakeCluster(t, "poison", 1)
	c := f.connect(t)
	ctx := context.Background()
	poison := oneRecord("x")
	for i := batch.RecordsOffset + 1; i < len(poison); i++ {
		poison[i] = 0xff
	}
	binary.BigEndian.PutUint32(poison[batch.CRCOffset:], batch.Checksum(poison[batch.AttributesOffset:]))
	for _, b := range [][]byte{oneRecord("a"), oneRecord("b"), poison, oneRecord("c")} {
		_, err := f.append(0, b)
		testkit.NoErr(t, err)
	}
	read := func(opts ...ConsumerOption) ([]string, error) {
		cons, err := c.Consumer("poison", append(opts, DisableContinuous())...)
		testkit.NoErr(t, err)
		var got []string
		for rec, err := range cons.Records(ctx) {
			if err != nil {
				return got, err
			}
			got = append(got, string(rec.Value))
		}
		return got, nil
	}
	for _, opts := range [][]ConsumerOption{{FromBeginning()}, {FromBeginning(), WithPartition(0)}} {
		got, err := read(opts...)
		testkit.Equal(t, strings.Join(got, ","), "a,b")
		if !errors.Is(err, ErrBadBatch) || !errors.Is(err, batch.ErrCorrupt) {
			t.Fatalf("error %v, want ErrBadBatch wrapping the decode error", err)
		}
		for _, want := range []string{"read poison partition 0", "at offset 2", "--start 3", "FromOffset(3)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	}
	got, err := read(FromOffset(3))
	testkit.NoErr(t, err)
	testkit.Equal(t, strings.Join(got, ","), "c")
}
