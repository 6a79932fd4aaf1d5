package replica

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

// The HW checkpoint is written without fsync (a hint), and what a crash
// can leave of it reads as an older HW or as none.
func TestCheckpointHWWritesNoFsync(t *testing.T) {
	dir := t.TempDir()
	inj := vfstest.NewInjector()
	fsys := vfstest.WithErrors(vfs.Default, inj)
	l, err := wal.Open(dir, wal.Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	r := New(Config{Topic: "t", Partition: 0, Self: 1, Log: l, FS: fsys})
	defer r.Close()
	if _, err := r.Become(Assignment{Leader: 1, Epoch: 0, Replicas: []ID{1}, ISR: []ID{1}}); err != nil {
		t.Fatal(err)
	}
	_, next, err := r.Append(oneBatch("a", "b", "c"), wire.AcksLeader)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Commit(context.Background(), next, wire.AcksLeader, time.Second); err != nil {
		t.Fatal(err)
	}
	syncs, dirSyncs := inj.Count(vfstest.OpSync), inj.Count(vfstest.OpDirSync)
	if err := r.CheckpointHW(); err != nil {
		t.Fatal(err)
	}
	if d, dd := inj.Count(vfstest.OpSync)-syncs, inj.Count(vfstest.OpDirSync)-dirSyncs; d != 0 || dd != 0 {
		t.Fatalf("the checkpoint fsynced %d files and %d directories; want none", d, dd)
	}
	if hw, err := readHW(fsys, dir); err != nil || hw != 3 {
		t.Fatalf("readHW = %d, %v; want 3", hw, err)
	}
	// What a crash may leave: an empty file, a page of zeros after the
	// digits, a prefix of the digits.
	for content, want := range map[string]int64{"": 0, "0\n3\n\x00\x00\x00": 0, "0\n": 0} {
		if err := os.WriteFile(filepath.Join(dir, hwFileName), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if hw, _ := readHW(fsys, dir); hw != want {
			t.Fatalf("readHW of %q = %d, want %d", content, hw, want)
		}
	}
}
