package localcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
)

// ClusterConfig configures a Cluster.
type ClusterConfig struct {
	// BinDir holds sc-server and spu-server (make build). Required.
	BinDir string
	// Dir is the cluster's directory: sc/ (sc-2/, ...) and spu-<id>/ with
	// the data, logs/ with each process's output. Required.
	Dir string
	// SCs is the number of sc-servers, default 1; with more, each embeds
	// a node of one NATS cluster on loopback (metadata at 3 replicas) and
	// one of them holds the lease.
	SCs int
	// SPUs is the number of spu-servers (ids FirstSPU, FirstSPU+1, ...).
	SPUs int
	// Plan places the ports; the zero Plan takes FreePlan on 127.0.0.1.
	Plan Plan
	// SCArgs and SPUArgs are more arguments for every sc-server and every
	// spu-server (timings, --pprof).
	SCArgs, SPUArgs []string
	// SPUType is the type the SPUs are registered as:
	// fluvio.SPUTypeCustom (the default) or fluvio.SPUTypeManaged.
	SPUType string
	// ClientName is the admin client's NATS connection name.
	ClientName string
	// Logger receives a line for each process started; nil discards.
	Logger *slog.Logger
}

// Cluster is a local cluster whose processes are owned by its caller
// (chaos, the benchmarks, tests): sc-servers without NATS auth and
// spu-servers registered at their planned ports, each a Process started
// again, paused, killed or stopped by PID. The cluster's admin client
// (Client) is connected to every SC.
type Cluster struct {
	cfg    ClusterConfig
	plan   Plan
	scs    []*Process
	scHTTP []string
	spus   []*SPU
	client *fluvio.Client
	log    *slog.Logger
}

// SPU is one spu-server of a Cluster.
type SPU struct {
	*Process
	ID                    int32
	Public, Private, HTTP string
	// Dir is its --log-base-dir (the replicas' logs).
	Dir string
}

// StartCluster starts the SCs, waits until the admin API answers and
// every SC's /readyz does, registers and starts the SPUs, and returns
// once the SC lists every SPU online and each SPU's /readyz and public
// port answer. On error, every process started is stopped.
func StartCluster(ctx context.Context, cfg ClusterConfig) (c *Cluster, err error) {
	if cfg.SCs == 0 {
		cfg.SCs = 1
	}
	c = &Cluster{cfg: cfg, plan: cfg.Plan, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.plan == (Plan{}) {
		if c.plan, err = FreePlan("127.0.0.1", cfg.SCs, cfg.SPUs); err != nil {
			return nil, err
		}
	} else if err := errors.Join(c.plan.Check(max(cfg.SPUs, 1)), c.plan.CheckSCs(cfg.SCs)); err != nil {
		return nil, err
	} else if err := c.plan.Free(cfg.SCs, cfg.SPUs); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = c.Close(context.WithoutCancel(ctx))
		}
	}()
	var routes []string
	for i := range cfg.SCs {
		_, _, r, _ := c.plan.SCN(i)
		routes = append(routes, r)
	}
	for i := range cfg.SCs {
		nats, private, route, http := c.plan.SCN(i)
		name, data, log := "sc-server", "sc", "sc"
		if i > 0 {
			name, data, log = "sc-server "+strconv.Itoa(i+1), "sc-"+strconv.Itoa(i+1), "sc-"+strconv.Itoa(i+1)
		}
		cmd := SCCommand{Bin: filepath.Join(cfg.BinDir, "sc-server"), Addr: nats, Private: private, HTTP: http,
			DataDir: filepath.Join(cfg.Dir, data), Extra: cfg.SCArgs}
		if cfg.SCs > 1 {
			cmd.Cluster, cmd.Routes, cmd.Name = route, routes, SCName(i)
		}
		argv := cmd.Argv()
		p, err := StartProcess(Spec{Name: name, Path: argv[0], Args: argv[1:], Log: c.logPath(log)})
		if err != nil {
			return c, err
		}
		c.scs = append(c.scs, p)
		c.scHTTP = append(c.scHTTP, http)
		c.log.Info(name+" started", "addr", nats, "pid", p.PID())
	}
	if err := c.connect(ctx); err != nil {
		return c, err
	}
	if err := WaitReady(ctx, c.scChecks()...); err != nil {
		return c, fmt.Errorf("the SCs did not become ready (logs in %s): %w", c.logDir(), err)
	}
	for i := range cfg.SPUs {
		id := int32(FirstSPU + i)
		pub, priv, http := c.plan.SPU(i)
		s := &SPU{ID: id, Public: pub, Private: priv, HTTP: http, Dir: filepath.Join(cfg.Dir, "spu-"+strconv.Itoa(int(id)))}
		if err := c.RegisterSPU(ctx, id, pub, priv); err != nil {
			return c, err
		}
		argv := SPUCommand{Bin: filepath.Join(cfg.BinDir, "spu-server"), ID: id, SCs: c.SCAddrs(), LogDir: s.Dir, HTTP: http,
			Public: pub, Private: priv, Extra: cfg.SPUArgs}.Argv()
		s.Process = NewProcess(Spec{Name: "spu-server " + strconv.Itoa(int(id)), Path: argv[0], Args: argv[1:],
			Log: c.logPath("spu-" + strconv.Itoa(int(id)))})
		c.spus = append(c.spus, s)
		if err := s.Start(); err != nil {
			return c, err
		}
		c.log.Info("spu-server started", "id", id, "public", pub, "private", priv, "pid", s.PID())
	}
	if err := c.WaitReady(ctx); err != nil {
		return c, err
	}
	return c, nil
}

