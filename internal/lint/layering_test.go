package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const mod = "github.com/fluvio-go/fluvio"

// rule constrains the imports of the packages it applies to (from). The
// layers and the reason for each rule are in DESIGN.md at the repository
// root ("Layers and import rules").
type rule struct {
	name string
	from func(rel string) bool
	// allow, when non-nil, lists the only packages of ours the production
	// files may import directly (prefixes, see matches).
	allow []string
	// forbid lists packages of ours the production files may not depend
	// on, directly or through other packages, and test files may not
	// import (unless testAllow says so).
	forbid []string
	// testAllow lists what the _test.go files may import besides allow.
	testAllow []string
}

// under matches the package p and the packages below it.
func under(p string) func(string) bool {
	return func(rel string) bool { return matches(rel, p) }
}

// only matches the package p itself.
func only(p string) func(string) bool { return func(rel string) bool { return rel == p } }

// servers and the rest are groups of packages, for the rules.
var (
	servers  = []string{"sc", "spu"}
	drivers  = []string{"cli", "chaos", "bench", "e2e", "examples", "fluviotest"}
	testKits = []string{"internal"} // internal/testkit and friends, usable by every test
)

func rules() []rule {
	return []rule{
		{name: "batch imports nothing of ours", from: only("batch"), allow: []string{}, testAllow: testKits},
		{name: "vfs imports nothing of ours (its test filesystems import only vfs)", from: under("vfs"), allow: []string{"vfs"}, testAllow: testKits},
		{name: "wire imports only batch", from: under("wire"), allow: []string{"wire", "batch"}, testAllow: testKits},
		{name: "bus imports nothing of ours", from: under("bus"), allow: []string{"bus"}, testAllow: testKits},
		{name: "wal imports only batch and vfs", from: under("wal"), allow: []string{"wal", "batch", "vfs"}, testAllow: testKits},
		{name: "sc never imports spu, wal or wire", from: under("sc"), allow: []string{"sc", "bus", "internal"},
			forbid: concat([]string{"spu", "wal", "wire", "batch", "vfs", "@root"}, drivers), testAllow: testKits},
		{name: "spu never imports sc", from: under("spu"), allow: []string{"spu", "bus", "wire", "batch", "wal", "vfs", "internal"},
			forbid: concat([]string{"sc", "@root"}, drivers), testAllow: testKits},
		// The client library's idempotence tests run the real producer
		// table of the leader (spu/replica) behind their fake SPU, and
		// answer its verdicts as the SPU does (spu.WireError).
		{name: "the client library imports only bus, wire and batch", from: only(""), allow: []string{"bus", "wire", "batch", "internal"},
			forbid: concat([]string{"wal", "vfs"}, servers, drivers), testAllow: []string{"internal", "fluviotest", "spu"}},
		{name: "cli imports only the client library, never bus, wire or the servers", from: under("cli"), allow: []string{"@root", "cli", "internal"},
			forbid: concat([]string{"wal", "vfs", "fluviotest"}, servers), testAllow: []string{"internal", "fluviotest"}},
		{name: "examples import only package fluvio", from: under("examples"), allow: []string{"@root"},
			forbid: concat([]string{"wal", "vfs", "cli", "chaos", "bench", "e2e", "fluviotest"}, servers), testAllow: []string{"fluviotest", "internal/testkit"}},
		{name: "fluviotest runs the servers in-process, never cli or the client", from: under("fluviotest"),
			allow: []string{"fluviotest", "sc", "spu", "bus", "internal"}, forbid: []string{"@root", "cli", "chaos", "bench", "e2e", "examples"},
			testAllow: []string{"@root", "internal"}},
		{name: "chaos drives processes through the client library and reads the WAL", from: under("chaos"),
			allow: []string{"chaos", "@root", "wal", "batch", "internal"}, forbid: []string{"sc", "spu", "cli", "fluviotest"}, testAllow: testKits},
		{name: "bench drives processes through the client library", from: under("bench"), allow: []string{"bench", "@root", "internal"},
			forbid: concat([]string{"wal", "vfs", "fluviotest"}, servers), testAllow: testKits},
		{name: "e2e drives the binaries and the client library", from: under("e2e"), allow: []string{"@root", "internal"},
			forbid: concat([]string{"wal", "vfs", "fluviotest"}, servers), testAllow: testKits},
		{name: "internal helpers import only internal helpers", from: internalHelper, allow: []string{"internal"}, testAllow: testKits},
		{name: "the local-cluster supervisor runs the servers as processes, through the client library", from: under("internal/localcluster"),
			allow: []string{"internal", "@root"}, forbid: concat([]string{"wal", "vfs"}, servers, drivers), testAllow: testKits},
		{name: "the security suite attacks in-process servers (tests only)", from: under("security"), allow: []string{},
			forbid: concat([]string{"cli", "chaos", "bench", "e2e", "examples"}, []string{}), testAllow: []string{"sc", "spu", "bus", "wire", "batch", "internal", "@root"}},
	}
}

