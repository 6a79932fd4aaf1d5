package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// findBinary looks for name in binDir (when set), else beside the running
// fluvio executable, else on PATH.
func findBinary(name, binDir string) (string, error) {
	var tried []string
	if binDir != "" {
		p := filepath.Join(binDir, name)
		if isExecutable(p) {
			return filepath.Abs(p)
		}
		return "", withHint(fmt.Errorf("%s not found in --bin-dir %s", name, binDir), exitError,
			"build the binaries with 'make build' (they go to bin/), then pass --bin-dir bin")
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, filepath.Dir(exe))
	}
	if p, err := exec.LookPath(name); err == nil {
		return filepath.Abs(p)
	}
	tried = append(tried, "PATH")
	return "", withHint(fmt.Errorf("%s not found (looked in %s)", name, strings.Join(tried, " and ")), exitError,
		"build the binaries with 'make build' and run bin/fluvio, or put sc-server and spu-server on PATH, or pass --bin-dir DIR")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// startProcess starts argv in the background, in its own session (so a
// Ctrl-C in the terminal does not reach it), with stdout and stderr
// appended to logPath. The process outlives the CLI.
func startProcess(argv []string, logPath string) (procRecord, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return procRecord{}, fmt.Errorf("create log dir: %w", err)
	}
	rotateLog(logPath)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return procRecord{}, fmt.Errorf("open log %s: %w", logPath, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "---- %s fluvio cluster: starting %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return procRecord{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	rec := procRecord{PID: cmd.Process.Pid, Argv: argv, Log: logPath, Started: time.Now().UTC()}
	_ = cmd.Process.Release()
	// Start returns once execve has closed the child's close-on-exec
	// files, a moment before the kernel publishes the new command line in
	// /proc/PID/cmdline (empty until then). Wait for it, so alive() is
	// true from here on while the process runs.
	for deadline := time.Now().Add(2 * time.Second); !rec.ours() && !gone(rec.PID) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	return rec, nil
}

// gone reports whether pid has exited (no /proc entry, or a zombie).
func gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || procState(stat) == 'Z'
}

// maxLogBytes is the size above which a log is rotated when its process starts.
const maxLogBytes = 16 << 20

// rotateLog renames a log larger than maxLogBytes to <log>.1 (replacing
// the previous one), so restarts do not grow it without bound.
func rotateLog(path string) {
	if st, err := os.Stat(path); err == nil && st.Size() > maxLogBytes {
		_ = os.Rename(path, path+".1")
	}
}

// stopProcess stops r's process if it is still ours: SIGTERM, then SIGKILL
// after grace. It reports whether a process was stopped.
func stopProcess(ctx context.Context, r procRecord, grace time.Duration) (bool, error) {
	if !r.alive() {
		return false, nil
	}
	if err := syscall.Kill(r.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return false, fmt.Errorf("stop pid %d: %w", r.PID, err)
	}
	if waitGone(ctx, r, grace) {
		return true, nil
	}
	if r.alive() {
		_ = syscall.Kill(r.PID, syscall.SIGKILL)
	}
	if !waitGone(ctx, r, 5*time.Second) {
		return false, fmt.Errorf("pid %d (%s) did not exit after SIGKILL", r.PID, filepath.Base(r.Argv[0]))
	}
	return true, nil
}

// waitGone polls until r's process has exited or d passes.
func waitGone(ctx context.Context, r procRecord, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for r.alive() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
	return true
}

// freeLoopbackAddrs returns n distinct 127.0.0.1:PORT addresses with
// ports that were free a moment ago (all held open until all are picked,
// so none repeats). The local cluster's own ports follow a fixed plan
// (cluster_ports.go); the SC peers of --sc-replicas take these.
func freeLoopbackAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// portFree reports whether addr can be listened on now.
func portFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// portInUse is the error for a port the cluster needs that is taken.
func portInUse(what, addr, flag string, err error) error {
	_, port, _ := net.SplitHostPort(addr)
	hint := "stop the program using it (find it with 'ss -ltnp | grep :" + port + "')"
	if h := portHolder(addr); h != "" {
		hint = "stop the program using it (" + h + ")"
	}
	if flag != "" {
		hint = "pick another port with '" + flag + "', or " + hint
	}
	return withHint(fmt.Errorf("port %s for the %s (%s) is in use%s: %w", port, what, addr, heldBy(addr), err), exitConflict, hint)
}

// logTail returns the last n lines of the file at path, for error messages.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  | " + string(l) + "\n")
	}
	return b.String()
}

// pidString prints a PID, or - for none.
func pidString(pid int) string {
	if pid <= 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}
