package chaos

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wal"
)

func plan(seed int64, cfg Config) []string {
	n := newNemesis(&cluster{cfg: cfg.withDefaults(), log: cfg.withDefaults().Logger}, seed)
	var out []string
	for range 50 {
		w, k, p := n.next()
		out = append(out, fmt.Sprintf("%s %s %d", w, k, p))
	}
	return out
}

func TestNemesisSeeded(t *testing.T) {
	cfg := Config{FaultEvery: 2 * time.Second}
	a, b, c := plan(42, cfg), plan(42, cfg), plan(43, cfg)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("the same seed drew different faults")
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatal("seeds 42 and 43 drew the same 50 faults")
	}
	if !strings.Contains(a[0], string(FaultWipe)) || !strings.Contains(a[1], string(FaultReregister)) {
		t.Fatalf("a run does not start with a wipe and a re-registration: %v", a[:2])
	}
	kinds := map[string]bool{}
	for i := range 50 {
		n := newNemesis(&cluster{cfg: cfg.withDefaults()}, int64(i))
		n.forced = nil
		_, k, p := n.next()
		if p < 0 || p >= partitions {
			t.Fatalf("partition %d", p)
		}
		kinds[string(k)] = true
	}
	if len(kinds) != 8 {
		t.Errorf("50 seeds drew the kinds %v, want all 8", kinds)
	}
	neg := Config{FaultEvery: 2 * time.Second, Negative: true}
	for _, f := range plan(1, neg) {
		if fields := strings.Fields(f); len(fields) != 3 || fields[1] != string(FaultStallKill) {
			t.Fatalf("negative control drew %q, want only stall-kill", f)
		}
	}
}

// TestCorruptClosedSegment: the corrupt fault picks a closed segment with
// index entries (never the active one, nothing before any has rolled) and
// flips a byte of its first batch, before the last index entry; opening
// the log must then report that segment as corrupt (recovery used to
// trust the index there and found the damage only on read).
func TestCorruptClosedSegment(t *testing.T) {
	dir := t.TempDir()
	l, err := wal.Open(dir, wal.Options{SegmentBytes: segmentBytes, Sync: wal.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	b := (&batch.Batch{ProducerID: -1, BaseSequence: -1, Records: []batch.Record{{Value: []byte(strings.Repeat("v", 100))}}}).AppendTo(nil)
	appendOne := func() {
		t.Helper()
		if _, err := l.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	appendOne()
	if seg, err := closedSegment(dir); err == nil {
		t.Fatalf("picked %s with no closed segment", seg)
	}
	for l.Size() < 3*segmentBytes {
		appendOne()
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seg, err := closedSegment(dir)
	if err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	slices.Sort(segs)
	if seg == segs[len(segs)-1] || seg != segs[len(segs)-2] {
		t.Fatalf("picked %s of %v: want the newest closed one", seg, segs)
	}
	if _, err := corruptFirstBatch(seg); err != nil {
		t.Fatal(err)
	}
	_, err = wal.Open(dir, wal.Options{})
	ce, ok := errors.AsType[*wal.CorruptError](err)
	if !ok || ce.File != seg {
		t.Fatalf("open after the fault: %v, want corruption in %s", err, seg)
	}
}
