package sc

import (
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// TestExpireBoundary checks the failure detector against an injected
// clock: an SPU is online up to HeartbeatTimeout after its last beat and
// offline just past it, never sooner; each transition kicks an election.
func TestExpireBoundary(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), HeartbeatInterval: time.Second, HeartbeatTimeout: 3 * time.Second}.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, st: newState(), electKick: make(chan struct{}, 1)}
	t0 := time.Unix(1000, 0)
	for id := bus.SPUID(1); id <= 3; id++ {
		s.st.spus[id] = &spuEntry{rec: spuRecord{Spec: bus.SPUSpec{ID: id}}, online: true, lastBeat: t0, fullSent: true}
	}
	s.st.spus[2].lastBeat = t0.Add(2 * time.Second) // beat later
	s.st.spus[3].online, s.st.spus[3].fullSent = false, false

	for _, tc := range []struct {
		at     time.Duration
		online [3]bool
		kicked bool
	}{
		{0, [3]bool{true, true, false}, false},
		{2900 * time.Millisecond, [3]bool{true, true, false}, false}, // 0.97 x timeout: never sooner
		{3 * time.Second, [3]bool{true, true, false}, false},         // exactly the timeout: still online
		{3001 * time.Millisecond, [3]bool{false, true, false}, true}, // just past it
		{5 * time.Second, [3]bool{false, true, false}, false},
		{5001 * time.Millisecond, [3]bool{false, false, false}, true},
	} {
		s.expire(t0.Add(tc.at))
		for i, want := range tc.online {
			e := s.st.spus[bus.SPUID(i+1)]
			if e.online != want {
				t.Fatalf("at +%v: SPU %d online=%v, want %v", tc.at, i+1, e.online, want)
			}
			if !e.online && e.fullSent {
				t.Fatalf("at +%v: SPU %d offline but still marked as having its full set", tc.at, i+1)
			}
		}
		kicked := false
		select {
		case <-s.electKick:
			kicked = true
		default:
		}
		if kicked != tc.kicked {
			t.Fatalf("at +%v: election kicked=%v, want %v", tc.at, kicked, tc.kicked)
		}
	}
}
