package spu

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// TestCorruptFollowerRepairsFromLeader: a follower whose log has a bad
// byte in its middle (a valid batch follows) is not opened while it is in
// the ISR: it reports the corruption (file and position) for the SC, so
// that it is never elected with a hole. Once the SC has taken it out of
// the ISR it cuts its log at the last valid batch before the damage and
// fetches the rest from the leader, by itself.
func TestCorruptFollowerRepairsFromLeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		// segment picks the damaged segment among the sorted ones.
		segment func(segs []string) string
	}{
		{"newest segment", func(segs []string) string { return segs[len(segs)-1] }},
		// A closed segment with index entries: Open used to trust its
		// index for the batches before the last entry, so damage there
		// was found only when a consumer read it.
		{"closed indexed segment", func(segs []string) string { return segs[0] }},
	} {
		t.Run(tc.name, func(t *testing.T) { testCorruptFollowerRepairs(t, tc.segment) })
	}
}

func testCorruptFollowerRepairs(t *testing.T, pick func([]string) string) {
	dir2 := t.TempDir()
	s1, s2 := startSPU(t, 1, 0), startSPUIn(t, 2, dir2, 0)
	peers := peersOf(s1, s2)
	sp := spec("c", 0, 1, 0, 1, 2)
	sp.Config.SegmentBytes = 16 << 10 // several index entries (every 4 KiB) per segment
	s1.apply(t, true, peers, sp)
	s2.apply(t, true, peers, sp)
	c := dial(t, s1.public)
	pad := strings.Repeat("x", 1000)
	for i := range 40 {
		_, err := produce(context.Background(), c, "c", 0, wire.AcksAll, fmt.Sprintf("record-%02d-%s", i, pad))
		testkit.NoErr(t, err)
	}
	sameLogs(t, "c", s1, s2)
	s2.stop()

	segs, err := filepath.Glob(filepath.Join(dir2, "c-0", "*.log"))
	testkit.NoErr(t, err)
	if len(segs) < 2 {
		t.Fatalf("want several segments, have %v", segs)
	}
	slices.Sort(segs)
	target := pick(segs)
	if target != segs[len(segs)-1] {
		idx, err := os.ReadFile(strings.TrimSuffix(target, ".log") + ".index")
		testkit.NoErr(t, err)
		if len(idx) == 0 {
			t.Fatalf("closed segment %s has no index entry: the damage would not be behind one", target)
		}
	}
	b, err := os.ReadFile(target)
	testkit.NoErr(t, err)
	b[70] ^= 0xff // inside the segment's first batch; valid batches follow
	testkit.NoErr(t, os.WriteFile(target, b, 0o644))

	s2 = startSPUIn(t, 2, dir2, 0)
	s2.setEpoch++
	err = s2.dp.Apply(bus.ReplicaSet{Type: bus.ReplicaSetType, SPU: 2, Epoch: s2.setEpoch, Full: true, Replicas: []bus.ReplicaSpec{sp}, Peers: peers})
	if err == nil {
		t.Fatal("a corrupt replica in the ISR opened")
	}
	st := status(s2, "c")
	if !strings.Contains(st.Corrupt, filepath.Base(target)) || !strings.Contains(st.Corrupt, "at position") {
		t.Fatalf("status %+v does not report the corruption with file and position", st)
	}
	if s2.dp.lookup("c", 0) != nil {
		t.Fatal("the corrupt replica serves")
	}

	// The SC's answer: out of the ISR, at a new epoch.
	out := spec("c", 0, 1, 1, 1, 2)
	out.Config.SegmentBytes = sp.Config.SegmentBytes
	out.ISR = []int32{1}
	s1.apply(t, false, peers, out)
	s2.apply(t, true, peers, out)
	sameLogs(t, "c", s1, s2)
	if st := status(s2, "c"); st.Corrupt != "" {
		t.Fatalf("still reported corrupt after the repair: %+v", st)
	}
	if _, err := os.Stat(target + ".broken"); err != nil {
		t.Fatalf("the cut bytes were not kept: %v", err)
	}
	_, err = produce(context.Background(), c, "c", 0, wire.AcksAll, "after")
	testkit.NoErr(t, err)
	sameLogs(t, "c", s1, s2)
}

