package chaos

import (
	"fmt"
	"strings"
	"time"
)

// Summary is the one summary line of a run, for example:
//
//	chaos seed=42 duration=60s: acknowledged=17980 unknown=3 lost=0 moved=0 duplicated=0 out-of-order=0 divergent-replicas=0 elections=9 failover-p50=1.4s failover-p99=3.1s answers: duplicate-sequence=12 out-of-order-sequence=40 unknown-producer=0 faults: kills=4 pauses=3 restarts=3 stall-kills=2 new-topics=3 wipes=1 reregisters=1 corruptions=1
//
// The answers are the idempotence refusals the producers got from the
// leaders (Producer.Stats): they show that the faults reached the
// sequence checks while the producers pipelined.
func (r *Result) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "chaos seed=%d duration=%s", r.Seed, r.Duration)
	if r.Negative {
		b.WriteString(" negative-control (acks=leader, sync never)")
	}
	if r.NegativeResend {
		b.WriteString(" negative-control (refused sends reported stored)")
	}
	fmt.Fprintf(&b, ": acknowledged=%d unknown=%d lost=%d moved=%d duplicated=%d out-of-order=%d divergent-replicas=%d elections=%d failover-p50=%s failover-p99=%s",
		r.Acknowledged, r.Unknown, r.Lost, r.Moved, r.Duplicated, r.OutOfOrderTotal(), r.DivergentReplicas, r.Elections,
		seconds(percentile(r.Failovers, 0.5)), seconds(percentile(r.Failovers, 0.99)))
	fmt.Fprintf(&b, " answers: duplicate-sequence=%d out-of-order-sequence=%d unknown-producer=%d",
		r.Producers.DuplicateSequence, r.Producers.OutOfOrderSequence, r.Producers.UnknownProducerID)
	fmt.Fprintf(&b, " faults: kills=%d pauses=%d restarts=%d stall-kills=%d new-topics=%d wipes=%d reregisters=%d corruptions=%d",
		r.Faults[FaultKill], r.Faults[FaultPause], r.Faults[FaultRestart], r.Faults[FaultStallKill], r.Faults[FaultNewTopic],
		r.Faults[FaultWipe], r.Faults[FaultReregister], r.Faults[FaultCorrupt])
	if n := r.Faults[FaultSCKill]; n > 0 {
		fmt.Fprintf(&b, " sc-kills=%d", n)
	}
	ha := r.Faults[FaultActiveSCKill] + r.Faults[FaultActiveSCPause] + r.Faults[FaultNATSNodeKill] + r.Faults[FaultControlPlaneOutage]
	if ha > 0 {
		fmt.Fprintf(&b, " active-sc-kills=%d active-sc-pauses=%d nats-node-kills=%d control-plane-outages=%d sc-failovers=%d sc-failover-p50=%s sc-failover-p99=%s",
			r.Faults[FaultActiveSCKill], r.Faults[FaultActiveSCPause], r.Faults[FaultNATSNodeKill], r.Faults[FaultControlPlaneOutage],
			len(r.SCFailovers), seconds(percentile(r.SCFailovers, 0.5)), seconds(percentile(r.SCFailovers, 0.99)))
	}
	return b.String()
}

// seconds prints d in seconds with one decimal ("1.4s").
func seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }
