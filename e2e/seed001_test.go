package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// transcriptStep is one '$ ' command of a transcript and its output lines.
type transcriptStep struct {
	cmd        string
	background bool
	out        []string
}

// parseTranscript reads testdata/NAME: '#' lines are comments, '$ ' lines
// commands, the other non-blank lines their output. subst rewrites every
// command and output line first.
func parseTranscript(t *testing.T, name string, subst *strings.Replacer) []transcriptStep {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var steps []transcriptStep
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, " ")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "$ "):
			cmd := subst.Replace(strings.TrimPrefix(line, "$ "))
			bg := strings.HasSuffix(cmd, " &")
			steps = append(steps, transcriptStep{cmd: strings.TrimSuffix(cmd, " &"), background: bg})
		default:
			if len(steps) == 0 {
				t.Fatalf("%s: output %q before any command", name, line)
			}
			steps[len(steps)-1].out = append(steps[len(steps)-1].out, subst.Replace(line))
		}
	}
	return steps
}

// sameFields compares output line by line, field by field.
func sameFields(got string, want []string) error {
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if len(lines) != len(want) {
		return fmt.Errorf("got %d lines, want %d:\n%s", len(lines), len(want), got)
	}
	for i := range want {
		if g, w := strings.Join(strings.Fields(lines[i]), " "), strings.Join(strings.Fields(want[i]), " "); g != w {
			return fmt.Errorf("line %d: got %q, want %q", i+1, g, w)
		}
	}
	return nil
}

// TestE2ESeed001Transcript runs the custom-SPU transcript of seed 001 as
// written, with the SPU on the SC's private port (`SC-PRIVATE`:9004) and
// the CLI on the public one (9003); only the port numbers are replaced
// by free ones. It also checks that an SPU may still use the public port.
func TestE2ESeed001Transcript(t *testing.T) {
	e := newEnv(t)
	// The plan's ports keep Fluvio's layout: SC P (9003), its private
	// port P+1 (9004), a custom SPU on P+2 and P+3 (9005, 9006).
	plan := freePlan(t, 1)
	port := func(addr string) string {
		_, p, _ := net.SplitHostPort(addr)
		return p
	}
	pub, priv := plan.CustomSPU()
	p3, p4, p5, p6 := port(plan.SCAddr()), port(plan.SCPrivate()), port(pub), port(priv)
	host := "127.0.0.1"
	subst := strings.NewReplacer(
		"`SC-PRIVATE`", host, "`SC`", host,
		":9003", ":"+p3, ":9004", ":"+p4, ":9005", ":"+p5, ":9006", ":"+p6)
	scDir := filepath.Join(t.TempDir(), "sc")
	// NATS auth is on: the CLI speaks as the admin the SC made, and
	// spu-server 200 takes the credentials 'custom-spu register' writes
	// from FLUVIO_SPU_CREDS (its --creds), so the transcript runs as written.
	e.vars = append(e.vars, "FLUVIO_CLIENT_CREDS="+filepath.Join(scDir, "auth", "admin.creds"),
		"FLUVIO_SPU_CREDS="+filepath.Join(e.home, ".fluvio", "creds", "spu-200.creds"))
	e.start("sc-server", "--sc", host+":"+p3, "--sc-private", host+":"+p4, "--data-dir", scDir)
	testkit.WaitFor(t, 20*time.Second, func() error {
		if out, errs, code := e.fluvio("spu", "list", "--sc", host+":"+p3); code != 0 {
			return fmt.Errorf("spu list: exit %d: %s%s", code, out, errs)
		}
		return nil
	})

	for _, st := range parseTranscript(t, "seed001.txt", subst) {
		t.Logf("$ %s", st.cmd)
		args := strings.Fields(st.cmd)
		switch {
		case st.background:
			p := e.start(args[0], args[1:]...)
			testkit.WaitFor(t, 10*time.Second, func() error {
				if done, code := p.exited(); done {
					t.Fatalf("%s exited %d: %s", st.cmd, code, p.out.String())
				}
				lines := strings.SplitAfterN(p.out.String(), "\n", len(st.out)+1)
				if len(lines) < len(st.out) || (len(lines) == len(st.out) && !strings.HasSuffix(lines[len(lines)-1], "\n")) {
					return fmt.Errorf("output so far %q", p.out.String())
				}
				return sameFields(strings.Join(lines[:len(st.out)], ""), st.out)
			})
		case args[0] == "fluvio":
			// A listing may need a heartbeat to show the SPU online.
			testkit.WaitFor(t, 5*time.Second, func() error {
				out, errs, code := e.fluvio(args[1:]...)
				if code != 0 {
					return fmt.Errorf("exit %d: %s", code, errs)
				}
				return sameFields(out, st.out)
			})
		default:
			t.Fatalf("transcript command %q: only fluvio and background servers are run", st.cmd)
		}
	}

	// The public port keeps working for SPUs.
	pub, priv, _ = plan.SPU(0)
	e.ok("custom-spu", "register", "--id", "201", "--public-server", pub, "--private-server", priv, "--sc", host+":"+p3)
	e.start("spu-server", "--id", "201", "--sc-controller", host+":"+p3, "--creds", filepath.Join(e.home, ".fluvio", "creds", "spu-201.creds"))
	testkit.WaitFor(t, 10*time.Second, func() error {
		if r := row(e.ok("spu", "list", "--sc", host+":"+p3), "201"); !strings.Contains(r, " online ") {
			return fmt.Errorf("row %q", r)
		}
		return nil
	})
}
