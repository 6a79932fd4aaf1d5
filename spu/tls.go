package spu

import (
	"crypto/tls"
	"fmt"
)

// loadTLS builds the SPU's TLS configurations from Config.TLS: server
// for its public and private servers (client certificates required with
// a CA), client for its dials to NATS and to its peers (the same
// certificate: it names this SPU). Both nil without TLS.
func loadTLS(cfg Config) (server, client *tls.Config, err error) {
	if !cfg.TLS.Enabled() {
		return nil, nil, nil
	}
	pem, err := cfg.TLS.Load()
	if err != nil {
		return nil, nil, fmt.Errorf("spu: %w", err)
	}
	if server, err = pem.ServerConfig(); err != nil {
		return nil, nil, fmt.Errorf("spu: %w", err)
	}
	if client, err = pem.ClientConfig(""); err != nil {
		return nil, nil, fmt.Errorf("spu: %w", err)
	}
	return server, client, nil
}
