package replica

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// run interprets a script against a State for SPU 1 (minISR and lag from
// the first line "init min=N lag=D"). Commands:
//
//	leader epoch=E replicas=1,2,3 isr=1,2 leo=N [hw=N]
//	follower epoch=E leader=L leo=N [hw=N]
//	append leo=N [durable=N]       local log end (durable defaults to leo)
//	fetch id=F offset=N            follower F fetched from N (at the clock)
//	tick D                         advance the clock
//	propose -> 1,2 | none          NextISR
//	commit isr=1,2                 ISRCommitted
//	reject                         ISRRejected
//	hw N / isr 1,2 / ackall ok|err / err <substring>
func run(t *testing.T, script string) {
	t.Helper()
	var (
		s       *State
		now     = time.Unix(1000, 0)
		lastErr error
	)
	for ln, line := range strings.Split(strings.TrimSpace(script), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		cmd, args := fields[0], kv(fields[1:])
		fail := func(format string, a ...any) {
			t.Helper()
			t.Fatalf("line %d %q: %s", ln+1, line, fmt.Sprintf(format, a...))
		}
		switch cmd {
		case "init":
			lag, _ := time.ParseDuration(args["lag"])
			s = NewState(1, atoi(args["min"]), lag)
		case "leader":
			lastErr = s.BecomeLeader(int32(atoi(args["epoch"])), ids(args["replicas"]), ids(args["isr"]),
				int64(atoi(args["leo"])), int64(atoi(args["leo"])), int64(atoi(or(args["hw"], "0"))), now)
		case "follower":
			lastErr = s.BecomeFollower(int32(atoi(args["epoch"])), ID(atoi(args["leader"])), nil, nil,
				int64(atoi(args["leo"])), int64(atoi(or(args["hw"], "0"))))
		case "append":
			s.LocalAppended(int64(atoi(args["leo"])), int64(atoi(or(args["durable"], args["leo"]))))
		case "fetch":
			_, lastErr = s.FollowerFetched(ID(atoi(args["id"])), int64(atoi(args["offset"])), now)
		case "tick":
			d, err := time.ParseDuration(fields[1])
			if err != nil {
				fail("%v", err)
			}
			now = now.Add(d)
		case "propose":
			got, ok := s.NextISR(now)
			want := fields[2]
			if want == "none" {
				if ok {
					fail("proposed %v, want none", got)
				}
				continue
			}
			if !ok || !sameSet(got, ids(want)) {
				fail("proposed %v (%v), want %s", got, ok, want)
			}
		case "commit":
			s.ISRCommitted(ids(args["isr"]))
		case "reject":
			s.ISRRejected()
		case "unknown":
			s.ISRUnknown()
		case "hw":
			if got := s.HW(); got != int64(atoi(fields[1])) {
				fail("hw = %d", got)
			}
		case "isr":
			if got := s.ISR(); !sameSet(got, ids(fields[1])) {
				fail("isr = %v", got)
			}
		case "ackall":
			err := s.CanAckAll()
			if (fields[1] == "ok") != (err == nil) {
				fail("CanAckAll = %v", err)
			}
			if err != nil && !errors.Is(err, ErrNotEnoughReplicas) {
				fail("CanAckAll = %v, want ErrNotEnoughReplicas", err)
			}
		case "err":
			want := strings.Join(fields[1:], " ")
			if want == "none" {
				if lastErr != nil {
					fail("err = %v", lastErr)
				}
			} else if lastErr == nil || !strings.Contains(lastErr.Error(), want) {
				fail("err = %v, want %q", lastErr, want)
			}
			lastErr = nil
		default:
			fail("unknown command")
		}
		if cmd != "err" && lastErr != nil && !slices.Contains([]string{"leader", "follower", "fetch"}, cmd) {
			fail("unexpected error %v", lastErr)
		}
	}
	if lastErr != nil {
		t.Fatalf("unchecked error at end: %v", lastErr)
	}
}

func kv(fields []string) map[string]string {
	m := map[string]string{}
	for _, f := range fields {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(fmt.Sprintf("bad number %q", s))
	}
	return n
}

func or(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

func ids(s string) []ID {
	var out []ID
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			out = append(out, ID(atoi(f)))
		}
	}
	return out
}

