package wal

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

const walDir = "/data/p0"

// checkRecovered opens the log on fs and checks that it holds a prefix of
// want (batches with their offsets) of at least minBatches batches. It
// returns the open log and the length of that prefix.
func checkRecovered(t tester, fs vfs.FS, opts Options, want [][]byte, minBatches int) (*Log, int) {
	t.Helper()
	return checkRecoveredFrom(t, fs, opts, 0, want, minBatches)
}

// checkRecoveredFrom is checkRecovered for a log that starts at start.
func checkRecoveredFrom(t tester, fs vfs.FS, opts Options, start int64, want [][]byte, minBatches int) (*Log, int) {
	t.Helper()
	opts.FS = fs
	l, err := Open(walDir, opts)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	if l.StartOffset() != start {
		l.Close()
		t.Fatalf("recovered log starts at %d, want %d", l.StartOffset(), start)
	}
	got := readAll(t, l, start)
	if len(got) > len(want) {
		l.Close()
		t.Fatalf("recovered %d batches, only %d were ever written", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			l.Close()
			t.Fatalf("batch %d differs after recovery (offset %d vs %d)", i, batch.BaseOffset(got[i]), batch.BaseOffset(want[i]))
		}
	}
	if len(got) < minBatches {
		l.Close()
		t.Fatalf("lost acknowledged data: recovered %d batches, %d were durable", len(got), minBatches)
	}
	wantEnd := start
	if len(got) > 0 {
		wantEnd = batch.NextOffset(got[len(got)-1])
	}
	if l.EndOffset() != wantEnd || l.DurableOffset() != wantEnd {
		l.Close()
		t.Fatalf("end %d durable %d, want %d", l.EndOffset(), l.DurableOffset(), wantEnd)
	}
	maxEpoch := UndefinedEpoch
	for _, b := range got {
		maxEpoch = max(maxEpoch, batch.LeaderEpoch(b))
	}
	if l.LatestEpoch() != maxEpoch {
		l.Close()
		t.Fatalf("latest epoch %d, batches say %d", l.LatestEpoch(), maxEpoch)
	}
	return l, len(got)
}

