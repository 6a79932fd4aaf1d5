package proc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartStopByPID(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	p, err := Start(t.Context(), "/bin/sh", []string{"-c", "touch " + marker + "; exec sleep 30"}, filepath.Join(dir, "log"),
		func() bool { _, err := os.Stat(marker); return err == nil })
	if err != nil {
		t.Fatal(err)
	}
	pid := p.PID()
	if !Alive(pid) {
		t.Fatalf("pid %d not alive after start", pid)
	}
	n, err := RSS(pid)
	if err != nil || n <= 0 {
		t.Errorf("RSS = %d, %v", n, err)
	}
	if err := p.Stop(t.Context()); err != nil {
		t.Errorf("stop: %v", err)
	}
	if Alive(pid) {
		t.Errorf("pid %d alive after stop", pid)
	}
}

func TestStartExitsEarly(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(t.Context(), "/bin/sh", []string{"-c", "echo boom; exit 3"}, filepath.Join(dir, "log"), func() bool { return false })
	if err == nil {
		t.Fatal("no error for a process that exits before ready")
	}
}

func TestStartNotReady(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := Start(ctx, "/bin/sh", []string{"-c", "exec sleep 30"}, filepath.Join(dir, "log"), func() bool { return false })
	if err == nil {
		t.Fatal("no error for a process never ready")
	}
}

func TestOutput(t *testing.T) {
	out, err := Output(t.Context(), "/bin/sh", []string{"-c", "echo hi; echo err >&2"}, filepath.Join(t.TempDir(), "log"))
	if err != nil || string(out) != "hi\n" {
		t.Errorf("Output = %q, %v", out, err)
	}
	if _, err := Output(t.Context(), "/bin/sh", []string{"-c", "exit 2"}, filepath.Join(t.TempDir(), "log")); err == nil {
		t.Error("no error for exit 2")
	}
}

func TestRSSSelf(t *testing.T) {
	n, err := RSS(os.Getpid())
	if err != nil || n <= 0 {
		t.Errorf("RSS(self) = %d, %v", n, err)
	}
	if _, err := RSS(-1); err == nil {
		t.Error("RSS(-1): no error")
	}
}

// TestPSS reads this process's PSS: positive and no more than its RSS.
func TestPSS(t *testing.T) {
	pss, err := PSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	rss, err := RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if pss <= 0 || pss > rss {
		t.Errorf("PSS %d, RSS %d: want 0 < PSS <= RSS", pss, rss)
	}
}

// TestCountSyncs counts this process's fsyncs: exactly the ones it made
// (other goroutines of the test binary make none).
func TestCountSyncs(t *testing.T) {
	c, err := CountSyncs(t.Context(), t.TempDir(), []int{os.Getpid()})
	if err != nil {
		t.Skipf("no syscall counter on this machine: %v", err)
	}
	f, err := os.Create(t.TempDir() + "/f")
	if err != nil {
		t.Fatal(err)
	}
	for range 7 {
		if _, err := f.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	n, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 {
		t.Errorf("counted %d fsyncs, made 7", n)
	}
}

func TestParsePerfCSV(t *testing.T) {
	text := "# started on x\n\n12,,syscalls:sys_enter_fsync,1000,100.00,,\n3,,syscalls:sys_enter_fdatasync,1000,100.00,,\n"
	if n, err := parsePerfCSV(text); err != nil || n != 15 {
		t.Errorf("parse = %d, %v; want 15", n, err)
	}
	if _, err := parsePerfCSV("<not counted>,,syscalls:sys_enter_fsync,0,100.00,,\n"); err == nil {
		t.Error("not counted: no error")
	}
	if _, err := parsePerfCSV("# nothing\n"); err == nil {
		t.Error("no counts: no error")
	}
}
