package wal

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

// A new log costs two fsyncs, both of directories: its own (the empty
// segment files) and its parent's (its entry), and none of the files.
func TestOpenNewLogSyncsDirectoriesOnly(t *testing.T) {
	mem := vfstest.NewCrashableMem()
	testkit.NoErr(t, mem.MkdirAll("/data", 0o755))
	inj := vfstest.NewInjector()
	l, err := Open(walDir, Options{FS: vfstest.WithErrors(mem, inj)})
	testkit.NoErr(t, err)
	testkit.Equal(t, inj.Count(vfstest.OpSync), 0)
	testkit.Equal(t, inj.Count(vfstest.OpDirSync), 2)
	testkit.NoErr(t, l.Close())
}

// SyncParent replaces Open's own fsync of the parent. It is called for a
// new log, and again for a log that still holds nothing (its creation may
// have been cut short before its entry was durable), but not for a log
// with records; its error fails Open.
func TestOpenSyncParent(t *testing.T) {
	mem := vfstest.NewCrashableMem()
	testkit.NoErr(t, mem.MkdirAll("/data", 0o755))
	calls := 0
	var fail error
	opts := Options{FS: mem, SyncParent: func() error { calls++; return fail }}

	fail = vfstest.ErrInjected
	if _, err := Open(walDir, opts); !errors.Is(err, vfstest.ErrInjected) {
		t.Fatalf("Open with a failing SyncParent: %v", err)
	}
	testkit.Equal(t, calls, 1)

	fail = nil
	l, err := Open(walDir, opts) // the directory exists now, still empty
	testkit.NoErr(t, err)
	testkit.Equal(t, calls, 2)
	_, err = l.Append(makeBatch(1, 1, 0, 1))
	testkit.NoErr(t, err)
	testkit.NoErr(t, l.Close())

	l, err = Open(walDir, opts)
	testkit.NoErr(t, err)
	testkit.Equal(t, calls, 2)
	testkit.NoErr(t, l.Close())
}

// A log created and then written with SyncAlways survives every power
// loss once Open has returned, although its directory and the levels
// above it were made by Open: Open syncs each of them into its parent.
// Before Open returns, a crash may take the directory away, and the next
// Open makes a new empty log. The crash model (vfstest.MemFS) loses a
// directory whose parent was not synced; the test counts the crashes that
// did, so it proves it reached that state.
func TestCreateThenCrash(t *testing.T) {
	lostDirs, keptRecords := 0, 0
	for k := 1; ; k++ {
		mem := vfstest.NewCrashableMem()
		inj := vfstest.NewInjector()
		inj.FailAt(vfstest.OpAll, k, true)
		acked := 0
		l, err := Open(walDir, Options{FS: vfstest.WithErrors(mem, inj)})
		if err == nil {
			if _, err = l.Append(makeBatch(1, 1, 0, 1)); err == nil {
				acked = 1
			}
			_ = l.Close()
		}
		if !inj.Tripped() {
			break // the whole scenario ran without reaching crash point k
		}
		for seed := range uint64(8) {
			crashed := mem.CrashClone(rand.New(rand.NewPCG(uint64(k), seed)), []int{0, 50, 100, 30}[seed%4])
			if _, err := crashed.Stat("/data"); err != nil {
				lostDirs++
			}
			l, n := checkRecovered(t, crashed, Options{}, [][]byte{makeBatch(1, 1, 0, 1)}, acked)
			keptRecords += n
			testkit.NoErr(t, l.Close())
		}
	}
	if lostDirs == 0 || keptRecords == 0 {
		t.Fatalf("crash states with the new directory lost: %d, with the record kept: %d; want both", lostDirs, keptRecords)
	}
}

// Under DeferCreateSync, Open of a new log fsyncs nothing; the log is
// reported pending until SyncCreate, which does the two directory fsyncs
// once (a second call does nothing). A crash before SyncCreate may take
// the log's directory away; after it, never.
func TestDeferCreateSync(t *testing.T) {
	mem := vfstest.NewCrashableMem()
	testkit.NoErr(t, mem.MkdirAll("/data", 0o755))
	testkit.NoErr(t, vfs.SyncDir(mem, "/"))
	inj := vfstest.NewInjector()
	l, err := Open(walDir, Options{FS: vfstest.WithErrors(mem, inj), DeferCreateSync: true})
	testkit.NoErr(t, err)
	defer l.Close()
	testkit.Equal(t, inj.Count(vfstest.OpSync)+inj.Count(vfstest.OpDirSync), 0)
	testkit.Equal(t, l.CreatePending(), true)
	lost := 0
	for seed := range uint64(20) {
		if _, err := mem.CrashClone(rand.New(rand.NewPCG(seed, 1)), 50).Stat(walDir); err != nil {
			lost++
		}
	}
	if lost == 0 {
		t.Fatal("no crash before SyncCreate lost the new directory: the test proves nothing")
	}
	testkit.NoErr(t, l.SyncCreate())
	testkit.NoErr(t, l.SyncCreate())
	testkit.Equal(t, inj.Count(vfstest.OpDirSync), 2)
	testkit.Equal(t, l.CreatePending(), false)
	for seed := range uint64(20) {
		if _, err := mem.CrashClone(rand.New(rand.NewPCG(seed, 1)), 0).Stat(walDir + "/" + segmentName(0, logSuffix)); err != nil {
			t.Fatalf("seed %d: the log's segment is gone after SyncCreate: %v", seed, err)
		}
	}
}
