package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FsyncEvents are the kernel tracepoints SyncCounter counts: every way a
// process asks for its file data on disk by system call. Writes through a
// file opened O_SYNC are not among them (nats-server opens its small
// index files that way under sync_interval: always; its message blocks
// are fsynced).
var FsyncEvents = []string{"syscalls:sys_enter_fsync", "syscalls:sys_enter_fdatasync", "syscalls:sys_enter_sync_file_range", "syscalls:sys_enter_syncfs"}

// SyncCounter counts the fsync-family system calls of processes with the
// kernel's syscall tracepoints, read by `perf stat -p` (no ptrace: the
// processes run at full speed; every thread, present and future, is
// counted). It is the same method for every system.
type SyncCounter struct {
	cmd  *exec.Cmd
	out  string
	done chan error
}

// CountSyncs starts counting the fsyncs of pids. It fails with a reason
// when perf or its tracepoints are unavailable (not root, no tracefs).
func CountSyncs(ctx context.Context, dir string, pids []int) (*SyncCounter, error) {
	perf, err := exec.LookPath("perf")
	if err != nil {
		return nil, fmt.Errorf("proc: fsync count needs perf: %w", err)
	}
	ids := make([]string, len(pids))
	for i, p := range pids {
		ids[i] = strconv.Itoa(p)
	}
	f, err := os.CreateTemp(dir, "perf-*.csv")
	if err != nil {
		return nil, fmt.Errorf("proc: %w", err)
	}
	out := f.Name()
	f.Close()
	args := []string{"stat", "-x", ",", "-o", out, "-p", strings.Join(ids, ",")}
	for _, e := range FsyncEvents {
		args = append(args, "-e", e)
	}
	cmd := exec.Command(perf, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("proc: perf: %w", err)
	}
	c := &SyncCounter{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	// perf attaches within milliseconds; a counter that exits at once
	// could not attach (its reason is in the output file).
	select {
	case err := <-c.done:
		b, _ := os.ReadFile(out)
		return nil, fmt.Errorf("proc: perf stat exited at start (%v): %s", err, strings.TrimSpace(string(b)))
	case <-time.After(200 * time.Millisecond):
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-c.done
		return nil, fmt.Errorf("proc: %w", ctx.Err())
	}
	return c, nil
}

// Stop ends the count (SIGINT, on which perf prints its totals) and
// returns the number of fsync-family calls since CountSyncs.
func (c *SyncCounter) Stop() (int64, error) {
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		return 0, errors.New("proc: perf stat did not stop on SIGINT")
	}
	defer os.Remove(c.out)
	b, err := os.ReadFile(c.out)
	if err != nil {
		return 0, fmt.Errorf("proc: perf output: %w", err)
	}
	return parsePerfCSV(string(b))
}

// parsePerfCSV sums the counts of perf stat -x , output: count,unit,event,...
func parsePerfCSV(text string) (int64, error) {
	var total int64
	seen := 0
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Split(line, ",")
		if len(fields) < 3 || !strings.HasPrefix(fields[2], "syscalls:") {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc: perf count %q of %s not counted: %w", fields[0], fields[2], err)
		}
		total += n
		seen++
	}
	if seen == 0 {
		return 0, fmt.Errorf("proc: no counts in perf output %q", strings.TrimSpace(text))
	}
	return total, nil
}
