package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecordREADME replaces only what lies between the markers, twice in a
// row (the second run's table replaces the first's), and refuses a README
// without them.
func TestRecordREADME(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	orig := "# bench\n\nintro\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\n## after\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"| first |\n", "| second |\n"} {
		if err := recordREADME(path, table); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# bench\n\nintro\n\n" + beginMarker + "\n\n| second |\n\n" + endMarker + "\n\n## after\n"
	if string(b) != want {
		t.Errorf("README:\n%s\nwant\n%s", b, want)
	}
	bare := filepath.Join(t.TempDir(), "bare.md")
	if err := os.WriteFile(bare, []byte("# no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := recordREADME(bare, "x"); err == nil || !strings.Contains(err.Error(), beginMarker) {
		t.Errorf("README without markers: err = %v, want one naming the marker", err)
	}
}
