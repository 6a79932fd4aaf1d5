package replica

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
	"github.com/fluvio-go/fluvio/wal"
	"github.com/fluvio-go/fluvio/wire"
)

// TestReplicaAfterTornSealedSegmentCut: under sync interval and never a
// power loss can tear a sealed segment whose fsync the WAL left to the
// background, and recovery cuts the log there (wal.Log.TornSealed). For
// the follower that is a shorter log like a torn tail: it opens healthy,
// its HW is bounded by the new end although its checkpoint says more,
// and fetching from the leader from that end makes it equal to the
// leader's log again.
func TestReplicaAfterTornSealedSegmentCut(t *testing.T) {
	leader := newReplica(t, wal.Options{Sync: wal.SyncNever}, Assignment{Leader: 1, Epoch: 1, Replicas: []ID{1}, ISR: []ID{1}})
	var batches [][]byte
	for i := range 12 {
		b := oneBatch(fmt.Sprintf("record-%02d", i))
		if _, _, err := leader.Append(b, wire.AcksLeader); err != nil {
			t.Fatal(err)
		}
		c, err := leader.Log().Read(int64(i), 1)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := c.Bytes()
		batches = append(batches, bytes.Clone(p))
		c.Close()
	}
	const end = 12

	mem := vfstest.NewCrashableMem()
	dir := "/data/t-0"
	opts := wal.Options{FS: mem, Sync: wal.SyncNever, SegmentBytes: int64(3 * len(batches[0]))}
	follower := func() *Replica {
		l, err := wal.Open(dir, opts)
		if err != nil {
			t.Fatalf("open the follower's log: %v", err)
		}
		f := New(Config{Topic: "t", Partition: 0, Self: 2, Log: l, FS: mem})
		if _, err := f.Become(Assignment{Leader: 1, Epoch: 1, Replicas: []ID{1, 2}, ISR: []ID{1, 2}}); err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := follower()
	for _, b := range batches {
		if err := f.AppendFromLeader(1, b, end); err != nil {
			t.Fatal(err)
		}
	}
	if o := f.Offsets(); o.HW != end || o.LEO != end {
		t.Fatalf("follower offsets %+v before the crash, want HW and LEO %d", o, end)
	}
	if err := f.Close(); err != nil { // checkpoints HW 12
		t.Fatal(err)
	}

	// The state a power loss leaves when the second segment's background
	// fsync had not run: the recovery point at its base, the segment
	// short, the later segments written.
	names, err := mem.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var logs []string
	for _, n := range names {
		if strings.HasSuffix(n, ".log") {
			logs = append(logs, n)
		}
	}
	if len(logs) < 4 {
		t.Fatalf("%d segments, want at least 4", len(logs))
	}
	base := strings.TrimLeft(strings.TrimSuffix(logs[1], ".log"), "0")
	if err := vfs.WriteFileAtomic(mem, filepath.Join(dir, "recovery-point"), []byte("0\n"+base+"\n")); err != nil {
		t.Fatal(err)
	}
	seg, err := mem.OpenAppend(filepath.Join(dir, logs[1]))
	if err != nil {
		t.Fatal(err)
	}
	if err := seg.Truncate(int64(len(batches[0]) + 5)); err != nil {
		t.Fatal(err)
	}
	if err := seg.Sync(); err != nil {
		t.Fatal(err)
	}
	seg.Close()

	f = follower()
	defer f.Close()
	torn := f.Log().TornSealed()
	if torn == nil || torn.DroppedSegments != len(logs)-2 {
		t.Fatalf("recovery made cut %+v, want one at %s dropping %d segments", torn, logs[1], len(logs)-2)
	}
	o := f.Offsets()
	if o.LEO != torn.End || o.LEO >= end || o.HW > o.LEO {
		t.Fatalf("after the cut: offsets %+v, cut %+v: want LEO at the cut and HW not above it", o, *torn)
	}
	if st := f.Status(); st.Err != nil || st.Role != Follower {
		t.Fatalf("the replica after a torn-tail cut: %+v, want a healthy follower", st)
	}
	// Fetch the rest from the leader, from the follower's end.
	for i := o.LEO; i < end; i++ {
		if err := f.AppendFromLeader(1, batches[i], end); err != nil {
			t.Fatalf("re-fetch offset %d: %v", i, err)
		}
	}
	for i := range int64(end) {
		c, err := f.Log().Read(i, 1)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := c.Bytes()
		if !bytes.Equal(p, batches[i]) {
			t.Fatalf("offset %d differs from the leader's after the re-fetch", i)
		}
		c.Close()
	}
	if o := f.Offsets(); o.HW != end || o.LEO != end {
		t.Fatalf("follower offsets %+v after the re-fetch, want HW and LEO %d", o, end)
	}
}
