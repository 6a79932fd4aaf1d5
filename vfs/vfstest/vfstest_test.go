package vfstest

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/fluvio-go/fluvio/vfs"
)

func TestMemFS(t *testing.T) { TestFS(t, NewCrashableMem(), "/data") }

func TestCrashCloneKeepsSyncedDropsUnsynced(t *testing.T) {
	m := NewCrashableMem()
	must(t, m.MkdirAll("/d", 0o755))
	must(t, vfs.SyncDir(m, "/"))
	f, err := m.Create("/d/synced")
	must(t, err)
	write(t, f, "durable")
	must(t, f.Sync())
	must(t, vfs.SyncDir(m, "/d"))
	write(t, f, "-volatile")
	g, err := m.Create("/d/new") // entry never synced
	must(t, err)
	write(t, g, "x")
	must(t, g.Sync())

	c := m.CrashClone(rand.New(rand.NewPCG(1, 2)), 0)
	if got := content(t, c, "/d/synced"); got != "durable" {
		t.Fatalf("after crash: %q", got)
	}
	if _, err := c.Stat("/d/new"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unsynced entry survived with 0%%: %v", err)
	}
	c = m.CrashClone(rand.New(rand.NewPCG(1, 2)), 100)
	if got := content(t, c, "/d/synced"); got != "durable-volatile" {
		t.Fatalf("after crash 100%%: %q", got)
	}
	// With a random share, the file is always the synced prefix plus a
	// prefix of the rest (possibly zeroed at its end).
	sawPartial := false
	for seed := range uint64(200) {
		c := m.CrashClone(rand.New(rand.NewPCG(seed, 0)), 50)
		got := []byte(content(t, c, "/d/synced"))
		if !bytes.HasPrefix(got, []byte("durable")) || len(got) > len("durable-volatile") {
			t.Fatalf("seed %d: %q", seed, got)
		}
		if len(got) > 7 && len(got) < 16 {
			sawPartial = true
		}
	}
	if !sawPartial {
		t.Fatal("never kept a partial unsynced tail")
	}
}

// A directory made since its parent's last sync may be lost, with all it
// holds, however synced its own entries are; once the parent is synced it
// survives every crash.
func TestCrashCloneMayLoseUnsyncedDirectory(t *testing.T) {
	m := NewCrashableMem()
	must(t, m.MkdirAll("/base/t-0/sub", 0o755))
	f, err := m.Create("/base/t-0/sub/log")
	must(t, err)
	write(t, f, "acked")
	must(t, f.Sync())
	must(t, vfs.SyncDir(m, "/base/t-0/sub"))
	must(t, vfs.SyncDir(m, "/base/t-0"))
	kept, lost := 0, 0
	for seed := range uint64(100) {
		c := m.CrashClone(rand.New(rand.NewPCG(seed, 0)), 50)
		if _, err := c.Stat("/base/t-0/sub/log"); err == nil {
			kept++
			continue
		}
		lost++
		if _, err := c.ReadDir("/base/t-0/sub"); err == nil {
			if _, err := c.Stat("/base"); err != nil {
				t.Fatalf("seed %d: a subdirectory survived its lost parent", seed)
			}
		}
	}
	if kept == 0 || lost == 0 {
		t.Fatalf("unsynced /base: kept %d, lost %d of 100 crashes; want both", kept, lost)
	}
	if _, err := m.CrashClone(rand.New(rand.NewPCG(1, 1)), 0).Stat("/base"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("unsynced directory survived a crash keeping nothing unsynced: %v", err)
	}
	// Synced into their parents, deepest first: nothing is lost any more.
	must(t, vfs.SyncDir(m, "/base"))
	must(t, vfs.SyncDir(m, "/"))
	for seed := range uint64(20) {
		if got := content(t, m.CrashClone(rand.New(rand.NewPCG(seed, 0)), 0), "/base/t-0/sub/log"); got != "acked" {
			t.Fatalf("seed %d: %q after syncing every parent", seed, got)
		}
	}
}

