package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/natsurl"
)

// checkResult is one line of 'fluvio cluster check'.
type checkResult struct {
	Check string `json:"check"`
	// Status is "ok", "warn" or "fail".
	Status string `json:"status"`
	Detail string `json:"detail"`
	Next   string `json:"next,omitempty"`
}

// checks accumulates check results.
type checks []checkResult

func (c *checks) ok(name, format string, args ...any) {
	*c = append(*c, checkResult{Check: name, Status: "ok", Detail: natsurl.Redact(fmt.Sprintf(format, args...))})
}

func (c *checks) fail(name, next, format string, args ...any) {
	*c = append(*c, checkResult{Check: name, Status: "fail", Detail: natsurl.Redact(fmt.Sprintf(format, args...)), Next: natsurl.Redact(next)})
}

func (c *checks) warn(name, next, format string, args ...any) {
	*c = append(*c, checkResult{Check: name, Status: "warn", Detail: natsurl.Redact(fmt.Sprintf(format, args...)), Next: natsurl.Redact(next)})
}

func runClusterCheck(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio cluster check [--data-dir DIR] [-c HOST:PORT | -P PROFILE] [-O table|yaml|json]",
		Short: `Check that a cluster can run or is healthy, one line per check: the sc-server
and spu-server binaries are found, the SC port is free (no local cluster yet)
or the local SC runs, NATS answers, the JetStream KV bucket with the metadata
is healthy, the SC answers its admin API, every SPU is online with a public
address reachable from here, and no partition is leaderless or under-replicated
(ISR smaller than its replicas: a warning). For a local cluster, each process's
/readyz must answer 200. Exits 0 when no check fails, 5 otherwise.
The SC checked is the local cluster's when one exists in --data-dir, else the
one --sc, --profile, $FLUVIO_SC or the current profile names.`,
		Examples: `fluvio cluster check
			fluvio cluster check -O json
			fluvio cluster check --sc 10.0.0.5:9003`,
	}, true)
	cf := addClusterFlags(fs)
	binDir := fs.String("bin-dir", "", "`DIR` holding sc-server and spu-server (default: next to fluvio, else PATH)")
	bucket := fs.String("kv-bucket", "fluvio", "the SC's JetStream KV `BUCKET`")
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	var res checks
	for _, b := range []string{"sc-server", "spu-server"} {
		if p, err := findBinary(b, *binDir); err != nil {
			_, hint, _ := explain(err)
			res.fail(b+" binary", hint, "%v", err)
		} else {
			res.ok(b+" binary", "%s", p)
		}
	}

	t, err := g.resolveTarget()
	if err != nil {
		return g.fail(stderr, err)
	}
	var st *localcluster.State
	if g.SC == "" && g.Profile == "" {
		dir, err := g.localDir(*cf.dataDir)
		if err != nil {
			return g.fail(stderr, err)
		}
		s, ok, err := loadState(dir)
		if err != nil {
			return g.fail(stderr, err)
		}
		if ok {
			st = s
			t = stateTarget(st, "the local cluster in "+dir)
		}
	}
	if st != nil {
		if st.SC.Alive() {
			res.ok("local sc-server", "running (pid %d), data in %s", st.SC.PID, st.DataDir)
		} else {
			res.fail("local sc-server", "start it with 'fluvio cluster start'", "not running (data in %s)", st.DataDir)
		}
		for i, p := range st.Peers {
			name := fmt.Sprintf("local sc-server %d", i+2)
			if p.Proc.Alive() {
				res.ok(name, "running (pid %d) on %s", p.Proc.PID, p.Addr)
			} else {
				res.fail(name, "start it with 'fluvio cluster start'", "not running (its NATS node is down too)")
			}
		}
		checkPorts(&res, st)
	} else if t.Source == "default" || t.Profile == localProfile {
		if err := localcluster.PortFree(t.Addr); err == nil {
			res.ok("SC port", "%s is free for 'fluvio cluster start'", t.Addr)
		} else {
			res.warn("SC port", "if this is not a fluvio SC, pick another address with 'fluvio cluster start --sc-addr HOST:PORT'", "%s is in use", t.Addr)
		}
	}
	checkSC(ctx, &res, t, *bucket)
	if st != nil {
		checkReady(ctx, &res, st)
	}

	failed := false
	for _, r := range res {
		failed = failed || r.Status == "fail"
	}
	switch *out {
	case outputJSON, outputYAML:
		if err := printObject(stdout, *out, res, nil); err != nil {
			return g.fail(stderr, err)
		}
	default:
		for _, r := range res {
			mark := map[string]string{"ok": "✓", "warn": "!", "fail": "✗"}[r.Status]
			fmt.Fprintf(stdout, "%s %s: %s\n", mark, r.Check, r.Detail)
			if r.Next != "" {
				fmt.Fprintf(stdout, "  next: %s\n", r.Next)
			}
		}
	}
	if failed {
		return exitUnavailable
	}
	return exitOK
}

