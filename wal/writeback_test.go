package wal

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

// bigBatch is a batch of one record of n bytes.
func bigBatch(id, n int) []byte {
	var b batch.Builder
	b.Reset(1)
	b.Add(nil, bytes.Repeat([]byte{byte(id)}, n), nil, 1)
	return bytes.Clone(b.Bytes())
}

// TestEarlyWriteback checks that under SyncNever the log starts the
// writeback of every WritebackBytes appended to the .log, in contiguous
// spans from its start (through the vfs, onto a real file), and that it
// makes nothing durable.
func TestEarlyWriteback(t *testing.T) {
	inj := vfstest.NewInjector()
	rec := &recFS{FS: vfstest.WithErrors(vfs.Default, inj)}
	l, err := Open(filepath.Join(t.TempDir(), "p"), Options{FS: rec, Sync: SyncNever, WritebackBytes: 64 << 10})
	testkit.NoErr(t, err)
	defer l.Close()
	for i := range 16 {
		_, err := l.Append(bigBatch(i, 32<<10))
		testkit.NoErr(t, err)
	}
	syncs := inj.Count(vfstest.OpSync)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if end := rec.end(); end < l.Size()-64<<10 {
			return fmt.Errorf("writeback started up to %d of %d bytes", end, l.Size())
		}
		return nil
	})
	rec.mu.Lock()
	next := int64(0)
	for _, r := range rec.spans {
		if !strings.HasSuffix(r.name, logSuffix) || r.off != next || r.n <= 0 {
			t.Errorf("writeback spans %v: want contiguous spans of the .log from 0", rec.spans)
			break
		}
		next = r.off + r.n
	}
	rec.mu.Unlock()
	if n := inj.Count(vfstest.OpWriteback); n == 0 {
		t.Error("no writeback reached the file system under the fault injector")
	}
	if d := l.DurableOffset(); d != 0 {
		t.Errorf("DurableOffset = %d after writebacks alone, want 0 (no fsync)", d)
	}
	if n := inj.Count(vfstest.OpSync); n != syncs {
		t.Errorf("%d fsyncs after the appends, %d after the writebacks: want none added", syncs, n)
	}
}

// recFS records the early-writeback spans asked of its files.
type recFS struct {
	vfs.FS
	mu    sync.Mutex
	spans []span
}

type span struct {
	name   string
	off, n int64
}

func (r *recFS) end() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.spans) == 0 {
		return 0
	}
	return r.spans[len(r.spans)-1].off + r.spans[len(r.spans)-1].n
}

func (r *recFS) Create(name string) (vfs.File, error) {
	f, err := r.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &recFile{File: f, fs: r, name: name}, nil
}

type recFile struct {
	vfs.File
	fs   *recFS
	name string
}

func (f *recFile) StartWriteback(off, n int64) error {
	f.fs.mu.Lock()
	f.fs.spans = append(f.fs.spans, span{f.name, off, n})
	f.fs.mu.Unlock()
	return vfs.StartWriteback(f.File, off, n)
}

// TestEarlyWritebackErrorsAreHints checks a failing writeback neither
// fails an append nor the log, and that SyncAlways starts none.
func TestEarlyWritebackErrorsAreHints(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncInterval, SyncAlways} {
		t.Run(policy.String(), func(t *testing.T) {
			inj := vfstest.NewInjector()
			inj.FailEvery(vfstest.OpWriteback, syscall.EIO)
			l, err := Open(filepath.Join(t.TempDir(), "p"), Options{FS: vfstest.WithErrors(vfstest.NewCrashableMem(), inj), Sync: policy, WritebackBytes: 4 << 10})
			testkit.NoErr(t, err)
			for i := range 64 {
				_, err := l.Append(bigBatch(i, 8<<10))
				testkit.NoErr(t, err)
			}
			if policy == SyncAlways {
				testkit.NoErr(t, l.Close())
				testkit.Equal(t, inj.Count(vfstest.OpWriteback), 0)
				return
			}
			testkit.WaitFor(t, 10*time.Second, func() error {
				if inj.Count(vfstest.OpWriteback) == 0 {
					return errors.New("no writeback tried")
				}
				return nil
			})
			testkit.NoErr(t, l.Sync())
			testkit.Equal(t, l.DurableOffset(), l.EndOffset())
			if err := l.Failed(); err != nil {
				t.Fatalf("log failed after a writeback error: %v", err)
			}
			testkit.NoErr(t, l.Close())
		})
	}
}

// TestEarlyWritebackAfterTruncate: after a truncate cuts the active
// segment below where the writeback had got to, the writeback follows
// the segment as it grows again.
func TestEarlyWritebackAfterTruncate(t *testing.T) {
	rec := &recFS{FS: vfstest.NewCrashableMem()}
	l, err := Open("/p", Options{FS: rec, Sync: SyncNever, WritebackBytes: 64 << 10})
	testkit.NoErr(t, err)
	defer l.Close()
	appendN := func(n int) {
		for i := range n {
			_, err := l.Append(bigBatch(i, 32<<10))
			testkit.NoErr(t, err)
		}
	}
	covered := func() {
		testkit.WaitFor(t, 10*time.Second, func() error {
			if end := rec.end(); end < l.Size()-64<<10 {
				return fmt.Errorf("writeback started up to %d of %d bytes", end, l.Size())
			}
			return nil
		})
	}
	appendN(16)
	covered()
	testkit.NoErr(t, l.Truncate(4))
	cut := l.Size()
	appendN(16)
	covered()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// The spans after the cut start at it and follow each other.
	var after []span
	for i, r := range rec.spans {
		if i > 0 && r.off < rec.spans[i-1].off+rec.spans[i-1].n {
			after = rec.spans[i:]
		}
	}
	if len(after) == 0 || after[0].off != cut {
		t.Fatalf("spans %v: want the ones after the truncate to start at %d", rec.spans, cut)
	}
	for i := 1; i < len(after); i++ {
		if after[i].off != after[i-1].off+after[i-1].n {
			t.Fatalf("spans after the truncate %v are not contiguous", after)
		}
	}
}
