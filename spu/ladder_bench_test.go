package spu

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wire"
)

// BenchmarkLargeLadder is the latency ladder of one 1 MiB produce round
// trip (G9's shape, bench/README.md: the 1 MiB window holds one record,
// so every record is a full round trip), one rung per step the SPU's
// path adds: a 1 MiB request answered with 8 bytes over loopback TCP
// between two goroutines; the same with the server writing the 1 MiB to
// a file; wire.Serve with a handler that only answers; the SPU fed a
// pre-encoded 1 MiB batch by the wire client (acks=leader, sync
// interval). Each reports the median and p90 round trip (p50-us,
// p90-us). The difference between two rungs is what that step costs;
// the producer's own rung is BenchmarkProduceLarge in the root package.
func BenchmarkLargeLadder(b *testing.B) {
	const size = 1 << 20
	b.Run("rung=tcp", func(b *testing.B) { benchRawRoundTrip(b, size, nil) })
	b.Run("rung=tcp+file", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "f"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		written := 0
		benchRawRoundTrip(b, size, func(p []byte) error {
			if written >= 256<<20 { // a segment's worth: start over, like a roll
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					return err
				}
				written = 0
			}
			_, err := f.Write(p)
			written += len(p)
			return err
		})
	})
	payload := largeBatch(size)
	b.Run("rung=wire.Serve", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- wire.Serve(ctx, ln, wire.ServerConfig{}, wire.HandlerFunc(func(context.Context, wire.Request) wire.Reply {
				return wire.Respond(&wire.ProduceResponse{})
			}))
		}()
		defer func() { cancel(); <-done }()
		c, err := wire.Dial(ctx, ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		benchWireRoundTrip(b, c, payload)
	})
	b.Run("rung=spu", func(b *testing.B) {
		s, c := benchSPU(b, "interval", 2*size)
		defer s.stop()
		defer c.Close()
		benchWireRoundTrip(b, c, payload)
		if pt := s.dp.lookupPartition("bench", 0); pt != nil {
			if committed, aborted := streamCounts(pt); committed+aborted > 0 {
				b.ReportMetric(float64(committed)/float64(b.N), "streamed/op")
			}
		}
	})
}

// largeBatch is one batch of one record of size bytes.
func largeBatch(size int) []byte {
	var bl batch.Builder
	bl.Reset(1)
	bl.Add(nil, make([]byte, size), nil, 1)
	return append([]byte(nil), bl.Bytes()...)
}

// benchWireRoundTrip produces payload on c, one request at a time.
func benchWireRoundTrip(b *testing.B, c *wire.Conn, payload []byte) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, 1024)
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		t0 := time.Now()
		resp, err := c.Produce(ctx, &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "bench", Records: payload})
		if err != nil {
			b.Fatal(err)
		}
		if resp.ErrorCode != wire.None {
			b.Fatalf("produce: %s", resp.ErrorMessage)
		}
		lat = append(lat, time.Since(t0))
	}
	reportLatency(b, lat)
}

// benchRawRoundTrip sends size bytes (after a 4-byte length) over a
// loopback TCP connection to a goroutine that reads them whole, hands
// them to sink (when set) and answers 8 bytes.
func benchRawRoundTrip(b *testing.B, size int, sink func([]byte) error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer nc.Close()
		buf := make([]byte, size)
		var head [4]byte
		for {
			if _, err := io.ReadFull(nc, head[:]); err != nil {
				served <- nil // the client closed
				return
			}
			if _, err := io.ReadFull(nc, buf[:binary.BigEndian.Uint32(head[:])]); err != nil {
				served <- err
				return
			}
			if sink != nil {
				if err := sink(buf); err != nil {
					served <- err
					return
				}
			}
			if _, err := nc.Write(make([]byte, 8)); err != nil {
				served <- err
				return
			}
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 4+size)
	binary.BigEndian.PutUint32(msg, uint32(size))
	var ack [8]byte
	lat := make([]time.Duration, 0, 1024)
	b.SetBytes(int64(size))
	for b.Loop() {
		t0 := time.Now()
		if _, err := nc.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(nc, ack[:]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	_ = nc.Close()
	if err := <-served; err != nil {
		b.Fatal(err)
	}
	reportLatency(b, lat)
}

// reportLatency reports the median and p90 of lat in microseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1000, "p50-us")
	b.ReportMetric(float64(lat[len(lat)*9/10].Nanoseconds())/1000, "p90-us")
}

// streamCounts returns the partition log's committed and aborted streamed
// appends.
func streamCounts(pt *partition) (committed, aborted int64) {
	return pt.r.Log().Streams()
}
