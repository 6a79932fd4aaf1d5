package vfs_test

import (
	"errors"
	"runtime"
	"syscall"
	"testing"

	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

func TestOSFS(t *testing.T) { vfstest.TestFS(t, vfs.Default, t.TempDir()) }

// TestStartWritebackOS checks an OS file takes the hint on Linux
// (sync_file_range) and that a closed one reports an error.
func TestStartWritebackOS(t *testing.T) {
	f, err := vfs.Default.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	err = vfs.StartWriteback(f, 0, 1<<20)
	if runtime.GOOS == "linux" && err != nil {
		t.Errorf("StartWriteback on Linux: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := vfs.StartWriteback(f, 0, 1<<20); err == nil {
		t.Error("StartWriteback on a closed file: no error")
	}
}

// TestStartWritebackErrorFS checks the fault-injection filesystem counts
// and can fail the hint, and passes it to the file underneath.
func TestStartWritebackErrorFS(t *testing.T) {
	inj := vfstest.NewInjector()
	fs := vfstest.WithErrors(vfs.Default, inj)
	f, err := fs.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := vfs.StartWriteback(f, 0, 4096); err != nil && !errors.Is(err, vfs.ErrNoWriteback) {
		t.Fatal(err)
	}
	inj.FailEvery(vfstest.OpWriteback, syscall.EIO)
	if err := vfs.StartWriteback(f, 0, 4096); !errors.Is(err, syscall.EIO) {
		t.Errorf("injected: %v, want EIO", err)
	}
	if n := inj.Count(vfstest.OpWriteback); n != 2 {
		t.Errorf("counted %d writebacks, want 2", n)
	}
}
