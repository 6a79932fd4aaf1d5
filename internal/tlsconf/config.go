package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// Files names this side's certificate and key and the certificate of the
// CA that signs the peers' certificates, as PEM files (the --tls-cert,
// --tls-key and --tls-ca flags). The zero value means no TLS.
type Files struct {
	Cert, Key, CA string
}

// Enabled reports whether any TLS file is set.
func (f Files) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// Validate checks that the set is usable: cert and key go together, and a
// server needs both (server true).
func (f Files) Validate(server bool) error {
	if !f.Enabled() {
		return nil
	}
	if (f.Cert == "") != (f.Key == "") {
		return errors.New("--tls-cert and --tls-key go together: pass both (the certificate and its private key)")
	}
	if server && f.Cert == "" {
		return errors.New("--tls-ca alone is not enough for a server: pass its --tls-cert and --tls-key too ('fluvio cluster start --tls' makes them)")
	}
	return nil
}

// PEM is a certificate, its key and a CA certificate as PEM bytes (any
// may be empty).
type PEM struct {
	Cert, Key, CA []byte
}

// Load reads the files.
func (f Files) Load() (PEM, error) {
	var p PEM
	for _, x := range []struct {
		path, flag string
		dst        *[]byte
	}{{f.Cert, "--tls-cert", &p.Cert}, {f.Key, "--tls-key", &p.Key}, {f.CA, "--tls-ca", &p.CA}} {
		if x.path == "" {
			continue
		}
		b, err := os.ReadFile(x.path)
		if err != nil {
			return PEM{}, fmt.Errorf("%s: %w", x.flag, err)
		}
		*x.dst = b
	}
	return p, nil
}

// pool parses a CA bundle.
func pool(ca []byte) (*x509.CertPool, error) {
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(ca) {
		return nil, errors.New("the CA file holds no PEM certificate")
	}
	return p, nil
}

// ServerConfig is a server's TLS configuration: its certificate, and with
// a CA, client certificates required and verified against it (mutual
// TLS).
func (p PEM) ServerConfig() (*tls.Config, error) {
	if len(p.Cert) == 0 || len(p.Key) == 0 {
		return nil, errors.New("tls: a server needs its certificate and key (--tls-cert, --tls-key)")
	}
	cert, err := tls.X509KeyPair(p.Cert, p.Key)
	if err != nil {
		return nil, fmt.Errorf("tls: the certificate and key do not load: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if len(p.CA) > 0 {
		if c.ClientCAs, err = pool(p.CA); err != nil {
			return nil, fmt.Errorf("tls: --tls-ca: %w", err)
		}
		c.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// ClientConfig is a client's TLS configuration: the CA that signs the
// servers' certificates (none: the system's roots), and its own
// certificate when it has one. serverName, when set, is the name every
// server's certificate must carry (Fluvio's domain); otherwise each dial
// checks the host it dials.
func (p PEM) ClientConfig(serverName string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if len(p.CA) > 0 {
		var err error
		if c.RootCAs, err = pool(p.CA); err != nil {
			return nil, fmt.Errorf("tls: CA certificate: %w", err)
		}
	}
	if len(p.Cert) > 0 || len(p.Key) > 0 {
		cert, err := tls.X509KeyPair(p.Cert, p.Key)
		if err != nil {
			return nil, fmt.Errorf("tls: the client certificate and key do not load: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
