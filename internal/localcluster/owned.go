package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec says how to run an owned process; each Start runs the same
// command.
type Spec struct {
	// Name names the process in messages ("sc-server", "spu-server 5001").
	Name string
	Path string
	Args []string
	// Env is the process's environment; nil for the caller's.
	Env []string
	// Log, when set, is the file stdout and stderr are appended to (a
	// dated header line before each start).
	Log string
	// Stdout and Stderr, when set, receive the process's stdout and
	// stderr too (a test's buffers; the same writer for both is fine).
	Stdout, Stderr io.Writer
}

// Process is an owned child process: started, paused, resumed, killed
// and stopped by the PID it started, never another; started again with
// the same command line. On Linux the kernel kills it if the owner's
// thread dies first (a test timeout, a crash), so none outlives its
// owner. Close stops it and waits for its waiter goroutine.
type Process struct {
	spec Spec
	wg   sync.WaitGroup // the waiter goroutine of each incarnation

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when the current incarnation exited
	waitErr error         // the current incarnation's exit, set before done closes
	paused  bool
	starts  int
}

// NewProcess returns a process for spec, not started.
func NewProcess(spec Spec) *Process {
	if spec.Name == "" {
		spec.Name = spec.Path
	}
	return &Process{spec: spec}
}

// StartProcess is NewProcess and Start.
func StartProcess(spec Spec) (*Process, error) {
	p := NewProcess(spec)
	if err := p.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Name is the process's name in messages.
func (p *Process) Name() string { return p.spec.Name }

// LogPath is the file receiving the process's output, "" without one.
func (p *Process) LogPath() string { return p.spec.Log }

// Args are the process's arguments (without the program).
func (p *Process) Args() []string { return p.spec.Args }

// Start starts the process unless it is running.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return nil
	}
	var logf *os.File
	if p.spec.Log != "" {
		f, err := openLog(p.spec.Log, "start "+p.spec.Name+": "+p.spec.Path+" "+strings.Join(p.spec.Args, " "))
		if err != nil {
			return fmt.Errorf("log of %s: %w", p.spec.Name, err)
		}
		logf = f
	}
	stdout, stderr := withLog(logf, p.spec.Stdout), withLog(logf, p.spec.Stderr)
	if p.spec.Stdout == p.spec.Stderr {
		stderr = stdout // one writer: exec writes from one goroutine
	}
	closeLog := func() {
		if logf != nil {
			logf.Close()
		}
	}
	cmd := exec.Command(p.spec.Path, p.spec.Args...)
	cmd.Env = p.spec.Env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	orphanGuard(cmd)
	if err := cmd.Start(); err != nil {
		closeLog()
		return fmt.Errorf("start %s (%s): %w", p.spec.Name, p.spec.Path, err)
	}
	if p.spec.Stdout == nil && p.spec.Stderr == nil {
		closeLog() // the child has its own copy
		logf = nil
	}
	// Otherwise exec copies the output in this process until the child
	// exits: the log stays open until then.
	done := make(chan struct{})
	p.cmd, p.done, p.paused, p.waitErr = cmd, done, false, nil
	p.starts++
	p.wg.Go(func() {
		err := cmd.Wait()
		closeLog()
		p.mu.Lock()
		if p.done == done {
			p.waitErr = err
		}
		p.mu.Unlock()
		close(done)
	})
	return nil
}

func (p *Process) runningLocked() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Running reports whether the current incarnation has not exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

// Paused reports whether the running incarnation was paused (SIGSTOP)
// and not resumed.
func (p *Process) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused && p.runningLocked()
}

// Starts counts the incarnations started.
func (p *Process) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// PID is the current incarnation's PID, or 0 when it is not running.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

// LastPID is the PID of the last incarnation started, running or not (0
// before the first start).
func (p *Process) LastPID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Signal sends sig to the running incarnation (which this Process
// started).
func (p *Process) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return fmt.Errorf("%s is not running", p.spec.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v to %s (pid %d): %w", sig, p.spec.Name, p.cmd.Process.Pid, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	}
	return nil
}

// Pause stops the process's execution (SIGSTOP): it holds its ports and
// answers nothing until Resume.
func (p *Process) Pause() error { return p.Signal(syscall.SIGSTOP) }

// Resume continues a paused process (SIGCONT).
func (p *Process) Resume() error { return p.Signal(syscall.SIGCONT) }

// Wait blocks until the current incarnation exits or ctx ends.
func (p *Process) Wait(ctx context.Context) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for %s to exit: %w", p.spec.Name, ctx.Err())
	}
}

// Kill sends SIGKILL and waits for the exit.
func (p *Process) Kill(ctx context.Context) error {
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	return p.Wait(ctx)
}

// Stop resumes a paused process, sends SIGTERM and waits up to grace for
// the exit, then sends SIGKILL and waits for the exit. Stopping a process
// that is not running is a no-op.
func (p *Process) Stop(ctx context.Context, grace time.Duration) error {
	p.mu.Lock()
	running, paused := p.runningLocked(), p.paused
	p.mu.Unlock()
	if !running {
		return nil
	}
	if paused {
		_ = p.Signal(syscall.SIGCONT)
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return nil // exited meanwhile
	}
	wctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	if p.Wait(wctx) == nil {
		return nil
	}
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return nil
	}
	return p.Wait(ctx)
}

// Exited reports whether the last incarnation has exited, and its exit
// code (-1 when a signal ended it).
func (p *Process) Exited() (bool, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil || p.runningLocked() {
		return false, 0
	}
	return true, p.cmd.ProcessState.ExitCode()
}

// ExitErr is the last incarnation's exit as an error with the end of its
// log: nil while it runs, for exit status 0, and for an exit caused by
// SIGTERM (a stop that was obeyed); an error for a failure status or
// any other signal (a crash, or a SIGKILL after the grace).
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil || p.runningLocked() || p.waitErr == nil {
		return nil
	}
	if exit, ok := errors.AsType[*exec.ExitError](p.waitErr); ok {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	err := fmt.Errorf("%s (pid %d): %w", p.spec.Name, p.cmd.Process.Pid, p.waitErr)
	if p.spec.Log != "" {
		err = fmt.Errorf("%w; the end of its log %s:\n%s", err, p.spec.Log, LogTail(p.spec.Log, 10))
	}
	return err
}

// withLog is the writer of one output stream: the log file and w, either
// one, or nil (discarded).
func withLog(log *os.File, w io.Writer) io.Writer {
	switch {
	case log == nil && w == nil:
		return nil
	case log == nil:
		return w
	case w == nil:
		return log
	}
	return io.MultiWriter(log, w)
}

// Close stops the process (grace 10 s) and waits for its waiter
// goroutines. A closed Process may be started again.
func (p *Process) Close(ctx context.Context) error {
	err := p.Stop(ctx, 10*time.Second)
	p.wg.Wait()
	return err
}
