package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Acks is the durability a producer waits for before a record counts as
// acknowledged.
type Acks string

const (
	// AcksLeader: acknowledged once the leader appended the record (written,
	// not fsynced). JetStream's default sync gives the same durability.
	AcksLeader Acks = "leader"
	// AcksAll: acknowledged once every in-sync replica has it on disk
	// (fsync). The peer runs with sync_interval: always.
	AcksAll Acks = "all"
)

// ServerConfig says how a System starts its servers for one run.
type ServerConfig struct {
	// SyncAlways asks for an fsync covering every acknowledged write
	// (JetStream sync_interval: always; ours: WAL sync always).
	SyncAlways bool
	// Replicas is the replication factor of the topics Create makes (0
	// and 1: none). Ours starts that many SPUs; a System that cannot
	// replicate returns an error wrapping ErrNotAvailable from Start.
	Replicas int
}

// Layout is what a run needs created before it starts: one topic of
// Partitions partitions. A System maps it to its own model: ours creates one
// topic with that many partitions; JetStream creates Partitions streams
// (one stream is JetStream's unit of ordering and storage, like a partition).
type Layout struct {
	Topic      string `json:"topic"`
	Partitions int    `json:"partitions"`
}

// Spec is one measured run, handed to a worker process as JSON.
type Spec struct {
	// Addr is where the worker connects (Instance.Addr).
	Addr string `json:"addr"`
	Layout
	// RecordSize is the value size of every record in bytes.
	RecordSize int `json:"record_size"`
	// Records bounds the run by count (produce: records sent; consume:
	// records expected; latency: samples).
	Records int `json:"records"`
	// Duration bounds the run by time; the worker stops at whichever of
	// Records and Duration comes first and reports what it did.
	Duration time.Duration `json:"duration"`
	// MaxInFlight and MaxInFlightBytes bound the unacknowledged records.
	MaxInFlight      int  `json:"max_in_flight"`
	MaxInFlightBytes int  `json:"max_in_flight_bytes"`
	Acks             Acks `json:"acks"`
	// MinDuration, when set, keeps a produce run going past Records until
	// it has lasted this long (the durable run: many group-commit windows);
	// Duration still bounds it. Every system stops on a record boundary
	// and reports how many it sent.
	MinDuration time.Duration `json:"min_duration,omitempty"`
	// PublishMode picks the peer's publish mode: "" (its default, one
	// acknowledgement per message), PublishFast or PublishAtomic. Ours
	// has one mode and ignores it.
	PublishMode string `json:"publish_mode,omitempty"`
	// BatchBytes sizes the peer's batches like our producer's (records
	// per batch = BatchBytes / RecordSize, at least 1).
	BatchBytes int `json:"batch_bytes,omitempty"`
}

// Peer publish modes (Spec.PublishMode).
const (
	// PublishDefault is one PublishAsync per message, each acknowledged.
	PublishDefault = ""
	// PublishFast is JetStream fast batch publishing (stream option
	// allow_batched): one batch per run, flow-control acks every N
	// messages, one PubAck at the end.
	PublishFast = "fast"
	// PublishAtomic is JetStream atomic batch publishing (stream option
	// allow_atomic): batches of BatchBytes, each committed by its last
	// message and acknowledged once; with sync_interval: always the server
	// fsyncs once per batch.
	PublishAtomic = "atomic"
)

// More reports whether a produce run that has sent sent records since
// start should send another: below Records, or below MinDuration, and
// never past Duration.
func (s Spec) More(sent int, start time.Time) bool {
	if sent%64 == 0 || sent < 64 {
		el := time.Since(start)
		if el >= s.Duration {
			return false
		}
		if sent >= s.Records {
			return el < s.MinDuration
		}
	}
	return sent < s.Records || s.MinDuration > 0
}

// Figures are the named numbers a run measured (for example "rec_s",
// "mb_s", "p50_us"), plus the counts behind them.
type Figures struct {
	Records int64              `json:"records"`
	Bytes   int64              `json:"bytes"`
	Elapsed time.Duration      `json:"elapsed"`
	Values  map[string]float64 `json:"values"`
	// Unavailable, when set, says why the system could not run this at
	// all; every figure of the run is then reported as n/a.
	Unavailable string `json:"unavailable,omitempty"`
}

// Set records value under name and returns f.
func (f *Figures) Set(name string, value float64) {
	if f.Values == nil {
		f.Values = map[string]float64{}
	}
	f.Values[name] = value
}