// internalHelper matches internal/... but the local-cluster supervisor,
// which has its own rule.
func internalHelper(rel string) bool {
	return matches(rel, "internal") && !matches(rel, "internal/localcluster")
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// matches reports whether the package rel (a path relative to the module,
// "" for the root package) is p or below it. "@root" matches the root
// package only.
func matches(rel, p string) bool {
	if p == "@root" {
		return rel == ""
	}
	return rel == p || strings.HasPrefix(rel, p+"/")
}

func matchesAny(rel string, ps []string) bool {
	return slices.ContainsFunc(ps, func(p string) bool { return matches(rel, p) })
}

// pkg is one package of ours and the packages of ours it imports.
type pkg struct {
	rel     string
	imports []string // direct, production files
	deps    []string // direct and indirect, production files
	tests   []string // direct, _test.go files (in-package and external)
}

// violation is one import a rule forbids.
type violation struct {
	rule, from, to string
	test           bool // the import is in a _test.go file
}

func (v violation) String() string {
	kind := "imports"
	if v.test {
		kind = "imports in a test file"
	}
	return fmt.Sprintf("%s: %s %s %s", v.rule, show(v.from), kind, show(v.to))
}

func show(rel string) string {
	if rel == "" {
		return "the root package (fluvio)"
	}
	return rel
}

// check returns the violations of rules by pkgs, and the packages no rule
// applies to.
func check(pkgs []pkg, rules []rule) (vs []violation, unruled []string) {
	for _, p := range pkgs {
		ruled := false
		for _, r := range rules {
			if !r.from(p.rel) {
				continue
			}
			ruled = true
			add := func(v violation) {
				if !slices.Contains(vs, v) {
					vs = append(vs, v)
				}
			}
			for _, to := range p.imports {
				if r.allow != nil && !matchesAny(to, r.allow) {
					add(violation{r.name, p.rel, to, false})
				}
			}
			for _, to := range p.deps {
				if matchesAny(to, r.forbid) {
					add(violation{r.name, p.rel, to, false})
				}
			}
			for _, to := range p.tests {
				if matchesAny(to, r.testAllow) {
					continue
				}
				if r.allow != nil && !matchesAny(to, r.allow) || matchesAny(to, r.forbid) {
					add(violation{r.name, p.rel, to, true})
				}
			}
		}
		if !ruled {
			unruled = append(unruled, p.rel)
		}
	}
	return vs, unruled
}

// load lists the packages of the module with go list, with the extra
// files of overlay (a go build -overlay file; "" for none).
func load(t *testing.T, overlay string) []pkg {
	t.Helper()
	args := []string{"list", "-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .Deps " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	cmd := exec.Command("go", append(args, mod+"/...")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		from, ok := rel(f[0])
		if !ok || len(f) != 4 {
			continue
		}
		ours := func(list string) []string {
			var out []string
			for _, p := range strings.Fields(list) {
				if r, ok := rel(p); ok && r != from && !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
			return out
		}
		pkgs = append(pkgs, pkg{rel: from, imports: ours(f[1]), deps: ours(f[2]), tests: ours(f[3])})
	}
	return pkgs
}

func rel(path string) (string, bool) {
	if path == mod {
		return "", true
	}
	if r, ok := strings.CutPrefix(path, mod+"/"); ok {
		return r, true
	}
	return "", false
}

// TestLayering checks the rules of DESIGN.md "Layers and import rules"
// against every package of the module, test files included.
func TestLayering(t *testing.T) {
	pkgs := load(t, "")
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages of %s: is the module path right?", len(pkgs), mod)
	}
	vs, unruled := check(pkgs, rules())
	for _, v := range vs {
		t.Error(v)
	}
	for _, p := range unruled {
		t.Errorf("no layering rule applies to %s: add one to rules() and to DESIGN.md", show(p))
	}
}

// TestLayeringFailsOnAddedImport adds forbidden imports to real packages
// (through go list -overlay, nothing is written to the tree) and checks
// that each is reported, in production and in test files.
func TestLayeringFailsOnAddedImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	root := strings.TrimSpace(string(out))
	added := []struct {
		file, pkg, imp string
		want           violation
	}{
		{"cli/zz_layering_probe.go", "cli", "bus", violation{rule: "cli imports only the client library, never bus, wire or the servers", from: "cli", to: "bus"}},
		{"cli/zz_layering_probe_test.go", "cli", "wire", violation{rule: "cli imports only the client library, never bus, wire or the servers", from: "cli", to: "wire", test: true}},
		{"sc/zz_layering_probe.go", "sc", "wal", violation{rule: "sc never imports spu, wal or wire", from: "sc", to: "wal"}},
		{"wal/zz_layering_probe_test.go", "wal", "bus", violation{rule: "wal imports only batch and vfs", from: "wal", to: "bus", test: true}},
		{"examples/zz_layering_probe.go", "examples", "bus", violation{rule: "examples import only package fluvio", from: "examples", to: "bus"}},
		{"internal/localcluster/zz_layering_probe.go", "localcluster", "spu", violation{rule: "the local-cluster supervisor runs the servers as processes, through the client library", from: "internal/localcluster", to: "spu"}},
	}
	replace := map[string]string{}
	dir := t.TempDir()
	for i, a := range added {
		src := filepath.Join(dir, fmt.Sprintf("probe%d.go", i))
		body := fmt.Sprintf("package %s\n\nimport _ %q\n", a.pkg, mod+"/"+a.imp)
		if err := os.WriteFile(src, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(root, a.file)] = src
	}
	js, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	overlay := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlay, js, 0o644); err != nil {
		t.Fatal(err)
	}
	vs, _ := check(load(t, overlay), rules())
	for _, a := range added {
		if !slices.Contains(vs, a.want) {
			t.Errorf("adding %s (import %s) was not reported; violations: %v", a.file, a.imp, vs)
		}
	}
}

