package chaos

import (
	"os/exec"
	"syscall"
)

// orphanGuard makes the kernel kill cmd if the harness dies first (a test
// timeout, a crash), so no stopped SPU outlives it.
func orphanGuard(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
