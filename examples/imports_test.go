package examples

import (
	"os/exec"
	"strings"
	"testing"
)

// TestExamplesImportOnlyFluvio checks that every example imports, of this
// module, package fluvio only (its tests may also use fluviotest): an
// example is what a user copies.
func TestExamplesImportOnlyFluvio(t *testing.T) {
	const mod = "github.com/fluvio-go/fluvio"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), ":")
		if pkg == mod+"/examples" {
			continue
		}
		checked++
		for imp := range strings.FieldsSeq(imports) {
			if strings.HasPrefix(imp, mod+"/") {
				t.Errorf("%s imports %s: examples may import only %s", pkg, imp, mod)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked %d example packages, want at least 3 (producer, consumer, keyed)", checked)
	}
}
