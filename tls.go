package fluvio

import (
	"crypto/tls"

	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// LoadTLS builds the configuration WithTLS takes from PEM files: caFile is
// the cluster's CA certificate ("" for the system's roots); certFile and
// keyFile are the client's certificate and key, for a cluster with mutual
// TLS ("" for none; both or neither). 'fluvio cluster start --tls' writes
// them under DATA-DIR/tls (ca.crt, and admin.crt/.key, client.crt/.key,
// read-only.crt/.key). Each server's certificate is checked against the
// host dialed.
func LoadTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	f := tlsconf.Files{CA: caFile, Cert: certFile, Key: keyFile}
	if err := f.Validate(false); err != nil {
		return nil, badOption("load TLS files", "pass the cluster's CA file, and the client certificate with its key", "%v", err)
	}
	pem, err := f.Load()
	if err != nil {
		return nil, &Error{Op: "load TLS files", Err: err, Hint: "check the paths ('fluvio cluster start --tls' writes DATA-DIR/tls/ca.crt, client.crt, client.key)"}
	}
	cfg, err := pem.ClientConfig("")
	if err != nil {
		return nil, &Error{Op: "load TLS files", Err: err, Hint: "the files must be PEM: a CA certificate, a certificate and its private key"}
	}
	return cfg, nil
}
