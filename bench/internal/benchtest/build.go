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

// commands are the binaries a benchmark run needs, by output name.
var commands = map[string]string{
	"bench-nats-server": "bench/cmd/bench-nats-server",
	"bench-worker":      "bench/cmd/bench-worker",
	"sc-server":         "sc/cmd/sc-server",
	"spu-server":        "spu/cmd/spu-server",
	"fluvio":            "cli/cmd/fluvio",
}

// Binaries builds every binary a run needs (bench-nats-server,
// bench-worker, sc-server, spu-server, fluvio; without the race detector,
// as make build and bench/run.sh do) into one directory, once per test
// binary, and returns it. Remove it with Cleanup, or use Main as TestMain.
func Binaries(ctx context.Context) (string, error) {
	once.Do(func() {
		binDir, err = os.MkdirTemp("", "bench-bin-")
		if err != nil {
			err = fmt.Errorf("benchtest: %w", err)
			return
		}
		for name, pkg := range commands {
			cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(binDir, name), "github.com/fluvio-go/fluvio/"+pkg)
			if out, berr := cmd.CombinedOutput(); berr != nil {
				err = fmt.Errorf("benchtest: go build %s: %w\n%s", pkg, berr, out)
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