func TestState(t *testing.T) {
	cases := []struct{ name, script string }{
		{"single replica: hw follows the durable end", `
			init min=1 lag=10s
			leader epoch=0 replicas=1 isr=1 leo=0
			append leo=5 durable=3
			hw 3
			append leo=5 durable=5
			hw 5
			ackall ok`},
		{"hw waits for every isr member", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2,3 isr=1,2,3 leo=0
			append leo=10
			hw 0
			fetch id=2 offset=10
			hw 0
			fetch id=3 offset=4
			hw 4
			fetch id=3 offset=10
			hw 10
			err none`},
		{"hw never moves back", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2 isr=1,2 leo=10 hw=0
			fetch id=2 offset=10
			hw 10
			fetch id=2 offset=5
			hw 10
			err none`},
		{"lagging follower leaves the isr only once the sc commits", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2,3 isr=1,2,3 leo=0
			append leo=10
			fetch id=2 offset=10
			tick 5s
			propose -> none
			tick 6s
			fetch id=2 offset=10
			propose -> 1,2
			# proposed but not committed: 3 still holds hw back
			hw 0
			propose -> none
			commit isr=1,2
			isr 1,2
			hw 10
			err none`},
		{"rejected proposal is retried", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2 isr=1,2 leo=0
			tick 11s
			propose -> 1
			reject
			propose -> 1
			commit isr=1`},
		{"follower rejoins when it reaches hw and counts at once", `
			init min=1 lag=10s
			leader epoch=2 replicas=1,2 isr=1 leo=20 hw=20
			append leo=30
			hw 30
			fetch id=2 offset=25
			propose -> none
			fetch id=2 offset=30
			propose -> 1,2
			# a proposed addition holds hw back at once
			append leo=40
			hw 30
			fetch id=2 offset=40
			hw 40
			commit isr=1,2
			err none`},
		{"a rejoining follower is not dropped for its old lag", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2 isr=1,2 leo=0
			tick 11s
			propose -> 1
			commit isr=1
			append leo=20 durable=15
			hw 15
			tick 20s
			fetch id=2 offset=15
			propose -> 1,2
			commit isr=1,2
			tick 5s
			propose -> none
			tick 6s
			propose -> 1
			err none`},
		{"a dead follower is not added back from its last offset", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2 isr=1,2 leo=10 hw=10
			fetch id=2 offset=10
			tick 11s
			propose -> 1
			commit isr=1
			# no fetch since: its old offset 10 equals the HW but it stays out
			propose -> none
			tick 1s
			propose -> none
			fetch id=2 offset=10
			propose -> 1,2
			err none`},
		{"an unanswered addition keeps holding hw back", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2 isr=1 leo=10 hw=10
			fetch id=2 offset=10
			propose -> 1,2
			unknown
			isr 1
			append leo=20
			hw 10
			fetch id=2 offset=20
			hw 20
			# answered later: it is cleared
			propose -> 1,2
			commit isr=1,2
			err none`},
		{"follower must reach the current epoch's start to join", `
			init min=1 lag=10s
			leader epoch=3 replicas=1,2 isr=1 leo=50 hw=10
			fetch id=2 offset=20
			propose -> none
			fetch id=2 offset=50
			propose -> 1,2
			err none`},
		{"strict min isr: hw stops and acks=all is refused", `
			init min=2 lag=10s
			leader epoch=1 replicas=1,2,3 isr=1,2,3 leo=0
			append leo=10
			fetch id=2 offset=10
			fetch id=3 offset=10
			hw 10
			tick 11s
			append leo=20
			propose -> 1
			commit isr=1
			ackall err
			hw 10
			# alone, the last replica standing does not commit anything new
			tick 1s
			hw 10
			err none`},
		{"slow but steady follower stays in sync", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2 isr=1,2 leo=0
			append leo=10
			fetch id=2 offset=0
			tick 6s
			append leo=20
			fetch id=2 offset=10
			tick 6s
			append leo=30
			fetch id=2 offset=20
			propose -> none
			err none`},
		{"stale epochs are fenced", `
			init min=1 lag=10s
			leader epoch=5 replicas=1,2 isr=1,2 leo=0
			follower epoch=4 leader=2 leo=0
			err stale leader epoch
			leader epoch=4 replicas=1,2 isr=1,2 leo=0
			err stale leader epoch
			follower epoch=6 leader=2 leo=0
			err none`},
		{"fetch from a non-replica or beyond the end", `
			init min=1 lag=10s
			leader epoch=1 replicas=1,2 isr=1,2 leo=5
			fetch id=9 offset=0
			err not a replica
			fetch id=2 offset=6
			err out of range`},
		{"a follower does not take fetches", `
			init min=1 lag=10s
			follower epoch=1 leader=2 leo=0
			fetch id=3 offset=0
			err not the leader`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc.script) })
	}
}

