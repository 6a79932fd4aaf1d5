package wal

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
)

func TestWALAppendReadReopen(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 2 << 10, IndexIntervalBytes: 128}
	l, err := Open(dir, opts)
	testkit.NoErr(t, err)
	var want [][]byte
	next := int64(0)
	for id := range 50 {
		b := makeBatch(id, 1+id%4, 1, int64(1000+id))
		base, err := l.Append(b)
		testkit.NoErr(t, err)
		testkit.Equal(t, base, next)
		testkit.Equal(t, batch.BaseOffset(b), base)
		next = batch.NextOffset(b)
		want = append(want, b)
	}
	testkit.Equal(t, l.EndOffset(), next)
	testkit.Equal(t, l.DurableOffset(), next)
	check := func(l *Log) {
		got := readAll(t, l, 0)
		testkit.Equal(t, len(got), len(want))
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("batch %d differs", i)
			}
		}
		// Reads from the middle of a batch start at that batch.
		c, err := l.Read(batch.BaseOffset(want[21])+1, 1)
		testkit.NoErr(t, err)
		p, _ := c.Bytes()
		if batch.BaseOffset(p) != batch.BaseOffset(want[21]) {
			t.Fatalf("read started after the batch")
		}
		c.Close()
	}
	check(l)
	names, _ := vfs.Default.ReadDir(dir)
	if len(names) < 6 {
		t.Fatalf("expected several segments, have %v", names)
	}
	testkit.NoErr(t, l.Close())
	testkit.ErrIs(t, l.Close(), ErrClosed)
	_, err = l.Append(makeBatch(0, 1, 1, 0))
	testkit.ErrIs(t, err, ErrClosed)

	l, err = Open(dir, opts)
	testkit.NoErr(t, err)
	defer l.Close()
	testkit.Equal(t, l.EndOffset(), next)
	check(l)
	testkit.Equal(t, l.LatestEpoch(), 1)
}

func TestWALReadRange(t *testing.T) {
	l, err := Open(t.TempDir(), Options{})
	testkit.NoErr(t, err)
	defer l.Close()
	c, err := l.Read(0, 100)
	testkit.NoErr(t, err)
	testkit.Equal(t, c.Len(), 0)
	_, err = l.Read(1, 100)
	testkit.ErrIs(t, err, ErrOutOfRange)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("[0, 0)")) {
		t.Fatalf("error does not name the range: %v", err)
	}
	for id := range 10 {
		_, err := l.Append(makeBatch(id, 10, 0, 0))
		testkit.NoErr(t, err)
	}
	// At least one whole batch even when maxBytes is tiny.
	c, err = l.Read(15, 1)
	testkit.NoErr(t, err)
	p, _ := c.Bytes()
	testkit.Equal(t, batch.BaseOffset(p), 10)
	n, err := batch.Validate(p)
	testkit.NoErr(t, err)
	testkit.Equal(t, n, len(p))
	testkit.Equal(t, c.NextOffset(), 20)
	var buf bytes.Buffer
	w, err := c.WriteTo(&buf)
	testkit.NoErr(t, err)
	testkit.Equal(t, int(w), c.Len())
	c.Close()
	// The limit (high watermark) stops at whole batches below it.
	c, err = l.ReadUpTo(0, 1<<20, 35)
	testkit.NoErr(t, err)
	testkit.Equal(t, c.NextOffset(), 30)
	c.Close()
	c, err = l.ReadUpTo(30, 1<<20, 35)
	testkit.NoErr(t, err)
	testkit.Equal(t, c.Len(), 0)
	_, err = l.Read(-1, 10)
	testkit.ErrIs(t, err, ErrOutOfRange)
	_, err = l.Read(101, 10)
	testkit.ErrIs(t, err, ErrOutOfRange)
}

