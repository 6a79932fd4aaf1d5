package tlsconf

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parse(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(certPEM)
	if b == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIssuedCertificates: what the authority issues verifies against it,
// names its SPU or role, serves its hosts, and is usable by a server and a
// client; a certificate naming two SPUs is refused.
func TestIssuedCertificates(t *testing.T) {
	dir := t.TempDir()
	ca, err := EnsureAuthority(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	again, err := EnsureAuthority(dir, "test")
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("EnsureAuthority made a second CA: %v", err)
	}
	f, err := ca.Ensure(filepath.Join(dir, "out"), Leaf{Name: SPUName(5001), Hosts: []string{"127.0.0.1", "m1.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{f.Key, filepath.Join(dir, FileCAKey)} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want mode 0600", p, fi.Mode(), err)
		}
	}
	certPEM, _ := os.ReadFile(f.Cert)
	cert := parse(t, certPEM)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "m1.example.com", KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Fatalf("verify for %v: %v", usage, err)
		}
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := SPUID(cert); id != 5001 || !ok || err != nil {
		t.Fatalf("SPUID = %d %v %v", id, ok, err)
	}
	ro, _, _ := ca.Issue(Leaf{Name: "ops", Role: RoleReadOnly})
	if r := Role(parse(t, ro)); r != RoleReadOnly {
		t.Fatalf("role %q", r)
	}
	if _, ok, _ := SPUID(parse(t, ro)); ok {
		t.Fatal("a client certificate names an SPU")
	}
	plain, _, _ := ca.Issue(Leaf{Name: "app"})
	if r := Role(parse(t, plain)); r != RoleClient {
		t.Fatalf("a certificate without a role OU has role %q, want client", r)
	}
	two, _, _ := ca.Issue(Leaf{Name: "spu-1", Hosts: []string{"spu-2"}})
	if _, _, err := SPUID(parse(t, two)); err == nil || !strings.Contains(err.Error(), "several SPUs") {
		t.Fatalf("a certificate naming two SPUs: %v", err)
	}
}

func TestFilesValidate(t *testing.T) {
	for _, c := range []struct {
		f      Files
		server bool
		ok     bool
	}{
		{Files{}, true, true},
		{Files{Cert: "c", Key: "k"}, true, true},
		{Files{Cert: "c"}, false, false},
		{Files{CA: "ca"}, false, true},
		{Files{CA: "ca"}, true, false},
	} {
		if err := c.f.Validate(c.server); (err == nil) != c.ok {
			t.Errorf("%+v server=%v: %v", c.f, c.server, err)
		}
	}
}
