package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/internal/localcluster"
)

// findBinary looks for name in binDir (when set), else beside the running
// fluvio executable, else on PATH.
func findBinary(name, binDir string) (string, error) {
	var tried []string
	if binDir != "" {
		p := filepath.Join(binDir, name)
		if isExecutable(p) {
			return filepath.Abs(p)
		}
		return "", withHint(fmt.Errorf("%s not found in --bin-dir %s", name, binDir), exitError,
			"build the binaries with 'make build' (they go to bin/), then pass --bin-dir bin")
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, filepath.Dir(exe))
	}
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	tried = append(tried, "PATH")
	return "", withHint(fmt.Errorf("%s not found (looked in %s)", name, strings.Join(tried, " and ")), exitError,
		"build the binaries with 'make build' and run bin/fluvio, or put sc-server and spu-server on PATH, or pass --bin-dir DIR")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// portInUse is the error for a port the cluster needs that is taken: it
// names the process holding it, and the flag that picks another (when
// there is one).
func portInUse(what, addr, flag string, err error) error {
	_, port, _ := net.SplitHostPort(addr)
	pe := &localcluster.PortInUseError{What: what, Addr: addr, Holder: localcluster.Holder(addr), Err: err}
	hint := "stop the program using it (find it with 'ss -ltnp | grep :" + port + "')"
	if pe.Holder != "" {
		hint = "stop the program using it (" + pe.Holder + ")"
	}
	if flag != "" {
		hint = "pick another port with '" + flag + "', or " + hint
	}
	return withHint(pe, exitConflict, hint)
}

// exitedWhileStarting is the error for a process that exited while
// 'cluster start' waited for it.
func exitedWhileStarting(err error) error {
	if _, ok := errors.AsType[*localcluster.ExitedError](err); ok {
		return withHint(err, exitError, "fix the problem the log shows, then run 'fluvio cluster start' again")
	}
	return err
}

// pidString prints a PID, or - for none.
func pidString(pid int) string {
	if pid <= 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}
