package lint

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/fluvio-go/fluvio"

// rule forbids packages matching from (a path relative to the module, "" is
// the root package) from depending, directly or not, on any package under
// the listed prefixes. allow lists exceptions to forbid.
type rule struct {
	name   string
	from   func(rel string) bool
	forbid []string
	allow  []string
}

func under(prefix string) func(string) bool {
	return func(rel string) bool { return rel == prefix || strings.HasPrefix(rel, prefix+"/") }
}

func rules() []rule {
	ours := []string{""} // every package of ours
	return []rule{
		{name: "sc never imports spu, cli or the client", from: under("sc"), forbid: []string{"spu", "cli", "fluviotest", "@root"}},
		{name: "spu never imports sc, cli or the client", from: under("spu"), forbid: []string{"sc", "cli", "fluviotest", "@root"}},
		{name: "cli never imports server packages", from: under("cli"), forbid: []string{"sc", "spu", "wal", "fluviotest"}, allow: []string{"wire", "batch"}},
		{name: "examples never import server packages", from: under("examples"), forbid: []string{"sc", "spu", "wal", "cli", "bus"}, allow: []string{"wire", "batch", "fluviotest", "bus"}}, // bus: through package fluvio; examples/imports_test.go checks direct imports
		{name: "the client never imports servers or cli", from: func(r string) bool { return r == "" }, forbid: []string{"sc", "spu", "cli", "wal", "fluviotest"}, allow: []string{"wire", "batch"}},
		{name: "wal imports nothing of ours but batch and vfs", from: under("wal"), forbid: ours, allow: []string{"wal", "batch", "vfs"}},
		{name: "bus imports nothing of ours", from: func(r string) bool { return r == "bus" }, forbid: ours},
		{name: "placement imports nothing of ours", from: under("sc/placement"), forbid: ours},
		{name: "wire imports only batch", from: under("wire"), forbid: ours, allow: []string{"wire", "batch"}},
		{name: "batch and vfs import nothing of ours", from: func(r string) bool { return r == "batch" || r == "vfs" }, forbid: ours, allow: []string{"batch", "vfs"}},
	}
}

// matches reports whether rel is the package prefix p or under it. The
// prefix "" matches every package of ours; "@root" matches the root only.
func matches(rel, p string) bool {
	switch p {
	case "":
		return true
	case "@root":
		return rel == ""
	}
	return rel == p || strings.HasPrefix(rel, p+"/")
}

func rel(path string) (string, bool) {
	if path == mod {
		return "", true
	}
	if strings.HasPrefix(path, mod+"/") {
		return strings.TrimPrefix(path, mod+"/"), true
	}
	return "", false
}

// TestLayering checks DESIGN.md "Layout and import rules" with go list -deps.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		from, ok := rel(fields[0])
		if !ok || strings.HasPrefix(from, "internal/") {
			continue
		}
		for _, r := range rules() {
			if !r.from(from) {
				continue
			}
			checked++
			for _, dep := range fields[1:] {
				to, ok := rel(dep)
				if !ok || to == from || strings.HasPrefix(to, "internal/") {
					continue
				}
				if violates(r, to) {
					t.Errorf("%s: %s imports %s", r.name, fields[0], dep)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no package matched any rule: is the module path right?")
	}
}

func violates(r rule, to string) bool {
	for _, a := range r.allow {
		if matches(to, a) {
			return false
		}
	}
	for _, f := range r.forbid {
		if matches(to, f) {
			return true
		}
	}
	return false
}

// TestRuleMatching keeps the rule engine honest: a forbidden edge is seen.
func TestRuleMatching(t *testing.T) {
	cases := []struct {
		rule string
		to   string
		bad  bool
	}{
		{"sc never imports spu, cli or the client", "spu/replica", true},
		{"sc never imports spu, cli or the client", "bus", false},
		{"wal imports nothing of ours but batch and vfs", "batch", false},
		{"wal imports nothing of ours but batch and vfs", "bus", true},
		{"the client never imports servers or cli", "wire", false},
		{"the client never imports servers or cli", "spu", true},
		{"the client never imports servers or cli", "sc/placement", true},
	}
	byName := map[string]rule{}
	for _, r := range rules() {
		byName[r.name] = r
	}
	for _, c := range cases {
		r, ok := byName[c.rule]
		if !ok {
			t.Fatalf("no rule %q", c.rule)
		}
		if got := violates(r, c.to); got != c.bad {
			t.Errorf("%s -> %s: violates=%v, want %v", c.rule, c.to, got, c.bad)
		}
	}
}