// Throughput fills rec_s and mb_s (1 MB = 10^6 bytes) from the counts.
func (f *Figures) Throughput() {
	secs := f.Elapsed.Seconds()
	if secs <= 0 {
		return
	}
	f.Set("rec_s", float64(f.Records)/secs)
	f.Set("mb_s", float64(f.Bytes)/secs/1e6)
}

// ErrNotAvailable marks a system or operation that cannot run on this
// build; the report shows n/a for it, never a number.
var ErrNotAvailable = errors.New("not available")

// NotAvailable returns an error wrapping ErrNotAvailable with a reason.
func NotAvailable(reason string) error {
	return fmt.Errorf("%w: %s", ErrNotAvailable, reason)
}

// System is a streaming system under test, as seen by the orchestrator.
// JetStream (package jetstream) and ours (package ours) implement it.
type System interface {
	// Name is the short name used in reports and passed to workers with
	// --system (for example "jetstream", "ours").
	Name() string
	// Available returns nil if the system can run here, or an error
	// wrapping ErrNotAvailable that says why not.
	Available(ctx context.Context) error
	// Start launches fresh servers as separate processes, with their data
	// in dir (a new empty directory), and returns once clients can connect.
	Start(ctx context.Context, dir string, cfg ServerConfig) (Instance, error)
}

// Instance is one running copy of a System's servers.
type Instance interface {
	// Addr is what a Driver connects to (a NATS URL, an SC address).
	Addr() string
	// Create makes the topic (or streams) of l and returns once it is ready
	// for produce and consume.
	Create(ctx context.Context, l Layout) error
	// DataPIDs are the processes whose memory and fsyncs count as the
	// system's: the nats-server; ours: the SC (itself a NATS with a
	// JetStream KV store) and the SPUs.
	DataPIDs() []int
	// GC runs a garbage collection in every process of DataPIDs (through
	// its Go profile endpoint, heap?gc=1), before idle memory is read.
	GC(ctx context.Context) error
	// Stop stops every process by PID and waits for them to exit.
	Stop(ctx context.Context) error
}

// BatchPublisher is a System whose driver has publish modes besides its
// default (Spec.PublishMode): the peer's batch publishing.
type BatchPublisher interface {
	PublishModes() []string
}

// Profiled is an Instance whose server processes serve Go profiles
// (/debug/pprof/): the runner's --profile collects them during each run.
type Profiled interface {
	// PprofAddrs are the processes' profile addresses, each with a short
	// name for the file (nats-server; sc, spu-5001, ...).
	PprofAddrs() map[string]string
}

// Parted is an Instance whose DataPIDs fall into named parts (ours: "sc"
// and "spu"): the memory figures are also shown part by part.
type Parted interface {
	Parts() map[string][]int
}

// WALFsyncer is an Instance that counts its own fsyncs (ours: the SPUs'
// fluvio_spu_fsync_duration_seconds histogram, every fsync of a replica's
// log files and directories).
type WALFsyncer interface {
	WALFsyncs(ctx context.Context) (int64, error)
}

// Driver is the client side of a System, run inside a bench-worker
// process: each call is one process's whole run.
type Driver interface {
	// Produce sends s.Records records of s.RecordSize bytes (or for
	// s.Duration) round-robin over the s.Partitions partitions, with at
	// most s.MaxInFlight records and s.MaxInFlightBytes bytes
	// unacknowledged, and reports rec_s and mb_s.
	Produce(ctx context.Context, s Spec) (Figures, error)
	// Consume reads partition 0 (every partition if there are several)
	// from offset 0 until s.Records records arrived (or s.Duration), and
	// reports rec_s and mb_s.
	Consume(ctx context.Context, s Spec) (Figures, error)
	// Latency measures, with one record in flight, produce->ack
	// (ack_p50_us, ack_p99_us) and produce->consumer-received
	// (e2e_p50_us, e2e_p99_us) over s.Records samples (or s.Duration).
	Latency(ctx context.Context, s Spec) (Figures, error)
}

// MarshalSpec and UnmarshalSpec carry a Spec on a worker's command line.
func MarshalSpec(s Spec) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("bench: encode spec: %w", err)
	}
	return string(b), nil
}

// UnmarshalSpec decodes a Spec written by MarshalSpec.
func UnmarshalSpec(text string) (Spec, error) {
	var s Spec
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return s, fmt.Errorf("bench: decode spec: %w", err)
	}
	return s, nil
}

// Names of the figures Driver.Latency returns.
const (
	AckP50us = "ack_p50_us"
	AckP99us = "ack_p99_us"
	E2EP50us = "e2e_p50_us"
	E2EP99us = "e2e_p99_us"
)
