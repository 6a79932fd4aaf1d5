package wal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluvio-go/fluvio/batch"
)

// streamAll streams b into l in chunks of k bytes and returns the stream
// (not committed).
func streamAll(t *testing.T, l *Log, b []byte, k int) *Stream {
	t.Helper()
	return streamPart(t, l, b, len(b), k)
}

// streamPart begins streaming b and writes its first n bytes in chunks
// of k bytes.
func streamPart(t *testing.T, l *Log, b []byte, n, k int) *Stream {
	t.Helper()
	s, err := l.BeginStream(b, len(b))
	requireNoErr(t, err)
	if s == nil {
		t.Fatal("stream declined")
	}
	for p := b[:n]; len(p) > 0; p = p[min(len(p), k):] {
		requireNoErr(t, s.Write(p[:min(len(p), k)]))
	}
	return s
}

// activeLogSize returns a function that reports the size on disk of the
// log's active segment file (without the log's lock, which a stream
// holds).
func activeLogSize(t *testing.T, l *Log) func() int64 {
	t.Helper()
	l.st.RLock()
	name := l.st.segs[len(l.st.segs)-1].path(logSuffix)
	l.st.RUnlock()
	return func() int64 {
		fi, err := os.Stat(name)
		requireNoErr(t, err)
		return fi.Size()
	}
}

// TestStreamVisibleOnlyAtCommit: a streamed batch gets the next offset,
// and nothing of it (end offset, size, reads) shows before Commit; after
// it the log reads and reopens like one appended whole.
func TestStreamVisibleOnlyAtCommit(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{SegmentBytes: 4 << 10, IndexIntervalBytes: 128, Sync: SyncInterval})
	requireNoErr(t, err)
	first := makeBatch(1, 2, 0, 1000)
	_, err = l.Append(first)
	requireNoErr(t, err)
	end, size := l.EndOffset(), l.Size()

	b := makeBatch(2, 5, 0, 1001)
	s := streamPart(t, l, b, len(b)/2, 40)
	// Half written: invisible.
	requireEqual(t, l.EndOffset(), end)
	requireEqual(t, l.Size(), size)
	requireNoErr(t, s.Write(b[len(b)/2:]))
	requireEqual(t, l.EndOffset(), end)
	c, err := l.Check(b)
	requireNoErr(t, err)
	base, err := s.Commit(c)
	requireNoErr(t, err)
	requireEqual(t, base, end)
	requireEqual(t, batch.BaseOffset(b), end)
	requireEqual(t, l.EndOffset(), batch.NextOffset(b))
	requireEqual(t, l.Size(), size+int64(len(b)))
	committed, aborted := l.Streams()
	requireEqual(t, committed, 1)
	requireEqual(t, aborted, 0)
	s.Abort() // after Commit: nothing
	requireEqual(t, l.EndOffset(), batch.NextOffset(b))

	check := func(l *Log) {
		got := readAll(t, l, 0)
		requireEqual(t, len(got), 2)
		if !bytes.Equal(got[0], first) || !bytes.Equal(got[1], b) {
			t.Fatal("the streamed batch reads back different")
		}
	}
	check(l)
	requireNoErr(t, l.Close())
	l, err = Open(dir, Options{SegmentBytes: 4 << 10, IndexIntervalBytes: 128})
	requireNoErr(t, err)
	defer l.Close()
	check(l)
}

// TestStreamAbortCutsTheFile: an aborted stream (a bad CRC found at the
// end, or a short frame) leaves the file, the offsets and the next
// append exactly as if it had never begun, and a commit of other bytes
// than those streamed is refused and aborts.
func TestStreamAbortCutsTheFile(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{Sync: SyncInterval})
	requireNoErr(t, err)
	defer l.Close()
	_, err = l.Append(makeBatch(1, 1, 0, 1000))
	requireNoErr(t, err)
	fileSize := activeLogSize(t, l)
	end, size, onDisk := l.EndOffset(), l.Size(), fileSize()

	// A bad CRC: every byte written, the check fails, the caller aborts.
	bad := makeBatch(2, 3, 0, 1001)
	bad[len(bad)-1] ^= 0xff
	s := streamAll(t, l, bad, 16)
	requireEqual(t, fileSize(), onDisk+int64(len(bad)))
	if _, err := l.Check(bad); err == nil {
		t.Fatal("the corrupted batch passed Check")
	}
	s.Abort()
	requireEqual(t, fileSize(), onDisk)
	requireEqual(t, l.EndOffset(), end)
	requireEqual(t, l.Size(), size)

	// A short frame: half written, then aborted.
	short := makeBatch(3, 3, 0, 1002)
	s = streamPart(t, l, short, len(short)/2, 16)
	s.Abort()
	requireEqual(t, fileSize(), onDisk)

	// A commit of bytes other than those streamed.
	other := makeBatch(4, 3, 0, 1003)
	s = streamAll(t, l, other, 1<<10)
	changed := bytes.Clone(other)
	batch.SetBaseOffset(changed, batch.BaseOffset(other)+1)
	c, err := l.Check(changed)
	requireNoErr(t, err)
	_, err = s.Commit(c)
	requireErrIs(t, err, ErrInvalidBatch)
	requireEqual(t, fileSize(), onDisk)
	_, aborted := l.Streams()
	requireEqual(t, aborted, 3)

	// The next append lands where the aborted ones would have.
	next := makeBatch(5, 1, 0, 1004)
	base, err := l.Append(next)
	requireNoErr(t, err)
	requireEqual(t, base, end)
	got := readAll(t, l, 0)
	requireEqual(t, len(got), 2)
	if !bytes.Equal(got[1], next) {
		t.Fatal("the append after the aborted streams reads back different")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.broken")); len(m) != 0 {
		t.Fatalf("aborted streams left %v", m)
	}
}

// TestStreamDeclines: BeginStream changes nothing and returns nil when
// the batch must be appended whole: the log is busy, the header is not
// one batch of the given size, the batch is over the size limit, or it
// starts a new leader epoch.
func TestStreamDeclines(t *testing.T) {
	l, err := Open(t.TempDir(), Options{Sync: SyncInterval, MaxBatchBytes: 4 << 10})
	requireNoErr(t, err)
	defer l.Close()
	_, err = l.Append(makeBatch(1, 1, 3, 1000))
	requireNoErr(t, err)
	b := makeBatch(2, 2, 3, 1001)
	declined := func(what string, hdr []byte, n int) {
		t.Helper()
		s, err := l.BeginStream(hdr, n)
		requireNoErr(t, err)
		if s != nil {
			s.Abort()
			t.Fatalf("%s: streamed", what)
		}
	}
	l.st.RLock() // a reader holds the log
	declined("busy", b, len(b))
	l.st.RUnlock()
	declined("size mismatch", b, len(b)+1)
	declined("short header", b[:batch.HeaderSize-1], len(b))
	big := makeBatch(3, 300, 3, 1002)
	declined("too large", big, len(big))
	declined("new epoch", makeBatch(4, 1, 4, 1003), len(makeBatch(4, 1, 4, 1003)))
	requireEqual(t, l.EndOffset(), 1)
	committed, aborted := l.Streams()
	requireEqual(t, committed+aborted, 0)
	// And the same batch streams once nothing is in the way.
	s := streamAll(t, l, b, 64)
	c, err := l.Check(b)
	requireNoErr(t, err)
	_, err = s.Commit(c)
	requireNoErr(t, err)
	requireEqual(t, l.EndOffset(), 3)
}
