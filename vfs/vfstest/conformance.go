package vfstest

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/fluvio-go/fluvio/vfs"
)

// TestFS checks that fsys behaves as a vfs.FS must, in dir: create, write,
// read at, early writeback, sync, truncate, append, stat, read dir, rename, remove, atomic
// write and directory sync. It fails t at the first difference.
func TestFS(t testing.TB, fsys vfs.FS, dir string) {
	t.Helper()
	must(t, fsys.MkdirAll(filepath.Join(dir, "a"), 0o755))
	name := filepath.Join(dir, "a", "f")
	f, err := fsys.Create(name)
	must(t, err)
	write(t, f, "hello ")
	write(t, f, "world")
	if err := vfs.StartWriteback(f, 0, 11); err != nil && !errors.Is(err, vfs.ErrNoWriteback) {
		t.Fatalf("StartWriteback: %v", err)
	}
	must(t, f.Sync())
	buf := make([]byte, 5)
	_, err = f.ReadAt(buf, 6)
	must(t, err)
	if string(buf) != "world" {
		t.Fatalf("ReadAt = %q", buf)
	}
	must(t, f.Truncate(5))
	write(t, f, "!")
	must(t, f.Close())
	if got := content(t, fsys, name); got != "hello!" {
		t.Fatalf("content %q", got)
	}
	f, err = fsys.OpenAppend(name)
	must(t, err)
	write(t, f, "?")
	must(t, f.Close())
	st, err := fsys.Stat(name)
	must(t, err)
	if st.Size() != 7 {
		t.Fatalf("size %d", st.Size())
	}
	must(t, vfs.WriteFileAtomic(fsys, filepath.Join(dir, "a", "g"), []byte("atomic")))
	names, err := fsys.ReadDir(filepath.Join(dir, "a"))
	must(t, err)
	if len(names) != 2 || names[0] != "f" || names[1] != "g" {
		t.Fatalf("ReadDir = %v", names)
	}
	must(t, fsys.Rename(name, filepath.Join(dir, "a", "h")))
	if _, err := fsys.Stat(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat after rename: %v", err)
	}
	must(t, fsys.Remove(filepath.Join(dir, "a", "h")))
	must(t, vfs.SyncDir(fsys, filepath.Join(dir, "a")))
	must(t, fsys.RemoveAll(filepath.Join(dir, "a")))
	if _, err := fsys.Stat(filepath.Join(dir, "a")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat after RemoveAll: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func write(t testing.TB, f vfs.File, s string) {
	t.Helper()
	_, err := f.Write([]byte(s))
	must(t, err)
}

func content(t testing.TB, fsys vfs.FS, name string) string {
	t.Helper()
	b, err := vfs.ReadFile(fsys, name, 1<<20)
	must(t, err)
	return string(b)
}
