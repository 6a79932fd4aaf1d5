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
	dir2 := t.TempDir()
	s1, s2 := startSPU(t, 1, 0), startSPUIn(t, 2, dir2, 0)
	peers := peersOf(s1, s2)
	sp := spec("c", 0, 1, 0, 1, 2)
	sp.Config.SegmentBytes = 1 << 10
	s1.apply(t, true, peers, sp)
	s2.apply(t, true, peers, sp)
	c := dial(t, s1.public)
	for i := range 30 {
		_, err := produce(context.Background(), c, "c", 0, wire.AcksAll, fmt.Sprintf("record-%02d", i))
		requireNoErr(t, err)
	}
	sameLogs(t, "c", s1, s2)
	s2.stop()

	segs, err := filepath.Glob(filepath.Join(dir2, "c-0", "*.log"))
	requireNoErr(t, err)
	slices.Sort(segs)
	last := segs[len(segs)-1]
	b, err := os.ReadFile(last)
	requireNoErr(t, err)
	b[70] ^= 0xff // inside the segment's first batch; valid batches follow
	requireNoErr(t, os.WriteFile(last, b, 0o644))

	s2 = startSPUIn(t, 2, dir2, 0)
	s2.setEpoch++
	err = s2.dp.Apply(bus.ReplicaSet{Type: bus.ReplicaSetType, SPU: 2, Epoch: s2.setEpoch, Full: true, Replicas: []bus.ReplicaSpec{sp}, Peers: peers})
	if err == nil {
		t.Fatal("a corrupt replica in the ISR opened")
	}
	st := status(s2, "c")
	if !strings.Contains(st.Corrupt, filepath.Base(last)) || !strings.Contains(st.Corrupt, "at position") {
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
	if _, err := os.Stat(last + ".broken"); err != nil {
		t.Fatalf("the cut bytes were not kept: %v", err)
	}
	_, err = produce(context.Background(), c, "c", 0, wire.AcksAll, "after")
	requireNoErr(t, err)
	sameLogs(t, "c", s1, s2)
}