func (c *Cluster) logDir() string { return filepath.Join(c.cfg.Dir, "logs") }

func (c *Cluster) logPath(name string) string { return filepath.Join(c.logDir(), name+".log") }

// connect waits until an SC answers the admin API (failing at once if
// the first SC exits) and keeps the client.
func (c *Cluster) connect(ctx context.Context) error {
	exits := []Check{{Name: c.scs[0].Name(), Alive: c.scs[0].Running, Log: c.scs[0].LogPath()}}
	var last error
	for {
		if errs := Unready(ctx, exits); len(errs) > 0 {
			return errs[0]
		}
		last = c.dial(ctx)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the SC at %s did not answer (see %s): %w: %w", c.SCAddrs(), c.scs[0].LogPath(), last, ctx.Err())
		case <-time.After(ReadyInterval):
		}
	}
}

func (c *Cluster) dial(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	name := c.cfg.ClientName
	if name == "" {
		name = "localcluster"
	}
	client, err := fluvio.Connect(dctx, c.SCAddrs(), fluvio.WithName(name))
	if err != nil {
		return err
	}
	if _, err := client.SCVersion(dctx); err != nil {
		client.Close()
		return err
	}
	c.client = client
	return nil
}

// Client is the cluster's admin client, connected to every SC.
func (c *Cluster) Client() *fluvio.Client { return c.client }

// Plan is the cluster's port plan.
func (c *Cluster) Plan() Plan { return c.plan }

// SCAddrs is every SC's address, comma-separated (what clients and SPUs
// are given).
func (c *Cluster) SCAddrs() string {
	addrs := make([]string, c.cfg.SCs)
	for i := range addrs {
		addrs[i], _, _, _ = c.plan.SCN(i)
	}
	return strings.Join(addrs, ",")
}

// SCs are the sc-servers, the first SC first (SCName(i) is the i-th's
// --name with several).
func (c *Cluster) SCs() []*Process { return c.scs }

// SCHTTP is the i-th SC's --http address (/metrics, /readyz).
func (c *Cluster) SCHTTP(i int) string { return c.scHTTP[i] }

// SPUs are the spu-servers, by id.
func (c *Cluster) SPUs() []*SPU { return c.spus }