// clusterPort is one port of a local cluster's process.
type clusterPort struct {
	what, addr string
	running    bool // its process runs, so it must listen
}

// checkPorts checks the local cluster's ports: a running process's must
// accept connections; a stopped one's must be free for 'cluster start'.
// (HTTP ports are picked anew at each start, so only running ones count.)
func checkPorts(res *checks, st *localcluster.State) {
	ports := []clusterPort{{"SC", st.SCAddr, st.SC.Alive()}}
	if st.SCHTTP != "" && st.SC.Alive() {
		ports = append(ports, clusterPort{"SC http", st.SCHTTP, true})
	}
	if st.SCCluster != "" {
		ports = append(ports, clusterPort{"SC routes", st.SCCluster, st.SC.Alive()})
	}
	for i, p := range st.Peers {
		alive := p.Proc.Alive()
		ports = append(ports, clusterPort{fmt.Sprintf("SC %d", i+2), p.Addr, alive},
			clusterPort{fmt.Sprintf("SC %d routes", i+2), p.Cluster, alive})
		if p.HTTP != "" && alive {
			ports = append(ports, clusterPort{fmt.Sprintf("SC %d http", i+2), p.HTTP, true})
		}
	}
	for _, s := range st.SPUs {
		alive := s.Proc.Alive()
		ports = append(ports,
			clusterPort{fmt.Sprintf("SPU %d public", s.ID), s.Public, alive},
			clusterPort{fmt.Sprintf("SPU %d private", s.ID), s.Private, alive})
		if s.HTTP != "" && alive {
			ports = append(ports, clusterPort{fmt.Sprintf("SPU %d http", s.ID), s.HTTP, true})
		}
	}
	var list, bad []string
	for _, p := range ports {
		if p.addr == "" {
			continue
		}
		list = append(list, p.what+" "+p.addr)
		if p.running {
			conn, err := net.DialTimeout("tcp", p.addr, time.Second)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s %s does not answer (%v)", p.what, p.addr, err))
				continue
			}
			conn.Close()
		} else if err := localcluster.PortFree(p.addr); err != nil {
			bad = append(bad, fmt.Sprintf("%s %s is taken by another program, and its process is stopped", p.what, p.addr))
		}
	}
	if len(bad) > 0 {
		res.fail("ports", "see 'fluvio cluster status' and the logs; a port another program holds: stop that program (find it with 'ss -ltnp')",
			"%s", strings.Join(bad, "; "))
		return
	}
	res.ok("ports", "%s", strings.Join(list, ", "))
}

