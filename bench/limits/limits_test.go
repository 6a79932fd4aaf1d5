package limits

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestProbeSmoke runs every probe with tiny bounds: no timing assertion,
// only well-formed, positive figures.
func TestProbeSmoke(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), SeqWriteBytes: 4 << 20, Fsyncs: 20, FsyncTime: 200 * time.Millisecond,
		TCPTime: 50 * time.Millisecond, TCPBytes: 64 << 20, PingPongs: 200, PingPongTime: 200 * time.Millisecond}
	f, err := Probe(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SeqWriteMBs, Fsync4kPerSec, Fsync4kP50us, Fsync4kP99us, TCPStreamMBs, PingPongP50us, PingPongP99us} {
		if v, ok := f.Values[name]; !ok || !(v > 0) {
			t.Errorf("%s = %v (present %v), want > 0", name, v, ok)
		}
	}
	if f.Values[Fsync4kP99us] < f.Values[Fsync4kP50us] || f.Values[PingPongP99us] < f.Values[PingPongP50us] {
		t.Errorf("p99 below p50: %v", f.Values)
	}
}

func TestProbeCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Probe(ctx, Config{Dir: t.TempDir(), SeqWriteBytes: 1 << 20, Fsyncs: 1, TCPBytes: 1 << 20, PingPongs: 1}); err == nil {
		t.Error("cancelled probe returned no error")
	}
}
