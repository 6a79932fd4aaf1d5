package sc

import (
	"fmt"

	"github.com/nats-io/nats-server/v2/server"
)

// tlsOptions turns TLS on for the embedded NATS (Config.TLS): its client
// listener speaks TLS only (requiring client certificates signed by the
// CA when one is given), and so does the private port, which forwards
// the bytes to it; the cluster routes use mutual TLS with the same
// certificate (it is issued for both server and client use) and CA. The
// SC's own connection is in-process and needs no TLS.
func tlsOptions(o *server.Options, cfg Config) error {
	if !cfg.TLS.Enabled() {
		return nil
	}
	pem, err := cfg.TLS.Load()
	if err != nil {
		return fmt.Errorf("sc: %w", err)
	}
	tc, err := pem.ServerConfig()
	if err != nil {
		return fmt.Errorf("sc: %w", err)
	}
	o.TLS = true
	o.TLSConfig = tc
	o.TLSVerify = tc.ClientCAs != nil
	o.TLSTimeout = 2
	if cfg.ClusterAddr != "" {
		rc, err := pem.ServerConfig()
		if err != nil {
			return fmt.Errorf("sc: routes: %w", err)
		}
		// Soliciting a route, this node is the TLS client: it checks
		// the peer against the CA and presents its own certificate.
		rc.RootCAs = rc.ClientCAs
		o.Cluster.TLSConfig = rc
		o.Cluster.TLSTimeout = 2
	}
	return nil
}