// rapidChecks sets -rapid.checks to n (or $WAL_RAPID_CHECKS) unless given
// on the command line, and returns a function restoring it.
func rapidChecks(t *testing.T, n int) func() {
	if s := os.Getenv("WAL_RAPID_CHECKS"); s != "" {
		v, err := strconv.Atoi(s)
		testkit.NoErr(t, err)
		n = v
	}
	f := flag.Lookup("rapid.checks")
	if f == nil {
		return func() {}
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if set {
		return func() {}
	}
	old := f.Value.String()
	testkit.NoErr(t, f.Value.Set(strconv.Itoa(n)))
	return func() { _ = f.Value.Set(old) }
}

// walModel drives a Log on a crashable MemFS against a model: the list of
// batches the log should hold and how many of them are durable.
type walModel struct {
	fs       *vfstest.MemFS
	opts     Options
	l        *Log
	batches  [][]byte // what the log holds, in order
	start    int64    // StartOffset
	durable  int      // batches[:durable] must survive any crash
	epoch    int32
	nextID   int
	crashes  int
	tornCuts int // recoveries that cut a torn sealed segment
	expired  int // batches removed by retention
}

func (m *walModel) end() int64 {
	if len(m.batches) == 0 {
		return m.start
	}
	return batch.NextOffset(m.batches[len(m.batches)-1])
}

// durableBatches counts the model's batches below the log's DurableOffset.
func (m *walModel) durableBatches() int {
	d, n := m.l.DurableOffset(), 0
	for n < len(m.batches) && batch.NextOffset(m.batches[n]) <= d {
		n++
	}
	return n
}

func (m *walModel) append(t *rapid.T) {
	k := rapid.IntRange(1, 3).Draw(t, "batches")
	var buf []byte
	for range k {
		if rapid.IntRange(0, 9).Draw(t, "bump") == 0 {
			m.epoch++
		}
		n := rapid.IntRange(1, 5).Draw(t, "records")
		b := makeBatch(m.nextID, n, m.epoch, int64(m.nextID)+1)
		m.nextID++
		buf = append(buf, b...)
	}
	base, err := m.l.Append(buf)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	if base != m.end() {
		t.Fatalf("append base %d, model end %d", base, m.end())
	}
	for p := buf; len(p) > 0; {
		n := int(batch.Length(p)) + batch.LogOverhead
		m.batches = append(m.batches, bytes.Clone(p[:n]))
		p = p[n:]
	}
	if m.opts.Sync == SyncAlways {
		m.durable = len(m.batches)
		if m.l.DurableOffset() != m.end() {
			t.Fatalf("SyncAlways append returned with durable %d < end %d", m.l.DurableOffset(), m.end())
		}
	}
	if m.l.EndOffset() != m.end() {
		t.Fatalf("end %d, model %d", m.l.EndOffset(), m.end())
	}
}

func (m *walModel) check(t *rapid.T) {
	if m.l.EndOffset() != m.end() {
		t.Fatalf("end %d, model %d", m.l.EndOffset(), m.end())
	}
	if m.l.DurableOffset() > m.l.EndOffset() {
		t.Fatalf("durable %d > end %d", m.l.DurableOffset(), m.l.EndOffset())
	}
	if m.l.StartOffset() != m.start {
		t.Fatalf("start %d, model %d", m.l.StartOffset(), m.start)
	}
}

func (m *walModel) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"append": m.append,
		"sync": func(t *rapid.T) {
			if err := m.l.Sync(); err != nil {
				t.Fatalf("sync: %v", err)
			}
			m.durable = len(m.batches)
		},
		"roll": func(t *rapid.T) {
			if err := m.l.Roll(); err != nil {
				t.Fatalf("roll: %v", err)
			}
			// Under SyncAlways a roll fsyncs the segment it seals; under
			// SyncInterval and SyncNever the background goroutine does,
			// later (DurableOffset says when: see "crash").
			if m.opts.Sync == SyncAlways {
				m.durable = len(m.batches)
			}
		},
		"truncate": func(t *rapid.T) {
			if len(m.batches) == 0 {
				return // nothing to act on yet: a no-op step
			}
			i := rapid.IntRange(0, len(m.batches)-1).Draw(t, "batch")
			b := m.batches[i]
			off := batch.BaseOffset(b) + int64(rapid.IntRange(0, int(batch.LastOffsetDelta(b))).Draw(t, "within"))
			if err := m.l.Truncate(off); err != nil {
				t.Fatalf("truncate(%d): %v", off, err)
			}
			m.batches = m.batches[:i]
			m.durable = min(m.durable, i)
			m.epoch = max(m.epoch, m.l.LatestEpoch())
		},
		"read": func(t *rapid.T) {
			if len(m.batches) == 0 {
				return // nothing to act on yet: a no-op step
			}
			i := rapid.IntRange(0, len(m.batches)-1).Draw(t, "batch")
			b := m.batches[i]
			off := batch.BaseOffset(b) + int64(rapid.IntRange(0, int(batch.LastOffsetDelta(b))).Draw(t, "within"))
			c, err := m.l.Read(off, rapid.IntRange(1, 2000).Draw(t, "max"))
			if err != nil {
				t.Fatalf("read(%d): %v", off, err)
			}
			defer c.Close()
			p, _ := c.Bytes()
			j := i
			for got, err := range batch.All(p) {
				if err != nil || j >= len(m.batches) || !bytes.Equal(got, m.batches[j]) {
					t.Fatalf("read(%d): batch %d differs (%v)", off, j, err)
				}
				j++
			}
			if j == i {
				t.Fatalf("read(%d) returned nothing", off)
			}
		},
		"crash": func(t *rapid.T) {
			seed := rapid.Uint64().Draw(t, "seed")
			pct := rapid.SampledFrom([]int{0, 30, 70, 100}).Draw(t, "unsynced%")
			// Everything below DurableOffset, read before the crash, must
			// survive it (the background fsync of sealed segments moves it).
			m.durable = max(m.durable, m.durableBatches())
			rng := rand.New(rand.NewPCG(seed, seed))
			var crashed *vfstest.MemFS
			if rapid.Bool().Draw(t, "lose-middle-pages") {
				// Sealed segments not yet fsynced may lose any page
				// (writeback order is not file order).
				m.l.st.RLock()
				active := m.l.st.segs[len(m.l.st.segs)-1].path(logSuffix)
				m.l.st.RUnlock()
				crashed = m.fs.CrashCloneReordered(rng, pct, func(p string) bool {
					return strings.HasSuffix(p, logSuffix) && p != active
				})
			} else {
				crashed = m.fs.CrashClone(rng, pct)
			}
			_ = m.l.Close()
			m.fs = crashed
			l, n := checkRecoveredFrom(t, m.fs, m.opts, m.start, m.batches, m.durable)
			if l.TornSealed() != nil {
				m.tornCuts++
			}
			m.l, m.batches, m.durable = l, m.batches[:n], n
			m.crashes++
		},
		"retention": func(t *rapid.T) {
			// Batch i has timestamp id+1; expire those below cutoff.
			cutoff := rapid.Int64Range(0, int64(m.nextID)+2).Draw(t, "cutoff")
			now := time.UnixMilli(cutoff).Add(m.opts.RetentionTime)
			if err := m.l.ApplyRetention(now); err != nil {
				t.Fatalf("retention: %v", err)
			}
			start := m.l.StartOffset()
			i := 0
			for i < len(m.batches) && batch.BaseOffset(m.batches[i]) < start {
				if batch.MaxTimestamp(m.batches[i]) >= cutoff && m.opts.RetentionBytes == 0 {
					t.Fatalf("retention removed batch %d with timestamp %d >= cutoff %d", i, batch.MaxTimestamp(m.batches[i]), cutoff)
				}
				i++
			}
			if i < len(m.batches) && batch.BaseOffset(m.batches[i]) != start || i == len(m.batches) && start != m.end() && start > m.start {
				t.Fatalf("retention moved start to %d, not a batch boundary", start)
			}
			if start > m.start {
				m.start = start
			}
			m.batches = m.batches[i:]
			m.durable = max(m.durable-i, 0)
			m.expired += i
		},
		"reopen": func(t *rapid.T) {
			if err := m.l.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			l, n := checkRecoveredFrom(t, m.fs, m.opts, m.start, m.batches, len(m.batches))
			m.l, m.batches, m.durable = l, m.batches[:n], n
		},
		"": m.check,
	}
}

