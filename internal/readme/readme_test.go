package readme

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	MaybeInit()
	goleak.VerifyTestMain(m)
}

// repoRoot is the directory holding go.mod above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// docs are the documents whose blocks run, in order.
var docs = []string{"README.md", "examples/README.md"}

// TestREADME runs every "sh" block of README.md, then of
// examples/README.md, in order in one bash, from
// a copy of the repository, with an empty HOME, in private network and PID
// namespaces (see the package doc). It fails at the first command that
// fails, naming its line. FLUVIO_README=1 enables the run (make readme);
// FLUVIO_README_TIMEOUT bounds it (default 5m). Without it (the run takes
// minutes and starts clusters), the test checks what it can without
// running anything: the docs' blocks and markers parse, and the script
// they make is valid bash (bash -n).
func TestREADME(t *testing.T) {
	run := os.Getenv("FLUVIO_README") == "1"
	timeout := 5 * time.Minute
	if v := os.Getenv("FLUVIO_README_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("FLUVIO_README_TIMEOUT=%q: %v", v, err)
		}
		timeout = d
	}
	host := os.Getenv("FLUVIO_README_HOST") == "1"
	// CI runs nothing else meanwhile: there, the host's loopback will do
	// when user namespaces are not allowed.
	fallback := os.Getenv("FLUVIO_README_FALLBACK") == "host"
	root := repoRoot(t)
	var ds []Doc
	var runText strings.Builder
	for _, name := range docs {
		md, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := Blocks(md)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ds = append(ds, Doc{Name: name, Blocks: blocks})
		for _, b := range blocks {
			if !b.Skip {
				runText.WriteString(b.Text)
			}
		}
	}
	if !run {
		checkSyntax(t, Script(ds...))
		return
	}

	tmp := t.TempDir()
	repo, home, tmpdir := filepath.Join(tmp, "repo"), filepath.Join(tmp, "home"), filepath.Join(tmp, "tmp")
	for _, d := range []string{repo, home, tmpdir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := CopyRepo(root, repo); err != nil {
		t.Fatal(err)
	}
	goEnv := goEnvironment(t)
	prepare(t, repo, goEnv, runText.String(), filepath.Join(tmp, "prep-bin"))

	checkPorts := func() {
		if busy := busyPorts(runText.String()); len(busy) > 0 {
			t.Fatalf("on the host's loopback: the README's ports %v are in use on this machine; stop what uses them (a 'make run' cluster: 'fluvio cluster stop'), or run where user namespaces are allowed", busy)
		}
	}
	if host {
		checkPorts()
	}

	env := []string{
		"HOME=" + home,
		"TMPDIR=" + tmpdir,
		"PATH=" + os.Getenv("PATH"),
		"LANG=C.UTF-8",
		"TERM=dumb",
		"GOCACHE=" + goEnv["GOCACHE"],
		"GOMODCACHE=" + goEnv["GOMODCACHE"],
		"GOFLAGS=" + goEnv["GOFLAGS"],
		"GOTOOLCHAIN=local",
	}
	if host {
		env = append(env, "GOPROXY="+goEnv["GOPROXY"])
	} else {
		// No network in the sandbox: the module cache is the proxy.
		env = append(env, "GOPROXY=file://"+filepath.ToSlash(filepath.Join(goEnv["GOMODCACHE"], "cache", "download")))
	}
	script := filepath.Join(tmp, "readme.sh")
	if err := os.WriteFile(script, []byte(Script(ds...)), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var out io.Writer = &log
	if testing.Verbose() {
		out = io.MultiWriter(&log, os.Stdout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := Run{Script: script, Dir: repo, Env: env, Out: &lockedWriter{w: out}, Host: host}.Start(ctx)
	if errors.Is(err, ErrNoSandbox) && !host && fallback {
		t.Logf("%v; FLUVIO_README_FALLBACK=host: running on the host's loopback", err)
		checkPorts()
		env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GOPROXY=") })
		env = append(env, "GOPROXY="+goEnv["GOPROXY"])
		log.Reset()
		err = Run{Script: script, Dir: repo, Env: env, Out: &lockedWriter{w: out}, Host: true}.Start(ctx)
	}
	took := time.Since(start).Round(time.Second)
	switch {
	case errors.Is(err, ErrNoSandbox):
		t.Fatal(err)
	case ctx.Err() != nil:
		t.Fatalf("the README's commands did not finish within %v (FLUVIO_README_TIMEOUT); the last lines:\n%s", timeout, tail(log.String(), 40))
	case err != nil:
		t.Fatalf("a README command failed after %v (%v); the last lines:\n%s", took, err, tail(log.String(), 60))
	}
	if !strings.Contains(log.String(), "== every block ran") {
		t.Fatalf("the script ended early; the last lines:\n%s", tail(log.String(), 40))
	}
	t.Logf("every README block ran in %v", took)
}

// goEnvironment reads the go command's settings that an empty HOME would
// lose (the caches) or that the sandbox needs.
func goEnvironment(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "env", "-json", "GOCACHE", "GOMODCACHE", "GOFLAGS", "GOPROXY").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("go env: %v", err)
	}
	return m
}

var goInstall = regexp.MustCompile(`(?m)^\s*go install (\S+@\S+)`)

// prepare fills the module and build caches on the host (which has the
// network) with what the script needs: the repository's modules and every
// 'go install PKG@VERSION' the README runs.
func prepare(t *testing.T, repo string, goEnv map[string]string, text, gobin string) {
	t.Helper()
	run := func(args ...string) {
		cmd := exec.Command("go", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS="+goEnv["GOFLAGS"])
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("prepare: go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("mod", "download")
	for _, m := range goInstall.FindAllStringSubmatch(text, -1) {
		run("install", m[1])
	}
}

var loopbackPort = regexp.MustCompile(`(?:127\.0\.0\.1|localhost):(\d{2,5})\b`)

// busyPorts returns the loopback ports named in text (and 9003, make run's
// default) that something already listens on.
func busyPorts(text string) []int {
	seen := map[int]bool{9003: true}
	for _, m := range loopbackPort.FindAllStringSubmatch(text, -1) {
		if p, err := strconv.Atoi(m[1]); err == nil {
			seen[p] = true
		}
	}
	var busy []int
	for p := range seen {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			busy = append(busy, p)
			continue
		}
		ln.Close()
	}
	sort.Ints(busy)
	return busy
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestBlocks checks the extractor: only "sh" fences, in order, with their
// first line; the skip marker; and the mistakes it refuses.
func TestBlocks(t *testing.T) {
	md := "# t\n\n```sh\necho one\n```\n\n```go\nfmt.Println()\n```\n\n" +
		"<!-- readme-test: skip needs another machine -->\n```sh\nssh far\n```\n\n````sh\necho ```\n````\n```\nplain\n```\n"
	got, err := Blocks([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	want := []Block{
		{Line: 4, Text: "echo one\n"},
		{Line: 13, Text: "ssh far\n", Skip: true, Reason: "needs another machine"},
		{Line: 17, Text: "echo ```\n"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Blocks:\n got %+v\nwant %+v", got, want)
	}
	for name, bad := range map[string]string{
		"unterminated":       "```sh\necho\n",
		"marker, no reason":  "<!-- readme-test: skip -->\n```sh\necho\n```\n",
		"marker before text": "<!-- readme-test: skip why -->\ntext\n```sh\necho\n```\n",
		"marker before go":   "<!-- readme-test: skip why -->\n```go\nx\n```\n",
		"marker at the end":  "<!-- readme-test: skip why -->\n",
	} {
		if _, err := Blocks([]byte(bad)); err == nil {
			t.Errorf("%s: Blocks accepted %q", name, bad)
		}
	}
}

// TestScriptNamesTheFailingLine runs a generated script whose third block
// fails on its second line: the error names that markdown line, the first
// blocks ran, the skipped one did not, and an export carries over.
func TestScriptNamesTheFailingLine(t *testing.T) {
	md := "```sh\nexport GREETING=hi\n```\n" + // block at line 2
		"<!-- readme-test: skip illustrative -->\n```sh\necho SKIPPED\n```\n" +
		"```sh\necho \"$GREETING there\"\nfalse\necho AFTER\n```\n" // echo at line 9, false at 10
	blocks, err := Blocks([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(script, []byte(Script(Doc{Name: "X.md", Blocks: blocks})), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", script).CombinedOutput()
	if err == nil {
		t.Fatalf("the script succeeded:\n%s", out)
	}
	s := string(out)
	for _, want := range []string{"hi there", "FAILED at X.md:10 ", "X.md:6: not run (illustrative)"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	for _, bad := range []string{"\nSKIPPED", "\nAFTER", "every block ran"} {
		if strings.Contains(s, bad) {
			t.Errorf("output has %q:\n%s", bad, s)
		}
	}
}

// TestSandboxIsolates runs, in the sandbox, a script that connects to a
// port the host listens on, and leaves a process behind: the connection is
// refused (the loopback is the sandbox's own, and up), and the process dies
// with the sandbox.
func TestSandboxIsolates(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	sleeper := fmt.Sprintf("600.%d", os.Getpid()) // a duration no other process uses
	script := filepath.Join(dir, "s.sh")
	body := fmt.Sprintf(`sleep %s &
if (exec 3<>/dev/tcp/127.0.0.1/%d) 2>%s/err; then echo CONNECTED; fi
cat %s/err
`, sleeper, port, dir, dir)
	if err := os.WriteFile(script, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = Run{Script: script, Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH")}, Out: &lockedWriter{w: &out}}.Start(ctx)
	if errors.Is(err, ErrNoSandbox) {
		t.Skipf("no user namespaces here: %v", err)
	}
	if err != nil {
		t.Fatalf("sandbox run: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "CONNECTED") || !strings.Contains(out.String(), "Connection refused") {
		t.Fatalf("want the host's port refused (not reached, not unreachable) in the sandbox:\n%s", out.String())
	}
	testkit.WaitFor(t, 5*time.Second, func() error {
		if pids := processesWith("sleep\x00" + sleeper); len(pids) > 0 {
			return fmt.Errorf("the script's 'sleep %s' outlived the sandbox: pids %v", sleeper, pids)
		}
		return nil
	})
}

// TestHostModeStopsWhatItStarted: on the host, the processes a script
// leaves running are stopped (by PID, found by the run's marker) when it
// ends.
func TestHostModeStopsWhatItStarted(t *testing.T) {
	dir := t.TempDir()
	sleeper := fmt.Sprintf("601.%d", os.Getpid())
	script := filepath.Join(dir, "s.sh")
	if err := os.WriteFile(script, []byte("sleep "+sleeper+" &\n(sleep "+sleeper+" &)\necho started\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := (Run{Script: script, Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH")}, Out: &lockedWriter{w: &out}, Host: true}).Start(ctx); err != nil {
		t.Fatalf("host run: %v\n%s", err, out.String())
	}
	if pids := processesWith("sleep\x00" + sleeper); len(pids) > 0 {
		t.Fatalf("the script's 'sleep %s' processes outlived the run: pids %v", sleeper, pids)
	}
}

// processesWith returns the PIDs whose command line contains s.
func processesWith(s string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cl, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && strings.Contains(string(cl), s) {
			out = append(out, pid)
		}
	}
	return out
}

// lockedWriter serialises writes (the sandbox's stdout and stderr share it).
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestScriptChecksShownOutput: a "#   " line under a command is output the
// command must print (blanks collapsed); under a background command it is
// not checked; a missing line fails at the command's line.
func TestScriptChecksShownOutput(t *testing.T) {
	run := func(md string) (string, error) {
		blocks, err := Blocks([]byte(md))
		if err != nil {
			t.Fatal(err)
		}
		script := filepath.Join(t.TempDir(), "s.sh")
		if err := os.WriteFile(script, []byte(Script(Doc{Name: "X.md", Blocks: blocks})), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("bash", script).CombinedOutput()
		return string(out), err
	}
	ok := "```sh\nprintf 'id   name\\n200  custom-spu-200\\n'   # a comment\n#   200 custom-spu-200\nsleep 0.01 &\n#   never printed\necho \"it's # not a comment\"\n#   it's # not a comment\n```\n"
	if out, err := run(ok); err != nil || !strings.Contains(out, "every block ran") {
		t.Fatalf("shown output present: %v\n%s", err, out)
	}
	bad := "```sh\necho one\n#   one\necho two\n#   three\necho after\n```\n" // echo two at line 4
	out, err := run(bad)
	if err == nil || !strings.Contains(out, "the output lacks the line shown: three") || !strings.Contains(out, "FAILED at X.md:4 ") || strings.Contains(out, "\nafter") {
		t.Fatalf("shown output missing: %v\n%s", err, out)
	}
}

// checkSyntax fails if bash does not parse script (bash -n runs nothing).
func checkSyntax(t *testing.T, script string) {
	t.Helper()
	if strings.TrimSpace(script) == "" {
		t.Fatalf("the docs %v hold no sh block to run", docs)
	}
	path := filepath.Join(t.TempDir(), "readme.sh")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("the README's script is not valid bash: %v\n%s", err, out)
	}
	t.Logf("the README's blocks parse and make valid bash; 'make readme' runs them")
}
