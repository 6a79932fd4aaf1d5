package runner

import (
	"fmt"
	"time"

	"github.com/fluvio-go/fluvio/bench/limits"
)

// Mode bounds every workload of a run.
type Mode struct {
	Name string
	// Reps is how many times each workload runs per system (the median is
	// reported).
	Reps int
	// Records and Duration bound each throughput run (whichever comes
	// first); BytesBudget also caps Records for large records.
	Records     int
	Duration    time.Duration
	BytesBudget int64
	// DurableRecords, DurableMinDuration and DurableMaxDuration bound the
	// acks=all / sync always runs: every system sends at least
	// DurableRecords and goes on until DurableMinDuration has passed (many
	// group-commit windows), stopping on a record boundary, and never
	// past DurableMaxDuration.
	DurableRecords     int
	DurableMinDuration time.Duration
	DurableMaxDuration time.Duration
	// PeerModeSizes are the record sizes at which the peer also publishes
	// in its batch modes (fast and atomic), the "best mode" column.
	PeerModeSizes []int
	// MemoryMaxDuration bounds the record-bounded produce of the memory
	// run (K partitions): both systems write the same records per
	// partition unless one hits this bound (the table shows the records
	// per partition each wrote).
	MemoryMaxDuration time.Duration
	// LatencySamples and LatencyDuration bound each latency phase.
	LatencySamples  int
	LatencyDuration time.Duration
	// Partitions is K of the "1,000 partitions vs 1,000 streams" figures.
	Partitions int
	// IdleWait is how long the server idles after traffic before the
	// "written, idle" memory figure (JetStream's cache expires after 10 s;
	// more than 10 s in every mode but tiny).
	IdleWait time.Duration
	// SizeCurve and PartitionCurve are the cost curves' points.
	SizeCurve      []int
	PartitionCurve []int
	// MaxInFlight and MaxInFlightBytes bound unacknowledged records.
	MaxInFlight      int
	MaxInFlightBytes int
	Limits           func(dir string) limits.Config
}

// Quick finishes in well under two minutes on the 2-core machine.
func Quick() Mode {
	return Mode{Name: "quick", Reps: 3,
		Records: 100_000, Duration: time.Second, BytesBudget: 128 << 20,
		DurableRecords: 5_000, DurableMaxDuration: 30 * time.Second,
		PeerModeSizes:  []int{100, 1024, 100 << 10},
		LatencySamples: 1_000, LatencyDuration: time.Second,
		Partitions: 100, IdleWait: 11 * time.Second, MemoryMaxDuration: 30 * time.Second,
		SizeCurve:      []int{16, 100, 1024, 100 << 10},
		PartitionCurve: []int{1, 16, 100},
		MaxInFlight:    1000, MaxInFlightBytes: 1 << 20,
		Limits: limits.Quick}
}

// Full is make bench: 1,000,000 records or 20 s per run, 1,000 partitions.
func Full() Mode {
	return Mode{Name: "full", Reps: 3,
		Records: 1_000_000, Duration: 20 * time.Second, BytesBudget: 4 << 30,
		DurableRecords: 5_000, DurableMinDuration: 20 * time.Second, DurableMaxDuration: 60 * time.Second,
		PeerModeSizes:  []int{100, 1024, 100 << 10, 1 << 20},
		LatencySamples: 20_000, LatencyDuration: 10 * time.Second,
		Partitions: 1000, IdleWait: 12 * time.Second, MemoryMaxDuration: 120 * time.Second,
		SizeCurve:      []int{16, 100, 1024, 10 << 10, 100 << 10, 1 << 20},
		PartitionCurve: []int{1, 4, 16, 64, 256, 1000},
		MaxInFlight:    1000, MaxInFlightBytes: 1 << 20,
		Limits: limits.Full}
}

// Tiny is for the smoke test: a few hundred records, one repetition.
func Tiny() Mode {
	return Mode{Name: "tiny", Reps: 1,
		Records: 500, Duration: time.Second, BytesBudget: 4 << 20,
		DurableRecords: 50, DurableMaxDuration: 10 * time.Second, PeerModeSizes: []int{1024},
		LatencySamples: 50, LatencyDuration: 500 * time.Millisecond,
		Partitions: 5, IdleWait: 0, MemoryMaxDuration: 10 * time.Second,
		SizeCurve:      []int{100, 1024},
		PartitionCurve: []int{1, 5},
		MaxInFlight:    100, MaxInFlightBytes: 1 << 20,
		Limits: func(dir string) limits.Config {
			return limits.Config{Dir: dir, SeqWriteBytes: 4 << 20, Fsyncs: 20, FsyncTime: 100 * time.Millisecond,
				TCPTime: 50 * time.Millisecond, TCPBytes: 64 << 20, PingPongs: 200, PingPongTime: 100 * time.Millisecond}
		}}
}

// ModeByName returns quick, full or tiny.
func ModeByName(name string) (Mode, error) {
	switch name {
	case "quick":
		return Quick(), nil
	case "full":
		return Full(), nil
	case "tiny":
		return Tiny(), nil
	}
	return Mode{}, fmt.Errorf("runner: unknown mode %q (quick, full or tiny)", name)
}

// records caps n by the bytes budget for records of size bytes.
func (m Mode) records(n, size int) int {
	if m.BytesBudget > 0 {
		n = int(min(int64(n), max(1, m.BytesBudget/int64(size))))
	}
	return n
}
