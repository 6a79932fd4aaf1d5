package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// profileTLS is a cluster's TLS settings, in Fluvio's shape:
//
//	[cluster.NAME.tls]
//	tls_policy = "verified"     # disabled | anonymous | verified
//	tls_source = "files"        # files | inline
//
//	[cluster.NAME.tls.certs]
//	domain = ""                 # the name every server certificate carries ("": the host dialed)
//	key = "/path/admin.key"     # the client's key and certificate (PEM text with inline)
//	cert = "/path/admin.crt"
//	ca_cert = "/path/ca.crt"    # the cluster's CA
//
// "anonymous" speaks TLS without checking the servers' certificates.
type profileTLS struct {
	Policy string `json:"tls_policy" yaml:"tls_policy"`
	Source string `json:"tls_source,omitempty" yaml:"tls_source,omitempty"`
	Domain string `json:"domain,omitempty" yaml:"domain,omitempty"`
	Key    string `json:"key,omitempty" yaml:"key,omitempty"`
	Cert   string `json:"cert,omitempty" yaml:"cert,omitempty"`
	CA     string `json:"ca_cert,omitempty" yaml:"ca_cert,omitempty"`
	// raw is a verified table in a shape this CLI does not read: kept
	// as it is in the file, refused when connecting.
	raw map[string]any
}

// TLS policies and sources (Fluvio's names).
const (
	tlsDisabled  = "disabled"
	tlsAnonymous = "anonymous"
	tlsVerified  = "verified"
	tlsFiles     = "files"
	tlsInline    = "inline"
)

// parseTLSTable reads a [cluster.NAME.tls] table; nil for none, disabled
// or a shape it does not know (kept as it is in the file).
func parseTLSTable(v any) *profileTLS {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	t := &profileTLS{}
	t.Policy, _ = m["tls_policy"].(string)
	switch t.Policy {
	case "verify":
		t.Policy = tlsVerified
	case tlsAnonymous, tlsVerified:
	default:
		return nil
	}
	if t.Policy == tlsAnonymous {
		return t
	}
	t.Source, _ = m["tls_source"].(string)
	if t.Source == "file" {
		t.Source = tlsFiles
	}
	certs, ok := m["certs"].(map[string]any)
	if !ok || (t.Source != tlsFiles && t.Source != tlsInline) {
		return &profileTLS{Policy: tlsVerified, raw: m}
	}
	t.Domain, _ = certs["domain"].(string)
	t.Key, _ = certs["key"].(string)
	t.Cert, _ = certs["cert"].(string)
	t.CA, _ = certs["ca_cert"].(string)
	return t
}

// table renders t as a [cluster.NAME.tls] table.
func (t *profileTLS) table() map[string]any {
	if t == nil || t.Policy == tlsDisabled || t.Policy == "" {
		return map[string]any{"tls_policy": tlsDisabled}
	}
	if t.raw != nil {
		return t.raw
	}
	m := map[string]any{"tls_policy": t.Policy}
	if t.Policy == tlsVerified {
		m["tls_source"] = t.Source
		m["certs"] = map[string]any{"domain": t.Domain, "key": t.Key, "cert": t.Cert, "ca_cert": t.CA}
	}
	return m
}

// config builds the client's TLS configuration; nil for none.
func (t *profileTLS) config() (*tls.Config, error) {
	if t == nil || t.Policy == tlsDisabled || t.Policy == "" {
		return nil, nil
	}
	if t.raw != nil {
		return nil, withHint(errors.New("the profile's [cluster.NAME.tls] table is not in a shape this CLI reads"), exitUsage,
			`write tls_policy = "verified", tls_source = "files" and a [cluster.NAME.tls.certs] table (domain, key, cert, ca_cert), or run 'fluvio profile add NAME --sc HOST:PORT --tls-ca FILE'`)
	}
	if t.Policy == tlsAnonymous {
		return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true}, nil //nolint:gosec // Fluvio's "anonymous" policy, chosen by the user
	}
	var pem tlsconf.PEM
	switch t.Source {
	case tlsInline:
		pem = tlsconf.PEM{Cert: []byte(t.Cert), Key: []byte(t.Key), CA: []byte(t.CA)}
	case tlsFiles, "":
		var err error
		if pem, err = (tlsconf.Files{Cert: t.Cert, Key: t.Key, CA: t.CA}).Load(); err != nil {
			return nil, withHint(fmt.Errorf("the profile's TLS files: %w", err), exitUsage,
				"fix the paths in the profile's [cluster.NAME.tls.certs] ('fluvio profile add NAME --sc HOST:PORT --tls-ca FILE --tls-cert FILE --tls-key FILE'), or pass --tls-ca/--tls-cert/--tls-key")
		}
	default:
		return nil, withHint(fmt.Errorf("unknown tls_source %q in the profile", t.Source), exitUsage, `use tls_source = "files" (paths) or "inline" (PEM text)`)
	}
	cfg, err := pem.ClientConfig(t.Domain)
	if err != nil {
		return nil, withHint(err, exitUsage, "check the profile's TLS certificate, key and CA (PEM)")
	}
	return cfg, nil
}

// tlsFromFlags is the TLS setting --tls-ca, --tls-cert and --tls-key
// (and --tls-domain) give, with absolute paths; nil when none is given.
func tlsFromFlags(ca, cert, key, domain string) (*profileTLS, error) {
	if ca == "" && cert == "" && key == "" {
		if domain != "" {
			return nil, fmt.Errorf("--tls-domain needs --tls-ca (the cluster's CA)")
		}
		return nil, nil
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("--tls-cert and --tls-key go together: pass both (the client certificate and its key)")
	}
	t := &profileTLS{Policy: tlsVerified, Source: tlsFiles, Domain: domain}
	for _, x := range []struct {
		flag string
		in   string
		out  *string
	}{{"--tls-ca", ca, &t.CA}, {"--tls-cert", cert, &t.Cert}, {"--tls-key", key, &t.Key}} {
		if x.in == "" {
			continue
		}
		abs, err := filepath.Abs(x.in)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", x.flag, err)
		}
		*x.out = abs
	}
	return t, nil
}
