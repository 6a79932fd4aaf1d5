package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestComplete(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	e.ok("profile", "add", "fake", "--sc", sc.Addr())
	e.ok("profile", "add", "prod", "--sc", "10.0.0.1:9003")
	e.ok("custom-spu", "register", "--id", "1", "-p", "127.0.0.1:1", "-v", "127.0.0.1:2")
	e.ok("topic", "create", "orders")
	e.ok("topic", "create", "other")

	lines := func(args ...string) string {
		return strings.Join(strings.Fields(e.ok(append([]string{"__complete"}, args...)...)), " ")
	}
	cases := []struct {
		words []string
		want  string
	}{
		{[]string{""}, "cluster completion consume consumer custom-spu partition produce profile spu topic version"},
		{[]string{"to"}, "topic"},
		{[]string{"topic", ""}, "add-partition create delete describe list"},
		{[]string{"topic", "d"}, "delete describe"},
		{[]string{"cluster", "spu", ""}, "list register unregister"},
		{[]string{"topic", "create", "x", "--re"}, "--replica-assignment --replication --retention-time"},
		{[]string{"topic", "list", "-O", ""}, "json table yaml"},
		{[]string{"topic", "list", "--output", "y"}, "yaml"},
		{[]string{"topic", "describe", ""}, "orders other"},
		{[]string{"topic", "delete", "--sc", sc.Addr(), "or"}, "orders"},
		{[]string{"topic", "describe", "-P", "prod", ""}, ""}, // unreachable SC: no names, no error
		{[]string{"partition", "list", "--topic", "o"}, "orders other"},
		{[]string{"profile", "switch", ""}, "fake prod"},
		{[]string{"spu", "list", "--profile", "p"}, "prod"},
		{[]string{"completion", ""}, "bash fish zsh"},
		{[]string{"nosuch", ""}, ""},
		{nil, "cluster completion consume consumer custom-spu partition produce profile spu topic version"},
	}
	for _, c := range cases {
		if got := lines(c.words...); got != c.want {
			t.Errorf("complete %q = %q, want %q", c.words, got, c.want)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	e := newCLIEnv(t)
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out := e.ok("completion", sh)
		testkit.Contains(t, out, "fluvio __complete")
		if path, err := exec.LookPath(sh); err == nil {
			f := filepath.Join(t.TempDir(), "c."+sh)
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if b, err := exec.Command(path, "-n", f).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, b)
			}
		}
	}
	testkit.Contains(t, e.fails(exitUsage, "completion", "tcsh"), `no completion for shell "tcsh"`)
	testkit.Contains(t, e.fails(exitUsage, "completion"), "bash, zsh or fish")
}
