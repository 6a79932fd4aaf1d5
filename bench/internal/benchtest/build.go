package benchtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

var (
	once   sync.Once
	binDir string
	err    error
)

// Binaries builds cmd/bench-nats-server and cmd/bench-worker (without the
// race detector, as bench/run.sh does) into one directory, once, and
// returns it. Remove it with Cleanup from TestMain.
func Binaries(ctx context.Context) (string, error) {
	once.Do(func() {
		binDir, err = os.MkdirTemp("", "bench-bin-")
		if err != nil {
			err = fmt.Errorf("benchtest: %w", err)
			return
		}
		for _, name := range []string{"bench-nats-server", "bench-worker"} {
			cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(binDir, name), "github.com/fluvio-go/fluvio/bench/cmd/"+name)
			if out, berr := cmd.CombinedOutput(); berr != nil {
				err = fmt.Errorf("benchtest: go build %s: %w\n%s", name, berr, out)
				return
			}
		}
	})
	return binDir, err
}

// Cleanup removes the binaries' directory.
func Cleanup() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}
