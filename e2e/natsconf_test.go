package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

var (
	natsOnce sync.Once
	natsErr  error
)

// needNATSServer builds nats-server (the module is in go.mod) into the
// binaries directory, once.
func needNATSServer(t *testing.T) {
	t.Helper()
	needBinaries(t)
	natsOnce.Do(func() {
		cmd := exec.Command("go", "build", "-o", bin("nats-server"), "github.com/nats-io/nats-server/v2")
		cmd.Dir = repoRoot(t)
		if b, err := cmd.CombinedOutput(); err != nil {
			natsErr = fmt.Errorf("go build nats-server: %w\n%s", err, b)
		}
	})
	if natsErr != nil {
		t.Fatal(natsErr)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// httpGet returns the status and body of url, or an error.
func httpGet(url string) (int, string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// metric returns the value of the sample series (name{labels} exactly as
// exposed) in a /metrics body.
func metric(body, series string) (float64, bool) {
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

func waitReady(t *testing.T, what, addr string, want int) {
	t.Helper()
	testkit.WaitFor(t, 20*time.Second, func() error {
		code, body, err := httpGet("http://" + addr + "/readyz")
		if err != nil || code != want {
			return fmt.Errorf("%s /readyz: %d %q %v, want %d", what, code, body, err, want)
		}
		return nil
	})
}

// TestE2ENATSConf runs the control plane on a standalone nats-server
// started with the repository's nats.conf (a copy on a free port and a
// temporary store): sc-server --nats-url, a custom SPU registered and
// online, a topic produced to and consumed from with the CLI, every
// process under the user nats.conf gives it. It also checks the
// operational endpoints of the real processes: the SPU's counters moved
// by the records produced and consumed, and /readyz of the SC and the SPU
// turn 503 when NATS goes away.
func TestE2ENATSConf(t *testing.T) {
	needNATSServer(t)
	e := newEnv(t)
	conf, err := os.ReadFile(filepath.Join(repoRoot(t), "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	store := filepath.Join(t.TempDir(), "jetstream")
	rewritten := string(conf)
	for _, r := range []struct {
		re, with string
	}{
		{`(?m)^listen: .*$`, "listen: " + addr},
		{`(?m)^(\s*)store_dir: .*$`, `${1}store_dir: "` + store + `"`},
	} {
		re := regexp.MustCompile(r.re)
		if !re.MatchString(rewritten) {
			t.Fatalf("nats.conf has no line matching %s: update this test with the config", r.re)
		}
		rewritten = re.ReplaceAllString(rewritten, r.with)
	}
	confPath := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(confPath, []byte(rewritten), 0o644); err != nil {
		t.Fatal(err)
	}
	natsProc := e.start("nats-server", "-c", confPath)
	testkit.WaitFor(t, 10*time.Second, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return fmt.Errorf("nats-server not listening on %s: %w; output %q", addr, err, natsProc.out.String())
		}
		return c.Close()
	})
	// The users nats.conf defines (see its authorization block).
	url := func(user string) string { return fmt.Sprintf("nats://%s:%s-secret@%s", user, user, addr) }
	if !strings.Contains(rewritten, "authorization") {
		url = func(string) string { return "nats://" + addr }
	}

	if strings.Contains(rewritten, "authorization") {
		// Wrong credentials: a clear error that does not echo the password.
		bad := fmt.Sprintf("nats://sc:wrong-secret@%s", addr)
		for _, p := range []*proc{
			e.start("sc-server", "--nats-url", bad),
			e.start("spu-server", "--id", "5001", "--sc-controller", bad, "--log-base-dir", filepath.Join(t.TempDir(), "bad")),
		} {
			testkit.WaitFor(t, 20*time.Second, func() error {
				if done, code := p.exited(); !done || code == 0 {
					return fmt.Errorf("%s with wrong credentials: exited %v, code %d; output %q", p.name, done, code, p.out.String())
				}
				return nil
			})
			out := p.out.String()
			testkit.Contains(t, out, "USER:PASSWORD@HOST:PORT")
			if strings.Contains(out, "wrong-secret") {
				t.Fatalf("%s printed the password:\n%s", p.name, out)
			}
		}
	}

	scHTTP := freeAddr(t)
	scProc := e.start("sc-server", "--nats-url", url("sc"), "--http", scHTTP)
	waitReady(t, "sc-server", scHTTP, 200)

	pub, priv := freeAddr(t), freeAddr(t)
	e.ok("custom-spu", "register", "--id", "5001", "--public-server", pub, "--private-server", priv, "--sc", url("admin"), "--creds-out", filepath.Join(e.home, "spu-5001.creds"))
	spuHTTP := freeAddr(t)
	spuProc := e.start("spu-server", "--id", "5001", "--sc-controller", url("spu5001"),
		"--log-base-dir", filepath.Join(t.TempDir(), "spu"), "--http", spuHTTP)
	waitReady(t, "spu-server", spuHTTP, 200)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if r := row(e.ok("spu", "list", "--sc", url("admin")), "5001"); !strings.Contains(r, " online ") {
			return fmt.Errorf("spu list row %q", r)
		}
		return nil
	})

	e.ok("topic", "create", "conf", "--sc", url("admin"))
	produce := exec.Command(bin("fluvio"), "produce", "conf", "--sc", url("client"))
	produce.Env = e.vars
	produce.Stdin = strings.NewReader("one\ntwo\nthree\n")
	if b, err := produce.CombinedOutput(); err != nil {
		t.Fatalf("produce: %v\n%s", err, b)
	}
	if got := strings.Fields(e.ok("consume", "conf", "-B", "-d", "--sc", url("client"))); strings.Join(got, ",") != "one,two,three" {
		t.Fatalf("consumed %q", got)
	}

	// The SPU counted exactly what went through it.
	_, body, err := httpGet("http://" + spuHTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for series, want := range map[string]float64{
		`fluvio_spu_records_in_total{partition="0",spu="5001",topic="conf"}`:                    3,
		`fluvio_spu_records_out_total{partition="0",reader="consumer",spu="5001",topic="conf"}`: 3,
		`fluvio_spu_log_end_offset{partition="0",role="leader",spu="5001",topic="conf"}`:        3,
		`fluvio_spu_isr_size{partition="0",role="leader",spu="5001",topic="conf"}`:              1,
	} {
		if got, ok := metric(body, series); !ok || got != want {
			t.Errorf("%s = %v (found %v), want %v", series, got, ok, want)
		}
	}
	// A produce refused while the new topic's leader was still being set up
	// is retried, so the request count is at least one, not exactly one.
	if got, ok := metric(body, `fluvio_spu_request_duration_seconds_count{api="produce",spu="5001"}`); !ok || got < 1 {
		t.Errorf("produce requests = %v (found %v), want >= 1", got, ok)
	}
	_, scBody, err := httpGet("http://" + scHTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := metric(scBody, `fluvio_sc_spus{state="online"}`); got != 1 {
		t.Errorf("SC reports %v SPUs online, want 1", got)
	}
	if got, _ := metric(scBody, `fluvio_sc_request_errors_total{code="4",endpoint="topic-create"}`); got != 0 {
		t.Errorf("topic-create errors %v", got)
	}
	if t.Failed() {
		t.Logf("SPU metrics:\n%s", body)
	}

	// NATS goes away: neither the SC nor the SPU is ready, both still live.
	natsProc.kill(syscall.SIGTERM)
	waitReady(t, "sc-server without NATS", scHTTP, http.StatusServiceUnavailable)
	waitReady(t, "spu-server without NATS", spuHTTP, http.StatusServiceUnavailable)
	for _, a := range []string{scHTTP, spuHTTP} {
		if code, _, err := httpGet("http://" + a + "/livez"); err != nil || code != 200 {
			t.Errorf("%s /livez without NATS: %d %v", a, code, err)
		}
	}
	spuProc.kill(syscall.SIGTERM)
	scProc.kill(syscall.SIGTERM)
}
