package fluvio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ControlPlane describes the control plane as NATS and the SC's bucket
// see it: the NATS cluster's nodes (the replicas of the metadata bucket),
// the servers the client knows, and which SC holds the lease.
type ControlPlane struct {
	// Cluster is the NATS cluster's name ("" for a single server).
	Cluster string `json:"cluster,omitempty"`
	// Servers are the NATS client URLs the connection knows: the one it
	// was given and those the cluster announced (its routes' peers).
	Servers []string `json:"servers"`
	// KVReplicas is the metadata bucket's replica count, and Nodes the
	// NATS nodes holding those replicas (the first is the RAFT leader).
	KVReplicas int        `json:"kvReplicas"`
	Nodes      []NATSNode `json:"nodes"`
	// ActiveSC is the name of the SC holding the lease ("" when none
	// does: a failover is in progress or no SC runs), Generation the
	// lease's generation, LeaseAge how long ago it was last renewed and
	// LeaseTTL after how long without renewal a standby takes over.
	ActiveSC   string        `json:"activeSC"`
	Generation int64         `json:"generation"`
	LeaseAge   time.Duration `json:"leaseAge"`
	LeaseTTL   time.Duration `json:"leaseTTL"`
	// ActiveSince is when the active SC took the lease (its clock: the
	// instant it sent the compare-and-set that made it active).
	ActiveSince time.Time `json:"activeSince,omitzero"`
}

// Current is how many of the metadata bucket's replicas are current.
func (cp ControlPlane) Current() int {
	n := 0
	for _, node := range cp.Nodes {
		if node.Current {
			n++
		}
	}
	return n
}

// Leader is the name of the node leading the metadata bucket's RAFT
// group, "" when none does.
func (cp ControlPlane) Leader() string {
	for _, node := range cp.Nodes {
		if node.Leader {
			return node.Name
		}
	}
	return ""
}

// NATSNode is one NATS server holding a replica of the metadata bucket.
type NATSNode struct {
	Name   string `json:"name"`
	Leader bool   `json:"leader"`
	// Current is false for a replica that lags or is unreachable.
	Current bool `json:"current"`
	// Lag is how many operations the replica is behind; Active how long
	// ago the leader last heard from it.
	Lag    uint64        `json:"lag"`
	Active time.Duration `json:"active"`
}

// ControlPlane reads the metadata bucket's stream info (its RAFT
// replicas) and the SC lease from KV. bucket is the SC's --kv-bucket.
func (c *Client) ControlPlane(ctx context.Context, bucket string) (ControlPlane, error) {
	var cp ControlPlane
	if err := c.checkOpen(); err != nil {
		return cp, err
	}
	cp.Servers = slices.Compact(append(c.nc.Servers(), c.nc.DiscoveredServers()...))
	js, err := jetstream.New(c.nc)
	if err != nil {
		return cp, fmt.Errorf("control plane: %w", err)
	}
	st, err := js.Stream(ctx, "KV_"+bucket)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return cp, fmt.Errorf("control plane: bucket %v not found", bucket)
	}
	if err != nil {
		return cp, fmt.Errorf("control plane: bucket %v: %w", bucket, err)
	}
	info := st.CachedInfo()
	cp.KVReplicas = info.Config.Replicas
	if ci := info.Cluster; ci != nil {
		cp.Cluster = ci.Name
		if ci.Leader != "" {
			cp.Nodes = append(cp.Nodes, NATSNode{Name: ci.Leader, Leader: true, Current: true})
		}
		for _, p := range ci.Replicas {
			cp.Nodes = append(cp.Nodes, NATSNode{Name: p.Name, Current: p.Current, Lag: p.Lag, Active: p.Active})
		}
	}
	kv, err := js.KeyValue(ctx, bucket)
	if err != nil {
		return cp, fmt.Errorf("control plane: bucket %v: %w", bucket, err)
	}
	e, err := kv.Get(ctx, "sc.lease")
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return cp, nil
	}
	if err != nil {
		return cp, fmt.Errorf("control plane: read the SC lease: %w", err)
	}
	// The value's fields are documented in sc/DESIGN.md (KV layout).
	var lease struct {
		Holder     string `json:"holder"`
		Generation int64  `json:"generation"`
		TTLMs      int64  `json:"ttlMs"`
		AcquiredMs int64  `json:"acquiredMs"`
		RenewedMs  int64  `json:"renewedMs"`
	}
	if err := json.Unmarshal(e.Value(), &lease); err != nil {
		return cp, fmt.Errorf("control plane: undecodable SC lease: %w", err)
	}
	cp.ActiveSC, cp.Generation = lease.Holder, lease.Generation
	cp.LeaseTTL = time.Duration(lease.TTLMs) * time.Millisecond
	cp.LeaseAge = time.Since(time.UnixMilli(lease.RenewedMs)).Round(time.Millisecond)
	if cp.ActiveSC != "" && cp.LeaseTTL > 0 && cp.LeaseAge > cp.LeaseTTL {
		cp.ActiveSC = "" // expired: the holder died and nobody took over yet
	}
	if cp.ActiveSC != "" && lease.AcquiredMs > 0 {
		cp.ActiveSince = time.UnixMilli(lease.AcquiredMs)
	}
	return cp, nil
}
