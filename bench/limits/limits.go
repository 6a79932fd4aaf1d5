package limits

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/fluvio-go/fluvio/bench"
)

// Figure names returned by Probe, used by the report to set ours against
// the machine.
const (
	SeqWriteMBs   = "seqwrite_mb_s"   // 1 MiB writes to a new file, one fsync at the end
	Fsync4kPerSec = "fsync4k_per_s"   // 4 KiB append + fsync, one at a time
	Fsync4kP50us  = "fsync4k_p50_us"  // latency of one such append + fsync
	Fsync4kP99us  = "fsync4k_p99_us"  //
	TCPStreamMBs  = "tcp_mb_s"        // one loopback TCP stream, 1 MiB writes
	PingPongP50us = "pingpong_p50_us" // 64 B request, 64 B reply, one in flight
	PingPongP99us = "pingpong_p99_us" //
	// The same ping-pong with the echo in another process (Config.EchoCmd):
	// the client/server topology of both systems.
	PingPongProcP50us = "pingpong_proc_p50_us"
	PingPongProcP99us = "pingpong_proc_p99_us"
)

// Config bounds each probe by size or count and by time.
type Config struct {
	// Dir is where the write probes create their files (removed after).
	Dir string
	// SeqWriteBytes is how much the sequential write probe writes.
	SeqWriteBytes int64
	// Fsyncs and FsyncTime bound the fsync probe.
	Fsyncs    int
	FsyncTime time.Duration
	// TCPTime bounds the TCP stream probe; TCPBytes too.
	TCPTime  time.Duration
	TCPBytes int64
	// PingPongs and PingPongTime bound the ping-pong probe.
	PingPongs    int
	PingPongTime time.Duration
	// EchoCmd starts the echo process of the cross-process ping-pong
	// (bench-worker --op echo); empty skips that probe.
	EchoCmd []string
}

// Quick is a configuration that runs in about a second.
func Quick(dir string) Config {
	return Config{Dir: dir, SeqWriteBytes: 256 << 20, Fsyncs: 1000, FsyncTime: 300 * time.Millisecond,
		TCPTime: 300 * time.Millisecond, TCPBytes: 4 << 30, PingPongs: 5000, PingPongTime: 300 * time.Millisecond}
}

// Full is the configuration of make bench.
func Full(dir string) Config {
	return Config{Dir: dir, SeqWriteBytes: 2 << 30, Fsyncs: 10000, FsyncTime: 2 * time.Second,
		TCPTime: 2 * time.Second, TCPBytes: 16 << 30, PingPongs: 50000, PingPongTime: 2 * time.Second}
}

// Probe runs every probe once and returns the figures.
func Probe(ctx context.Context, cfg Config) (bench.Figures, error) {
	var f bench.Figures
	mbs, err := SeqWrite(ctx, cfg.Dir, cfg.SeqWriteBytes)
	if err != nil {
		return f, err
	}
	f.Set(SeqWriteMBs, mbs)
	rate, p50, p99, err := Fsync4k(ctx, cfg.Dir, cfg.Fsyncs, cfg.FsyncTime)
	if err != nil {
		return f, err
	}
	f.Set(Fsync4kPerSec, rate)
	f.Set(Fsync4kP50us, bench.Micros(p50))
	f.Set(Fsync4kP99us, bench.Micros(p99))
	if mbs, err = TCPStream(ctx, cfg.TCPBytes, cfg.TCPTime); err != nil {
		return f, err
	}
	f.Set(TCPStreamMBs, mbs)
	if p50, p99, err = PingPong(ctx, cfg.PingPongs, cfg.PingPongTime); err != nil {
		return f, err
	}
	f.Set(PingPongP50us, bench.Micros(p50))
	f.Set(PingPongP99us, bench.Micros(p99))
	if len(cfg.EchoCmd) > 0 {
		if p50, p99, err = PingPongProcess(ctx, cfg.EchoCmd, cfg.PingPongs, cfg.PingPongTime); err != nil {
			return f, err
		}
		f.Set(PingPongProcP50us, bench.Micros(p50))
		f.Set(PingPongProcP99us, bench.Micros(p99))
	}
	return f, nil
}

// SeqWrite writes size bytes in 1 MiB writes to a new file in dir, fsyncs
// once at the end, and returns MB/s (10^6 bytes) including the fsync.
func SeqWrite(ctx context.Context, dir string, size int64) (float64, error) {
	path := filepath.Join(dir, "seqwrite.probe")
	file, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("limits: seqwrite: %w", err)
	}
	defer os.Remove(path)
	defer file.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	start := time.Now()
	var n int64
	for n < size {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("limits: seqwrite: %w", err)
		}
		w, err := file.Write(buf)
		if err != nil {
			return 0, fmt.Errorf("limits: seqwrite: %w", err)
		}
		n += int64(w)
	}
	if err := file.Sync(); err != nil {
		return 0, fmt.Errorf("limits: seqwrite fsync: %w", err)
	}
	return float64(n) / time.Since(start).Seconds() / 1e6, nil
}

