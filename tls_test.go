package fluvio

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// TestLoadTLS: the files 'fluvio cluster start --tls' writes load into a
// configuration with the CA and the client certificate; a certificate
// without its key, or a missing file, is an error saying what to pass.
func TestLoadTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := tlsconf.EnsureAuthority(dir, "test")
	testkit.NoErr(t, err)
	f, err := ca.Ensure(dir, tlsconf.Leaf{Name: "client", Role: tlsconf.RoleClient})
	testkit.NoErr(t, err)
	cfg, err := LoadTLS(f.CA, f.Cert, f.Key)
	testkit.NoErr(t, err)
	if cfg.RootCAs == nil || len(cfg.Certificates) != 1 {
		t.Fatalf("config %+v: want the CA and one certificate", cfg)
	}
	if cfg, err := LoadTLS(f.CA, "", ""); err != nil || len(cfg.Certificates) != 0 {
		t.Fatalf("CA only: %v", err)
	}
	if _, err := LoadTLS(f.CA, f.Cert, ""); !errors.Is(err, ErrBadOption) {
		t.Fatalf("a certificate without its key: %v", err)
	}
	if _, err := LoadTLS(filepath.Join(dir, "none.crt"), "", ""); err == nil || Hint(err) == "" {
		t.Fatalf("a missing CA file: %v (hint %q)", err, Hint(err))
	}
}