func TestWALAppendRejectsBadInput(t *testing.T) {
	l, err := Open(t.TempDir(), Options{MaxBatchBytes: 1000})
	testkit.NoErr(t, err)
	defer l.Close()
	good := makeBatch(1, 2, 0, 0)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	_, err = l.Append(append(bytes.Clone(good), bad...))
	testkit.ErrIs(t, err, ErrInvalidBatch)
	testkit.ErrIs(t, err, batch.ErrCorrupt)
	if IsCorrupt(err) {
		t.Fatal("a bad input batch is not disk corruption")
	}
	testkit.Equal(t, l.EndOffset(), 0)
	testkit.Equal(t, l.Size(), 0)
	_, err = l.Append(makeBatch(2, 200, 0, 0))
	testkit.ErrIs(t, err, ErrTooLarge)
	magic := bytes.Clone(good)
	magic[batch.MagicOffset] = 3
	_, err = l.Append(magic)
	testkit.ErrIs(t, err, batch.ErrBadMagic)
	_, err = l.Append(nil)
	testkit.ErrIs(t, err, ErrInvalidBatch)
	_, err = l.Append(good[:30])
	testkit.ErrIs(t, err, batch.ErrTooShort)
	testkit.Equal(t, l.EndOffset(), 0)
	// Epochs may not go backwards.
	_, err = l.Append(makeBatch(3, 1, 5, 0))
	testkit.NoErr(t, err)
	_, err = l.Append(makeBatch(4, 1, 4, 0))
	testkit.ErrIs(t, err, ErrEpochRegression)
}

func TestWALAppendReplica(t *testing.T) {
	leader, err := Open(t.TempDir(), Options{})
	testkit.NoErr(t, err)
	defer leader.Close()
	follower, err := Open(t.TempDir(), Options{})
	testkit.NoErr(t, err)
	defer follower.Close()
	for id := range 5 {
		_, err := leader.Append(makeBatch(id, 3, 1, 0))
		testkit.NoErr(t, err)
	}
	c, err := leader.Read(3, 1<<20)
	testkit.NoErr(t, err)
	p, _ := c.Bytes()
	testkit.ErrIs(t, follower.AppendReplica(p), ErrOffsetMismatch)
	c.Close()
	c, err = leader.Read(0, 1<<20)
	testkit.NoErr(t, err)
	p, _ = c.Bytes()
	testkit.NoErr(t, follower.AppendReplica(p))
	c.Close()
	testkit.Equal(t, follower.EndOffset(), 15)
	testkit.Equal(t, follower.LatestEpoch(), 1)
	// Gaps inside one call are refused.
	a, b := makeBatch(9, 1, 1, 0), makeBatch(10, 1, 1, 0)
	batch.SetBaseOffset(a, 15)
	batch.SetBaseOffset(b, 17)
	testkit.ErrIs(t, follower.AppendReplica(append(a, b...)), ErrInvalidBatch)
}

