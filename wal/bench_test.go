package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// benchBatch returns an encoded batch of n records with values of size
// bytes.
func benchBatch(n, size int) []byte {
	var b batch.Builder
	b.Reset(time.Now().UnixMilli())
	v := make([]byte, size)
	for i := range n {
		v[0] = byte(i)
		b.Add(nil, v, nil, time.Now().UnixMilli())
	}
	return slices.Clone(b.Bytes())
}

func sizeName(n int) string {
	if n >= 1024 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}

// benchOpts: default segments (256 MiB), kept until the benchmark ends.
func benchOpts(sync SyncPolicy) Options {
	return Options{Sync: sync, MaxBatchBytes: 8 << 20}
}

func p99(lat []time.Duration) float64 {
	if len(lat) == 0 {
		return 0
	}
	slices.Sort(lat)
	return float64(lat[len(lat)*99/100].Microseconds())
}

// BenchmarkAppend: one Append of one batch per op. Compare with
// BenchmarkPlainFile (same bytes through os.File.Write, plus one fsync per
// write for sync=always) in the same run.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{100, 1024} {
		for _, n := range []int{1, 1000} {
			for _, policy := range []SyncPolicy{SyncAlways, SyncNever} {
				name := fmt.Sprintf("size=%s/batch=%d/sync=%s", sizeName(size), n, policy)
				b.Run(name, func(b *testing.B) {
					l, err := Open(b.TempDir(), benchOpts(policy))
					testkit.NoErr(b, err)
					defer l.Close()
					p := benchBatch(n, size)
					b.SetBytes(int64(len(p)))
					b.ReportAllocs()
					lat := make([]time.Duration, 0, 1024)
					for b.Loop() {
						t0 := time.Now()
						if _, err := l.Append(p); err != nil {
							b.Fatal(err)
						}
						if len(lat) < cap(lat) {
							lat = append(lat, time.Since(t0))
						}
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
					b.ReportMetric(p99(lat), "p99-us")
				})
			}
		}
	}
}

// BenchmarkPlainFile is the machine baseline: sequential os.File writes of
// the same sizes into fresh 256 MiB files, kept until the benchmark ends
// as the log's segments are (sync=always: fsync after every write; never:
// no fsync at all, not even when a file is full).
func BenchmarkPlainFile(b *testing.B) {
	for _, size := range []int{100, 1024} {
		for _, n := range []int{1, 1000} {
			for _, policy := range []SyncPolicy{SyncAlways, SyncNever} {
				name := fmt.Sprintf("size=%s/batch=%d/sync=%s", sizeName(size), n, policy)
				b.Run(name, func(b *testing.B) {
					dir := b.TempDir()
					p := benchBatch(n, size)
					b.SetBytes(int64(len(p)))
					var files []string
					var f *os.File
					written := 0
					next := func() {
						if f != nil {
							testkit.NoErr(b, f.Close())
						}
						name := filepath.Join(dir, fmt.Sprintf("plain-%d", len(files)))
						var err error
						f, err = os.Create(name)
						testkit.NoErr(b, err)
						files = append(files, name)
						written = 0
					}
					next()
					defer func() { f.Close() }()
					for b.Loop() {
						if _, err := f.Write(p); err != nil {
							b.Fatal(err)
						}
						if policy == SyncAlways {
							testkit.NoErr(b, f.Sync())
						}
						if written += len(p); written >= 256<<20 {
							next()
						}
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
				})
			}
		}
	}
}

// BenchmarkAppendRatio alternates slices of batched appends (1000
// records per batch, sync=never) with the same writes to a plain file, so
// both see the same page cache and neighbours, and reports the ratio of
// their bandwidths.
func BenchmarkAppendRatio(b *testing.B) {
	for _, size := range []int{100, 1024} {
		b.Run("size="+sizeName(size), func(b *testing.B) {
			l, err := Open(b.TempDir(), benchOpts(SyncNever))
			testkit.NoErr(b, err)
			defer l.Close()
			f, err := os.Create(filepath.Join(b.TempDir(), "plain"))
			testkit.NoErr(b, err)
			defer f.Close()
			p := benchBatch(1000, size)
			const k = 40
			var walT, plainT time.Duration
			for b.Loop() {
				t0 := time.Now()
				for range k {
					if _, err := l.Append(p); err != nil {
						b.Fatal(err)
					}
				}
				walT += time.Since(t0)
				t0 = time.Now()
				for range k {
					if _, err := f.Write(p); err != nil {
						b.Fatal(err)
					}
				}
				plainT += time.Since(t0)
			}
			bytes := float64(b.N * k * len(p))
			b.ReportMetric(bytes/walT.Seconds()/1e6, "wal-MB/s")
			b.ReportMetric(bytes/plainT.Seconds()/1e6, "plain-MB/s")
			b.ReportMetric(plainT.Seconds()/walT.Seconds(), "ratio")
		})
	}
}

// BenchmarkGroupCommit: 16 goroutines appending 1 KiB single-record
// batches with SyncAlways (group commit), against one fsync per append
// (a single writer doing write+fsync on a plain file).
func BenchmarkGroupCommit(b *testing.B) {
	p := benchBatch(1, 1024)
	b.Run("wal/appenders=16/sync=always", func(b *testing.B) {
		l, err := Open(b.TempDir(), benchOpts(SyncAlways))
		testkit.NoErr(b, err)
		defer l.Close()
		b.SetBytes(int64(len(p)))
		b.ReportAllocs()
		b.SetParallelism(8) // 8 x GOMAXPROCS(2) = 16 appenders
		b.RunParallel(func(pb *testing.PB) {
			mine := slices.Clone(p)
			for pb.Next() {
				if _, err := l.Append(mine); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		b.ReportMetric(float64(b.N)/float64(max(l.fsyncs.Load(), 1)), "appends/fsync")
	})
	b.Run("plain/fsync-per-append", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), "plain"))
		testkit.NoErr(b, err)
		defer f.Close()
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			if _, err := f.Write(p); err != nil {
				b.Fatal(err)
			}
			testkit.NoErr(b, f.Sync())
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	})
}