// Fsync4k appends 4 KiB and fsyncs, one at a time, count times or for d,
// and returns fsyncs per second and the p50 and p99 of one append+fsync.
func Fsync4k(ctx context.Context, dir string, count int, d time.Duration) (rate float64, p50, p99 time.Duration, err error) {
	path := filepath.Join(dir, "fsync4k.probe")
	file, err := os.Create(path)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("limits: fsync4k: %w", err)
	}
	defer os.Remove(path)
	defer file.Close()
	buf := make([]byte, 4096)
	samples := make([]time.Duration, 0, count)
	start := time.Now()
	deadline := start.Add(d)
	for len(samples) < count && (len(samples) < 10 || time.Now().Before(deadline)) {
		if err := ctx.Err(); err != nil {
			return 0, 0, 0, fmt.Errorf("limits: fsync4k: %w", err)
		}
		t := time.Now()
		if _, err := file.Write(buf); err != nil {
			return 0, 0, 0, fmt.Errorf("limits: fsync4k: %w", err)
		}
		if err := file.Sync(); err != nil {
			return 0, 0, 0, fmt.Errorf("limits: fsync4k: %w", err)
		}
		samples = append(samples, time.Since(t))
	}
	rate = float64(len(samples)) / time.Since(start).Seconds()
	return rate, bench.Percentile(samples, 0.50), bench.Percentile(samples, 0.99), nil
}

// TCPStream sends up to size bytes in 1 MiB writes over one loopback TCP
// connection for at most d and returns the MB/s the receiver saw.
func TCPStream(ctx context.Context, size int64, d time.Duration) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("limits: tcp: %w", err)
	}
	defer ln.Close()
	type result struct {
		n   int64
		dur time.Duration
		err error
	}
	got := make(chan result, 1)
	go func() { // the receiver; ends when the sender closes or the listener fails
		c, err := ln.Accept()
		if err != nil {
			got <- result{err: err}
			return
		}
		defer c.Close()
		buf := make([]byte, 1<<20)
		var n int64
		var start time.Time
		for {
			m, err := c.Read(buf)
			if n == 0 && m > 0 {
				start = time.Now()
			}
			n += int64(m)
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				got <- result{n: n, dur: time.Since(start), err: err}
				return
			}
		}
	}()
	var d0 net.Dialer
	c, err := d0.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		r := <-got
		return 0, errors.Join(fmt.Errorf("limits: tcp dial: %w", err), r.err)
	}
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(d)
	var sent int64
	var werr error
	for sent < size && time.Now().Before(deadline) && ctx.Err() == nil {
		var m int
		m, werr = c.Write(buf)
		sent += int64(m)
		if werr != nil {
			break
		}
	}
	c.Close()
	r := <-got
	if err := errors.Join(werr, r.err, ctx.Err()); err != nil {
		return 0, fmt.Errorf("limits: tcp: %w", err)
	}
	if r.dur <= 0 {
		return 0, errors.New("limits: tcp: nothing received")
	}
	return float64(r.n) / r.dur.Seconds() / 1e6, nil
}

// PingPong sends a 64 B message over loopback TCP and waits for the 64 B
// echo, one in flight, count times or for d, and returns the p50 and p99
// round trip.
func PingPong(ctx context.Context, count int, d time.Duration) (p50, p99 time.Duration, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, fmt.Errorf("limits: pingpong: %w", err)
	}
	defer ln.Close()
	echoed := make(chan error, 1)
	go func() { // the echo server; ends when the client closes
		c, err := ln.Accept()
		if err != nil {
			echoed <- err
			return
		}
		defer c.Close()
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		buf := make([]byte, 64)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				echoed <- err
				return
			}
			if _, err := c.Write(buf); err != nil {
				echoed <- err
				return
			}
		}
	}()
	var d0 net.Dialer
	c, err := d0.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		ln.Close()
		return 0, 0, errors.Join(fmt.Errorf("limits: pingpong dial: %w", err), <-echoed)
	}
	buf := make([]byte, 64)
	samples := make([]time.Duration, 0, count)
	deadline := time.Now().Add(d)
	var ioErr error
	for len(samples) < count && (len(samples) < 10 || time.Now().Before(deadline)) && ctx.Err() == nil {
		t := time.Now()
		if _, ioErr = c.Write(buf); ioErr != nil {
			break
		}
		if _, ioErr = io.ReadFull(c, buf); ioErr != nil {
			break
		}
		samples = append(samples, time.Since(t))
	}
	c.Close()
	if err := errors.Join(ioErr, <-echoed, ctx.Err()); err != nil {
		return 0, 0, fmt.Errorf("limits: pingpong: %w", err)
	}
	return bench.Percentile(samples, 0.50), bench.Percentile(samples, 0.99), nil
}
