package cli

import (
	"strings"
	"testing"
)

// TestGroupHelpHasExamples: every command group's help has an Examples
// section (leaves are checked by TestHelpHasExamples), and every example
// line of a group parses: run with an SC nobody listens on, it fails for
// that reason, never with a usage error.
func TestGroupHelpHasExamples(t *testing.T) {
	e := newCLIEnv(t)
	var walk func(path []string, c *command)
	groups := 0
	walk = func(path []string, c *command) {
		path = append(path, c.Name)
		if c.Run != nil {
			return
		}
		groups++
		out := e.ok(append(path, "--help")...)
		if !strings.Contains(out, "\nExamples:\n  fluvio ") {
			t.Errorf("fluvio %s --help has no Examples section:\n%s", strings.Join(path, " "), out)
		}
		for _, s := range c.Sub {
			walk(path, s)
		}
	}
	for _, c := range topLevel() {
		walk(nil, c)
	}
	if groups < 7 {
		t.Fatalf("only %d groups checked", groups)
	}
	for path, ex := range groupExamples {
		for line := range strings.Lines(ex) {
			line, _, _ = strings.Cut(strings.TrimSpace(line), "#")
			args := strings.Fields(line)
			if len(args) < 2 || args[0] != "fluvio" {
				continue // another program's command line
			}
			args = args[1:]
			if strings.Join(args[:2], " ") == "cluster start" {
				continue // would start processes
			}
			switch {
			case args[0] == "profile":
			case args[0] == "cluster" && args[1] != "spu":
				// local lifecycle: the temporary HOME has no cluster
			default:
				// never the default SC: a cluster may run there
				args = append(args, "--sc", "127.0.0.1:1")
			}
			_, errs, code := e.run(args...)
			if code == exitUsage {
				t.Errorf("%s example %q is a usage error: %s", path, line, errs)
			}
		}
	}
}
