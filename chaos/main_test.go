package chaos

import (
	"context"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

var bins struct {
	once sync.Once
	dir  string
	err  error
}

// binDir builds sc-server and spu-server once per test binary (without
// the race detector: the servers are not under test here, the harness is).
// FLUVIO_CHAOS_BIN_DIR names a directory holding them instead (make
// build's bin/, or another version's to compare).
func binDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("FLUVIO_CHAOS_BIN_DIR"); d != "" {
		return d
	}
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "chaos-bin-")
		if bins.err == nil {
			bins.err = BuildBinaries(context.Background(), bins.dir, false)
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return bins.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goleak: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}