// SPU returns the SPU with id, nil when there is none.
func (c *Cluster) SPU(id int32) *SPU {
	for _, s := range c.spus {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// RegisterSPU registers SPU id at public and private (its planned
// addresses, for one the SC does not know); an SPU registered already is
// no error.
func (c *Cluster) RegisterSPU(ctx context.Context, id int32, public, private string) error {
	_, err := c.client.RegisterSPU(ctx, fluvio.SPUConfig{ID: id, PublicEndpoint: public, PrivateEndpoint: private, Type: c.cfg.SPUType})
	if err != nil && !errors.Is(err, fluvio.ErrSPUExists) {
		return fmt.Errorf("register SPU %d: %w", id, err)
	}
	return nil
}

// scChecks are the running SCs' readiness checks (/readyz).
func (c *Cluster) scChecks() []Check {
	var checks []Check
	for i, p := range c.scs {
		checks = append(checks, Check{Name: p.Name(), HTTP: c.scHTTP[i], Alive: p.Running, Log: p.LogPath()})
	}
	return checks
}

// WaitReady waits until every SC's /readyz answers, the SC lists every
// SPU online, and each SPU's /readyz and public port answer; a process
// that exits meanwhile fails it at once with the end of its log.
func (c *Cluster) WaitReady(ctx context.Context) error {
	checks := c.scChecks()
	for _, s := range c.spus {
		checks = append(checks, Check{Name: s.Name(), HTTP: s.HTTP, Public: s.Public, Alive: s.Running, Log: s.LogPath()})
	}
	for {
		errs := Unready(ctx, checks)
		if len(errs) == 1 {
			if _, ok := errors.AsType[*ExitedError](errs[0]); ok {
				return errs[0]
			}
		}
		if len(errs) == 0 {
			if err := c.offline(ctx); err != nil {
				errs = []error{err}
			} else {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the cluster is not ready (logs in %s): %s: %w", c.logDir(), JoinReasons(errs), ctx.Err())
		case <-time.After(ReadyInterval):
		}
	}
}

// offline fails naming the SPUs the SC does not list online.
func (c *Cluster) offline(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	items, err := c.client.ListSPUs(rctx)
	if err != nil {
		return fmt.Errorf("list SPUs: %w", err)
	}
	var off []int32
	for _, s := range c.spus {
		i := slices.IndexFunc(items, func(it fluvio.SPU) bool { return it.Spec.ID == s.ID })
		if i < 0 || !items[i].Online() {
			off = append(off, s.ID)
		}
	}
	if len(off) > 0 {
		return fmt.Errorf("SPU(s) %v not online at the SC", off)
	}
	return nil
}

// EnsureRunning resumes the paused processes and starts the stopped ones.
func (c *Cluster) EnsureRunning() error {
	var errs []error
	for _, p := range c.all() {
		if p.Paused() {
			errs = append(errs, p.Resume())
		}
		errs = append(errs, p.Start())
	}
	return errors.Join(errs...)
}

// all is every process, SCs first.
func (c *Cluster) all() []*Process {
	out := slices.Clone(c.scs)
	for _, s := range c.spus {
		out = append(out, s.Process)
	}
	return out
}

// StopSPUs stops every SPU (SIGTERM: their HW checkpoints are written at
// close; SIGKILL after grace), the last first.
func (c *Cluster) StopSPUs(ctx context.Context, grace time.Duration) error {
	var errs []error
	for _, s := range slices.Backward(c.spus) {
		errs = append(errs, s.Stop(ctx, grace))
	}
	return errors.Join(errs...)
}

// StopGrace is how long Close waits after SIGTERM before SIGKILL.
const StopGrace = 15 * time.Second

// Close closes the client, stops the SPUs, then the SCs, and waits for
// every process's waiter.
func (c *Cluster) Close(ctx context.Context) error {
	if c.client != nil {
		_ = c.client.Close()
	}
	errs := []error{c.StopSPUs(ctx, StopGrace)}
	for _, p := range slices.Backward(c.scs) {
		errs = append(errs, p.Stop(ctx, StopGrace))
	}
	for _, p := range c.all() {
		errs = append(errs, p.Close(ctx))
	}
	return errors.Join(errs...)
}
