package limits

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// echoEnv makes the test binary the echo process of PingPongProcess.
const echoEnv = "LIMITS_TEST_ECHO"

func TestMain(m *testing.M) {
	if os.Getenv(echoEnv) == "1" {
		if err := ServeEcho(context.Background(), os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// echoCmd runs this test binary as the echo process.
func echoCmd(t *testing.T) []string {
	t.Helper()
	t.Setenv(echoEnv, "1")
	return []string{os.Args[0]}
}

// TestProbeSmoke runs every probe with tiny bounds: no timing assertion,
// only well-formed, positive figures.
func TestProbeSmoke(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), SeqWriteBytes: 4 << 20, Fsyncs: 20, FsyncTime: 200 * time.Millisecond,
		TCPTime: 50 * time.Millisecond, TCPBytes: 64 << 20, PingPongs: 200, PingPongTime: 200 * time.Millisecond,
		EchoCmd: echoCmd(t)}
	f, err := Probe(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{SeqWriteMBs, Fsync4kPerSec, Fsync4kP50us, Fsync4kP99us, TCPStreamMBs, PingPongP50us, PingPongP99us, PingPongProcP50us, PingPongProcP99us} {
		if v, ok := f.Values[name]; !ok || !(v > 0) {
			t.Errorf("%s = %v (present %v), want > 0", name, v, ok)
		}
	}
	if f.Values[Fsync4kP99us] < f.Values[Fsync4kP50us] || f.Values[PingPongP99us] < f.Values[PingPongP50us] || f.Values[PingPongProcP99us] < f.Values[PingPongProcP50us] {
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

// TestPingPongProcessEchoFails: an echo command that exits without an
// address is an error naming it, not a hang.
func TestPingPongProcessEchoFails(t *testing.T) {
	if _, _, err := PingPongProcess(t.Context(), []string{"false"}, 10, time.Second); err == nil {
		t.Error("echo process that exits at once: no error")
	}
}
