package localcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// requireGone fails t unless pid has exited (checked by PID in /proc).
func requireGone(t *testing.T, pid int) {
	t.Helper()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if !Gone(pid) {
			return &os.PathError{Op: "wait", Path: "/proc/" + strconv.Itoa(pid), Err: os.ErrExist}
		}
		return nil
	})
}

// procStateOf is the state letter of pid ("S", "T" stopped, ...).
func procStateOf(pid int) byte {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	return procState(stat)
}

// TestDetachedStartStop: a detached process is found again by PID and
// command line; a PID whose command line differs is never signalled;
// Stop ends it and its PID is gone.
func TestDetachedStartStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("no sleep binary on PATH: %v", err)
	}
	log := filepath.Join(t.TempDir(), "logs", "sleep.log")
	rec, err := StartDetached([]string{sleep, "30"}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = rec.Stop(context.Background(), time.Second) })
	if !rec.Alive() {
		t.Fatal("started process not alive")
	}
	// Same PID, other command line: not ours (a reused PID), never signalled.
	other := rec
	other.Argv = []string{sleep, "31"}
	if other.Alive() {
		t.Fatal("a PID running another command line counted as ours")
	}
	if stopped, err := other.Stop(context.Background(), time.Second); stopped || err != nil {
		t.Fatalf("Stop of a foreign command line: %v %v", stopped, err)
	}
	if !rec.Alive() {
		t.Fatal("Stop signalled a process that was not its own")
	}
	stopped, err := rec.Stop(context.Background(), 5*time.Second)
	if !stopped || err != nil {
		t.Fatalf("Stop: %v %v", stopped, err)
	}
	if rec.Alive() {
		t.Fatal("still alive after stop")
	}
	requireGone(t, rec.PID)
	data, _ := os.ReadFile(log)
	if !strings.Contains(string(data), "fluvio cluster: starting "+sleep+" 30") {
		t.Errorf("log has no start line:\n%s", data)
	}
	if (Record{PID: 0}).Alive() || (Record{PID: 1 << 30}).Alive() {
		t.Error("a record without a process counted alive")
	}
}

// TestDetachedStopEscalates: a process that ignores SIGTERM is killed
// after the grace.
func TestDetachedStopEscalates(t *testing.T) {
	spec := helperSpec(t, "ignore-term")
	// The detached process's environment is the caller's: set the mode.
	t.Setenv(helperEnv, "ignore-term")
	rec, err := StartDetached(append([]string{spec.Path}, spec.Args...), spec.Log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = rec.Stop(context.Background(), 0) })
	waitLog(t, spec.Log, "ignoring SIGTERM")
	start := time.Now()
	stopped, err := rec.Stop(context.Background(), 300*time.Millisecond)
	if !stopped || err != nil {
		t.Fatalf("Stop: %v %v", stopped, err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("stopped after %v, before the grace: SIGTERM was not ignored?", d)
	}
	requireGone(t, rec.PID)
}

// waitLog waits until the file at path holds want.
func waitLog(t *testing.T, path, want string) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, func() error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.Contains(string(data), want) {
			return os.ErrNotExist
		}
		return nil
	})
}

func TestProcState(t *testing.T) {
	if procState([]byte("123 (sc-server) S 1 2 3")) != 'S' || procState([]byte("123 (a) (b) Z 1")) != 'Z' || procState([]byte("garbage")) != 0 {
		t.Error("procState")
	}
	if got := strings.Join(splitCmdline([]byte("a\x00b c\x00")), "|"); got != "a|b c" {
		t.Errorf("splitCmdline = %q", got)
	}
}

// TestOwnedProcess: start, pause (SIGSTOP), resume, kill, start again
// (a new PID, same command line), stop; every PID is gone at the end.
func TestOwnedProcess(t *testing.T) {
	ctx := context.Background()
	p, err := StartProcess(helperSpec(t, "sleep"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(ctx) })
	waitLog(t, p.LogPath(), "helper: sleeping")
	first := p.PID()
	if first == 0 || !p.Running() {
		t.Fatal("not running after Start")
	}
	if err := p.Start(); err != nil || p.PID() != first || p.Starts() != 1 {
		t.Fatalf("Start of a running process started another: %v pid %d starts %d", err, p.PID(), p.Starts())
	}
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 5*time.Second, func() error {
		if s := procStateOf(first); s != 'T' {
			return &os.PathError{Op: "state " + string(s), Path: "pid", Err: os.ErrInvalid}
		}
		return nil
	})
	if !p.Paused() {
		t.Error("Paused() false after Pause")
	}
	if err := p.Resume(); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 5*time.Second, func() error {
		if s := procStateOf(first); s == 'T' {
			return os.ErrInvalid
		}
		return nil
	})
	if err := p.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Running() || p.PID() != 0 {
		t.Fatal("running after Kill")
	}
	requireGone(t, first)
	if exited, code := p.Exited(); !exited || code != -1 {
		t.Errorf("Exited() = %v %d after SIGKILL, want true -1", exited, code)
	}
	if err := p.ExitErr(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("ExitErr after SIGKILL = %v", err)
	}
	if err := p.Signal(15); err == nil {
		t.Error("Signal to a process that is not running succeeded")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	second := p.PID()
	if second == 0 || second == first || p.Starts() != 2 {
		t.Fatalf("restart: pid %d (first %d), starts %d", second, first, p.Starts())
	}
	// Stop resumes a paused process before SIGTERM.
	if err := p.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	requireGone(t, second)
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr after an obeyed SIGTERM = %v", err)
	}
	if got := strings.Count(readFile(t, p.LogPath()), "start helper sleep"); got != 2 {
		t.Errorf("log has %d start lines, want 2", got)
	}
}

// TestOwnedStopEscalates: Stop kills a process that ignores SIGTERM
// after the grace, and ExitErr says it was killed.
func TestOwnedStopEscalates(t *testing.T) {
	ctx := context.Background()
	p, err := StartProcess(helperSpec(t, "ignore-term"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(ctx) })
	waitLog(t, p.LogPath(), "ignoring SIGTERM")
	pid := p.PID()
	start := time.Now()
	if err := p.Stop(ctx, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("stopped after %v, before the grace", d)
	}
	requireGone(t, pid)
	if err := p.ExitErr(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("ExitErr = %v, want killed", err)
	}
}

// TestOwnedExitError: a process that fails on its own reports its
// status and the end of its log; Output receives its output too.
func TestOwnedExitError(t *testing.T) {
	spec := helperSpec(t, "exit3")
	var out testkit.Buffer
	spec.Stdout, spec.Stderr = &out, &out
	p, err := StartProcess(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	if err := p.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exited, code := p.Exited(); !exited || code != 3 {
		t.Fatalf("Exited() = %v %d, want true 3", exited, code)
	}
	err = p.ExitErr()
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "  | helper: failing on purpose") {
		t.Errorf("ExitErr = %v, want the status and the log's end", err)
	}
	if !strings.Contains(out.String(), "helper: failing on purpose") {
		t.Errorf("Output got %q", out.String())
	}
	if _, err := StartProcess(Spec{Name: "missing", Path: filepath.Join(t.TempDir(), "nope")}); err == nil || !strings.Contains(err.Error(), "start missing") {
		t.Errorf("start of a missing binary: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
