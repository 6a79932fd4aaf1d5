package replica

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestStateInvariants drives a leader State with random appends, syncs,
// follower fetches, clock ticks and ISR proposals that a model SC stores
// or refuses, with answers delivered or lost, and checks after every step:
//   - HW never exceeds the log end of a member of the SC's stored ISR
//     (the replicas it could elect);
//   - HW never goes back, and never exceeds the leader's durable end;
//   - HW does not move while the committed ISR is below MinISR;
//   - the leader is always in the committed ISR.
func TestStateInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(t, "replicas")
		replicas := make([]ID, n)
		for i := range replicas {
			replicas[i] = ID(i + 1)
		}
		minISR := rapid.IntRange(1, n).Draw(t, "minISR")
		s := NewState(1, minISR, 10*time.Second)
		now := time.Unix(0, 0)
		if err := s.BecomeLeader(0, replicas, replicas, 0, 0, 0, now); err != nil {
			t.Fatal(err)
		}
		leo, durable := int64(0), int64(0)
		follower := map[ID]int64{}
		var proposal []ID
		// The model SC: its stored ISR and whether the answer to the
		// current proposal is on its way (or lost).
		scISR := slices.Clone(replicas)
		answered := false
		for step := range rapid.IntRange(1, 200).Draw(t, "steps") {
			prevHW := s.HW()
			belowMin := len(s.ISR()) < minISR
			switch rapid.IntRange(0, 6).Draw(t, "op") {
			case 0: // append
				leo += int64(rapid.IntRange(1, 5).Draw(t, "records"))
				s.LocalAppended(leo, durable)
			case 1: // sync
				durable = leo
				s.LocalAppended(leo, durable)
			case 2: // a follower fetches from somewhere in its range
				if n == 1 {
					continue
				}
				id := ID(rapid.IntRange(2, n).Draw(t, "follower"))
				off := rapid.Int64Range(follower[id], leo).Draw(t, "offset")
				if _, err := s.FollowerFetched(id, off, now); err != nil {
					t.Fatalf("step %d: fetch: %v", step, err)
				}
				follower[id] = off
			case 3: // time passes
				now = now.Add(time.Duration(rapid.IntRange(1, 15).Draw(t, "seconds")) * time.Second)
			case 4: // the leader proposes an ISR change
				if proposal != nil {
					continue
				}
				if isr, ok := s.NextISR(now); ok {
					if !slices.Contains(isr, 1) {
						t.Fatalf("step %d: proposal %v without the leader", step, isr)
					}
					proposal, answered = isr, false
				}
			case 5: // the SC handles the proposal: stores it or refuses
				if proposal == nil || answered {
					continue
				}
				if rapid.Bool().Draw(t, "store") {
					scISR = slices.Clone(proposal)
					answered = true
				} else {
					s.ISRRejected()
					proposal = nil
				}
			case 6: // the answer arrives, or is lost
				if proposal == nil || !answered {
					continue
				}
				if rapid.Bool().Draw(t, "delivered") {
					s.ISRCommitted(proposal)
				} else {
					s.ISRUnknown()
				}
				proposal = nil
			}
			hw := s.HW()
			if hw < prevHW {
				t.Fatalf("step %d: HW went back from %d to %d", step, prevHW, hw)
			}
			if hw > durable {
				t.Fatalf("step %d: HW %d above the durable end %d", step, hw, durable)
			}
			if belowMin && len(s.ISR()) < minISR && hw != prevHW {
				t.Fatalf("step %d: HW moved with ISR %v below min %d", step, s.ISR(), minISR)
			}
			// Safety: no replica the SC could elect lacks a record below HW.
			for _, id := range scISR {
				if id != 1 && hw > follower[id] {
					t.Fatalf("step %d: HW %d above SC ISR member %d's end %d (SC isr %v, leader isr %v, proposed %v)",
						step, hw, id, follower[id], scISR, s.ISR(), s.Proposed())
				}
			}
			if !slices.Contains(s.ISR(), 1) {
				t.Fatalf("step %d: leader not in ISR %v", step, s.ISR())
			}
		}
	})
}
