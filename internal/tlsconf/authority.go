package tlsconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Authority is a certificate authority that issues the certificates of
// one cluster (ECDSA P-256): 'fluvio cluster start --tls' makes one under
// the cluster's data dir.
type Authority struct {
	Cert    *x509.Certificate
	CertPEM []byte
	key     *ecdsa.PrivateKey
}

// Validity of what an Authority makes.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 825 * 24 * time.Hour
)

// File names in a TLS directory (Dir).
const (
	FileCA    = "ca.crt"
	FileCAKey = "ca.key"
)

// NewAuthority makes a new CA named name.
func NewAuthority(name string) (*Authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"fluvio"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: CA certificate: %w", err)
	}
	return &Authority{Cert: cert, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, nil
}

// LoadAuthority reads a CA from DIR/ca.crt and DIR/ca.key.
func LoadAuthority(dir string) (*Authority, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, FileCA))
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, FileCAKey))
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %w (the CA's key; only the machine that issues certificates needs it)", err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, fmt.Errorf("tlsconf: %s: not a PEM certificate and key", dir)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %s: %w", filepath.Join(dir, FileCA), err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: %s: %w", filepath.Join(dir, FileCAKey), err)
	}
	return &Authority{Cert: cert, CertPEM: certPEM, key: key}, nil
}

// EnsureAuthority loads the CA in dir, making it when dir has none.
func EnsureAuthority(dir, name string) (*Authority, error) {
	if _, err := os.Stat(filepath.Join(dir, FileCA)); err == nil {
		return LoadAuthority(dir)
	}
	a, err := NewAuthority(name)
	if err != nil {
		return nil, err
	}
	keyPEM, err := a.keyPEM()
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, FileCAKey), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, FileCA), a.CertPEM, 0o644); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Authority) keyPEM() ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(a.key)
	if err != nil {
		return nil, fmt.Errorf("tlsconf: CA key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// Leaf is what Issue makes a certificate for.
type Leaf struct {
	// Name is the certificate's CN, also a DNS SAN ("spu-5001", "sc",
	// "admin").
	Name string
	// Role, when set, goes to the OU (a client role: admin, client,
	// read-only).
	Role string
	// Hosts are the IP addresses and DNS names the certificate serves
	// under (SANs).
	Hosts []string
}

// Issue makes a certificate for l, usable by a server and a client
// (the same certificate serves an SPU's servers and its dials to peers).
func (a *Authority) Issue(l Leaf) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsconf: key for %s: %w", l.Name, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: l.Name, Organization: []string{"fluvio"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     []string{l.Name},
	}
	if l.Role != "" {
		tmpl.Subject.OrganizationalUnit = []string{l.Role}
	}
	for _, h := range l.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" && h != l.Name {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, &key.PublicKey, a.key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsconf: certificate for %s: %w", l.Name, err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsconf: key for %s: %w", l.Name, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// LocalHosts are the names every certificate of a local cluster serves
// under.
var LocalHosts = []string{"127.0.0.1", "::1", "localhost"}

// FilesIn returns the files of the certificate named name in dir:
// DIR/NAME.crt, DIR/NAME.key and DIR/ca.crt.
func FilesIn(dir, name string) Files {
	return Files{Cert: filepath.Join(dir, name+".crt"), Key: filepath.Join(dir, name+".key"), CA: filepath.Join(dir, FileCA)}
}

// Ensure writes l's certificate and key into dir as NAME.crt and
// NAME.key (key 0600) unless both exist, and returns their Files. It
// copies the CA certificate to dir too, so the directory is what the
// certificate's holder needs.
func (a *Authority) Ensure(dir string, l Leaf) (Files, error) {
	f := FilesIn(dir, l.Name)
	if exists(f.Cert) && exists(f.Key) {
		return f, nil
	}
	certPEM, keyPEM, err := a.Issue(l)
	if err != nil {
		return Files{}, err
	}
	if err := writeFile(f.Key, keyPEM, 0o600); err != nil {
		return Files{}, err
	}
	if err := writeFile(f.Cert, certPEM, 0o644); err != nil {
		return Files{}, err
	}
	if !exists(f.CA) {
		if err := writeFile(f.CA, a.CertPEM, 0o644); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// writeFile writes data to path atomically with mode perm, in a 0700
// directory it makes if needed.
func writeFile(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("tlsconf: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tls-*")
	if err != nil {
		return fmt.Errorf("tlsconf: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Chmod(perm), tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("tlsconf: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("tlsconf: write %s: %w", path, err)
	}
	return nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}
