package chaos

import (
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// log builds a replica log of values at offsets 0.. in one epoch.
func log(values ...string) []StoredRecord {
	out := make([]StoredRecord, len(values))
	for i, v := range values {
		out[i] = StoredRecord{Offset: int64(i), Value: v, Epoch: 1, CRC: uint32(i)}
	}
	return out
}

// agreeing returns a partition whose three replicas hold the same log,
// all of it committed.
func agreeing(part int32, values ...string) PartitionLogs {
	return PartitionLogs{
		Partition: part, Leader: 1, ISR: []int32{1, 2, 3}, HW: int64(len(values)),
		Replicas: []ReplicaLog{{SPU: 1, Records: log(values...)}, {SPU: 2, Records: log(values...)}, {SPU: 3, Records: log(values...)}},
	}
}

func ack(producer int, seq int64, part int32, off int64) Ack {
	return Ack{Producer: producer, Seq: seq, Partition: part, Offset: off, Value: Value(producer, seq), At: t0.Add(time.Duration(off) * time.Second)}
}

func TestCheckClean(t *testing.T) {
	h := History{Acks: []Ack{ack(0, 0, 0, 0), ack(1, 0, 0, 1), ack(0, 1, 0, 2)}, Unknown: []Unknown{{Producer: 1, Seq: 1, Partition: 0, Value: "p1-1"}}}
	r := Check(h, []PartitionLogs{agreeing(0, "p0-0", "p1-0", "p0-1", "p1-1")})
	if !r.OK() || r.Acknowledged != 3 || r.Unknown != 1 {
		t.Fatalf("clean history: %s; problems %v", r.Summary(), r.Problems)
	}
}

func TestCheckLost(t *testing.T) {
	h := History{Acks: []Ack{ack(0, 0, 0, 0), ack(0, 1, 0, 1), ack(0, 2, 0, 2)}}
	// The leader truncated p0-1 and p0-2 and wrote other records there.
	r := Check(h, []PartitionLogs{agreeing(0, "p0-0", "p1-0", "p1-1")})
	if r.Lost != 2 || r.OK() {
		t.Fatalf("lost=%d, want 2; problems %v", r.Lost, r.Problems)
	}
	if !strings.Contains(r.Problems[0], "lost p0-1") {
		t.Errorf("first problem %q does not name the lost value", r.Problems[0])
	}
}

func TestCheckMoved(t *testing.T) {
	h := History{Acks: []Ack{ack(0, 0, 0, 0), ack(0, 1, 0, 1)}}
	r := Check(h, []PartitionLogs{agreeing(0, "p0-0", "p9-0", "p0-1")})
	if r.Moved != 1 || r.Lost != 0 || r.OK() {
		t.Fatalf("moved=%d lost=%d, want 1 and 0; problems %v", r.Moved, r.Lost, r.Problems)
	}
}

func TestCheckDuplicated(t *testing.T) {
	h := History{Acks: []Ack{ack(0, 0, 0, 0), ack(0, 1, 0, 1)}}
	r := Check(h, []PartitionLogs{agreeing(0, "p0-0", "p0-1", "p0-1", "p0-1")})
	if r.Duplicated != 2 || r.OK() {
		t.Fatalf("duplicated=%d, want 2; problems %v", r.Duplicated, r.Problems)
	}
}

func TestCheckReorderedInLog(t *testing.T) {
	// Unacknowledged but stored: order still counts.
	h := History{Unknown: []Unknown{{Producer: 0, Seq: 0, Value: "p0-0"}, {Producer: 0, Seq: 1, Value: "p0-1"}}}
	r := Check(h, []PartitionLogs{agreeing(2, "p0-1", "p0-0")})
	if r.OutOfOrder[2] != 1 || r.OutOfOrderTotal() != 1 || r.OK() {
		t.Fatalf("out-of-order=%v, want partition 2: 1; problems %v", r.OutOfOrder, r.Problems)
	}
}

func TestCheckReorderedAcks(t *testing.T) {
	// The log is in order but the answers were not: sequence 1 was
	// acknowledged at an offset below sequence 0's.
	h := History{Acks: []Ack{ack(0, 0, 0, 1), ack(0, 1, 0, 0)}}
	h.Acks[0].Value, h.Acks[1].Value = "p0-0", "p0-1"
	r := Check(h, []PartitionLogs{agreeing(0, "p0-1", "p0-0")})
	// Both the log (p0-0 after p0-1) and the acknowledgements are out of order.
	if r.OutOfOrder[0] != 2 || r.OK() {
		t.Fatalf("out-of-order=%v, want partition 0: 2; problems %v", r.OutOfOrder, r.Problems)
	}
}

func TestCheckDivergence(t *testing.T) {
	cases := map[string]func(p *PartitionLogs){
		"follower value differs": func(p *PartitionLogs) { p.Replicas[1].Records[1].Value = "p7-7" },
		"follower batch differs": func(p *PartitionLogs) { p.Replicas[2].Records[0].CRC = 99 },
		"follower epoch differs": func(p *PartitionLogs) { p.Replicas[2].Records[2].Epoch = 2 },
		"follower truncated":     func(p *PartitionLogs) { p.Replicas[1].Records = p.Replicas[1].Records[:1] },
		"follower unreadable":    func(p *PartitionLogs) { p.Replicas[2].Err = errTest },
		"leader gap below HW":    func(p *PartitionLogs) { p.HW = 5 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			p := agreeing(0, "p0-0", "p0-1", "p0-2")
			mutate(&p)
			r := Check(History{}, []PartitionLogs{p})
			if r.DivergentReplicas != 1 || r.OK() {
				t.Fatalf("divergent=%d, want 1; problems %v", r.DivergentReplicas, r.Problems)
			}
		})
	}
}

