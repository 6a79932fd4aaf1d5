package localcluster

import (
	"os/exec"
	"syscall"
)

// orphanGuard makes the kernel kill cmd if the thread that started it
// dies first (a test timeout, a crash), so no owned process outlives its
// owner.
func orphanGuard(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
