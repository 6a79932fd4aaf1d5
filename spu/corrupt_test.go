package spu

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
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
		requireNoErr(t, err)
	}
	sameLogs(t, "c", s1, s2)
	s2.stop()

	segs, err := filepath.Glob(filepath.Join(dir2, "c-0", "*.log"))
	requireNoErr(t, err)
	if len(segs) < 2 {
		t.Fatalf("want several segments, have %v", segs)
	}
	slices.Sort(segs)
	target := pick(segs)
	if target != segs[len(segs)-1] {
		idx, err := os.ReadFile(strings.TrimSuffix(target, ".log") + ".index")
		requireNoErr(t, err)
		if len(idx) == 0 {
			t.Fatalf("closed segment %s has no index entry: the damage would not be behind one", target)
		}
	}
	b, err := os.ReadFile(target)
	requireNoErr(t, err)
	b[70] ^= 0xff // inside the segment's first batch; valid batches follow
	requireNoErr(t, os.WriteFile(target, b, 0o644))

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
	requireNoErr(t, err)
	sameLogs(t, "c", s1, s2)
}
