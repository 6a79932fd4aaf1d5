package natsauth

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestRouteSecretShared: SCs starting at once on one auth directory all
// get the same secret (the first writer's), and a later start reads it.
func TestRouteSecretShared(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "auth")
	got := make([]string, 8)
	errs := make([]error, len(got))
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], errs[i] = RouteSecret(dir) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if got[i] != got[0] || len(got[i]) != 64 {
			t.Fatalf("secret %d = %q, first = %q", i, got[i], got[0])
		}
	}
	again, err := RouteSecret(dir)
	if err != nil || again != got[0] {
		t.Fatalf("reload: %q, %v; want %q", again, err, got[0])
	}
	fi, err := os.Stat(filepath.Join(dir, FileRouteSecret))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("route secret mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestRouteSecretBadFile: a file without a usable secret is an error
// naming the file and what to do, not a new secret.
func TestRouteSecretBadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, FileRouteSecret)
	if err := os.WriteFile(p, []byte("# comment only\nshort\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := RouteSecret(dir)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "copy the file from another node") {
		t.Fatalf("err = %v", err)
	}
}