func TestWALTruncateAndEpochs(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentBytes: 1 << 10, IndexIntervalBytes: 100}
	l, err := Open(dir, opts)
	testkit.NoErr(t, err)
	epochs := []int32{1, 1, 2, 2, 2, 4, 4, 4, 4, 7}
	for id, e := range epochs {
		for range 3 {
			_, err := l.Append(makeBatch(id, 2, e, 0))
			testkit.NoErr(t, err)
		}
	}
	// 10 ids x 3 batches x 2 records: epoch e starts at 6*index of first id.
	testkit.Equal(t, l.EndOffset(), 60)
	type q struct {
		in   int32
		ep   int32
		ends int64
	}
	for _, c := range []q{{0, 0, 0}, {1, 1, 12}, {2, 2, 30}, {3, 2, 30}, {4, 4, 54}, {7, 7, 60}, {8, -1, -1}} {
		e, end := l.EndOffsetForEpoch(c.in)
		if e != c.ep || end != c.ends {
			t.Fatalf("EndOffsetForEpoch(%d) = (%d, %d), want (%d, %d)", c.in, e, end, c.ep, c.ends)
		}
	}
	testkit.NoErr(t, l.Truncate(41)) // inside a batch [40, 42): cut to 40
	testkit.Equal(t, l.EndOffset(), 40)
	testkit.Equal(t, l.LatestEpoch(), 4)
	testkit.NoErr(t, l.Truncate(100))
	testkit.Equal(t, l.EndOffset(), 40)
	got := readAll(t, l, 0)
	testkit.Equal(t, batch.NextOffset(got[len(got)-1]), 40)
	_, err = l.Append(makeBatch(99, 1, 5, 0))
	testkit.NoErr(t, err)
	testkit.NoErr(t, l.Close())

	l, err = Open(dir, opts)
	testkit.NoErr(t, err)
	testkit.Equal(t, l.EndOffset(), 41)
	testkit.Equal(t, l.LatestEpoch(), 5)
	e, end := l.EndOffsetForEpoch(4)
	testkit.Equal(t, e, 4)
	testkit.Equal(t, end, 40)
	testkit.NoErr(t, l.Truncate(0))
	testkit.Equal(t, l.EndOffset(), 0)
	testkit.Equal(t, l.LatestEpoch(), UndefinedEpoch)
	testkit.NoErr(t, l.Close())
	// A lost epoch file is rebuilt from the batches.
	l, err = Open(dir, opts)
	testkit.NoErr(t, err)
	_, err = l.Append(makeBatch(1, 1, 3, 0))
	testkit.NoErr(t, err)
	testkit.NoErr(t, l.Close())
	testkit.NoErr(t, vfs.Default.Remove(filepath.Join(dir, epochFileName)))
	l, err = Open(dir, opts)
	testkit.NoErr(t, err)
	testkit.Equal(t, l.LatestEpoch(), 3)
	testkit.NoErr(t, l.Close())
}

