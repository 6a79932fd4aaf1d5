package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func meminfo(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "meminfo")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSettleReadsDirtyAndWriteback checks a settle adds Dirty and
// Writeback and stops waiting once they are under the limit.
func TestSettleReadsDirtyAndWriteback(t *testing.T) {
	s := settler{meminfo: meminfo(t, "MemTotal:       24000000 kB\nDirty:             10240 kB\nWriteback:          1024 kB\nWritebackTmp:          7 kB\n"),
		limit: 64 << 20, timeout: time.Minute, poll: time.Millisecond}
	res, err := s.settle(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(11 << 20); res.Before != want || res.After != want || res.TimedOut {
		t.Errorf("settle = %+v, want before = after = %d (Dirty + Writeback, not WritebackTmp), not timed out", res, want)
	}
}

// TestSettleIsBounded checks a machine that never drains below the limit
// (other writers) delays a run by the timeout at most, and says so.
func TestSettleIsBounded(t *testing.T) {
	s := settler{meminfo: meminfo(t, "Dirty:           2097152 kB\nWriteback:             0 kB\n"),
		limit: 64 << 20, timeout: 30 * time.Millisecond, poll: time.Millisecond}
	res, err := s.settle(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.After != 2<<30 {
		t.Errorf("settle = %+v, want timed out with 2 GiB still dirty", res)
	}
}

func TestSettleBadMeminfo(t *testing.T) {
	for _, text := range []string{"MemTotal: 1 kB\n", "Dirty: x kB\nWriteback: 0 kB\n"} {
		p := meminfo(t, text)
		_, err := settler{meminfo: p, limit: 1, timeout: time.Second, poll: time.Millisecond}.settle(t.Context(), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("meminfo %q: err = %v, want an error naming %s", text, err, p)
		}
	}
}

// TestSettleRealMeminfo reads this machine's /proc/meminfo.
func TestSettleRealMeminfo(t *testing.T) {
	s := defaultSettler
	s.timeout = 0 // one look after the syncfs; whatever other writers do
	res, err := s.settle(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if res.Before < 0 || res.After < 0 {
		t.Errorf("settle = %+v", res)
	}
}
