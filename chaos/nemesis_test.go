package chaos

import (
	"fmt"
	"strings"
	"testing"
	"time"
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
