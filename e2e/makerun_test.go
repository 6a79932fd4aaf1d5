package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestE2EMakeRun runs scripts/run.sh (what 'make run' runs) twice: the
// first run starts a 3-SPU cluster, creates the demo topic and produces
// and consumes; the second reuses the running cluster.
func TestE2EMakeRun(t *testing.T) {
	e := newEnv(t)
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	runDir := filepath.Join(t.TempDir(), "run")
	vars := append(e.vars, "FLUVIO_RUN_DIR="+runDir, "FLUVIO_RUN_SC="+freePlanAddr(t, 3), "FLUVIO_BIN="+binDir)
	t.Cleanup(func() {
		cmd := exec.Command(bin("fluvio"), "cluster", "delete", "--force", "--data-dir", filepath.Join(runDir, "cluster"))
		cmd.Env = vars
		_ = cmd.Run()
	})
	run := func() string {
		t.Helper()
		cmd := exec.Command(filepath.Join(root, "scripts", "run.sh"))
		cmd.Env = vars
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("run.sh: %v\n%s", err, b)
		}
		return string(b)
	}
	first := run()
	for _, s := range []string{"all 3 SPU(s) online", `topic "demo" created`, "produced 3 records", "hello from make run at", "To stop it",
		// the example programs, through package fluvio
		`sent 4 records to "demo"; the last one is at offset`, `key="last" value="hello 3"`} {
		testkit.Contains(t, first, s)
	}
	second := run()
	for _, s := range []string{"already running", `topic "demo" exists already`, "produced 3 records", `sent 4 records to "demo"`} {
		testkit.Contains(t, second, s)
	}
	if _, err := os.Stat(filepath.Join(runDir, "config")); err != nil {
		t.Fatalf("profiles file not under the run dir: %v", err)
	}
}
