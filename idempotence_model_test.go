package fluvio

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
	"pgregory.net/rapid"
)

// The model test of idempotent produce: the real client
// pipeline (Producer, partitionQueue) against the real leader table
// (replica.Producers) behind a fake log, under a drawn script of faults:
// refusals (retriable and permanent) before the leader's check, the
// client's own send failing, answers lost after the leader decided,
// leader changes (the table rebuilt from the log), truncation of the
// unacknowledged tail before a leader change, a new leader that copied
// only the first batch of a request whose answer was lost (its resend is
// PartlyDuplicate), and retention dropping
// settled batches (so the new leader forgets the producer). Invariant:
// every record whose Send result is success is in the log exactly once,
// on its partition, at the offset it was told; no record is stored twice;
// each partition's log holds its records in Send order.

// modelChecksEnv overrides the number of sequences (1,000 by default).
const modelChecksEnv = "FLUVIO_MODEL_CHECKS"

// Per-request faults, drawn by the script.
const (
	faultNone       = iota
	faultSendErr    // the client's send fails: the leader never sees it
	faultRetriable  // refused before the check: not leader, not enough replicas, unknown partition
	faultPermanent  // refused for good before the check: invalid record
	faultLoseAnswer // the leader decides, the answer is lost
	faultPartial    // as faultLoseAnswer, and the next leader copied only the request's first batch
	numFaults
)

// Events before a request is processed.
const (
	eventNone     = iota
	eventLeader   // leader change: the table is rebuilt from the log
	eventTruncate // the unacknowledged tail is truncated, then a leader change
	eventRetain   // retention drops settled batches, then a leader change
	numEvents
)

// modelCall is the script of one produce request, by call number.
type modelCall struct {
	Fault   int
	Event   int
	Drop    int // batches truncated or retained away, at most
	Latency int // ms before the answer arrives
	Refusal int // which retriable refusal
}

// modelScript is one drawn sequence.
type modelScript struct {
	Partitions int
	InFlight   int
	Retries    int
	BatchSize  int
	Records    []modelRecord
	Calls      []modelCall
}

type modelRecord struct {
	Part  int
	Pause int // ms before Send
	Size  int
}

var modelScriptGen = rapid.Custom(func(t *rapid.T) modelScript {
	s := modelScript{
		Partitions: rapid.IntRange(1, 2).Draw(t, "partitions"),
		InFlight:   rapid.IntRange(1, 5).Draw(t, "inflight"),
		Retries:    rapid.IntRange(1, 6).Draw(t, "retries"),
		BatchSize:  rapid.SampledFrom([]int{100, 150, 300}).Draw(t, "batchSize"),
	}
	n := rapid.IntRange(1, 40).Draw(t, "records")
	for range n {
		s.Records = append(s.Records, modelRecord{
			Part:  rapid.IntRange(0, s.Partitions-1).Draw(t, "part"),
			Pause: rapid.SampledFrom([]int{0, 0, 0, 1, 3}).Draw(t, "pause"),
			Size:  rapid.IntRange(1, 40).Draw(t, "size"),
		})
	}
	calls := rapid.IntRange(0, 60).Draw(t, "calls")
	for range calls {
		c := modelCall{Latency: rapid.IntRange(0, 3).Draw(t, "latency")}
		// Mostly clean requests, so that sequences get somewhere.
		if rapid.IntRange(0, 2).Draw(t, "faulty") == 0 {
			c.Fault = rapid.IntRange(1, numFaults-1).Draw(t, "fault")
			c.Refusal = rapid.IntRange(0, 2).Draw(t, "refusal")
		}
		if rapid.IntRange(0, 3).Draw(t, "eventful") == 0 {
			c.Event = rapid.IntRange(1, numEvents-1).Draw(t, "event")
			c.Drop = rapid.IntRange(1, 4).Draw(t, "drop")
		}
		s.Calls = append(s.Calls, c)
	}
	return s
})

// modelCounts are the kinds of faults and answers a run reached.
type modelCounts map[string]int

func (c modelCounts) add(o modelCounts) {
	for k, v := range o {
		c[k] += v
	}
}

// modelEntry is one stored batch of the fake log.
type modelEntry struct {
	b         []byte // offset set
	ids       []int  // record ids
	acked     bool   // an answer naming it reached the client
	truncated bool
}

// modelPart is one partition of the fake log: entries[:start] were
// dropped by retention (they still count as stored), entries[start:] are
// the log.
type modelPart struct {
	entries []*modelEntry
	start   int
	next    int64
	table   *replica.Producers
}