// TestCrashRapidModel is the model-based property test of the WAL across
// crashes (CrashClone) and reopens: after every crash the log is the
// durable prefix plus possibly a prefix of the rest, with no holes,
// garbage or reordering. Runs 1,000 sequences by default
// (WAL_RAPID_CHECKS or -rapid.checks to change).
func TestCrashRapidModel(t *testing.T) {
	defer rapidChecks(t, 1000)()
	sequences, crashes, expired, torn := 0, 0, 0, 0
	rapid.Check(t, func(t *rapid.T) {
		fs := vfstest.NewCrashableMem()
		opts := Options{
			RetentionTime:      time.Millisecond,
			RetentionBytes:     rapid.SampledFrom([]int64{0, 1500}).Draw(t, "retention-bytes"),
			SegmentBytes:       int64(rapid.IntRange(200, 2000).Draw(t, "segment")),
			IndexIntervalBytes: rapid.IntRange(1, 500).Draw(t, "interval"),
			Sync:               rapid.SampledFrom([]SyncPolicy{SyncAlways, SyncNever}).Draw(t, "sync"),
		}
		o := opts
		o.FS = fs
		l, err := Open(walDir, o)
		if err != nil {
			t.Fatal(err)
		}
		m := &walModel{fs: fs, opts: opts, l: l}
		defer func() { _ = m.l.Close() }()
		t.Repeat(m.actions())
		sequences++
		crashes += m.crashes
		expired += m.expired
		torn += m.tornCuts
	})
	t.Logf("figures: rapid sequences %d, crashes recovered %d, torn sealed segments cut %d, batches expired by retention %d", sequences, crashes, torn, expired)
	if sequences >= 100 && torn == 0 {
		t.Fatalf("%d sequences never reached a torn sealed segment", sequences)
	}
}

func ExampleOpen() {
	l, err := Open(walDir, Options{FS: vfstest.NewCrashableMem()})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	var b batch.Builder
	b.Reset(1700000000000)
	b.Add([]byte("key"), []byte("hello"), nil, 1700000000000)
	base, err := l.Append(bytes.Clone(b.Bytes()))
	fmt.Println(base, err, l.EndOffset(), l.DurableOffset())
	// Output: 0 <nil> 1 1
}
