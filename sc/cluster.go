package sc

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
)

// clusterOptions makes the embedded NATS a node of a NATS cluster
// (Config.ClusterAddr, Config.Routes): routes to its peers, JetStream
// clustered across them under a stable server name.
func clusterOptions(o *server.Options, cfg Config) error {
	host, port, err := splitHostPort(cfg.ClusterAddr)
	if err != nil {
		return fmt.Errorf("sc: bad --cluster: %w", err)
	}
	o.ServerName = cfg.Name
	o.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port}
	for r := range strings.SplitSeq(cfg.Routes, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		if !strings.Contains(r, "://") {
			r = "nats-route://" + r
		}
		u, err := url.Parse(r)
		if err != nil || u.Port() == "" {
			return fmt.Errorf("sc: bad route %q in --routes: want HOST:PORT (a peer's --cluster address)", r)
		}
		o.Routes = append(o.Routes, u)
	}
	return nil
}

// openBucketsRetry opens the metadata and the legacy consumer-offset buckets,
// retrying while JetStream is not yet available: a cluster node waits for
// its peers (a JetStream meta leader needs a majority) before any stream
// can be created. It gives up at ctx's deadline, or after 2 StoreTimeouts
// (30 s in a cluster).
func (s *Server) openBucketsRetry(ctx context.Context, js jetstream.JetStream) error {
	budget := 2 * s.cfg.StoreTimeout
	if s.cfg.ClusterAddr != "" {
		budget = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	for {
		octx, ocancel := context.WithTimeout(ctx, s.cfg.StoreTimeout)
		var err error
		if s.store == nil {
			s.store, err = openStore(octx, s.nc, js, s.cfg.Bucket, s.cfg.KVReplicas)
		}
		if err == nil {
			s.consumers, err = openConsumers(octx, js, s.cfg.Bucket)
		}
		ocancel()
		if err == nil {
			return nil
		}
		if s.cfg.ClusterAddr == "" || ctx.Err() != nil {
			if s.cfg.ClusterAddr != "" {
				err = fmt.Errorf("%w; are a majority of the cluster's nodes (--routes) running?", err)
			}
			return err
		}
		s.log.Debug("waiting for the NATS cluster's JetStream", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}
