package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var makeTarget = regexp.MustCompile(`(?m)^([A-Za-z0-9][A-Za-z0-9_.-]*):([^=]|$)`)

// TestMakeHelpListsEveryTarget: every target of the Makefile has a "## "
// description that 'make help' prints (a target named with a digit, like
// e2e, once went missing).
func TestMakeHelpListsEveryTarget(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("no make on PATH: the README's two commands need it (install make, e.g. apt-get install make)")
	}
	root := repoRoot(t)
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "--no-print-directory", "help")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make help: %v", err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			listed[f[0]] = true
		}
	}
	n := 0
	for _, m := range makeTarget.FindAllStringSubmatch(string(mk), -1) {
		name := m[1]
		if strings.HasPrefix(name, ".") {
			continue
		}
		n++
		if !listed[name] {
			t.Errorf("make help does not list the target %q: give it a '## description'", name)
		}
	}
	if n < 10 {
		t.Fatalf("found only %d targets in the Makefile: the pattern is wrong", n)
	}
}