// BenchmarkGroupCommitRatio alternates 100 ms slices of the two sides of
// BenchmarkGroupCommit so that both see the same disk and the same noisy
// neighbours, and reports their rates and the ratio.
func BenchmarkGroupCommitRatio(b *testing.B) {
	p := benchBatch(1, 1024)
	l, err := Open(b.TempDir(), benchOpts(SyncAlways))
	testkit.NoErr(b, err)
	defer l.Close()
	f, err := os.Create(filepath.Join(b.TempDir(), "plain"))
	testkit.NoErr(b, err)
	defer f.Close()
	var walN, plainN int64
	var walT, plainT time.Duration
	const slice = 100 * time.Millisecond
	for b.Loop() {
		t0 := time.Now()
		var wg sync.WaitGroup
		var n [16]int64
		for g := range 16 {
			wg.Go(func() {
				mine := slices.Clone(p)
				for time.Since(t0) < slice {
					if _, err := l.Append(mine); err != nil {
						b.Error(err)
						return
					}
					n[g]++
				}
			})
		}
		wg.Wait()
		walT += time.Since(t0)
		for _, k := range n {
			walN += k
		}
		t0 = time.Now()
		for time.Since(t0) < slice {
			if _, err := f.Write(p); err != nil {
				b.Fatal(err)
			}
			testkit.NoErr(b, f.Sync())
			plainN++
		}
		plainT += time.Since(t0)
	}
	walRate, plainRate := float64(walN)/walT.Seconds(), float64(plainN)/plainT.Seconds()
	b.ReportMetric(walRate, "wal-appends/s")
	b.ReportMetric(plainRate, "plain-appends/s")
	b.ReportMetric(walRate/plainRate, "ratio")
	b.ReportMetric(float64(walN)/float64(max(l.fsyncs.Load(), 1)), "appends/fsync")
}

// BenchmarkRead reads 1 MiB ranges sequentially from a 64 MiB log of
// 16-record batches of 1 KiB records (page cache).
func BenchmarkRead(b *testing.B) {
	l, err := Open(b.TempDir(), benchOpts(SyncNever))
	testkit.NoErr(b, err)
	defer l.Close()
	p := benchBatch(16, 1024)
	for l.Size() < 64<<20 {
		_, err := l.Append(p)
		testkit.NoErr(b, err)
	}
	testkit.NoErr(b, l.Sync())
	b.Run("max=1MiB", func(b *testing.B) {
		b.ReportAllocs()
		off := int64(0)
		var total int64
		for b.Loop() {
			c, err := l.Read(off, 1<<20)
			if err != nil {
				b.Fatal(err)
			}
			total += int64(c.Len())
			off = c.NextOffset()
			if off >= l.EndOffset() {
				off = 0
			}
			c.Close()
		}
		b.SetBytes(total / int64(b.N))
	})
}

// BenchmarkRecovery reopens a log of WAL_BENCH_RECOVERY_MB MiB (default
// 64) spread over 16 MiB segments; the active segment is scanned in full.
func BenchmarkRecovery(b *testing.B) {
	mb := 64
	if s := os.Getenv("WAL_BENCH_RECOVERY_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	opts := Options{Sync: SyncNever, SegmentBytes: 16 << 20}
	l, err := Open(dir, opts)
	testkit.NoErr(b, err)
	p := benchBatch(16, 1024)
	for l.Size() < int64(mb)<<20 {
		_, err := l.Append(p)
		testkit.NoErr(b, err)
	}
	testkit.NoErr(b, l.Close())
	b.SetBytes(int64(mb) << 20)
	var once sync.Once
	for b.Loop() {
		l, err := Open(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		once.Do(func() { b.ReportMetric(float64(l.EndOffset()), "records") })
		testkit.NoErr(b, l.Close())
	}
}

// BenchmarkAppendLargeStalls appends WAL_BENCH_STALL_MB MiB (default 512)
// of 100 KiB batches under SyncInterval with default (256 MiB) segments,
// as fast as it can, into a new log per op (run it with -benchtime 1x or
// a few x): when appends outrun the disk, the time an Append spends
// waiting is what a producer's ack waits for. It reports the share of the
// run spent in appends slower than 5 ms (stall-ms), the slowest append
// (max-ms) and MB/s.
func BenchmarkAppendLargeStalls(b *testing.B) {
	mb := 512
	if s := os.Getenv("WAL_BENCH_STALL_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	p := benchBatch(1, 100<<10)
	b.SetBytes(int64(mb) << 20)
	var stall, worst time.Duration
	for b.Loop() {
		dir := b.TempDir()
		l, err := Open(dir, benchOpts(SyncInterval))
		testkit.NoErr(b, err)
		for l.Size() < int64(mb)<<20 {
			t0 := time.Now()
			_, err := l.Append(p)
			d := time.Since(t0)
			testkit.NoErr(b, err)
			if d > 5*time.Millisecond {
				stall += d
			}
			worst = max(worst, d)
		}
		b.StopTimer()
		testkit.NoErr(b, l.Remove())
		b.StartTimer()
	}
	b.ReportMetric(float64(stall.Milliseconds())/float64(b.N), "stall-ms/op")
	b.ReportMetric(float64(worst.Milliseconds()), "max-ms")
}
