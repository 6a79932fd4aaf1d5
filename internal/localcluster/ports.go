package localcluster

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// DefaultSCPort is the SC's port of a local cluster, as Fluvio's.
const DefaultSCPort = 9003

// The local cluster's port plan, as Fluvio's local cluster has it: fixed
// ports counted from the SC's (9003 by default), all below the kernel's
// ephemeral range (32768-60999 on Linux), so an outgoing connection never
// holds one when the cluster restarts. With the SC on port P (9003):
//
//	P     9003        SC (its NATS: clients and SPUs)
//	P+1   9004        SC private port for SPUs (sc-server --sc-private)
//	P+4   9007        SC's NATS cluster routes (--sc-replicas > 1)
//	P+5   9008        sc-server --http (/metrics, /livez, /readyz)
//	P+7   9010, 9011  SPU 5001 public and private servers, 9012 its --http
//	P+17  9020, 9021  SPU 5002, 9022 its --http; and so on, 10 ports per SPU
//
// P+2 and P+3 (9005, 9006) stay free for custom SPUs (see README.md).
// The other SCs of --sc-replicas take the same offsets ten ports lower
// each: SC 2 on P-10 (8993, private 8994, routes 8997, http 8998), SC 3
// on P-20, and so on.
const (
	planSCPrivate = 1  // sc-server --sc-private: P+1
	planCustomSPU = 2  // a custom SPU's public and private servers: P+2, P+3
	planSCRoutes  = 4  // sc-server --cluster: P+4
	planSCHTTP    = 5  // sc-server --http: P+5
	planSPUFirst  = 7  // first SPU's public server: P+7
	planSPUStep   = 10 // ports per SPU
	planSCStep    = 10 // ports per SC, counted down from P
	// MaxSCs is the largest --sc-replicas the plan has ports for.
	MaxSCs = 5
)

// Plan gives the fixed addresses of a local cluster whose SC listens at
// Host:SC.
type Plan struct {
	Host string
	SC   int
}

// NewPlan is the plan of a cluster whose SC listens at scAddr (HOST:PORT).
func NewPlan(scAddr string) (Plan, error) {
	host, port, err := net.SplitHostPort(scAddr)
	if err != nil {
		return Plan{}, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return Plan{}, fmt.Errorf("bad port %q", port)
	}
	return Plan{Host: host, SC: p}, nil
}

func (p Plan) addr(port int) string { return net.JoinHostPort(p.Host, strconv.Itoa(port)) }

// Check fails when n SPUs do not fit below port 65536.
func (p Plan) Check(n int) error {
	if last := p.last(n); last > 65535 {
		return fmt.Errorf("%d SPUs need ports up to %d from the SC's port %d: pick a lower --sc-addr port (the default is %d)", n, last, p.SC, DefaultSCPort)
	}
	return nil
}

// CheckSCs fails when n SCs do not fit above port 1023.
func (p Plan) CheckSCs(n int) error {
	if n > MaxSCs {
		return fmt.Errorf("the port plan has room for %d SCs, not %d", MaxSCs, n)
	}
	if first := p.SC - planSCStep*(n-1); first < 1024 {
		return fmt.Errorf("%d SCs need ports from %d below the SC's port %d: pick a higher --sc-addr port (the default is %d)", n, first, p.SC, DefaultSCPort)
	}
	return nil
}

// last is the highest port of the plan with n SPUs.
func (p Plan) last(n int) int { return p.SC + planSPUFirst + planSPUStep*(n-1) + 2 }

// SCAddr is the SC's address (its NATS).
func (p Plan) SCAddr() string { return p.addr(p.SC) }

// SCPrivate is the SC's private port for SPUs (sc-server --sc-private).
func (p Plan) SCPrivate() string { return p.addr(p.SC + planSCPrivate) }

// SCHTTP is the sc-server's --http address.
func (p Plan) SCHTTP() string { return p.addr(p.SC + planSCHTTP) }

// SCN returns the addresses of the i-th SC (0 for the first): its NATS,
// its private port for SPUs, its NATS cluster routes and its --http.
func (p Plan) SCN(i int) (nats, private, routes, http string) {
	base := p.SC - planSCStep*i
	return p.addr(base), p.addr(base + planSCPrivate), p.addr(base + planSCRoutes), p.addr(base + planSCHTTP)
}

// CustomSPU returns the public and private addresses the plan keeps for
// a custom SPU run out-of-band (P+2, P+3: 9005 and 9006, as Fluvio's).
func (p Plan) CustomSPU() (public, private string) {
	return p.addr(p.SC + planCustomSPU), p.addr(p.SC + planCustomSPU + 1)
}

// SPU returns the public, private and HTTP addresses of the i-th SPU (0
// for the first).
func (p Plan) SPU(i int) (public, private, http string) {
	base := p.SC + planSPUFirst + planSPUStep*i
	return p.addr(base), p.addr(base + 1), p.addr(base + 2)
}

// Addrs lists every address of the plan with scs SCs (routes only with
// more than one) and spus SPUs, and the custom SPU's.
func (p Plan) Addrs(scs, spus int) []string {
	pub, priv := p.CustomSPU()
	out := []string{pub, priv}
	for i := range max(scs, 1) {
		nats, private, routes, http := p.SCN(i)
		out = append(out, nats, private, http)
		if scs > 1 {
			out = append(out, routes)
		}
	}
	for i := range spus {
		pub, priv, http := p.SPU(i)
		out = append(out, pub, priv, http)
	}
	return out
}

// Free returns the first address of the plan with scs SCs and spus SPUs
// that cannot be listened on now, as a *PortInUseError naming its
// holder, or nil.
func (p Plan) Free(scs, spus int) error {
	for _, a := range p.Addrs(scs, spus) {
		if err := PortFree(a); err != nil {
			return &PortInUseError{What: "local cluster", Addr: a, Holder: Holder(a), Err: err}
		}
	}
	return nil
}

// Lowest and highest SC port FreePlan picks: above the well-known ports
// and the default plan, below the ephemeral range.
const (
	freePlanMin = 10000
	freePlanMax = 30000
)

// FreePlan returns a plan on host for scs SCs and spus SPUs whose every
// port is free now and below the kernel's ephemeral range, so that no
// outgoing connection takes one while the cluster stops and starts (a
// port from HOST:0 would lie in that range, and so would its planned SPU
// ports). It is for callers that may run anywhere (tests, chaos,
// benchmarks); the CLI keeps its plan and names the holder of a taken
// port.
func FreePlan(host string, scs, spus int) (Plan, error) {
	var last error
	low := freePlanMin + planSCStep*MaxSCs
	for range 200 {
		p := Plan{Host: host, SC: low + rand.IntN(freePlanMax-low)}
		if last = p.Free(scs, spus); last == nil {
			return p, nil
		}
	}
	return Plan{}, fmt.Errorf("no free port plan for %d SC(s) and %d SPU(s) on %s between %d and %d after 200 tries (last: %w)", scs, spus, host, low, freePlanMax, last)
}