// TestRuleEngine shows, rule by rule, that a forbidden edge is reported
// and an allowed one is not.
func TestRuleEngine(t *testing.T) {
	cases := []struct {
		rule     string
		from, to string
		test     bool
		bad      bool
	}{
		{"batch imports nothing of ours", "batch", "vfs", false, true},
		{"batch imports nothing of ours", "batch", "internal/testkit", true, false},
		{"vfs imports nothing of ours (its test filesystems import only vfs)", "vfs", "batch", false, true},
		{"vfs imports nothing of ours (its test filesystems import only vfs)", "vfs/vfstest", "vfs", false, false},
		{"wire imports only batch", "wire", "batch", false, false},
		{"wire imports only batch", "wire", "bus", false, true},
		{"bus imports nothing of ours", "bus", "wire", false, true},
		{"bus imports nothing of ours", "bus", "bus/bustest", true, false},
		{"wal imports only batch and vfs", "wal", "vfs", false, false},
		{"wal imports only batch and vfs", "wal", "bus", false, true},
		{"wal imports only batch and vfs", "wal", "spu/replica", true, true},
		{"sc never imports spu, wal or wire", "sc", "bus", false, false},
		{"sc never imports spu, wal or wire", "sc", "spu/replica", false, true},
		{"sc never imports spu, wal or wire", "sc", "wal", false, true},
		{"sc never imports spu, wal or wire", "sc", "wire", false, true},
		{"sc never imports spu, wal or wire", "sc", "fluviotest", true, true},
		{"spu never imports sc", "spu", "wal", false, false},
		{"spu never imports sc", "spu/replica", "sc", false, true},
		{"spu never imports sc", "spu", "sc/placement", true, true},
		{"the client library imports only bus, wire and batch", "", "wire", false, false},
		{"the client library imports only bus, wire and batch", "", "spu/replica", false, true},
		{"the client library imports only bus, wire and batch", "", "spu/replica", true, false},
		{"the client library imports only bus, wire and batch", "", "sc", true, true},
		{"the client library imports only bus, wire and batch", "", "wal", true, true},
		{"cli imports only the client library, never bus, wire or the servers", "cli", "", false, false},
		{"cli imports only the client library, never bus, wire or the servers", "cli", "internal/natsurl", false, false},
		{"cli imports only the client library, never bus, wire or the servers", "cli", "bus", false, true},
		{"cli imports only the client library, never bus, wire or the servers", "cli", "wire", false, true},
		{"cli imports only the client library, never bus, wire or the servers", "cli", "bus", true, true},
		{"cli imports only the client library, never bus, wire or the servers", "cli", "fluviotest/fakesc", true, false},
		{"cli imports only the client library, never bus, wire or the servers", "cli/cmd/fluvio", "sc", false, true},
		{"examples import only package fluvio", "examples/producer", "", false, false},
		{"examples import only package fluvio", "examples/producer", "bus", false, true},
		{"examples import only package fluvio", "examples/producer", "fluviotest", true, false},
		{"fluviotest runs the servers in-process, never cli or the client", "fluviotest", "spu", false, false},
		{"fluviotest runs the servers in-process, never cli or the client", "fluviotest", "", false, true},
		{"fluviotest runs the servers in-process, never cli or the client", "fluviotest", "cli", true, true},
		{"chaos drives processes through the client library and reads the WAL", "chaos", "wal", false, false},
		{"chaos drives processes through the client library and reads the WAL", "chaos", "sc", false, true},
		{"chaos drives processes through the client library and reads the WAL", "chaos", "bus", false, true},
		{"bench drives processes through the client library", "bench/ours", "", false, false},
		{"bench drives processes through the client library", "bench/ours", "bus", false, true},
		{"e2e drives the binaries and the client library", "e2e", "", true, false},
		{"e2e drives the binaries and the client library", "e2e", "spu", true, true},
		{"internal helpers import only internal helpers", "internal/servermain", "internal/natsurl", false, false},
		{"internal helpers import only internal helpers", "internal/natsurl", "bus", false, true},
		{"the local-cluster supervisor runs the servers as processes, through the client library", "internal/localcluster", "", false, false},
		{"the local-cluster supervisor runs the servers as processes, through the client library", "internal/localcluster", "internal/natsauth", false, false},
		{"the local-cluster supervisor runs the servers as processes, through the client library", "internal/localcluster", "sc", false, true},
		{"the local-cluster supervisor runs the servers as processes, through the client library", "internal/localcluster", "spu/replica", false, true},
		{"the local-cluster supervisor runs the servers as processes, through the client library", "internal/localcluster", "bus", false, true},
		{"the local-cluster supervisor runs the servers as processes, through the client library", "internal/localcluster", "cli", true, true},
		{"the security suite attacks in-process servers (tests only)", "security", "sc", true, false},
		{"the security suite attacks in-process servers (tests only)", "security", "cli", true, true},
		{"the security suite attacks in-process servers (tests only)", "security", "bus", false, true},
	}
	byName := map[string]rule{}
	for _, r := range rules() {
		byName[r.name] = r
	}
	tested := map[string]bool{}
	for _, c := range cases {
		r, ok := byName[c.rule]
		if !ok {
			t.Fatalf("no rule %q", c.rule)
		}
		if !r.from(c.from) {
			t.Fatalf("rule %q does not apply to %s", c.rule, show(c.from))
		}
		p := pkg{rel: c.from}
		if c.test {
			p.tests = []string{c.to}
		} else {
			p.imports, p.deps = []string{c.to}, []string{c.to}
		}
		vs, _ := check([]pkg{p}, []rule{r})
		if got := len(vs) > 0; got != c.bad {
			t.Errorf("%s: %s -> %s (test file %v): reported %v, want %v", c.rule, show(c.from), show(c.to), c.test, got, c.bad)
		}
		if c.bad {
			tested[c.rule] = true
		}
	}
	for name := range byName {
		if !tested[name] {
			t.Errorf("rule %q has no case showing a forbidden edge fails", name)
		}
	}
	// An indirect dependency on a forbidden package is reported too.
	vs, _ := check([]pkg{{rel: "sc", imports: []string{"bus"}, deps: []string{"bus", "wal"}}}, []rule{byName["sc never imports spu, wal or wire"]})
	if len(vs) != 1 || vs[0].to != "wal" {
		t.Errorf("sc depending on wal through bus: %v", vs)
	}
	// A package no rule covers is reported.
	if _, unruled := check([]pkg{{rel: "newpkg"}}, rules()); !slices.Equal(unruled, []string{"newpkg"}) {
		t.Errorf("unruled = %v, want [newpkg]", unruled)
	}
}

// TestReadmeDiagramMatchesDesign: the layer diagram of README.md "Layout"
// is the one of DESIGN.md.
func TestReadmeDiagramMatchesDesign(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	root := strings.TrimSpace(string(out))
	block := func(file, after string) string {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		i := strings.Index(s, after)
		if i < 0 {
			t.Fatalf("%s has no %q", file, after)
		}
		s = s[i:]
		start := strings.Index(s, "```\n")
		end := strings.Index(s[start+4:], "```\n")
		if start < 0 || end < 0 {
			t.Fatalf("%s has no diagram after %q", file, after)
		}
		return s[start : start+4+end]
	}
	if d, r := block("DESIGN.md", "# Design"), block("README.md", "## Layout"); d != r {
		t.Errorf("the README.md Layout diagram differs from DESIGN.md's:\n%s\nvs\n%s", r, d)
	}
}