func TestCrashCloneUndoesUnsyncedTruncate(t *testing.T) {
	m := NewCrashableMem()
	f, err := m.Create("/f")
	must(t, err)
	must(t, vfs.SyncDir(m, "/"))
	write(t, f, "0123456789")
	must(t, f.Sync())
	must(t, f.Truncate(4))
	write(t, f, "ab")
	seen := map[string]bool{}
	for seed := range uint64(100) {
		seen[content(t, m.CrashClone(rand.New(rand.NewPCG(seed, 0)), 50), "/f")] = true
	}
	if !seen["0123456789"] || !seen["0123"] {
		t.Fatalf("states seen: %v", seen)
	}
}

func TestInjector(t *testing.T) {
	inj := NewInjector()
	m := NewCrashableMem()
	e := WithErrors(m, inj)
	f, err := e.Create("/f")
	must(t, err)
	inj.FailAt(OpWrite, 2, true)
	write(t, f, "abcd")
	if _, err := f.Write([]byte("efgh")); !errors.Is(err, ErrInjected) {
		t.Fatalf("2nd write: %v", err)
	}
	if err := f.Sync(); !errors.Is(err, ErrInjected) {
		t.Fatalf("sync after sticky failure: %v", err)
	}
	if got := content(t, m, "/f"); got != "abcdef" {
		t.Fatalf("torn write left %q", got)
	}
	if !inj.Tripped() || inj.Count(OpWrite) != 2 {
		t.Fatalf("tripped %v count %d", inj.Tripped(), inj.Count(OpWrite))
	}
	inj.FailAt(OpDirSync, 1, false)
	if err := vfs.SyncDir(e, "/"); !errors.Is(err, ErrInjected) {
		t.Fatalf("dir sync: %v", err)
	}
	must(t, vfs.SyncDir(e, "/"))
}

// CrashCloneReordered may lose a span in the middle of a file's unsynced
// bytes and keep what follows (only in the files its predicate accepts),
// never touching synced bytes.
func TestCrashCloneReorderedLosesMiddlePages(t *testing.T) {
	m := NewCrashableMem()
	must(t, m.MkdirAll("/d", 0o755))
	must(t, vfs.SyncDir(m, "/"))
	files := map[string]vfs.File{}
	for _, name := range []string{"/d/sealed", "/d/active"} {
		f, err := m.Create(name)
		must(t, err)
		write(t, f, "durable")
		must(t, f.Sync())
		write(t, f, "-volatile-pages-written-back-in-any-order")
		files[name] = f
	}
	must(t, vfs.SyncDir(m, "/d"))
	// hole reports whether b holds a zero byte followed by a non-zero one.
	hole := func(b []byte) bool {
		z := bytes.IndexByte(b, 0)
		return z >= 0 && bytes.ContainsFunc(b[z:], func(r rune) bool { return r != 0 })
	}
	holes := 0
	for seed := range uint64(300) {
		c := m.CrashCloneReordered(rand.New(rand.NewPCG(seed, 0)), 100, func(p string) bool { return p == "/d/sealed" })
		sealed, active := []byte(content(t, c, "/d/sealed")), []byte(content(t, c, "/d/active"))
		if !bytes.HasPrefix(sealed, []byte("durable")) || !bytes.HasPrefix(active, []byte("durable")) {
			t.Fatalf("seed %d: synced bytes lost: %q %q", seed, sealed, active)
		}
		if hole(active) {
			t.Fatalf("seed %d: hole in a file the predicate refused: %q", seed, active)
		}
		if hole(sealed) {
			holes++
		}
	}
	if holes < 100 {
		t.Fatalf("only %d of 300 crash states lost a middle span", holes)
	}
	t.Logf("figures: %d of 300 crash states lost a span and kept later bytes", holes)
}