func TestCheckEpoch(t *testing.T) {
	s := NewState(1, 1, 0)
	if err := s.BecomeLeader(3, []ID{1}, []ID{1}, 0, 0, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		epoch int32
		want  error
	}{{-1, nil}, {3, nil}, {2, ErrStaleEpoch}, {4, ErrUnknownEpoch}} {
		if err := s.CheckEpoch(tc.epoch); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("CheckEpoch(%d) = %v, want %v", tc.epoch, err, tc.want)
		}
	}
}

// epochLog is a log's epoch table for truncation tests: entries of
// (epoch, start offset) and the log end.
type epochLog struct {
	entries [][2]int64
	leo     int64
}

func (l epochLog) latest() int32 {
	if len(l.entries) == 0 {
		return UndefinedEpoch
	}
	return int32(l.entries[len(l.entries)-1][0])
}

// endFor is wal's EndOffsetForEpoch.
func (l epochLog) endFor(epoch int32) (int32, int64) {
	if len(l.entries) == 0 || epoch < 0 {
		return UndefinedEpoch, -1
	}
	if epoch == l.latest() {
		return epoch, l.leo
	}
	for i := len(l.entries) - 1; i >= 0; i-- {
		if int32(l.entries[i][0]) <= epoch {
			if i+1 < len(l.entries) {
				return int32(l.entries[i][0]), l.entries[i+1][1]
			}
			return int32(l.entries[i][0]), l.leo
		}
	}
	return epoch, l.entries[0][1]
}

func truncate(follower, leader epochLog) int64 {
	asked := follower.latest()
	le, lend := leader.endFor(asked)
	return TruncationOffset(follower.leo, 0, asked, follower.endFor, le, lend)
}

func TestTruncationOffset(t *testing.T) {
	cases := []struct {
		name             string
		follower, leader epochLog
		want             int64
	}{
		{"empty follower", epochLog{leo: 0}, epochLog{entries: [][2]int64{{0, 0}}, leo: 10}, 0},
		{"same epoch, follower behind", epochLog{[][2]int64{{0, 0}}, 5}, epochLog{[][2]int64{{0, 0}}, 10}, 5},
		{"same epoch, follower ahead (uncommitted tail)", epochLog{[][2]int64{{0, 0}}, 12}, epochLog{[][2]int64{{0, 0}}, 10}, 10},
		{"leader moved on: old epoch ended at 8", epochLog{[][2]int64{{0, 0}}, 10}, epochLog{[][2]int64{{0, 0}, {1, 8}}, 20}, 8},
		// KIP-101 scenario 2 / KIP-279: A wrote m1,m2 (epoch 0) and B had
		// m1 only; both crashed; B came back first, led epoch 1 and wrote
		// m3 at offset 1. A returns as follower: it truncates to 1 (drops
		// m2), where HW-based truncation would have kept m2 (A's HW 2 was
		// ahead of what B has) and the logs diverged.
		{"KIP-101 double failover", epochLog{[][2]int64{{0, 0}}, 2}, epochLog{[][2]int64{{0, 0}, {1, 1}}, 2}, 1},
		// KIP-279: the follower led epoch 2 that the leader never saw;
		// the leader answers with epoch 1 and where it ended; the follower
		// truncates to where epoch 1 ended on its side too.
		{"follower epoch unknown to leader", epochLog{[][2]int64{{0, 0}, {1, 5}, {2, 7}}, 9}, epochLog{[][2]int64{{0, 0}, {1, 5}, {3, 8}}, 12}, 7},
		{"no common epoch", epochLog{[][2]int64{{4, 0}}, 3}, epochLog{leo: 0}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := truncate(tc.follower, tc.leader); got != tc.want {
				t.Fatalf("truncate to %d, want %d", got, tc.want)
			}
		})
	}
}