// checkSC runs the checks that need the SC's NATS: reachability, the KV
// bucket, the admin API, and the SPUs.
func checkSC(ctx context.Context, res *checks, t target, bucket string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	a, err := dialAdmin(ctx, t, 3*time.Second)
	if err != nil {
		_, hint, _ := explain(err)
		res.fail("NATS reachable", hint, "%v", err)
		return
	}
	defer a.Close()
	res.ok("NATS reachable", "%s (nats-server %s)", t.describe(), a.NATSServerVersion())

	if t.Creds != "" || natsauth.URLHasUser(t.Addr) {
		// With identities only the SC may touch JetStream: trying would
		// be refused (and poison this connection's requests).
		res.ok("JetStream KV", "not read directly: with NATS auth only the SC may touch the bucket (its /readyz checks it)")
	} else if values, err := a.CheckMetadataStore(ctx, bucket); err != nil {
		res.fail("JetStream KV", "the SC creates the bucket when it starts: check the sc-server log, and that JetStream is enabled on this NATS",
			"bucket %q: %s", bucket, err)
	} else {
		res.ok("JetStream KV", "bucket %q healthy, %d values", bucket, values)
	}

	checkControlPlane(ctx, res, a, bucket)
	v, err := a.SCVersion(ctx)
	if err != nil {
		res.failErr("SC admin API", err, t)
		return
	}
	res.ok("SC admin API", "%s answers (version %s)", fluvio.AdminServiceName, v.Version)

	spus, err := a.ListSPUs(ctx)
	if err != nil {
		res.failErr("SPUs", err, t)
		return
	}
	if len(spus) == 0 {
		res.fail("SPUs", "start a local cluster with 'fluvio cluster start', or register SPUs with 'fluvio custom-spu register'", "no SPU registered")
		return
	}
	for _, s := range spus {
		name := fmt.Sprintf("SPU %d", s.Spec.ID)
		if !s.Online() {
			start := fmt.Sprintf("start it: 'spu-server --id %d --sc-controller %s' (local cluster: 'fluvio cluster start')", s.Spec.ID, t.Addr)
			if t.Creds != "" { // NATS auth is on: the SPU needs its own identity
				start = fmt.Sprintf("start it: 'spu-server --id %d --sc-controller %s --creds FILE', FILE the credentials its registration wrote (local cluster: 'fluvio cluster start')", s.Spec.ID, t.Addr)
			}
			res.fail(name, start,
				"%s is %s", s.Name, strings.ToLower(s.Status.Resolution))
			continue
		}
		d := net.Dialer{Timeout: 2 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", s.Spec.PublicEndpoint)
		if err != nil {
			res.fail(name, "clients connect to the advertised public address: re-register the SPU with an address reachable from here",
				"%s is online but its public address %s is not reachable: %v", s.Name, s.Spec.PublicEndpoint, err)
			continue
		}
		conn.Close()
		res.ok(name, "%s online, public %s reachable", s.Name, s.Spec.PublicEndpoint)
	}
	checkPartitions(ctx, res, a, t)
}

// checkControlPlane reports the NATS cluster holding the metadata (its
// nodes and how many KV replicas are current) and which SC holds the
// lease.
func checkControlPlane(ctx context.Context, res *checks, a *fluvio.Client, bucket string) {
	cp, err := a.ControlPlane(ctx, bucket)
	if err != nil {
		res.fail("control plane", "check the sc-server logs", "%v", err)
		return
	}
	if cp.Cluster != "" {
		var names []string
		current := cp.Current()
		for _, n := range cp.Nodes {
			role := ""
			if n.Leader {
				role = " (leader)"
			}
			if !n.Current {
				role += " (behind or down)"
			}
			names = append(names, n.Name+role)
		}
		detail := fmt.Sprintf("cluster %q, %d servers known, KV bucket at %d replicas on %s", cp.Cluster, len(cp.Servers), cp.KVReplicas, strings.Join(names, ", "))
		switch {
		case current <= cp.KVReplicas/2:
			res.fail("NATS cluster", "start the nodes that are down ('fluvio cluster start' for a local cluster): the metadata needs a majority", "%s", detail)
		case current < cp.KVReplicas:
			res.warn("NATS cluster", "a node is down or catching up: the metadata survives, but one more loss stops it; start it again", "%s", detail)
		default:
			res.ok("NATS cluster", "%s", detail)
		}
	} else {
		res.ok("NATS cluster", "single server (no cluster), KV bucket at %d replica(s)", cp.KVReplicas)
	}
	if cp.ActiveSC == "" {
		res.fail("active SC", "an SC takes the lease within its --lease-ttl (4 s) of the last one's death; if none runs, start one ('fluvio cluster start')",
			"no SC holds the lease")
		return
	}
	res.ok("active SC", "%s (generation %d, lease renewed %v ago, TTL %v)", cp.ActiveSC, cp.Generation, cp.LeaseAge, cp.LeaseTTL)
}

// checkPartitions fails on partitions whose leader is offline and warns
// about under-replicated ones (ISR smaller than the replica set).
func checkPartitions(ctx context.Context, res *checks, a *fluvio.Client, t target) {
	parts, err := a.ListPartitions(ctx)
	if err != nil {
		res.failErr("partitions", err, t)
		return
	}
	var leaderless, provisioning, under, corrupt, needRepair []string
	for _, p := range parts {
		damaged := false
		for _, r := range p.Status.Replicas {
			if r.Corrupt != "" {
				damaged = true
				corrupt = append(corrupt, fmt.Sprintf("SPU %d, partition %s, file %s", r.SPU, p.Name, r.Corrupt))
			}
		}
		switch {
		case p.Status.Resolution == fluvio.PartitionProvisioning:
			provisioning = append(provisioning, p.Name)
		case p.Status.Resolution != fluvio.PartitionOnline:
			leaderless = append(leaderless, p.Name)
			if damaged {
				needRepair = append(needRepair, fmt.Sprintf("'fluvio partition repair %s -p %d'", p.Spec.Topic, p.Spec.Partition))
			}
		case len(p.Status.ISR) < len(p.Spec.Replicas):
			under = append(under, fmt.Sprintf("%s (ISR %v of %v)", p.Name, p.Status.ISR, p.Spec.Replicas))
		}
	}
	if len(corrupt) > 0 {
		res.fail("corrupt replicas", "a follower re-fetches from a healthy in-sync replica by itself; with none left, 'fluvio partition repair TOPIC -p N' shows what a cut at the damage would drop, and with --truncate-at-corruption does it (records after it are lost)",
			"%d replica(s) did not open because of corruption: %s", len(corrupt), strings.Join(corrupt, "; "))
	}
	switch {
	case len(leaderless) > 0:
		next := "start the SPUs that are down ('fluvio cluster start' for a local cluster); 'fluvio partition list' shows leaders and ISR"
		if len(needRepair) == len(leaderless) {
			// Every SPU may be up: the replicas left are corrupt.
			next = "no healthy replica is left to lead: " + strings.Join(needRepair, ", ") + " shows what a repair would drop"
		} else if len(needRepair) > 0 {
			next += "; where no healthy replica is left: " + strings.Join(needRepair, ", ")
		}
		res.fail("partitions", next,
			"%d of %d without an online leader: %s", len(leaderless), len(parts), strings.Join(leaderless, ", "))
	case len(provisioning) > 0:
		res.warn("partitions", "a new topic's SPU is still creating its replicas; run 'fluvio cluster check' again in a moment, and check the SPU log if it stays",
			"%d of %d not yet reported by their leader SPU: %s", len(provisioning), len(parts), strings.Join(provisioning, ", "))
	case len(under) > 0:
		res.warn("partitions", "followers catch up on their own; if one stays out, check its SPU log and 'fluvio partition list'",
			"%d of %d under-replicated: %s", len(under), len(parts), strings.Join(under, ", "))
	default:
		res.ok("partitions", "%d, every one led by an online SPU with its full ISR", len(parts))
	}
}

// failErr records a failed admin call to the SC at t: the SC's error as
// it reads ("message; hint"), or what the CLI says about it.
func (c *checks) failErr(check string, err error, t target) {
	msg, hint, _ := explainFor(err, &t)
	if se, ok := errors.AsType[*fluvio.SCError](err); ok && msg == se.Message {
		msg = se.Error()
	}
	c.fail(check, hint, "%s", msg)
}

// checkReady asks each process of a local cluster for /readyz.
func checkReady(ctx context.Context, res *checks, st *localcluster.State) {
	type proc struct {
		name, http, log string
		alive           bool
	}
	procs := []proc{{"sc-server ready", st.SCHTTP, st.SC.Log, st.SC.Alive()}}
	for i, p := range st.Peers {
		procs = append(procs, proc{fmt.Sprintf("sc-server %d ready", i+2), p.HTTP, p.Proc.Log, p.Proc.Alive()})
	}
	for _, s := range st.SPUs {
		procs = append(procs, proc{fmt.Sprintf("spu-server %d ready", s.ID), s.HTTP, s.Proc.Log, s.Proc.Alive()})
	}
	for _, p := range procs {
		if p.http == "" || !p.alive {
			continue // no --http (older cluster), or down: reported above
		}
		switch r := localcluster.ProbeReady(ctx, p.http); {
		case r == "yes":
			res.ok(p.name, "%s answers 200", httpURL(p.http, "/readyz"))
		default:
			res.fail(p.name, "see its log "+p.log, "%s: %s", httpURL(p.http, "/readyz"), strings.TrimPrefix(r, "no: "))
		}
	}
}
