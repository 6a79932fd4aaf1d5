package localcluster

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// helperEnv makes the test binary, re-executed, a small helper process
// instead of running the tests (see helper).
const helperEnv = "LOCALCLUSTER_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	code := m.Run()
	if servers.dir != "" {
		os.RemoveAll(servers.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "localcluster: goroutine leak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// helper is the re-executed test binary: "sleep" waits to be signalled,
// "ignore-term" too but ignores SIGTERM, "exit3" prints a line and
// exits with status 3.
func helper(mode string) int {
	switch mode {
	case "sleep":
		fmt.Println("helper: sleeping")
		time.Sleep(time.Minute)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("helper: ignoring SIGTERM")
		time.Sleep(time.Minute)
	case "exit3":
		fmt.Println("helper: failing on purpose")
		return 3
	}
	return 0
}

// helperSpec runs the test binary as a helper in mode.
func helperSpec(t *testing.T, mode string) Spec {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Spec{Name: "helper " + mode, Path: exe, Args: []string{"-test.run=^$"},
		Env: append(os.Environ(), helperEnv+"="+mode), Log: t.TempDir() + "/helper.log"}
}