func TestWALWait(t *testing.T) {
	l, err := Open(t.TempDir(), Options{Sync: SyncNever})
	testkit.NoErr(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	testkit.ErrIs(t, l.Wait(ctx, 0), context.DeadlineExceeded)
	cancel()
	done := make(chan error, 1)
	go func() { done <- l.Wait(context.Background(), 2) }()
	for id := range 3 {
		select {
		case err := <-done:
			t.Fatalf("Wait returned early: %v", err)
		default:
		}
		_, err := l.Append(makeBatch(id, 1, 0, 0))
		testkit.NoErr(t, err)
	}
	testkit.NoErr(t, <-done)
	go func() { done <- l.Wait(context.Background(), 100) }()
	testkit.NoErr(t, l.Close())
	testkit.ErrIs(t, <-done, ErrClosed)
}

func TestWALConcurrentAppendRead(t *testing.T) {
	l, err := Open(t.TempDir(), Options{SegmentBytes: 8 << 10, IndexIntervalBytes: 512})
	testkit.NoErr(t, err)
	defer l.Close()
	const writers, per = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range per {
				if _, err := l.Append(makeBatch(w*1000+i, 3, 0, 0)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// A reader following the log sees only whole, valid batches in order.
	wg.Go(func() {
		off := int64(0)
		for off < writers*per*3 {
			if err := l.Wait(context.Background(), off); err != nil {
				t.Error(err)
				return
			}
			c, err := l.Read(off, 4096)
			if err != nil {
				t.Error(err)
				return
			}
			p, _ := c.Bytes()
			for b, err := range batch.All(p) {
				if err != nil || batch.BaseOffset(b) != off {
					t.Errorf("batch at %d: %v", off, err)
					return
				}
				off = batch.NextOffset(b)
			}
			c.Close()
		}
	})
	wg.Wait()
	testkit.Equal(t, l.EndOffset(), writers*per*3)
	testkit.Equal(t, l.DurableOffset(), writers*per*3)
}

func TestWALRetentionAndTimestamps(t *testing.T) {
	now := time.UnixMilli(1_000_000_000)
	opts := Options{SegmentBytes: 1 << 10, RetentionTime: time.Hour, Now: func() time.Time { return now }}
	l, err := Open(t.TempDir(), opts)
	testkit.NoErr(t, err)
	defer l.Close()
	for id := range 40 {
		_, err := l.Append(makeBatch(id, 2, 0, now.UnixMilli()+int64(id)*60_000))
		testkit.NoErr(t, err)
	}
	off, err := l.OffsetForTimestamp(now.UnixMilli() + 10*60_000)
	testkit.NoErr(t, err)
	testkit.Equal(t, off, 20)
	off, err = l.OffsetForTimestamp(now.UnixMilli() + 10*60_000 - 1)
	testkit.NoErr(t, err)
	testkit.Equal(t, off, 20)
	off, err = l.OffsetForTimestamp(0)
	testkit.NoErr(t, err)
	testkit.Equal(t, off, 0)
	off, err = l.OffsetForTimestamp(now.UnixMilli() + 1e9)
	testkit.NoErr(t, err)
	testkit.Equal(t, off, l.EndOffset())

	size := l.Size()
	// Nothing is older than an hour at "now + 30 min".
	testkit.NoErr(t, l.ApplyRetention(now.Add(30*time.Minute)))
	testkit.Equal(t, l.StartOffset(), 0)
	// At now + 80 min, batches with ts < now + 20 min expire, by whole segment.
	testkit.NoErr(t, l.ApplyRetention(now.Add(80*time.Minute)))
	start := l.StartOffset()
	if start == 0 || start > 40 || l.Size() >= size {
		t.Fatalf("retention: start %d size %d (was %d)", start, l.Size(), size)
	}
	_, err = l.Read(0, 10)
	testkit.ErrIs(t, err, ErrOutOfRange)
	got := readAll(t, l, start)
	testkit.Equal(t, batch.BaseOffset(got[0]), start)
	// Far in the future everything but the active segment goes.
	testkit.NoErr(t, l.ApplyRetention(now.Add(1000*time.Hour)))
	if l.Size() == 0 || l.StartOffset() == l.EndOffset() && l.Size() != 0 {
		t.Fatalf("active segment removed: size %d", l.Size())
	}
	_, err = l.Append(makeBatch(1, 1, 0, 0))
	testkit.NoErr(t, err)
}

func TestWALRetentionBytes(t *testing.T) {
	l, err := Open(t.TempDir(), Options{SegmentBytes: 1 << 10, RetentionBytes: 3 << 10, RetentionTime: -1})
	testkit.NoErr(t, err)
	defer l.Close()
	for id := range 100 {
		_, err := l.Append(makeBatch(id, 2, 0, 0))
		testkit.NoErr(t, err)
	}
	testkit.NoErr(t, l.ApplyRetention(time.Now()))
	if l.Size() < 3<<10 || l.Size() > 3<<10+2<<10 || l.StartOffset() == 0 {
		t.Fatalf("size %d start %d", l.Size(), l.StartOffset())
	}
}

// TestWALDeleteBefore: whole closed segments below the offset go (the
// start moves to a segment base at or below it), the active segment and
// the one holding the offset stay, and the result survives a re-open.
func TestWALDeleteBefore(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentBytes: 1 << 10, RetentionTime: -1})
	testkit.NoErr(t, err)
	for id := range 100 {
		_, err := l.Append(makeBatch(id, 2, 0, 0))
		testkit.NoErr(t, err)
	}
	n, err := l.DeleteBefore(0)
	testkit.NoErr(t, err)
	testkit.Equal(t, n, 0)
	n, err = l.DeleteBefore(101)
	testkit.NoErr(t, err)
	if n == 0 || l.StartOffset() > 101 || l.StartOffset() == 0 {
		t.Fatalf("removed %d segments, start %d: want some removed and the start in (0, 101]", n, l.StartOffset())
	}
	chunk, err := l.Read(101, 1<<20)
	testkit.NoErr(t, err)
	testkit.NoErr(t, chunk.Close())
	_, err = l.Read(0, 1<<20)
	testkit.ErrIs(t, err, ErrOutOfRange)
	// Everything below the end: all but the active segment go.
	_, err = l.DeleteBefore(l.EndOffset())
	testkit.NoErr(t, err)
	start := l.StartOffset()
	testkit.NoErr(t, l.Roll())
	testkit.NoErr(t, l.Close())
	l, err = Open(dir, Options{SegmentBytes: 1 << 10, RetentionTime: -1})
	testkit.NoErr(t, err)
	defer l.Close()
	testkit.Equal(t, l.StartOffset(), start)
	testkit.Equal(t, l.EndOffset(), int64(200))
}

func TestWALSegmentAgeRoll(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentAge: time.Minute, Now: clock})
	testkit.NoErr(t, err)
	defer l.Close()
	_, err = l.Append(makeBatch(1, 1, 0, 0))
	testkit.NoErr(t, err)
	now = now.Add(2 * time.Minute)
	_, err = l.Append(makeBatch(2, 1, 0, 0))
	testkit.NoErr(t, err)
	names, err := vfs.Default.ReadDir(dir)
	testkit.NoErr(t, err)
	logs := 0
	for _, n := range names {
		if filepath.Ext(n) == ".log" {
			logs++
		}
	}
	testkit.Equal(t, logs, 2)
	testkit.NoErr(t, l.Roll())
	testkit.NoErr(t, l.Roll()) // empty active: no-op
}

