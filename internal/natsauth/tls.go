package natsauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"
)

// TLSOptions are the nats.go options for a TLS connection with cfg (nil:
// none).
func TLSOptions(cfg *tls.Config) []nats.Option {
	if cfg == nil {
		return nil
	}
	return []nats.Option{nats.Secure(cfg.Clone())}
}

// TLSHint explains a NATS connect error caused by TLS settings that do
// not match the server's, naming what to set; ok is false for other
// errors. what names the server ("the SC"); withTLS says whether the
// client had TLS settings (nats.go upgrades a plaintext client to TLS
// with the system's roots when the server requires TLS, so a client
// without settings sees the cluster's certificate as untrusted).
func TLSHint(err error, what, addr string, withTLS bool) (hint string, ok bool) {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	x509err := errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cv)
	switch {
	case errors.Is(err, nats.ErrSecureConnRequired), x509err && !withTLS:
		return what + " at " + addr + " speaks TLS; set tls in your profile (tls_policy = \"verified\" with the cluster's ca_cert) or pass --tls-ca", true
	case errors.Is(err, nats.ErrSecureConnWanted):
		return what + " at " + addr + " does not speak TLS; remove tls from your profile (tls_policy = \"disabled\") or start it with --tls-cert and --tls-key", true
	case x509err:
		return what + " at " + addr + " has a certificate this side does not trust: use the cluster's CA (ca_cert in the profile's tls section, or --tls-ca) and the domain its certificates name", true
	case withTLS && (strings.Contains(err.Error(), "tls: ") || strings.Contains(err.Error(), "tls error") || refusedAfterHandshake(err)):
		return what + " at " + addr + " refused this side's TLS: it requires a client certificate signed by the cluster's CA (cert and key in the profile's tls section, or --tls-cert and --tls-key)", true
	}
	return "", false
}

// refusedAfterHandshake reports a connection the server closed right
// after the client's side of a TLS 1.3 handshake: the server checks the
// client's certificate last, so a client without one (or with one from
// another CA) may see its first write fail with a broken pipe or a reset
// instead of the server's alert.
func refusedAfterHandshake(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "broken pipe") || strings.Contains(err.Error(), "connection reset by peer")
}
