package localcluster

import (
	"strconv"
	"strings"
)

// SCCommand is the command line of one sc-server of a local cluster: the
// one place that knows sc-server's flags for the CLI's detached clusters
// and for owned Clusters.
type SCCommand struct {
	Bin string
	// Addr is its NATS address (--sc); HTTP its --http; DataDir its
	// JetStream store.
	Addr, HTTP, DataDir string
	// Private is its private port for SPUs (--sc-private); "" leaves
	// sc-server's default, Addr's port + 1 (the plan's).
	Private string
	// AuthDir holds the cluster's NATS identities (--auth-dir); ""
	// runs without auth (--no-auth).
	AuthDir string
	// Cluster is its NATS route address, Routes every node's and Name
	// its --name, for a cluster of several SCs; "" for a single SC.
	Cluster string
	Routes  []string
	Name    string
	// Extra are more flags (TLS, timings, --pprof).
	Extra []string
}

// Argv is the command line, program first.
func (c SCCommand) Argv() []string {
	argv := []string{c.Bin, "--sc", c.Addr, "--data-dir", c.DataDir}
	if c.HTTP != "" {
		argv = append(argv, "--http", c.HTTP)
	}
	if c.Private != "" {
		argv = append(argv, "--sc-private", c.Private)
	}
	if c.AuthDir != "" {
		argv = append(argv, "--auth-dir", c.AuthDir)
	} else {
		argv = append(argv, "--no-auth")
	}
	if c.Cluster != "" {
		argv = append(argv, "--cluster", c.Cluster, "--routes", strings.Join(c.Routes, ","), "--name", c.Name)
	}
	return append(argv, c.Extra...)
}

// SPUCommand is the command line of one spu-server of a local cluster.
type SPUCommand struct {
	Bin string
	ID  int32
	// SCs is every SC's address, comma-separated (--sc-controller).
	SCs string
	// LogDir is its --log-base-dir (the replicas' logs); HTTP its --http.
	LogDir, HTTP string
	// Public and Private are its servers' addresses; "" takes them from
	// its registration at the SC.
	Public, Private string
	// Creds is its NATS credential file; "" for a cluster without auth.
	Creds string
	// Extra are more flags (TLS, --pprof).
	Extra []string
}

// Argv is the command line, program first.
func (c SPUCommand) Argv() []string {
	argv := []string{c.Bin, "--id", strconv.Itoa(int(c.ID)), "--sc-controller", c.SCs, "--log-base-dir", c.LogDir}
	if c.HTTP != "" {
		argv = append(argv, "--http", c.HTTP)
	}
	if c.Public != "" {
		argv = append(argv, "--public-server", c.Public)
	}
	if c.Private != "" {
		argv = append(argv, "--private-server", c.Private)
	}
	if c.Creds != "" {
		argv = append(argv, "--creds", c.Creds)
	}
	return append(argv, c.Extra...)
}
