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

	"github.com/fluvio-go/fluvio/internal/localcluster"
)

// Process is a started child process, owned by whoever started it until
// Stop returns. It is a process of the local-cluster supervisor
// (internal/localcluster), which owns its start, signals and waiter.
type Process struct {
	p *localcluster.Process
	// LogPath is the file receiving the process's stdout and stderr.
	LogPath string
}

// Start runs bin with args, its output appended to logPath, and polls ready
// every 5 ms until it returns true, ctx ends or the process exits. On any
// failure the process is stopped before Start returns.
func Start(ctx context.Context, bin string, args []string, logPath string, ready func() bool) (*Process, error) {
	lp, err := localcluster.StartProcess(localcluster.Spec{Name: filepath.Base(bin), Path: bin, Args: args, Log: logPath})
	if err != nil {
		return nil, fmt.Errorf("proc: %w", err)
	}
	p := &Process{p: lp, LogPath: logPath}
	slog.Debug("started", "process", lp.Name(), "pid", p.PID())
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !ready() {
		select {
		case <-ctx.Done():
			err := fmt.Errorf("proc: %s (pid %d) not ready: %w; log %s: %s", lp.Name(), p.PID(), ctx.Err(), logPath, tail(logPath))
			return nil, errors.Join(err, p.Stop(context.Background()))
		case <-tick.C:
		}
		if !lp.Running() {
			err := fmt.Errorf("proc: %s (pid %d) exited before it was ready; log %s: %s", lp.Name(), p.PID(), logPath, tail(logPath))
			return nil, errors.Join(err, p.Stop(context.Background()))
		}
	}
	return p, nil
}

// PID is the process id.
func (p *Process) PID() int { return p.p.LastPID() }

// Stop sends SIGTERM to the process by PID, waits up to 10 s (or until ctx
// ends) for it to exit, then kills it, and reaps it. A process that exits
// because of the SIGTERM is not an error; one that failed, crashed or had
// to be killed is, with the end of its log.
func (p *Process) Stop(ctx context.Context) error {
	err := p.p.Stop(ctx, 10*time.Second)
	return errors.Join(err, p.p.Close(ctx), p.p.ExitErr())
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