// modelLog is the fake transport: a leader per partition that checks
// idempotent batches with the real table and appends in call order.
type modelLog struct {
	script  *modelScript
	settled func(id int) bool // the record's result reached Send's caller

	mu     sync.Mutex
	calls  int
	parts  []*modelPart
	counts modelCounts
	trace  []string // what each call did, for a failure's message
}

func newModelLog(s *modelScript, settled func(int) bool) *modelLog {
	m := &modelLog{script: s, settled: settled, counts: modelCounts{}}
	for range s.Partitions {
		m.parts = append(m.parts, &modelPart{table: replica.NewProducers(0)})
	}
	return m
}

func (m *modelLog) partitions(context.Context, string) (int32, error) {
	return int32(len(m.parts)), nil
}

func modelID(b []byte) []int {
	d, _, err := batch.Decode(b)
	if err != nil {
		panic(err)
	}
	var ids []int
	for _, r := range d.Records {
		id, err := strconv.Atoi(string(bytes.TrimLeft(r.Value[:6], "r")))
		if err != nil {
			panic(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (m *modelLog) startProduce(ctx context.Context, c produceCall) func(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	var sc modelCall
	if m.calls <= len(m.script.Calls) {
		sc = m.script.Calls[m.calls-1]
	}
	p := m.parts[c.partition]
	m.event(p, sc)
	var base int64 = -1
	var err error
	var answerFor []*modelEntry
	switch sc.Fault {
	case faultSendErr:
		m.counts["send error"]++
		err = notSent(markRetriable(fmt.Errorf("t partition %d: no connection: %w", c.partition, wire.ErrConnClosed)))
	case faultRetriable:
		m.counts["refused: retriable"]++
		code := []*wire.Error{wire.ErrNotLeader, wire.ErrNotEnoughReplicas, wire.ErrUnknownTopicOrPartition}[sc.Refusal]
		err = markRetriable(fmt.Errorf("t partition %d: %w", c.partition, code))
	case faultPermanent:
		m.counts["refused: permanent"]++
		err = fmt.Errorf("t partition %d: %w", c.partition, wire.InvalidRecord.Err())
	default:
		base, answerFor, err = m.leader(p, c.records)
	}
	if sc.Fault == faultPartial && len(answerFor) > 1 && err == nil {
		// A follower that had copied only the first batch becomes
		// leader: the request's other batches are gone (never
		// acknowledged: the answer is lost below).
		m.counts["partial copy"]++
		for _, e := range answerFor[1:] {
			e.truncated = true
		}
		p.entries = p.entries[:len(p.entries)-len(answerFor)+1]
		p.next = batch.NextOffset(answerFor[0].b)
		m.counts["leader change"]++
		p.table = replica.NewProducers(0)
		for _, e := range p.entries[p.start:] {
			p.table.RecordBatches(e.b)
		}
	}
	if sc.Fault == faultLoseAnswer || sc.Fault == faultPartial {
		m.counts["answer lost"]++
		base, answerFor, err = -1, nil, markRetriable(fmt.Errorf("t partition %d: %w", c.partition, wire.ErrConnClosed))
	}
	var desc []string
	for b := range batch.All(c.records) {
		sb := replica.SeqBatchOf(b)
		desc = append(desc, fmt.Sprintf("%v e%d s%d+%d", modelID(b), sb.Epoch, sb.Seq, sb.Count))
	}
	m.trace = append(m.trace, fmt.Sprintf("call %d p%d %v fault %d event %d: base %d err %v", m.calls, c.partition, desc, sc.Fault, sc.Event, base, err))
	latency := time.Duration(sc.Latency) * time.Millisecond
	return func(ctx context.Context) (int64, error) {
		if latency > 0 {
			if err := sleepCtx(ctx, latency); err != nil {
				return -1, err
			}
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, e := range answerFor {
			if e.truncated {
				// Truncated before its answer left: the leader lost its
				// leadership first (acks=all: not committed).
				m.counts["answer for a truncated batch"]++
				return -1, markRetriable(fmt.Errorf("t partition %d: %w", c.partition, wire.NotLeader.ErrMsg("stopped leading before the offset was committed")))
			}
		}
		for _, e := range answerFor {
			e.acked = true
		}
		return base, err
	}
}

// leader checks and appends one request as Replica.Append does; mu held.
func (m *modelLog) leader(p *modelPart, records []byte) (int64, []*modelEntry, error) {
	var seqs []replica.SeqBatch
	var bs [][]byte
	for b, err := range batch.All(records) {
		if err != nil {
			panic(err)
		}
		seqs = append(seqs, replica.SeqBatchOf(b))
		bs = append(bs, b)
	}
	dupBase, dup, err := p.table.Check(seqs)
	err = spu.WireError(err) // as the leader answers (spu/errors.go)
	if err != nil {
		m.counts["leader: "+wire.CodeOf(err).String()]++
		if wire.IsRetriable(err) {
			err = markRetriable(err)
		}
		return -1, nil, err
	}
	if dup {
		m.counts["leader: duplicate sequence"]++
		var covered []*modelEntry
		end := dupBase + int64(len(modelIDs(bs)))
		for _, e := range p.entries[p.start:] {
			if batch.BaseOffset(e.b) < end && batch.NextOffset(e.b) > dupBase {
				covered = append(covered, e)
			}
		}
		return dupBase, covered, wire.DuplicateSequence.ErrMsg(fmt.Sprintf("stored before at offset %d", dupBase))
	}
	base := p.next
	var added []*modelEntry
	for _, b := range bs {
		b = bytes.Clone(b)
		batch.SetBaseOffset(b, p.next)
		e := &modelEntry{b: b, ids: modelID(b)}
		p.entries = append(p.entries, e)
		added = append(added, e)
		p.table.RecordBatches(b)
		p.next = batch.NextOffset(b)
	}
	return base, added, nil
}

func modelIDs(bs [][]byte) []int {
	var ids []int
	for _, b := range bs {
		ids = append(ids, modelID(b)...)
	}
	return ids
}

// event applies the script's event before a request; mu held.
func (m *modelLog) event(p *modelPart, sc modelCall) {
	switch sc.Event {
	case eventNone:
		return
	case eventTruncate:
		// Only what no answer has acknowledged (acks=all: above the
		// high watermark), never what retention already dropped.
		n := 0
		for n < sc.Drop && len(p.entries) > p.start && !p.entries[len(p.entries)-1].acked {
			last := p.entries[len(p.entries)-1]
			last.truncated = true
			p.entries = p.entries[:len(p.entries)-1]
			p.next = batch.BaseOffset(last.b)
			n++
		}
		if n > 0 {
			m.counts["truncated"]++
		}
	case eventRetain:
		n := 0
	retain:
		for n < sc.Drop && p.start < len(p.entries) {
			for _, id := range p.entries[p.start].ids {
				if !m.settled(id) {
					break retain
				}
			}
			p.start++
			n++
		}
		if n > 0 {
			m.counts["retention"]++
		}
	}
	m.counts["leader change"]++
	p.table = replica.NewProducers(0)
	for _, e := range p.entries[p.start:] {
		p.table.RecordBatches(e.b)
	}
}

// modelResult is one record's outcome.
type modelResult struct {
	off Offset
	err error
}

// runModel runs one script and returns the first broken invariant, or
// nil, with the counts of what it reached. unsafe turns on the old client
// rule (the negative control).
func runModel(t *testing.T, s modelScript, unsafe bool) (counts modelCounts, violation error) {
	synctest.Test(t, func(t *testing.T) {
		dones := make([]chan SendResult, len(s.Records))
		for i := range dones {
			dones[i] = make(chan SendResult, 1)
		}
		results := make([]*modelResult, len(s.Records))
		var resMu sync.Mutex
		settled := func(id int) bool {
			resMu.Lock()
			defer resMu.Unlock()
			return results[id] != nil || len(dones[id]) > 0
		}
		m := newModelLog(&s, settled)
		opts := []ProducerOption{
			WithLinger(0), WithBatchSize(s.BatchSize), WithMaxInFlight(s.InFlight), WithRetries(s.Retries, time.Millisecond),
			WithPartitioner(PartitionerFunc(func(key []byte, n int32) int32 { return int32(key[0]) })),
		}
		if unsafe {
			opts = append(opts, func(c *producerConfig) { c.unsafeRefusedResendStored = true })
		}
		p, err := newProducer(context.Background(), m, slog.New(slog.DiscardHandler), "t", opts)
		if err != nil {
			violation = err
			return
		}
		ctx := context.Background()
		for i, r := range s.Records {
			if r.Pause > 0 {
				time.Sleep(time.Duration(r.Pause) * time.Millisecond)
			}
			value := fmt.Appendf(nil, "r%05d", i)
			value = append(value, bytes.Repeat([]byte{'.'}, r.Size)...)
			if _, _, err := p.send(ctx, []byte{byte(r.Part)}, value, nil, dones[i], true); err != nil {
				violation = fmt.Errorf("send %d: %w", i, err)
				return
			}
		}
		_ = p.Close() // per-record results are checked below
		for i, d := range dones {
			select {
			case r := <-d:
				resMu.Lock()
				results[i] = &modelResult{off: r.Offset, err: r.Err}
				resMu.Unlock()
			default:
				violation = fmt.Errorf("record %d: no result after Close", i)
				return
			}
		}
		st := p.Stats()
		m.mu.Lock()
		defer m.mu.Unlock()
		counts = m.counts
		counts["producer: epoch bump"] += int(st.EpochBumps)
		for _, r := range results {
			if r.err == nil {
				counts["records: success"]++
			} else {
				counts["records: failed"]++
			}
		}
		violation = checkModel(s, m, results)
		if violation != nil && testing.Verbose() {
			for _, l := range m.trace {
				t.Log(l)
			}
			for i, r := range results {
				t.Logf("record %d: %d %v", i, r.off, r.err)
			}
		}
	})
	return counts, violation
}

// checkModel checks the invariant over the log's history (retained-away
// batches included, truncated ones not).
func checkModel(s modelScript, m *modelLog, results []*modelResult) error {
	type place struct {
		part int
		off  int64
	}
	where := map[int][]place{}
	for pi, p := range m.parts {
		last := -1
		for _, e := range p.entries {
			base := batch.BaseOffset(e.b)
			for j, id := range e.ids {
				where[id] = append(where[id], place{pi, base + int64(j)})
				if id <= last {
					return fmt.Errorf("partition %d: record %d stored after record %d (Send order broken)", pi, id, last)
				}
				last = id
			}
		}
	}
	for id, r := range results {
		w := where[id]
		if len(w) > 1 {
			return fmt.Errorf("record %d stored %d times: %v (result %v, %v)", id, len(w), w, r.off, r.err)
		}
		if r.err != nil {
			continue
		}
		if len(w) == 0 {
			return fmt.Errorf("record %d reported stored at offset %d, not in the log", id, r.off)
		}
		if w[0].part != s.Records[id].Part || int64(r.off) != w[0].off {
			return fmt.Errorf("record %d reported stored at offset %d, stored at partition %d offset %d", id, r.off, w[0].part, w[0].off)
		}
	}
	return nil
}

// modelChecks returns the number of sequences: $FLUVIO_MODEL_CHECKS, or
// -rapid.checks if given, else n.
func modelChecks(t *testing.T, n int) func() {
	if s := os.Getenv(modelChecksEnv); s != "" {
		v, err := strconv.Atoi(s)
		testkit.NoErr(t, err)
		n = v
	}
	f := flag.Lookup("rapid.checks")
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if f == nil || set {
		return func() {}
	}
	old := f.Value.String()
	testkit.NoErr(t, f.Value.Set(strconv.Itoa(n)))
	return func() { _ = f.Value.Set(old) }
}

// TestIdempotenceModel: 1,000 drawn sequences (FLUVIO_MODEL_CHECKS=10000
// for the long run); logs the count of each fault and answer kind reached
// and fails if one was never reached (the test would not be testing it).
func TestIdempotenceModel(t *testing.T) {
	defer modelChecks(t, 1000)()
	total := modelCounts{}
	runs := 0
	rapid.Check(t, func(rt *rapid.T) {
		s := modelScriptGen.Draw(rt, "script")
		counts, violation := runModel(t, s, false)
		total.add(counts)
		runs++
		if violation != nil {
			rt.Fatal(violation)
		}
	})
	if t.Failed() {
		return
	}
	t.Logf("%d sequences; reached: %v", runs, total)
	for _, k := range []string{
		"send error", "refused: retriable", "refused: permanent", "answer lost", "answer for a truncated batch",
		"leader change", "truncated", "retention", "partial copy", "producer: epoch bump", "records: success", "records: failed",
		"leader: duplicate sequence", "leader: out of order sequence", "leader: unknown producer id", "leader: partly duplicate request",
	} {
		if total[k] == 0 {
			t.Errorf("no sequence reached %q", k)
		}
	}
	// Never reached by this client: a retry is always among the leader's
	// last 5 runs (MaxIdempotentInFlight), and no batch of an older epoch
	// is sent once a newer one may be stored.
	for _, k := range []string{"leader: sequence too old", "leader: invalid producer epoch"} {
		if total[k] != 0 {
			t.Errorf("%d answers %q", total[k], k)
		}
	}
}

// TestIdempotenceModelNegativeControl: with the client rule that lost
// records (a resend refused with a sequence error completed as stored),
// the same scripts break the invariant: the check sees the loss.
func TestIdempotenceModelNegativeControl(t *testing.T) {
	const n = 300
	for i := range n {
		s := modelScriptGen.Example(i)
		if _, violation := runModel(t, s, true); violation != nil {
			t.Logf("script %d of %d: %v", i, n, violation)
			return
		}
	}
	t.Fatalf("no violation in %d scripts with the old client rule: the model does not see the loss", n)
}
