package wal

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

// gatedFS holds every fsync of a segment's .log file while closed: with
// it a test keeps the sealed segments of a deferred roll unsynced for as
// long as it needs (the background goroutine waits in the fsync).
type gatedFS struct {
	vfs.FS
	mu     sync.Mutex
	gate   chan struct{} // nil: open
	waited int           // fsyncs that found the gate closed
}

func (g *gatedFS) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
}

func (g *gatedFS) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gate != nil {
		close(g.gate)
		g.gate = nil
	}
}

func (g *gatedFS) wait(name string) {
	if !strings.HasSuffix(name, logSuffix) {
		return
	}
	g.mu.Lock()
	ch := g.gate
	if ch != nil {
		g.waited++
	}
	g.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func (g *gatedFS) wrap(f vfs.File, err error, name string) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &gatedFile{File: f, fs: g, name: name}, nil
}

func (g *gatedFS) Create(name string) (vfs.File, error) {
	f, err := g.FS.Create(name)
	return g.wrap(f, err, name)
}

func (g *gatedFS) OpenAppend(name string) (vfs.File, error) {
	f, err := g.FS.OpenAppend(name)
	return g.wrap(f, err, name)
}

type gatedFile struct {
	vfs.File
	fs   *gatedFS
	name string
}

func (f *gatedFile) Sync() error {
	f.fs.wait(f.name)
	return f.File.Sync()
}

func (f *gatedFile) StartWriteback(off, n int64) error { return vfs.StartWriteback(f.File, off, n) }

// tornSetup is a log with one sealed segment fsynced (below the recovery
// point) followed by sealed segments whose background fsync is held, and
// an active segment: the state a power loss can tear.
type tornSetup struct {
	mem      *vfstest.MemFS
	gfs      *gatedFS
	l        *Log
	want     [][]byte // every batch appended, with its offset
	durable  int      // batches below DurableOffset just before the crash
	synced   int64    // end of the fsynced sealed segment
	unsynced []int64  // bases of the sealed segments left unsynced
	active   int64    // base of the active segment
}

func newTornSetup(t *testing.T, opts Options) *tornSetup {
	t.Helper()
	ts := &tornSetup{mem: vfstest.NewCrashableMem()}
	ts.gfs = &gatedFS{FS: ts.mem}
	opts.FS = ts.gfs
	l, err := Open(walDir, opts)
	testkit.NoErr(t, err)
	ts.l = l
	t.Cleanup(func() {
		ts.gfs.open()
		_ = l.Close()
	})
	id := 0
	add := func(n int) {
		for range n {
			b := makeBatch(id, 3, 1, int64(id)+1)
			id++
			_, err := l.Append(b)
			testkit.NoErr(t, err)
			ts.want = append(ts.want, b)
		}
	}
	// The first roll fsyncs (no recovery point yet) and has the
	// background goroutine write the recovery point; the next one is
	// deferred, its segment fsynced in the background.
	add(4)
	testkit.NoErr(t, l.Roll())
	waitRecoveryPoint(t, l)
	add(4)
	testkit.NoErr(t, l.Roll())
	ts.synced = l.EndOffset()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if d := l.DurableOffset(); d < ts.synced {
			return fmt.Errorf("durable offset %d, the sealed segment ends at %d: no background fsync", d, ts.synced)
		}
		return nil
	})
	ts.gfs.close()
	for range 3 {
		ts.unsynced = append(ts.unsynced, l.EndOffset())
		add(4)
		testkit.NoErr(t, l.Roll())
	}
	ts.active = l.EndOffset()
	add(2)
	testkit.WaitFor(t, 5*time.Second, func() error {
		ts.gfs.mu.Lock()
		defer ts.gfs.mu.Unlock()
		if ts.gfs.waited == 0 {
			return errors.New("the background fsync of the sealed segments never reached the gate")
		}
		return nil
	})
	if d := l.DurableOffset(); d > ts.synced {
		t.Fatalf("DurableOffset %d passed the unsynced sealed segment at %d", d, ts.synced)
	}
	r, ok := l.recoveryPoint()
	if !ok || r != ts.synced {
		t.Fatalf("recovery point %d (%v), want %d", r, ok, ts.synced)
	}
	ts.durable = 0
	for ts.durable < len(ts.want) && batch.NextOffset(ts.want[ts.durable]) <= l.DurableOffset() {
		ts.durable++
	}
	return ts
}

// waitRecoveryPoint waits for the background goroutine to write the
// recovery point a roll asked for.
func waitRecoveryPoint(t *testing.T, l *Log) {
	t.Helper()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if _, ok := l.recoveryPoint(); !ok {
			return errors.New("no recovery point written after the first roll")
		}
		return nil
	})
}

// fileLen returns the size of name on fs, -1 if it is missing.
func fileLen(fs vfs.FS, name string) int64 {
	st, err := fs.Stat(name)
	if err != nil {
		return -1
	}
	return st.Size()
}

// TestCrashTornSealedSegmentIsCut: under SyncInterval and SyncNever a
// power loss while sealed segments wait for their background fsync can
// leave one short or with lost pages (a later page kept) while later
// segments hold data. Recovery cuts the log at the first damage and
// removes the later segments; nothing below DurableOffset is lost. The
// test counts the crash states that reached that shape.
func TestCrashTornSealedSegmentIsCut(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncInterval, SyncNever} {
		t.Run(policy.String(), func(t *testing.T) {
			opts := Options{Sync: policy, SyncEvery: time.Hour, IndexIntervalBytes: 100, SegmentBytes: 1 << 20}
			ts := newTornSetup(t, opts)
			unsynced := map[string]bool{}
			for _, b := range ts.unsynced {
				unsynced[segPath(b, logSuffix)] = true
			}
			reached, cuts, dropped := 0, 0, 0
			for seed := range uint64(120) {
				pct := []int{30, 70, 100}[seed%3]
				rng := rand.New(rand.NewPCG(seed, 7))
				var c *vfstest.MemFS
				if seed%2 == 0 {
					c = ts.mem.CrashCloneReordered(rng, pct, func(p string) bool { return unsynced[p] })
				} else {
					c = ts.mem.CrashClone(rng, pct)
				}
				// The shape under test: an unsynced sealed segment that
				// differs from what was written, with a later segment
				// holding data.
				torn := -1
				for i, b := range ts.unsynced {
					got, _ := vfs.ReadFile(c, segPath(b, logSuffix), 1<<20)
					orig, _ := vfs.ReadFile(ts.mem, segPath(b, logSuffix), 1<<20)
					if !bytes.Equal(got, orig) {
						torn = i
						break
					}
				}
				laterData := false
				var later []int64
				if torn >= 0 {
					later = append(slices.Clone(ts.unsynced[torn+1:]), ts.active)
					for _, b := range later {
						laterData = laterData || fileLen(c, segPath(b, logSuffix)) > 0
					}
				}
				l, n := checkRecovered(t, c, Options{Sync: policy, SyncEvery: time.Hour, IndexIntervalBytes: 100}, ts.want, ts.durable)
				if torn >= 0 && laterData {
					reached++
					tc := l.TornSealed()
					if tc == nil {
						l.Close()
						t.Fatalf("seed %d: segment %d torn with later data, but Open made no cut", seed, ts.unsynced[torn])
					}
					if tc.Segment != ts.unsynced[torn] || tc.End != l.EndOffset() || tc.DroppedSegments == 0 {
						l.Close()
						t.Fatalf("seed %d: cut %+v, torn segment %d, end %d", seed, *tc, ts.unsynced[torn], l.EndOffset())
					}
					for _, b := range later {
						if fileLen(c, segPath(b, logSuffix)) >= 0 {
							l.Close()
							t.Fatalf("seed %d: segment %d after the cut survived", seed, b)
						}
					}
					cuts++
					dropped += len(ts.want) - n
				}
				// The recovered log is durable and consistent: reopening
				// it (without a crash) changes nothing.
				end := l.EndOffset()
				testkit.NoErr(t, l.Close())
				l2, _ := checkRecovered(t, c, Options{Sync: SyncAlways}, ts.want, n)
				if l2.EndOffset() != end || l2.TornSealed() != nil {
					l2.Close()
					t.Fatalf("seed %d: second open end %d (first %d), cut %v", seed, l2.EndOffset(), end, l2.TornSealed())
				}
				testkit.NoErr(t, l2.Close())
			}
			if reached < 20 || cuts != reached {
				t.Fatalf("crash states with a torn sealed segment and later data: %d, cut: %d (want >= 20, all cut)", reached, cuts)
			}
			t.Logf("figures: %s: 120 crash states, %d with a torn unsynced sealed segment and later data, %d cut there, %d batches above DurableOffset dropped, 0 below it lost", policy, reached, cuts, dropped)
		})
	}
}

