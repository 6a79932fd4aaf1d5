package spu

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// poisonBatches are malformed batches seen in the field, each with a valid
// CRC: what a buggy or hostile producer can send.
func poisonBatches() map[string][]byte {
	reCRC := func(b []byte) []byte {
		binary.BigEndian.PutUint32(b[batch.LengthOffset:], uint32(len(b)-batch.LogOverhead))
		binary.BigEndian.PutUint32(b[batch.CRCOffset:], batch.Checksum(b[batch.AttributesOffset:]))
		return b
	}
	varint := records("x")
	for i := batch.RecordsOffset + 1; i < len(varint); i++ {
		varint[i] = 0xff
	}
	delta := records("x")
	binary.BigEndian.PutUint32(delta[batch.LastOffsetDeltaOffset:], 0x7ffffff0)
	attrs := records("x")
	binary.BigEndian.PutUint16(attrs[batch.AttributesOffset:], 0x20)
	extra := append(records("x"), 0, 0)
	return map[string][]byte{
		"records do not decode":   reCRC(varint),
		"lastOffsetDelta 2^31-16": reCRC(delta),
		"unknown attribute bit":   reCRC(attrs),
		"size beyond the records": reCRC(extra),
	}
}

// TestSPURefusesPoisonBatches: a batch whose CRC holds but whose records
// do not match its header is refused with InvalidRecord before anything
// is appended (it used to be stored at base 1, hiding the record before
// it from consumers, and offsets jump by 2^31 per batch, across restarts).
func TestSPURefusesPoisonBatches(t *testing.T) {
	dir := t.TempDir()
	s := startSPUIn(t, 1, dir, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	c := dial(t, s.public)
	_, err := produce(context.Background(), c, "t", 0, wire.AcksAll, "first")
	testkit.NoErr(t, err)
	for name, b := range poisonBatches() {
		t.Run(name, func(t *testing.T) {
			_, err := produceRaw(c, "t", wire.AcksAll, b)
			testkit.ErrIs(t, err, wire.ErrInvalidRecord)
			if !strings.Contains(err.Error(), "invalid record batch: ") || !strings.Contains(err.Error(), "nothing was appended") {
				t.Fatalf("error %q does not say what was refused", err)
			}
			// Also in a request whose first batch is fine: nothing of it is kept.
			_, err = produceRaw(c, "t", wire.AcksAll, append(records("ok"), b...))
			testkit.ErrIs(t, err, wire.ErrInvalidRecord)
		})
	}
	// The connection still serves, the log holds only good records with
	// dense offsets, and so it does after a restart.
	base, err := produce(context.Background(), c, "t", 0, wire.AcksAll, "second")
	testkit.NoErr(t, err)
	testkit.Equal(t, base, int64(1))
	got, _ := consume(t, c, "t", 0, 0)
	testkit.NoErr(t, eq(got, []string{"first", "second"}))
	s.stop()
	s = startSPUIn(t, 1, dir, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	c = dial(t, s.public)
	got, resp := consume(t, c, "t", 0, 0)
	testkit.NoErr(t, eq(got, []string{"first", "second"}))
	testkit.Equal(t, resp.LogEndOffset, int64(2))
}
