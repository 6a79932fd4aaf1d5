package natsauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"

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
// errors. what names the server ("the SC").
func TLSHint(err error, what, addr string) (hint string, ok bool) {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.Is(err, nats.ErrSecureConnRequired):
		return what + " at " + addr + " speaks TLS; set tls in your profile (tls_policy = \"verified\" with the cluster's ca_cert) or pass --tls-ca", true
	case errors.Is(err, nats.ErrSecureConnWanted):
		return what + " at " + addr + " does not speak TLS; remove tls from your profile (tls_policy = \"disabled\") or start it with --tls-cert and --tls-key", true
	case errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci):
		return what + " at " + addr + " has a certificate this side does not trust: use the cluster's CA (ca_cert in the profile's tls section, or --tls-ca) and the domain its certificates name", true
	}
	return "", false
}
