package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// binDir holds the binaries, built once by the first test that needs them
// (so 'go test -run TestOther ./...' does not pay for the build).
var (
	binDir    string
	buildOnce sync.Once
	buildErr  error
)

// needBinaries builds fluvio, sc-server and spu-server, once, or fails t.
func needBinaries(t *testing.T) {
	t.Helper()
	buildOnce.Do(func() { buildErr = build(binDir) })
	if buildErr != nil {
		t.Fatalf("build the binaries: %v", buildErr)
	}
}

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "fluvio-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir = dir
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// build compiles the three binaries and the example programs into dir.
func build(dir string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cli/cmd/fluvio", "./sc/cmd/sc-server", "./spu/cmd/spu-server")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, b)
	}
	// The example programs, as 'make build' names them (scripts/run.sh runs them).
	for _, name := range []string{"producer", "consumer"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "example-"+name), "./examples/"+name)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%w\n%s", err, b)
		}
	}
	return nil
}

// bin returns the path of a built binary.
func bin(name string) string { return filepath.Join(binDir, name) }
