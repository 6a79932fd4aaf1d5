package localcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Record is a detached process: enough to find it again and to be sure a
// PID still belongs to it (the PID's /proc/PID/cmdline must be exactly
// Argv). It is stored in the state file.
type Record struct {
	PID     int       `json:"pid"`
	Argv    []string  `json:"argv"`
	Log     string    `json:"log"`
	Started time.Time `json:"started"`
}

// StartDetached starts argv in the background, in its own session (so a
// Ctrl-C in the terminal does not reach it), with stdout and stderr
// appended to logPath (rotated when large). The process outlives the
// caller: stop it with Record.Stop.
func StartDetached(argv []string, logPath string) (Record, error) {
	logf, err := openLog(logPath, "fluvio cluster: starting "+strings.Join(argv, " "))
	if err != nil {
		return Record{}, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return Record{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	rec := Record{PID: cmd.Process.Pid, Argv: argv, Log: logPath, Started: time.Now().UTC()}
	_ = cmd.Process.Release()
	// Start returns once execve has closed the child's close-on-exec
	// files, a moment before the kernel publishes the new command line in
	// /proc/PID/cmdline (empty until then). Wait for it, so Alive is
	// true from here on while the process runs.
	for deadline := time.Now().Add(2 * time.Second); !rec.ours() && !Gone(rec.PID) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return rec, nil
}

// Alive reports whether the process of r runs and is still ours: its
// /proc/PID/cmdline is exactly r.Argv and it is not a zombie (a zombie
// child of this process is reaped).
func (r Record) Alive() bool {
	if r.PID <= 0 {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/stat")
	if err != nil {
		return false
	}
	if procState(stat) == 'Z' {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(r.PID, &ws, syscall.WNOHANG, nil)
		return false
	}
	return r.ours()
}

// ours reports whether /proc/PID/cmdline equals r.Argv.
func (r Record) ours() bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/cmdline")
	if err != nil || len(data) == 0 {
		return false
	}
	argv := splitCmdline(data)
	if len(argv) != len(r.Argv) {
		return false
	}
	for i := range argv {
		if argv[i] != r.Argv[i] {
			return false
		}
	}
	return true
}

// Stop stops r's process if it is still ours: SIGTERM, then SIGKILL after
// grace. It reports whether a process was stopped.
func (r Record) Stop(ctx context.Context, grace time.Duration) (bool, error) {
	if !r.Alive() {
		return false, nil
	}
	if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return false, fmt.Errorf("stop pid %d: %w", r.PID, err)
	}
	if r.waitGone(ctx, grace) {
		return true, nil
	}
	if r.Alive() {
		_ = syscall.Kill(r.PID, syscall.SIGKILL)
	}
	if !r.waitGone(ctx, 5*time.Second) {
		return false, fmt.Errorf("pid %d (%s) did not exit after SIGKILL", r.PID, filepath.Base(r.Argv[0]))
	}
	return true, nil
}

// waitGone polls until r's process has exited or d passes.
func (r Record) waitGone(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for r.Alive() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
	return true
}

// Gone reports whether pid has exited (no /proc entry, or a zombie).
func Gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || procState(stat) == 'Z'
}

// splitCmdline splits /proc/PID/cmdline (NUL-terminated arguments).
func splitCmdline(data []byte) []string {
	var out []string
	start := 0
	for i, b := range data {
		if b == 0 {
			out = append(out, string(data[start:i]))
			start = i + 1
		}
	}
	if start < len(data) {
		out = append(out, string(data[start:]))
	}
	return out
}

// procState returns the state letter of /proc/PID/stat ("pid (comm) S ..."),
// reading after the last ')' since comm may hold spaces and parentheses.
func procState(stat []byte) byte {
	for i := len(stat) - 1; i >= 0; i-- {
		if stat[i] == ')' {
			if i+2 < len(stat) {
				return stat[i+2]
			}
			break
		}
	}
	return 0
}
