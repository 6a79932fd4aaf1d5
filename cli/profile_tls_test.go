package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// TestProfileTLSRoundTrip: 'profile add --tls-*' writes Fluvio's
// [cluster.NAME.tls] (verified, files, certs), which reads back as the
// same settings, survives an update without --tls-*, shows in 'profile
// export' (TOML and JSON), and inline certificates round-trip too. A TLS
// profile pointed at a plaintext SC fails saying so.
func TestProfileTLSRoundTrip(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	dir := t.TempDir()
	ca, err := tlsconf.EnsureAuthority(dir, "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ca.Ensure(dir, tlsconf.Leaf{Name: "admin", Role: tlsconf.RoleAdmin, Hosts: tlsconf.LocalHosts})
	if err != nil {
		t.Fatal(err)
	}
	e.ok("profile", "add", "secure", "--sc", sc.Addr(), "--tls-ca", f.CA, "--tls-cert", f.Cert, "--tls-key", f.Key, "--tls-domain", "localhost", "--switch")
	e.ok("profile", "add", "secure", "--sc", sc.Addr()) // an update keeps the TLS settings
	var doc map[string]any
	if _, err := toml.DecodeFile(e.env[EnvConfig], &doc); err != nil {
		t.Fatal(err)
	}
	tlsTable := doc["cluster"].(map[string]any)["secure"].(map[string]any)["tls"].(map[string]any)
	testkit.Equal(t, tlsTable["tls_policy"], any("verified"))
	testkit.Equal(t, tlsTable["tls_source"], any("files"))
	certs := tlsTable["certs"].(map[string]any)
	testkit.Equal(t, certs["ca_cert"], any(f.CA))
	testkit.Equal(t, certs["cert"], any(f.Cert))
	testkit.Equal(t, certs["key"], any(f.Key))
	testkit.Equal(t, certs["domain"], any("localhost"))

	exported := e.ok("profile", "export")
	for _, want := range []string{`tls_policy = "verified"`, `tls_source = "files"`, `ca_cert = "` + f.CA + `"`, `domain = "localhost"`} {
		testkit.Contains(t, exported, want)
	}
	var cl map[string]any
	if err := json.Unmarshal([]byte(e.ok("profile", "export", "-O", "json")), &cl); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, cl["tls"].(map[string]any)["certs"].(map[string]any)["cert"], any(f.Cert))

	// The exported file, read elsewhere, has the same settings.
	cfg, migrated, err := decodeProfiles("exported", []byte(exported))
	if err != nil || migrated {
		t.Fatal(err)
	}
	got := cfg.Profiles["secure"].TLS
	want := &profileTLS{Policy: "verified", Source: "files", Domain: "localhost", Key: f.Key, Cert: f.Cert, CA: f.CA}
	if got == nil || !reflect.DeepEqual(*got, *want) {
		t.Fatalf("read back %+v, want %+v", got, want)
	}

	// Inline PEM round-trips and builds a configuration.
	caPEM, _ := os.ReadFile(f.CA)
	inline := &profileConfig{Profiles: map[string]profile{"in": {SC: "127.0.0.1:1", TLS: &profileTLS{Policy: "verified", Source: "inline", CA: string(caPEM)}}}, raw: map[string]any{}}
	data, err := encodeProfiles(inline)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := decodeProfiles("inline", data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Profiles["in"].TLS == nil || back.Profiles["in"].TLS.CA != string(caPEM) {
		t.Fatalf("inline CA did not round-trip: %+v", back.Profiles["in"].TLS)
	}
	if c, err := back.Profiles["in"].TLS.config(); err != nil || c.RootCAs == nil {
		t.Fatalf("inline config: %v", err)
	}

	// The plaintext fake SC: the TLS profile fails saying so.
	errs := e.fails(exitUnavailable, "topic", "list")
	if !strings.Contains(errs, "does not speak TLS") {
		t.Fatalf("TLS profile against a plaintext SC: %s", errs)
	}
	// --tls-ca overrides; a missing file is a usage error.
	testkit.Contains(t, e.fails(exitUsage, "topic", "list", "--tls-ca", filepath.Join(dir, "none.crt")), "--tls-ca")
}

// TestProfileTLSDroppedWhenUnset: writing a profile without TLS (what
// 'cluster start' without --tls does after a TLS cluster was deleted)
// leaves no TLS table of the old cluster behind, while 'profile add'
// without TLS flags keeps the profile's.
func TestProfileTLSDroppedWhenUnset(t *testing.T) {
	e := newCLIEnv(t)
	dir := t.TempDir()
	files := map[string]string{}
	for _, n := range []string{"ca.crt", "admin.crt", "admin.key"} {
		files[n] = filepath.Join(dir, n)
		if err := os.WriteFile(files[n], []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.ok("profile", "add", "local", "--sc", "127.0.0.1:9003", "--tls-ca", files["ca.crt"], "--tls-cert", files["admin.crt"], "--tls-key", files["admin.key"], "--switch")
	e.ok("profile", "add", "local", "--sc", "127.0.0.1:9003") // keeps the TLS files
	testkit.Contains(t, e.ok("profile", "export"), `tls_policy = "verified"`)

	g := &Global{getenv: func(k string) string { return e.env[k] }}
	if err := g.setProfile("local", profile{SC: "127.0.0.1:9003"}, true); err != nil {
		t.Fatal(err)
	}
	exported := e.ok("profile", "export")
	testkit.Contains(t, exported, `tls_policy = "disabled"`)
	if strings.Contains(exported, "admin.crt") {
		t.Fatalf("the old TLS files stayed in the profile:\n%s", exported)
	}
}
