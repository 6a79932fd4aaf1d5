package sc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Route liveness: a node that stops answering (SIGSTOP, a frozen VM, a
// cable pulled without a FIN) keeps its routes open until pings find it
// out; until then its queue subscriptions (the KV's direct gets, the
// SCs' read endpoints) are still picked for a share of the requests,
// which then time out. nats-server pings routes every 30 s at most and
// closes one after 2 unanswered pings; the SC's nodes ping every 500 ms
// and close after 4 unanswered (a peer silent for about 2-2.5 s).
const (
	routePingInterval = 500 * time.Millisecond
	routeMaxPingsOut  = 4
)

// routeUser is the user name every node of an SC's NATS cluster presents
// on its routes (the password is the auth directory's route secret).
const routeUser = "fluvio-route"

// clusterOptions makes the embedded NATS a node of a NATS cluster
// (Config.ClusterAddr, Config.Routes): routes to its peers, JetStream
// clustered across them under a stable server name. With routeSecret
// (auth on: the auth directory's route secret) routes are authenticated
// both ways: a node accepts a route only from a peer presenting the
// secret, and presents it to the peers it dials.
func clusterOptions(o *server.Options, cfg Config, routeSecret string) error {
	host, port, err := splitHostPort(cfg.ClusterAddr)
	if err != nil {
		return fmt.Errorf("sc: bad --cluster: %w", err)
	}
	if !tuneRaft() {
		cfg.Logger.Warn("cannot shorten the NATS RAFT election timers (nats-server changed): an SC failover after a NATS node dies may take its default 4-9 s more")
	}
	o.ServerName = cfg.Name
	o.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port,
		PingInterval: routePingInterval, MaxPingsOut: routeMaxPingsOut}
	if routeSecret != "" {
		o.Cluster.Username, o.Cluster.Password = routeUser, routeSecret
	}
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
		if routeSecret != "" {
			u.User = url.UserPassword(routeUser, routeSecret)
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

// logStreamLeaders logs every leader election of the metadata bucket's
// stream (JetStream's advisory): with the lease's own log lines it tells
// where an SC failover's time went (node death, stream leader elected,
// lease taken, first write). The subscription ends with the connection.
func (s *Server) logStreamLeaders() {
	subj := "$JS.EVENT.ADVISORY.STREAM.LEADER_ELECTED.KV_" + s.cfg.Bucket
	_, err := s.nc.Subscribe(subj, func(m *nats.Msg) {
		var adv struct {
			Leader string `json:"leader"`
		}
		_ = json.Unmarshal(m.Data, &adv)
		s.log.Info("metadata stream leader elected", "leader", adv.Leader)
	})
	if err != nil {
		s.log.Debug("cannot follow the metadata stream's leader elections", "err", err)
	}
}

// loadRetry reads the whole bucket at start. A cluster node whose peers
// start at the same moment may find JetStream still settling (listing
// keys needs the meta leader, which a loaded machine elects late: seen
// as "list KV keys: context deadline exceeded" when 'cluster start
// --sc-replicas 3' ran beside the test suite), so it tries again, each
// try bounded by 2 StoreTimeouts, for up to 30 s in a cluster.
func (s *Server) loadRetry(ctx context.Context) (snapshot, error) {
	budget := 2 * s.cfg.StoreTimeout
	if s.cfg.ClusterAddr != "" {
		budget = max(budget, 30*time.Second)
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	for {
		octx, ocancel := context.WithTimeout(ctx, 2*s.cfg.StoreTimeout)
		snap, err := s.store.load(octx, s.badKey)
		ocancel()
		if err == nil || s.cfg.ClusterAddr == "" || ctx.Err() != nil {
			return snap, err
		}
		s.log.Warn("cannot read the metadata yet; trying again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// RouteAddr is the HOST:PORT the embedded NATS node accepts routes on
// (Config.ClusterAddr), "" when it is not a cluster node.
func (s *Server) RouteAddr() string {
	if s.ns == nil {
		return ""
	}
	if a := s.ns.ClusterAddr(); a != nil {
		return a.String()
	}
	return ""
}
