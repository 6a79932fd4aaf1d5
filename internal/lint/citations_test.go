package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// citation matches what a comment must not cite: documents outside the
// repository (a style guide's rule numbers, issue numbers) and .md files
// the repository does not have.
var (
	outsideCitation = regexp.MustCompile(`STYLE S[0-9]+|STYLE\.md|\b[Ii]ssue #?[0-9]+\b`)
	mdCitation      = regexp.MustCompile(`\b([A-Z][A-Z_]+|[A-Za-z0-9_/.-]+/[A-Za-z0-9_-]+)\.md\b`)
)

// TestCommentsCiteRepoFiles: the Go files cite only documents that are in
// the repository (a reader can open them), never issue numbers or rule
// numbers of documents elsewhere.
func TestCommentsCiteRepoFiles(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	root := strings.TrimSpace(string(out))
	mds := map[string]bool{}
	var goFiles []string
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		switch {
		case strings.HasSuffix(path, ".md"):
			mds[rel] = true
			mds[filepath.Base(rel)] = true
		case strings.HasSuffix(path, ".go"):
			goFiles = append(goFiles, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range goFiles {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := outsideCitation.FindString(line); m != "" {
				t.Errorf("%s:%d cites %q, which is not in the repository: say what it means instead", f, i+1, m)
			}
			for _, m := range mdCitation.FindAllString(line, -1) {
				if !mds[m] && !mds[filepath.Base(m)] {
					t.Errorf("%s:%d cites %s, which is not in the repository", f, i+1, m)
				}
			}
		}
	}
}