func TestCheckDivergenceOnlyBelowHW(t *testing.T) {
	p := agreeing(0, "p0-0", "p0-1", "p0-2")
	p.HW = 2
	p.Replicas[1].Records[2].Value = "p5-5" // above the HW: not yet committed
	p.Replicas[2].Records = p.Replicas[2].Records[:2]
	if r := Check(History{}, []PartitionLogs{p}); r.DivergentReplicas != 0 {
		t.Fatalf("divergent=%d above the HW; problems %v", r.DivergentReplicas, r.Problems)
	}
	// A replica outside the ISR may lag but not differ.
	p.ISR = []int32{1, 2}
	p.Replicas[2].Records = p.Replicas[2].Records[:1]
	if r := Check(History{}, []PartitionLogs{p}); r.DivergentReplicas != 0 {
		t.Fatalf("lagging out-of-ISR replica counted divergent: %v", r.Problems)
	}
	p.Replicas[2].Records[0].Value = "p6-6"
	if r := Check(History{}, []PartitionLogs{p}); r.DivergentReplicas != 1 {
		t.Fatalf("differing out-of-ISR replica: divergent=%d, want 1", r.DivergentReplicas)
	}
}

func TestCheckReferenceIsLeader(t *testing.T) {
	// The leader (SPU 2) lost the acknowledged record; a follower kept it.
	h := History{Acks: []Ack{ack(0, 0, 0, 0)}}
	p := agreeing(0, "p0-0")
	p.Leader = 2
	p.Replicas[1].Records[0].Value = "p3-3"
	r := Check(h, []PartitionLogs{p})
	if r.Lost != 1 || r.DivergentReplicas != 2 {
		t.Fatalf("lost=%d divergent=%d, want 1 and 2; problems %v", r.Lost, r.DivergentReplicas, r.Problems)
	}
}

func TestFailovers(t *testing.T) {
	h := History{
		Acks: []Ack{
			{Partition: 0, At: t0.Add(1 * time.Second)},
			{Partition: 0, At: t0.Add(5 * time.Second)},
			{Partition: 1, At: t0.Add(12 * time.Second)},
		},
		Faults: []Fault{
			{Kind: FaultKill, Led: []int32{0, 1}, At: t0.Add(2 * time.Second)}, // p0: 3s, p1: 10s
			{Kind: FaultRestart, Led: []int32{0}, At: t0},                      // not a leader fault: ignored
			{Kind: FaultPause, Led: []int32{0}, At: t0.Add(20 * time.Second)},  // never acknowledged again: left out
		},
	}
	got := failovers(h)
	if len(got) != 2 || got[0] != 3*time.Second || got[1] != 10*time.Second {
		t.Fatalf("failovers %v, want [3s 10s]", got)
	}
	if p := percentile(got, 0.5); p != 3*time.Second {
		t.Errorf("p50 %v, want 3s", p)
	}
	if p := percentile(got, 0.99); p != 10*time.Second {
		t.Errorf("p99 %v, want 10s", p)
	}
	if p := percentile(nil, 0.5); p != 0 {
		t.Errorf("p50 of nothing %v", p)
	}
}

func TestSummary(t *testing.T) {
	r := Result{Seed: 42, Duration: time.Minute, Acknowledged: 10, Elections: 3, OutOfOrder: map[int32]int{0: 1, 2: 2},
		Failovers: []time.Duration{time.Second, 2 * time.Second}, Faults: map[FaultKind]int{FaultKill: 2, FaultPause: 1, FaultNewTopic: 4},
		Producers: fluvio.ProducerStats{DuplicateSequence: 5, OutOfOrderSequence: 7, UnknownProducerID: 1}}
	want := "chaos seed=42 duration=1m0s: acknowledged=10 unknown=0 lost=0 moved=0 duplicated=0 out-of-order=3 divergent-replicas=0 elections=3 failover-p50=1.0s failover-p99=2.0s answers: duplicate-sequence=5 out-of-order-sequence=7 unknown-producer=1 faults: kills=2 pauses=1 restarts=0 stall-kills=0 new-topics=4 wipes=0 reregisters=0 corruptions=0"
	if got := r.Summary(); got != want {
		t.Fatalf("summary\n got %s\nwant %s", got, want)
	}
}

func TestParseValue(t *testing.T) {
	if p, s, ok := parseValue(Value(12, 3456)); !ok || p != 12 || s != 3456 {
		t.Fatalf("parseValue(Value(12, 3456)) = %d %d %v", p, s, ok)
	}
	for _, bad := range []string{"", "p", "p1", "x1-2", "p-1-2", "p1-", "pa-1"} {
		if _, _, ok := parseValue(bad); ok {
			t.Errorf("parseValue(%q) ok", bad)
		}
	}
}

var errTest = errorString("unreadable")

type errorString string

func (e errorString) Error() string { return string(e) }