// TestCrashDamageBelowRecoveryPointIsCorruption: damage in a sealed
// segment that was fsynced (below the recovery point) is corruption, even
// with unsynced segments after it; damage in an unsynced one is cut.
func TestCrashDamageBelowRecoveryPointIsCorruption(t *testing.T) {
	opts := Options{Sync: SyncInterval, SyncEvery: time.Hour, IndexIntervalBytes: 100, SegmentBytes: 1 << 20}
	ts := newTornSetup(t, opts)
	c := ts.mem.CrashClone(rand.New(rand.NewPCG(1, 1)), 100)
	// A flipped byte in the middle of the fsynced segment 0.
	rewrite(t, c, segPath(0, logSuffix), func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b })
	_, err := Open(walDir, Options{FS: c, Sync: SyncInterval})
	ce, ok := errors.AsType[*CorruptError](err)
	if !ok || !strings.HasSuffix(ce.File, segmentName(0, logSuffix)) {
		t.Fatalf("Open = %v, want corruption of segment 0", err)
	}
	// The same flip in the first unsynced segment is a tear: cut there.
	c = ts.mem.CrashClone(rand.New(rand.NewPCG(1, 1)), 100)
	rewrite(t, c, segPath(ts.unsynced[0], logSuffix), func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b })
	l, err := Open(walDir, Options{FS: c, Sync: SyncInterval})
	testkit.NoErr(t, err)
	defer l.Close()
	if tc := l.TornSealed(); tc == nil || tc.Segment != ts.unsynced[0] || l.EndOffset() >= ts.unsynced[1] {
		t.Fatalf("cut %v, end %d", tc, l.EndOffset())
	}
}

// TestCrashLastSegmentPastRecoveryPointIsCut: the last segment, when it
// starts past the recovery point, is cut at its first damage even with
// valid batches after it: a sealed segment whose successors' entries were
// lost (not yet made durable by a directory fsync), or the active segment
// with a later page written back before an earlier one. Without a
// recovery point the same damage in the last segment is corruption.
func TestCrashLastSegmentPastRecoveryPointIsCut(t *testing.T) {
	opts := Options{Sync: SyncInterval, SyncEvery: time.Hour, IndexIntervalBytes: 100, SegmentBytes: 1 << 20}
	ts := newTornSetup(t, opts)
	flip := func(b []byte) []byte { b[len(b)/4+40] ^= 0xff; return b } // inside the CRC's span
	for _, tc := range []struct {
		name    string
		last    int64 // the segment left last, damaged
		dropRP  bool  // remove the recovery point: the old rule applies
		corrupt bool
	}{
		{"sealed segment left last", ts.unsynced[0], false, false},
		{"active segment", ts.active, false, false},
		{"no recovery point", ts.active, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ts.mem.CrashClone(rand.New(rand.NewPCG(4, 4)), 100)
			for _, b := range append(slices.Clone(ts.unsynced), ts.active) {
				if b > tc.last {
					for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
						testkit.NoErr(t, c.Remove(segPath(b, suf)))
					}
				}
			}
			if tc.dropRP {
				testkit.NoErr(t, c.Remove(filepath.Join(walDir, recoveryPointFile)))
			}
			orig, err := vfs.ReadFile(c, segPath(tc.last, logSuffix), 1<<20)
			testkit.NoErr(t, err)
			rewrite(t, c, segPath(tc.last, logSuffix), flip)
			l, err := Open(walDir, Options{FS: c, Sync: SyncInterval})
			if tc.corrupt {
				if !IsCorrupt(err) {
					t.Fatalf("Open = %v, want corruption", err)
				}
				return
			}
			testkit.NoErr(t, err)
			defer l.Close()
			// The log ends where the batch holding the flipped byte began,
			// although valid batches follow it.
			at, want, later := len(orig)/4+40, int64(-1), false
			for p := 0; p < len(orig); {
				n := int(batch.Length(orig[p:])) + batch.LogOverhead
				switch {
				case p <= at && at < p+n:
					want = batch.BaseOffset(orig[p:])
				case p > at:
					later = true
				}
				p += n
			}
			if want < 0 || !later {
				t.Fatalf("the flip at %d of %d bytes is not followed by a valid batch", at, len(orig))
			}
			if l.EndOffset() != want {
				t.Fatalf("end %d after the cut in segment %d, want %d", l.EndOffset(), tc.last, want)
			}
			if fileLen(c, segPath(tc.last, logSuffix)+brokenSuffix) <= 0 {
				t.Fatal("no .broken copy of the cut bytes")
			}
		})
	}
}

