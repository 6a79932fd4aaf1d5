package cli

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// spuCertificates handles the TLS side of registering SPU id: with
// --certs-out it issues the SPU's certificate (CN and DNS SAN spu-ID,
// the hosts of its endpoints) with the cluster's CA and writes it, its key
// (0600) and the CA certificate to certsOut; on a TLS cluster without
// --certs-out it says which files the SPU needs. caDir holds ca.crt and
// ca.key (default: the directory of the profile's ca_cert, where 'fluvio
// cluster start --tls' keeps them).
func spuCertificates(t *target, id int32, public, private, certsOut, caDir string, stderr io.Writer) error {
	if certsOut == "" {
		if t == nil || t.TLS == nil {
			return nil
		}
		fmt.Fprintf(stderr, "this cluster speaks TLS: SPU %d needs a certificate signed by the cluster's CA that names it (CN or DNS SAN %s) and the hosts of its endpoints (%s), its key, and the CA certificate: 'spu-server --tls-cert FILE --tls-key FILE --tls-ca FILE'; add --certs-out DIR to this command to issue them (on a machine holding the CA's key: --ca-dir DIR with ca.crt and ca.key)\n",
			id, tlsconf.SPUName(id), joinHosts(spuHosts(public, private)))
		return nil
	}
	if caDir == "" && t != nil && t.TLS != nil && t.TLS.CA != "" && t.TLS.Source != tlsInline {
		caDir = filepath.Dir(t.TLS.CA)
	}
	if caDir == "" {
		return withHint(fmt.Errorf("--certs-out needs the cluster's CA: no --ca-dir, and the profile names no CA file"), exitUsage,
			"pass --ca-dir DIR holding ca.crt and ca.key ('fluvio cluster start --tls' keeps them in DATA-DIR/tls)")
	}
	ca, err := tlsconf.LoadAuthority(caDir)
	if err != nil {
		return withHint(fmt.Errorf("the cluster's CA in %s: %w", caDir, err), exitUsage,
			"pass --ca-dir DIR holding the CA's ca.crt and ca.key (only the machine that issues certificates needs the key)")
	}
	hosts := append(slices.Clone(tlsconf.LocalHosts), spuHosts(public, private)...)
	f, err := ca.Ensure(certsOut, tlsconf.Leaf{Name: tlsconf.SPUName(id), Hosts: slices.Compact(hosts)})
	if err != nil {
		return withHint(err, exitError, "pick a writable --certs-out DIR")
	}
	if _, err := os.Stat(f.CA); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "TLS certificate of SPU %d written to %s: start it with 'spu-server --id %d --tls-cert %s --tls-key %s --tls-ca %s'\n",
		id, certsOut, id, f.Cert, f.Key, f.CA)
	return nil
}

// spuHosts are the hosts of an SPU's public and private endpoints.
func spuHosts(public, private string) []string {
	var out []string
	for _, a := range []string{public, private} {
		if h, _, err := net.SplitHostPort(a); err == nil && h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func joinHosts(hs []string) string {
	s := ""
	for i, h := range hs {
		if i > 0 {
			s += ", "
		}
		s += h
	}
	return s
}
