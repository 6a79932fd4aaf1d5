package bench

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Microsecond)
	}
	if got := Percentile(s, 0.5); got != 50*time.Microsecond {
		t.Errorf("p50 = %v, want 50µs", got)
	}
	if got := Percentile(s, 0.99); got != 99*time.Microsecond {
		t.Errorf("p99 = %v, want 99µs", got)
	}
	if got := Percentile(s, 1); got != 100*time.Microsecond {
		t.Errorf("p100 = %v, want 100µs", got)
	}
	if got := Percentile(nil, 0.5); got != 0 {
		t.Errorf("p50 of nothing = %v, want 0", got)
	}
	if got := Percentile([]time.Duration{7}, 0.01); got != 7 {
		t.Errorf("p1 of one = %v, want 7", got)
	}
}

func TestThroughput(t *testing.T) {
	f := Figures{Records: 1000, Bytes: 2_000_000, Elapsed: 2 * time.Second}
	f.Throughput()
	if f.Values["rec_s"] != 500 || f.Values["mb_s"] != 1 {
		t.Errorf("values = %v, want rec_s 500, mb_s 1", f.Values)
	}
	var zero Figures
	zero.Throughput()
	if len(zero.Values) != 0 {
		t.Errorf("zero elapsed gave %v", zero.Values)
	}
}

func TestSpecRoundTrip(t *testing.T) {
	in := Spec{Addr: "nats://127.0.0.1:1", Layout: Layout{Topic: "t", Partitions: 3}, RecordSize: 100,
		Records: 10, Duration: time.Second, MaxInFlight: 1000, MaxInFlightBytes: 1 << 20, Acks: AcksAll}
	text, err := MarshalSpec(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := UnmarshalSpec(text)
	if err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Errorf("round trip: got %+v, want %+v", out, in)
	}
	if _, err := UnmarshalSpec("{"); err == nil {
		t.Error("bad JSON: no error")
	}
}

func TestNotAvailable(t *testing.T) {
	err := NotAvailable("no reason")
	if !errors.Is(err, ErrNotAvailable) || err.Error() != "not available: no reason" {
		t.Errorf("err = %v", err)
	}
}
