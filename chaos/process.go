package chaos

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is one child program started with the same path and arguments
// each time. Its output is appended to logPath. Only the PIDs it started
// are ever signalled.
type process struct {
	name    string
	path    string
	args    []string
	logPath string
	wg      *sync.WaitGroup // owns the waiter goroutines

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current incarnation exited
	paused bool
	starts int
}

// start starts the process unless it is running.
func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return nil
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("chaos: log of %s: %w", p.name, err)
	}
	defer f.Close()
	fmt.Fprintf(f, "=== chaos: start %s (%s)\n", p.name, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	orphanGuard(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("chaos: start %s (%s): %w", p.name, p.path, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.paused = cmd, done, false
	p.starts++
	p.wg.Go(func() {
		_ = cmd.Wait() // the exit status is in the process's log
		close(done)
	})
	return nil
}

func (p *process) runningLocked() bool {
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

// running reports whether the current incarnation has not exited.
func (p *process) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

// pid is the current incarnation's PID, or 0 when it is not running.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

// signal sends sig to the running incarnation (which this process started).
func (p *process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return fmt.Errorf("chaos: %s is not running", p.name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("chaos: signal %v to %s (pid %d): %w", sig, p.name, p.cmd.Process.Pid, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		p.paused = true
	case syscall.SIGCONT:
		p.paused = false
	}
	return nil
}

// wait blocks until the current incarnation exits or ctx ends.
func (p *process) wait(ctx context.Context) error {
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
		return fmt.Errorf("chaos: waiting for %s to exit: %w", p.name, ctx.Err())
	}
}

// kill sends SIGKILL and waits for the exit.
func (p *process) kill(ctx context.Context) error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	return p.wait(ctx)
}

// stop resumes a paused process, sends SIGTERM and waits up to grace for
// the exit, then kills it. Stopping a process that is not running is a
// no-op.
func (p *process) stop(ctx context.Context, grace time.Duration) error {
	p.mu.Lock()
	running, paused := p.runningLocked(), p.paused
	p.mu.Unlock()
	if !running {
		return nil
	}
	if paused {
		_ = p.signal(syscall.SIGCONT)
	}
	if err := p.signal(syscall.SIGTERM); err != nil {
		return nil // exited meanwhile
	}
	wctx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	if p.wait(wctx) == nil {
		return nil
	}
	if err := p.signal(syscall.SIGKILL); err != nil {
		return nil
	}
	return p.wait(ctx)
}
