package proc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a started child process, owned by whoever started it until
// Stop returns.
type Process struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	// LogPath is the file receiving the process's stdout and stderr.
	LogPath string
}

// Start runs bin with args, its output appended to logPath, and polls ready
// every 5 ms until it returns true, ctx ends or the process exits. On any
// failure the process is stopped before Start returns.
func Start(ctx context.Context, bin string, args []string, logPath string, ready func() bool) (*Process, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("proc: open log: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("proc: start %s: %w", bin, err)
	}
	p := &Process{name: filepath.Base(bin), cmd: cmd, log: lf, LogPath: logPath}
	slog.Debug("started", "process", p.name, "pid", p.PID())
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !ready() {
		select {
		case <-ctx.Done():
			err := fmt.Errorf("proc: %s (pid %d) not ready: %w; log %s: %s", p.name, p.PID(), ctx.Err(), logPath, tail(logPath))
			return nil, errors.Join(err, p.Stop(context.Background()))
		case <-tick.C:
		}
		if !Alive(p.PID()) {
			err := fmt.Errorf("proc: %s (pid %d) exited before it was ready; log %s: %s", p.name, p.PID(), logPath, tail(logPath))
			return nil, errors.Join(err, p.Stop(context.Background()))
		}
	}
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM to the process by PID, waits up to 10 s (or until ctx
// ends) for it to exit, then kills it, and reaps it. A process that exits
// because of the SIGTERM is not an error.
func (p *Process) Stop(ctx context.Context) error {
	defer p.log.Close()
	_ = syscall.Kill(p.PID(), syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		_ = syscall.Kill(p.PID(), syscall.SIGKILL)
		err = <-done
	case <-ctx.Done():
		_ = syscall.Kill(p.PID(), syscall.SIGKILL)
		err = <-done
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
		return fmt.Errorf("proc: %s (pid %d): %w; log %s: %s", p.name, p.PID(), err, p.LogPath, tail(p.LogPath))
	}
	return err
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...; comm may hold spaces, so find the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

// RSS returns the resident set size of pid in bytes (VmRSS of
// /proc/PID/status).
func RSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("proc: rss: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fields := strings.Fields(v)
			if len(fields) < 1 {
				break
			}
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("proc: rss: %w", err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("proc: rss: no VmRSS for pid %d", pid)
}

// Output runs bin with args to completion and returns its stdout; its
// stderr goes to logPath. ctx ending kills it.
func Output(ctx context.Context, bin string, args []string, logPath string) ([]byte, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("proc: open log: %w", err)
	}
	defer lf.Close()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("proc: %s: %w; log %s: %s", filepath.Base(bin), err, logPath, tail(logPath))
	}
	return out, nil
}

// tail returns the last lines of a log file for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	const n = 800
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