// TestOperatorRepairOnlyReplica: the only replica of a partition has a
// flipped byte in a middle segment. It is reported, never opened, and
// nothing cuts it by itself. Repair with dryRun says what the cut would
// drop (from which offset, how many records and bytes) and changes
// nothing; Repair cuts the log there (the cut bytes kept in .broken),
// and the replica serves again: every record below the cut is read, a
// new record is appended at the cut.
func TestOperatorRepairOnlyReplica(t *testing.T) {
	dir := t.TempDir()
	s := startSPUIn(t, 1, dir, 0)
	sp := spec("solo", 0, 1, 0)
	sp.Config.SegmentBytes = 16 << 10
	s.apply(t, true, nil, sp)
	c := dial(t, s.public)
	pad := strings.Repeat("x", 1000)
	for i := range 40 {
		_, err := produce(context.Background(), c, "solo", 0, wire.AcksAll, fmt.Sprintf("record-%02d-%s", i, pad))
		testkit.NoErr(t, err)
	}
	id := bus.PartitionID{Topic: "solo", Partition: 0}
	if _, err := s.dp.Repair(id, true); err == nil {
		t.Fatal("a healthy replica was offered a repair")
	}
	s.stop()

	segs, err := filepath.Glob(filepath.Join(dir, "solo-0", "*.log"))
	testkit.NoErr(t, err)
	slices.Sort(segs)
	if len(segs) < 3 {
		t.Fatalf("want at least 3 segments, have %v", segs)
	}
	target := segs[1] // a closed segment in the middle of the log
	b, err := os.ReadFile(target)
	testkit.NoErr(t, err)
	b[70] ^= 0xff
	testkit.NoErr(t, os.WriteFile(target, b, 0o644))
	var cutAt int64
	{ // the cut keeps every record before the damaged segment's base
		base, err := strconv.ParseInt(strings.TrimSuffix(filepath.Base(target), ".log"), 10, 64)
		testkit.NoErr(t, err)
		cutAt = base
	}

	s = startSPUIn(t, 1, dir, 0)
	s.setEpoch++
	if err := s.dp.Apply(bus.ReplicaSet{Type: bus.ReplicaSetType, SPU: 1, Epoch: s.setEpoch, Full: true, Replicas: []bus.ReplicaSpec{sp}}); err == nil {
		t.Fatal("the corrupt only replica opened")
	}
	if s.dp.lookup("solo", 0) != nil || status(s, "solo").Corrupt == "" {
		t.Fatalf("status %+v: want it reported corrupt and not serving", status(s, "solo"))
	}

	plan, err := s.dp.Repair(id, true)
	testkit.NoErr(t, err)
	p := plan.Repair
	if plan.Repaired || p.EndOffset != cutAt || p.OldEndOffset != 40 || p.DroppedRecords != 40-cutAt || p.DroppedBytes <= 0 ||
		!strings.HasSuffix(p.File, filepath.Base(target)) || p.DroppedSegments != len(segs)-2 {
		t.Fatalf("dry run %+v: want a cut at offset %d dropping records %d..39 and %d later segments", plan, cutAt, cutAt, len(segs)-2)
	}
	after, err := os.ReadFile(target)
	testkit.NoErr(t, err)
	if !bytes.Equal(after, b) || s.dp.lookup("solo", 0) != nil {
		t.Fatal("the dry run changed the log or opened the replica")
	}
	if _, err := os.Stat(target + ".broken"); err == nil {
		t.Fatal("the dry run wrote a .broken file")
	}

	done, err := s.dp.Repair(id, false)
	testkit.NoErr(t, err)
	if !done.Repaired || done.Repair != p {
		t.Fatalf("repair %+v, the dry run said %+v", done, p)
	}
	if _, err := os.Stat(target + ".broken"); err != nil {
		t.Fatalf("the cut bytes were not kept: %v", err)
	}
	if st := status(s, "solo"); st.Corrupt != "" || st.LEO != cutAt {
		t.Fatalf("status after the repair %+v, want not corrupt with LEO %d", st, cutAt)
	}
	c = dial(t, s.public)
	got, _ := consume(t, c, "solo", 0, 0)
	if int64(len(got)) != cutAt || !strings.HasPrefix(got[len(got)-1], fmt.Sprintf("record-%02d-", cutAt-1)) {
		t.Fatalf("read %d records after the repair, want %d", len(got), cutAt)
	}
	off, err := produce(context.Background(), c, "solo", 0, wire.AcksAll, "after")
	testkit.NoErr(t, err)
	testkit.Equal(t, off, cutAt)
	if _, err := s.dp.Repair(id, false); err == nil {
		t.Fatal("a second repair of the repaired replica was accepted")
	}
}