func TestWALSyncInterval(t *testing.T) {
	l, err := Open(t.TempDir(), Options{Sync: SyncInterval, SyncEvery: time.Millisecond})
	testkit.NoErr(t, err)
	defer l.Close()
	_, err = l.Append(makeBatch(1, 5, 0, 0))
	testkit.NoErr(t, err)
	testkit.WaitFor(t, 5*time.Second, func() error {
		if l.DurableOffset() != 5 {
			return errors.New("not yet synced")
		}
		return nil
	})
}

func TestWALRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "p0")
	l, err := Open(dir, Options{})
	testkit.NoErr(t, err)
	testkit.NoErr(t, l.Remove())
	if _, err := vfs.Default.Stat(dir); err == nil {
		t.Fatal("dir still exists")
	}
}

// TestWALCheckThenAppendChecked: the leader's path validates once (Check)
// and appends what was checked; an epoch that goes backwards inside the
// checked batches appends nothing.
func TestWALCheckThenAppendChecked(t *testing.T) {
	l, err := Open(t.TempDir(), Options{})
	testkit.NoErr(t, err)
	defer l.Close()
	_, err = l.AppendChecked(batch.Checked{})
	testkit.ErrIs(t, err, ErrInvalidBatch)
	c, err := l.Check(append(makeBatch(1, 2, 3, 0), makeBatch(2, 3, 3, 0)...))
	testkit.NoErr(t, err)
	base, err := l.AppendChecked(c)
	testkit.NoErr(t, err)
	testkit.Equal(t, base, 0)
	testkit.Equal(t, l.EndOffset(), 5)
	got := readAll(t, l, 0)
	testkit.Equal(t, len(got), 2)
	testkit.Equal(t, batch.BaseOffset(got[1]), 2)

	c, err = l.Check(append(makeBatch(3, 1, 4, 0), makeBatch(4, 1, 3, 0)...))
	testkit.NoErr(t, err) // epochs are the appender's: checked when appending
	_, err = l.AppendChecked(c)
	testkit.ErrIs(t, err, ErrEpochRegression)
	testkit.Equal(t, l.EndOffset(), 5)
	testkit.Equal(t, l.LatestEpoch(), 3)
}
