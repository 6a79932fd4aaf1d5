package spu

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// bigValue is a record value large enough for its produce request to be
// streamed (wire.StreamMin), within the default record size limit.
func bigValue(c byte) string { return strings.Repeat(string(c), 600<<10) }

// startBig starts an SPU leading big-0 with one small record in it (the
// first batch of a leader epoch is appended whole: its epoch entry is
// written first).
func startBig(t *testing.T) (*testSPU, *wire.Conn) {
	t.Helper()
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("big", 0, 1, 0))
	c := dial(t, s.public)
	off, err := produce(context.Background(), c, "big", 0, wire.AcksLeader, "first")
	requireNoErr(t, err)
	requireEqual(t, off, 0)
	return s, c
}

// streamsOf returns the committed and aborted streamed appends of the
// partition's log.
func streamsOf(t *testing.T, s *testSPU, topic string) (committed, aborted int64) {
	t.Helper()
	pt := s.dp.lookupPartition(topic, 0)
	if pt == nil {
		t.Fatalf("no partition %s-0", topic)
	}
	return pt.r.Log().Streams()
}

// rawProduce encodes a produce request frame (version 0) by hand, so a
// test can send part of it.
func rawProduce(corr int32, topic string, records []byte) []byte {
	var p []byte
	p = binary.BigEndian.AppendUint16(p, uint16(wire.KeyProduce))
	p = binary.BigEndian.AppendUint16(p, 0)
	p = binary.BigEndian.AppendUint32(p, uint32(corr))
	p = binary.BigEndian.AppendUint16(p, uint16(wire.AcksLeader))
	p = binary.BigEndian.AppendUint32(p, 10000)
	p = binary.BigEndian.AppendUint16(p, uint16(len(topic)))
	p = append(p, topic...)
	p = binary.BigEndian.AppendUint32(p, 0)
	p = binary.BigEndian.AppendUint32(p, uint32(len(records)))
	p = append(p, records...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(p))), p...)
}

// rawAnswer reads one produce response frame and returns its error code
// and base offset.
func rawAnswer(t *testing.T, nc net.Conn) (wire.ErrorCode, int64) {
	t.Helper()
	requireNoErr(t, nc.SetReadDeadline(time.Now().Add(10*time.Second)))
	var size [4]byte
	_, err := io.ReadFull(nc, size[:])
	requireNoErr(t, err)
	p := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err = io.ReadFull(nc, p)
	requireNoErr(t, err)
	p = p[wire.ResponseHeaderLen:] // correlation id, request-level code
	code := wire.ErrorCode(int16(binary.BigEndian.Uint16(p)))
	msgLen := int(binary.BigEndian.Uint16(p[2:]))
	return code, int64(binary.BigEndian.Uint64(p[4+msgLen:]))
}

// TestProduceLargeIsStreamed: a large produce is written to the log while
// it arrives (the log counts a committed stream), answered with its
// offset, and reads back whole; smaller ones are not streamed.
func TestProduceLargeIsStreamed(t *testing.T) {
	s, c := startBig(t)
	ctx := context.Background()
	for i, v := range []string{bigValue('a'), bigValue('b')} {
		off, err := produce(ctx, c, "big", 0, wire.AcksLeader, v)
		requireNoErr(t, err)
		requireEqual(t, off, int64(1+i))
	}
	committed, aborted := streamsOf(t, s, "big")
	requireEqual(t, committed, 2)
	requireEqual(t, aborted, 0)
	for i, want := range []string{"first", bigValue('a'), bigValue('b')} {
		got, _ := consume(t, c, "big", 0, int64(i))
		if len(got) == 0 || got[0] != want {
			t.Fatalf("offset %d reads back different (%d values)", i, len(got))
		}
	}
}

// TestProduceLargeStreamBadCRC: a streamed batch whose CRC is wrong is
// refused as corrupt once it is whole; nothing of it is readable and
// the next produce takes its offset.
func TestProduceLargeStreamBadCRC(t *testing.T) {
	s, c := startBig(t)
	ctx := context.Background()
	bad := records(bigValue('x'))
	bad[len(bad)-1] ^= 0xff
	_, err := c.Produce(ctx, &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "big", Records: bad})
	requireEqual(t, wire.CodeOf(err), wire.CorruptBatch)
	committed, aborted := streamsOf(t, s, "big")
	requireEqual(t, committed, 0)
	requireEqual(t, aborted, 1)
	requireEqual(t, s.dp.lookupPartition("big", 0).r.Log().EndOffset(), 1)
	off, err := produce(ctx, c, "big", 0, wire.AcksLeader, bigValue('y'))
	requireNoErr(t, err)
	requireEqual(t, off, 1)
	got, _ := consume(t, c, "big", 0, 0)
	if len(got) != 2 || got[1] != bigValue('y') {
		t.Fatalf("read back %d values, want the one good record", len(got))
	}
}

// TestProduceLargeStreamShortFrame: a client that dies in the middle of a
// streamed request leaves the log as it was.
func TestProduceLargeStreamShortFrame(t *testing.T) {
	s, c := startBig(t)
	log := s.dp.lookupPartition("big", 0).r.Log()
	size := log.Size()
	frame := rawProduce(1, "big", records(bigValue('z')))
	nc, err := net.Dial("tcp", s.public)
	requireNoErr(t, err)
	_, err = nc.Write(frame[:len(frame)/2])
	requireNoErr(t, err)
	requireNoErr(t, nc.Close())
	testkit.WaitFor(t, 5*time.Second, func() error {
		if _, aborted := streamsOf(t, s, "big"); aborted != 1 {
			return io.ErrNoProgress
		}
		return nil
	})
	requireEqual(t, log.EndOffset(), 1)
	requireEqual(t, log.Size(), size)
	off, err := produce(context.Background(), c, "big", 0, wire.AcksLeader, "after")
	requireNoErr(t, err)
	requireEqual(t, off, 1)
}

// TestProduceLargeStreamStalledClient: a client that stalls in the middle
// of a streamed request does not hold the partition: the stream is given
// up within the stream budget (the rest of the request is then read
// whole), another producer's append goes through meanwhile, and the
// stalled request, once complete, is appended after it.
func TestProduceLargeStreamStalledClient(t *testing.T) {
	s, c := startBig(t)
	frame := rawProduce(7, "big", records(bigValue('s')))
	nc, err := net.Dial("tcp", s.public)
	requireNoErr(t, err)
	defer nc.Close()
	half := len(frame) / 2
	_, err = nc.Write(frame[:half])
	requireNoErr(t, err)
	testkit.WaitFor(t, 5*time.Second, func() error {
		if _, aborted := streamsOf(t, s, "big"); aborted != 1 {
			return io.ErrNoProgress
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	off, err := produce(ctx, c, "big", 0, wire.AcksLeader, "meanwhile")
	requireNoErr(t, err)
	requireEqual(t, off, 1)
	_, err = nc.Write(frame[half:])
	requireNoErr(t, err)
	code, base := rawAnswer(t, nc)
	requireEqual(t, code, wire.None)
	requireEqual(t, base, 2)
	got, _ := consume(t, c, "big", 0, 1)
	if len(got) != 2 || got[0] != "meanwhile" || got[1] != bigValue('s') {
		t.Fatalf("read back %d values, want both records in order", len(got))
	}
	committed, _ := streamsOf(t, s, "big")
	requireEqual(t, committed, 0)
}