// TestSyncAlwaysRollsStayDurable: under SyncAlways and SyncAtRoll a roll
// fsyncs the sealed segment before returning, no recovery point is
// written, one found is removed at open (after it served that open), and
// damage in any sealed segment is corruption.
func TestSyncAlwaysRollsStayDurable(t *testing.T) {
	for _, o := range []Options{{Sync: SyncAlways}, {Sync: SyncNever, SyncAtRoll: true}} {
		t.Run(o.Sync.String(), func(t *testing.T) {
			mem := vfstest.NewCrashableMem()
			o.FS, o.IndexIntervalBytes = mem, 100
			l, err := Open(walDir, o)
			testkit.NoErr(t, err)
			for id := range 9 {
				_, err := l.Append(makeBatch(id, 3, 1, 1))
				testkit.NoErr(t, err)
				if id%3 == 2 {
					testkit.NoErr(t, l.Roll())
					if l.DurableOffset() != l.EndOffset() {
						t.Fatalf("after Roll durable %d, end %d", l.DurableOffset(), l.EndOffset())
					}
				}
			}
			if fileLen(mem, filepath.Join(walDir, recoveryPointFile)) >= 0 {
				t.Fatal("a recovery point was written although every roll fsyncs")
			}
			testkit.NoErr(t, l.Close())
			// A sealed segment cut short, later segments intact: corruption.
			c := mem.CrashClone(rand.New(rand.NewPCG(2, 2)), 100)
			rewrite(t, c, segPath(9, logSuffix), func(b []byte) []byte { return b[:len(b)/2] })
			o.FS = c
			if _, err := Open(walDir, o); !IsCorrupt(err) {
				t.Fatalf("Open = %v, want corruption", err)
			}
		})
	}
	t.Run("stale recovery point", func(t *testing.T) {
		// An interval run left unsynced sealed segments; the log reopens
		// under SyncAlways: the recovery point still says what may be
		// torn, then goes.
		ts := newTornSetup(t, Options{Sync: SyncInterval, SyncEvery: time.Hour, IndexIntervalBytes: 100, SegmentBytes: 1 << 20})
		c := ts.mem.CrashClone(rand.New(rand.NewPCG(3, 3)), 100)
		rewrite(t, c, segPath(ts.unsynced[1], logSuffix), func(b []byte) []byte { return b[:len(b)-3] })
		l, err := Open(walDir, Options{FS: c, Sync: SyncAlways})
		testkit.NoErr(t, err)
		if tc := l.TornSealed(); tc == nil || tc.Segment != ts.unsynced[1] {
			t.Fatalf("cut %v, want at segment %d", tc, ts.unsynced[1])
		}
		testkit.NoErr(t, l.Close())
		if fileLen(c, filepath.Join(walDir, recoveryPointFile)) >= 0 {
			t.Fatal("recovery point kept under SyncAlways")
		}
	})
}

// TestTruncateLowersRecoveryPoint: a truncation below the recovery point
// lowers it, so segments rolled after it are never taken as fsynced.
func TestTruncateLowersRecoveryPoint(t *testing.T) {
	opts := Options{Sync: SyncNever, IndexIntervalBytes: 100, FS: vfstest.NewCrashableMem()}
	l, err := Open(walDir, opts)
	testkit.NoErr(t, err)
	defer l.Close()
	for id := range 6 {
		_, err := l.Append(makeBatch(id, 3, 1, 1))
		testkit.NoErr(t, err)
		testkit.NoErr(t, l.Roll())
		if id == 0 {
			waitRecoveryPoint(t, l)
		}
	}
	testkit.NoErr(t, l.Sync())
	if r, ok := l.recoveryPoint(); !ok || r != 18 {
		t.Fatalf("recovery point %d (%v), want 18", r, ok)
	}
	testkit.NoErr(t, l.Truncate(7))
	r, ok := l.recoveryPoint()
	if !ok || r != 6 {
		t.Fatalf("after Truncate(7): recovery point %d (%v), want 6 (the base of the segment cut)", r, ok)
	}
	buf, err := vfs.ReadFile(opts.FS, filepath.Join(walDir, recoveryPointFile), 100)
	testkit.NoErr(t, err)
	if got, err := parseRecoveryPoint(buf); err != nil || got != 6 {
		t.Fatalf("file says %d (%v), want 6", got, err)
	}
}
