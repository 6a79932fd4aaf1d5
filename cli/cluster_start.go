package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/natsauth"
)

// localProfile is the profile 'fluvio cluster start' writes and switches to.
const localProfile = "local"

// localDir picks the local cluster's data directory: flagValue, else the
// current profile's localDir, else ~/.fluvio/local. The result is absolute.
func (g *Global) localDir(flagValue string) (string, error) {
	dir, _, err := g.localDirFrom(flagValue)
	return dir, err
}

// localDirFrom is localDir, and says what chose the directory (printed by
// the commands that change a cluster, before they act).
func (g *Global) localDirFrom(flagValue string) (dir, from string, err error) {
	dir, from = flagValue, "--data-dir"
	if dir == "" {
		if cfg, path, err := g.loadProfiles(); err == nil {
			if p, ok := cfg.Profiles[cfg.Current]; ok && p.LocalDir != "" {
				dir = p.LocalDir
				from = fmt.Sprintf("the current profile %q in %s", cfg.Current, path)
				if g.getenv(EnvConfig) != "" {
					from = fmt.Sprintf("the current profile %q in %s=%s", cfg.Current, EnvConfig, path)
				}
			}
		}
	}
	if dir == "" {
		home, err := g.homeDir()
		if err != nil {
			return "", "", err
		}
		dir = filepath.Join(home, ".fluvio", "local")
		from = "the default: no --data-dir, and the current profile names no local cluster"
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", fmt.Errorf("data dir %q: %w", dir, err)
	}
	return abs, from, nil
}

// announceTarget prints, before a command acts, which cluster it acts on
// and why that one.
func announceTarget(w io.Writer, verb, dir, from string) {
	fmt.Fprintf(w, "%s the local cluster in %s (from %s)\n", verb, dir, from)
}

// clusterFlags are the flags every cluster lifecycle command takes.
type clusterFlags struct {
	dataDir *string
}

func addClusterFlags(fs *flagSet) clusterFlags {
	return clusterFlags{
		dataDir: fs.String("data-dir", "", "the local cluster's `DIR` (default: the 'local' profile's, else ~/.fluvio/local)"),
	}
}

// step prints one line of a command's progress checklist.
func step(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, "✓ "+format+"\n", args...)
}

func runClusterStart(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio cluster start [--spu N] [--sc-replicas N] [--tls] [--data-dir DIR] [--sc-addr HOST:PORT]",
		Short: `Start a local cluster in the background: sc-server with its embedded NATS
(JetStream keeps the metadata) and N spu-server processes, registered as
managed SPUs on fixed ports that follow the SC's, as Fluvio's local cluster
does: SC 9003 (private 9004), SPU 5001 on 9010/9011, 5002 on 9020/9021, ...
(all below the ephemeral range, so outgoing connections never take them; a
taken one is named with the process holding it). It waits until every SPU is online, then
adds the profile "local" and makes it current. Logs go to DIR/logs.
sc-server and spu-server are looked for next to this fluvio binary, then on PATH.

With --sc-replicas 3 it starts three sc-servers, each embedding a node of one
NATS cluster on loopback (routes between them, the metadata bucket at 3
replicas), on the plan's ports: 9003 (routes 9007), then ten ports lower each
(8993, 8983); one SC holds the lease and serves writes, the others serve reads
and take over when it dies. SPUs and the profile get all three addresses.
Start returns once every SC's /readyz answers.

With --tls every link speaks mutual TLS: it makes a CA under DIR/tls (ECDSA
P-256; keys mode 0600) and certificates for the SCs (their NATS, private port
and routes), each SPU (named spu-N: its public and private servers, and its
dials to NATS and its peers) and the admin, client and read-only clients, and
writes the "local" profile with tls_policy = "verified" and the admin's
certificate. A cluster is started with --tls or without it once, for good.

Running it again is safe: a running cluster is left alone, a stopped one (see
'fluvio cluster stop') resumes with its data, stopped SPUs are restarted, and a
larger --spu adds SPUs.`,
		Examples: `fluvio cluster start
			fluvio cluster start --spu 3
			fluvio cluster start --spu 3 --sc-replicas 3
			fluvio cluster start --tls
			fluvio cluster start --data-dir /tmp/fluvio-dev --sc-addr 127.0.0.1:9103`,
	}, false)
	cf := addClusterFlags(fs)
	nSPU := fs.Int("spu", 1, "number of SPUs, `N`")
	nSC := fs.Int("sc-replicas", 1, "number of SCs, `N` (1, 3 or 5), each with a node of one NATS cluster; for a new cluster")
	scAddr := fs.String("sc-addr", DefaultSC, "`HOST:PORT` of the SC (its embedded NATS), for a new cluster")
	binDir := fs.String("bin-dir", "", "`DIR` holding sc-server and spu-server (default: next to fluvio, else PATH)")
	timeout := fs.Duration("timeout", 60*time.Second, "how long to wait for the SC and the SPUs to come up")
	withTLS := fs.Bool("tls", false, "TLS on every link, with a local CA and certificates under DIR/tls; for a new cluster")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() != 0:
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	case *nSPU < 1 || *nSPU > 100:
		return g.usageError(stderr, fmt.Sprintf("--spu %d: pick between 1 and 100 SPUs", *nSPU))
	case *nSC != 1 && *nSC != 3 && *nSC != 5:
		return g.usageError(stderr, fmt.Sprintf("--sc-replicas %d: pick 1, 3 or 5 (a NATS cluster needs a majority of its nodes)", *nSC))
	}
	if err := validateAddr(*scAddr); err != nil || strings.Contains(*scAddr, "://") {
		return g.usageError(stderr, fmt.Sprintf("--sc-addr %q: want HOST:PORT, e.g. 127.0.0.1:9003", *scAddr))
	}
	dir, from, err := g.localDirFrom(*cf.dataDir)
	if err != nil {
		return g.fail(stderr, err)
	}
	announceTarget(stdout, "starting", dir, from)
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	l := &localCluster{g: g, dir: dir, stdout: stdout, binDir: *binDir}
	l.nSC, l.nSCSet = *nSC, fs.Changed("sc-replicas")
	l.tls, l.tlsSet = *withTLS, fs.Changed("tls")
	if err := l.start(ctx, *nSPU, fs.Changed("spu"), *scAddr, fs.Changed("sc-addr")); err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			err = withHint(fmt.Errorf("the cluster did not come up within --timeout %v: %w", *timeout, err), exitUnavailable,
				"see 'fluvio cluster status --data-dir "+dir+"' and the logs in "+filepath.Join(dir, "logs"))
		}
		return g.fail(stderr, err)
	}
	return exitOK
}

// localCluster runs the lifecycle steps of one local cluster directory.
type localCluster struct {
	g      *Global
	dir    string
	stdout io.Writer
	binDir string
	nSC    int  // --sc-replicas
	nSCSet bool // given on the command line
	tls    bool // --tls
	tlsSet bool // given on the command line
	st     *localcluster.State
	// oldIncarnation maps the SPUs this start (re)starts to the
	// incarnation the SC listed before, which does not count as online.
	oldIncarnation map[int32]string
}

// incarnations returns the SC's current incarnation of each SPU of the
// state whose process is not running (those startSPUs will start).
func (l *localCluster) incarnations(ctx context.Context, a *fluvio.Client) map[int32]string {
	out := map[int32]string{}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	items, err := a.ListSPUs(rctx)
	if err != nil {
		return out
	}
	for _, s := range l.st.SPUs {
		if s.Proc.Alive() {
			continue
		}
		for _, item := range items {
			if item.Spec.ID == s.ID && item.Online() && item.Status.Incarnation != "" {
				out[s.ID] = item.Status.Incarnation
			}
		}
	}
	return out
}

func (l *localCluster) logPath(name string) string { return filepath.Join(l.dir, "logs", name+".log") }

// start creates or resumes the cluster; see runClusterStart.
func (l *localCluster) start(ctx context.Context, nSPU int, nSet bool, scAddr string, addrSet bool) error {
	unlock, err := lockDir(l.dir)
	if err != nil {
		return err
	}
	defer unlock()
	st, exists, err := loadState(l.dir)
	if err != nil {
		return err
	}
	if exists {
		if addrSet && scAddr != st.SCAddr {
			return withHint(fmt.Errorf("the cluster in %s uses SC address %s, not %s", l.dir, st.SCAddr, scAddr), exitConflict,
				"run 'fluvio cluster start' without --sc-addr, or start another cluster with --data-dir DIR, or remove this one with 'fluvio cluster delete'")
		}
		if l.nSCSet && l.nSC != 1+len(st.Peers) {
			return withHint(fmt.Errorf("the cluster in %s has %d SC(s), not %d (--sc-replicas)", l.dir, 1+len(st.Peers), l.nSC), exitConflict,
				"run 'fluvio cluster start' without --sc-replicas to resume it, or 'fluvio cluster delete' to start over")
		}
		if l.tlsSet && l.tls != st.TLS {
			have := "without TLS"
			if st.TLS {
				have = "with TLS"
			}
			return withHint(fmt.Errorf("the cluster in %s runs %s (--tls=%v)", l.dir, have, l.tls), exitConflict,
				"run 'fluvio cluster start' without --tls to resume it as it is, or 'fluvio cluster delete' and start again")
		}
		if nSet && nSPU < len(st.SPUs) {
			return withHint(fmt.Errorf("the cluster in %s has %d SPUs; removing SPUs is not supported (--spu %d)", l.dir, len(st.SPUs), nSPU), exitConflict,
				"run 'fluvio cluster start' without --spu to resume it, or 'fluvio cluster delete' to start over")
		}
		if !nSet {
			// Resume with the SPUs it has (at least the default one, in
			// case an earlier start failed before adding any).
			nSPU = max(len(st.SPUs), nSPU)
		}
	} else {
		st = &localcluster.State{Version: 1, DataDir: l.dir, SCAddr: scAddr, Created: time.Now().UTC(), Auth: true, TLS: l.tls}
		if l.nSC > 1 {
			// Every SC's NATS and route ports follow the plan too (the
			// other SCs ten ports apart below the first).
			plan, err := localcluster.NewPlan(scAddr)
			if err == nil {
				err = plan.CheckSCs(l.nSC)
			}
			if err != nil {
				return withHint(fmt.Errorf("--sc-replicas %d with --sc-addr %s: %w", l.nSC, scAddr, err), exitUsage,
					"pick another --sc-addr port (the default 9003 fits)")
			}
			_, _, st.SCCluster, _ = plan.SCN(0)
			for i := 1; i < l.nSC; i++ {
				nats, _, routes, _ := plan.SCN(i)
				st.Peers = append(st.Peers, localcluster.SCPeer{Addr: nats, Cluster: routes})
			}
		}
	}
	l.st = st

	if exists && st.SC.Alive() && l.allPeersAlive() && len(st.SPUs) >= nSPU && l.allSPUsAlive() {
		fmt.Fprintf(l.stdout, "fluvio cluster already running in %s: SC at %s (pid %d), %d SPU(s)\n", l.dir, st.SCList(), st.SC.PID, len(st.SPUs))
		if err := l.g.setProfile(localProfile, localProfileOf(st, l.dir), true); err != nil {
			return err
		}
		fmt.Fprintln(l.stdout, "next: 'fluvio cluster status' shows it; 'fluvio cluster stop' stops it; 'fluvio cluster delete' removes it")
		return nil
	}

	scBin, err := findBinary("sc-server", l.binDir)
	if err != nil {
		return err
	}
	spuBin, err := findBinary("spu-server", l.binDir)
	if err != nil {
		return err
	}
	if st.Auth {
		if _, err := natsauth.EnsureIdentities(st.AuthDir()); err != nil {
			return withHint(err, exitError, "fix the permissions of "+st.AuthDir()+", or start another cluster with --data-dir DIR")
		}
	}
	if err := l.ensureTLS(); err != nil {
		return err
	}
	if err := l.startSC(ctx, scBin, !exists); err != nil {
		return err
	}
	a, err := dialAdmin(ctx, stateTarget(st, "the local cluster"), 5*time.Second)
	if err != nil {
		return err
	}
	defer a.Close()

	if n := nSPU - len(st.SPUs); n > 0 {
		plan, err := l.plan(nSPU)
		if err != nil {
			return err
		}
		for range n {
			public, private, _ := plan.SPU(len(st.SPUs))
			st.SPUs = append(st.SPUs, localcluster.SPUProc{ID: int32(localcluster.FirstSPU + len(st.SPUs)), Public: public, Private: private})
		}
	}
	if err := st.Save(); err != nil {
		return err
	}
	if err := l.ensureTLS(); err != nil { // the new SPUs' certificates
		return err
	}
	if len(st.Peers) > 0 {
		if err := l.waitActiveSC(ctx, a); err != nil {
			return err
		}
	}
	if err := l.registerSPUs(ctx, a); err != nil {
		return err
	}
	// An SPU restarted now must come back as a new incarnation: the SC may
	// still list the killed process online for a few heartbeats.
	l.oldIncarnation = l.incarnations(ctx, a)
	if err := l.startSPUs(ctx, a, spuBin); err != nil {
		return err
	}
	if err := l.waitOnline(ctx, a); err != nil {
		return err
	}
	if err := l.g.setProfile(localProfile, localProfileOf(st, l.dir), true); err != nil {
		return err
	}
	step(l.stdout, "profile %q is current: commands without --sc now use %s", localProfile, st.SCList())
	if st.Auth {
		step(l.stdout, "NATS auth is on: the profile connects as admin (%s); %s and %s have fewer rights",
			st.AdminCreds(), filepath.Join(st.AuthDir(), natsauth.FileClient), filepath.Join(st.AuthDir(), natsauth.FileReadOnly))
	}
	if st.TLS {
		step(l.stdout, "TLS is on for every link (mutual TLS): CA %s; the profile uses the admin's certificate %s",
			st.TLSFiles("admin").CA, st.TLSFiles("admin").Cert)
	}
	fmt.Fprintf(l.stdout, `
fluvio cluster is running in %s (logs in %s).
next:
%s  fluvio topic create hello
  echo 'hello world' | fluvio produce hello
  fluvio consume hello -B -d
  fluvio cluster status          # processes, addresses, logs, /metrics /livez /readyz URLs
  fluvio cluster stop            # stop, keep the data ('fluvio cluster start' resumes)
  fluvio cluster delete          # stop and remove everything
`, l.dir, filepath.Join(l.dir, "logs"), l.g.profileEnvNote())
	return nil
}

func (l *localCluster) allSPUsAlive() bool {
	for _, s := range l.st.SPUs {
		if !s.Proc.Alive() {
			return false
		}
	}
	return true
}

// startSC starts every sc-server of the cluster that does not run, and
// waits until one answers.
func (l *localCluster) startSC(ctx context.Context, bin string, fresh bool) error {
	st := l.st
	type scProc struct {
		name, addr, cluster, dir string
		http                     *string
		rec                      *localcluster.Record
	}
	procs := []scProc{{"sc-server", st.SCAddr, st.SCCluster, filepath.Join(l.dir, "sc"), &st.SCHTTP, &st.SC}}
	for i := range st.Peers {
		p := &st.Peers[i]
		procs = append(procs, scProc{"sc-server " + strconv.Itoa(i+2), p.Addr, p.Cluster,
			filepath.Join(l.dir, "sc-"+strconv.Itoa(i+2)), &p.HTTP, &p.Proc})
	}
	var routes []string
	for _, p := range procs {
		if p.cluster != "" {
			routes = append(routes, p.cluster)
		}
	}
	var started []scProc
	// Every port of every SC to start is checked before any starts: a
	// taken one is named with its holder, and nothing is left half-started.
	for i, p := range procs {
		if p.rec.Alive() {
			continue
		}
		if err := localcluster.PortFree(p.addr); err != nil {
			flag := ""
			if fresh && i == 0 {
				_, port, _ := strings.Cut(st.SCAddr, ":")
				n, _ := strconv.Atoi(port)
				flag = fmt.Sprintf("fluvio cluster start --sc-addr 127.0.0.1:%d", n+100)
			}
			if err := pingSC(ctx, target{Addr: st.SCAddr, Source: "the port", Creds: st.AdminCreds(), TLS: stateTLS(st)}); i == 0 && (err == nil || isAuthRefused(err)) {
				// Another fluvio cluster (another data dir) runs there.
				hint := "use that cluster ('fluvio profile add NAME --sc " + st.SCAddr + "'), or stop it: 'fluvio cluster stop --data-dir ITS_DIR' for a cluster 'fluvio cluster start' or 'make run' started (make run: .run/cluster), else stop the sc-server you started by hand"
				if flag != "" {
					hint += ", or start this one elsewhere with '" + flag + "'"
				}
				return withHint(fmt.Errorf("a fluvio SC already answers at %s, and it is not the cluster in %s", st.SCAddr, l.dir), exitConflict, hint)
			}
			return portInUse(scWhat(i), p.addr, flag, err)
		}
		if p.cluster != "" {
			if err := localcluster.PortFree(p.cluster); err != nil {
				return portInUse(scWhat(i)+"'s NATS routes", p.cluster, "", err)
			}
		}
	}
	for i, p := range procs {
		if p.rec.Alive() {
			step(l.stdout, "%s already running (pid %d) on %s", p.name, p.rec.PID, p.addr)
			continue
		}
		// Each SC's --http is planned (its port + 5), or a free port
		// when that one is taken.
		plan, err := localcluster.NewPlan(p.addr)
		if err != nil {
			return err
		}
		if *p.http, err = localcluster.OrFree(plan.SCHTTP()); err != nil {
			return err
		}
		cmd := localcluster.SCCommand{Bin: bin, Addr: p.addr, HTTP: *p.http, DataDir: p.dir, Extra: st.TLSArgs("sc")}
		if st.Auth {
			cmd.AuthDir = st.AuthDir() // one set of identities for every SC
		}
		if p.cluster != "" {
			cmd.Cluster, cmd.Routes, cmd.Name = p.cluster, routes, localcluster.SCName(i)
		}
		argv := cmd.Argv()
		logName := "sc"
		if i > 0 {
			logName = "sc-" + strconv.Itoa(i+1)
		}
		rec, err := localcluster.StartDetached(argv, l.logPath(logName))
		if err != nil {
			return err
		}
		*p.rec = rec
		if err := st.Save(); err != nil {
			return err
		}
		started = append(started, p)
	}
	if len(started) == 0 {
		return nil
	}
	t := stateTarget(st, "the local cluster")
	fmt.Fprintf(l.stdout, "… waiting for %d sc-server(s) to answer on %s\n", len(started), st.SCList())
	var exits []localcluster.Check // a started SC that exits fails the start at once
	for _, p := range started {
		exits = append(exits, localcluster.Check{Name: p.name, Alive: p.rec.Alive, Log: p.rec.Log})
	}
	for {
		if errs := localcluster.Unready(ctx, exits); len(errs) > 0 {
			return exitedWhileStarting(errs[0])
		}
		if err := pingSC(ctx, t); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return withHint(fmt.Errorf("sc-server did not answer on %s: %w", st.SCList(), ctx.Err()), exitUnavailable,
				"see the logs in "+filepath.Join(l.dir, "logs"))
		case <-time.After(localcluster.ReadyInterval):
		}
	}
	// One SC answering is not every SC serving: a standby opens its
	// /readyz once its view of the metadata is loaded. Wait for each, so
	// that the next command ('cluster check', 'cluster status') finds
	// every SC ready.
	if err := localcluster.WaitReady(ctx, l.scChecks()...); err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return withHint(fmt.Errorf("waiting for the SCs: %w", err), exitUnavailable,
				"see the SC logs in "+filepath.Join(l.dir, "logs")+" and 'fluvio cluster status'")
		}
		return exitedWhileStarting(err)
	}
	for _, p := range started {
		step(l.stdout, "%s started (pid %d) on %s, log %s, metrics http://%s/metrics", p.name, p.rec.PID, p.addr, p.rec.Log, *p.http)
	}
	return nil
}

// scChecks are the readiness checks of every SC of the cluster: its
// process runs and its /readyz answers 200 (a cluster started by an
// older fluvio may have no --http: then only the process counts).
func (l *localCluster) scChecks() []localcluster.Check {
	st := l.st
	checks := []localcluster.Check{{Name: "sc-server", HTTP: st.SCHTTP, Alive: st.SC.Alive, Log: st.SC.Log}}
	for i, p := range st.Peers {
		checks = append(checks, localcluster.Check{Name: "sc-server " + strconv.Itoa(i+2), HTTP: p.HTTP, Alive: p.Proc.Alive, Log: p.Proc.Log})
	}
	return checks
}

// scWhat names the i-th SC in a port-taken message: "SC", "SC 2", ...
func scWhat(i int) string {
	if i == 0 {
		return "SC"
	}
	return "SC " + strconv.Itoa(i+1)
}

// allPeersAlive reports whether every extra SC runs.
func (l *localCluster) allPeersAlive() bool {
	for _, p := range l.st.Peers {
		if !p.Proc.Alive() {
			return false
		}
	}
	return true
}

// waitActiveSC waits until one SC holds the lease (writes need it).
func (l *localCluster) waitActiveSC(ctx context.Context, a *fluvio.Client) error {
	for {
		cp, err := a.ControlPlane(ctx, "fluvio")
		if err == nil && cp.ActiveSC != "" {
			step(l.stdout, "NATS cluster %q: %d nodes, metadata at %d replicas; active SC %s", cp.Cluster, len(cp.Nodes), cp.KVReplicas, cp.ActiveSC)
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("no SC holds the lease yet")
			}
			return withHint(fmt.Errorf("waiting for an active SC: %w: %w", err, ctx.Err()), exitUnavailable,
				"see the SC logs in "+filepath.Join(l.dir, "logs"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pingSC succeeds when the SC at t answers version.get.
func pingSC(ctx context.Context, t target) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	a, err := dialAdmin(ctx, t, time.Second)
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = a.SCVersion(ctx)
	return err
}

// registerSPUs registers every SPU of the state as managed; one that is
// registered already (a resumed cluster) is fine.
func (l *localCluster) registerSPUs(ctx context.Context, a *fluvio.Client) error {
	n := 0
	for _, s := range l.st.SPUs {
		key, err := l.spuKey(s.ID)
		if err != nil {
			return err
		}
		_, err = a.RegisterSPU(ctx, fluvio.SPUConfig{
			ID: s.ID, Name: "spu-" + strconv.Itoa(int(s.ID)), PublicEndpoint: s.Public, PrivateEndpoint: s.Private, Type: fluvio.SPUTypeManaged,
			NKey: key,
		})
		if errors.Is(err, fluvio.ErrSPUExists) {
			continue
		}
		if err != nil {
			return err // "register SPU N: ..."
		}
		n++
	}
	if n > 0 {
		step(l.stdout, "%d SPU(s) registered as managed", n)
	}
	return nil
}

// ensureTLS makes the cluster's CA and the certificates it lacks (a
// cluster with --tls).
func (l *localCluster) ensureTLS() error {
	if err := l.st.EnsureTLS(); err != nil {
		return withHint(fmt.Errorf("TLS certificates: %w", err), exitError, "fix the permissions of "+l.st.TLSDir()+", or start another cluster with --data-dir DIR")
	}
	return nil
}

// tlsSPUName is the name of SPU id's certificate.
func tlsSPUName(id int32) string { return "spu-" + strconv.Itoa(int(id)) }

// plan is the port plan of the cluster, checked for n SPUs.
func (l *localCluster) plan(n int) (localcluster.Plan, error) {
	plan, err := localcluster.NewPlan(l.st.SCAddr)
	if err == nil {
		err = plan.Check(n)
	}
	if err != nil {
		return plan, withHint(fmt.Errorf("the port plan of the cluster in %s: %w", l.dir, err), exitUsage,
			"start a new cluster with 'fluvio cluster start --data-dir DIR --sc-addr 127.0.0.1:PORT'")
	}
	return plan, nil
}

// spuPortInUse is the error for an SPU port that is taken.
func spuPortInUse(id int32, addr string) error {
	return withHint(fmt.Errorf("port of SPU %d (%s) is in use%s", id, addr, localcluster.HeldBy(addr)), exitConflict,
		"stop that program, or run this cluster's ports elsewhere: 'fluvio cluster delete', then 'fluvio cluster start --sc-addr 127.0.0.1:PORT' (SPU ports follow the SC's)")
}

// spuKey returns the public key of managed SPU id's credentials (made
// when missing), "" for a cluster without auth.
func (l *localCluster) spuKey(id int32) (string, error) {
	path := l.st.SPUCreds(id)
	if path == "" {
		return "", nil
	}
	c, err := natsauth.LoadOrCreate(path, "spu-"+strconv.Itoa(int(id)), natsauth.RoleSPU)
	if err != nil {
		return "", withHint(fmt.Errorf("credentials of SPU %d: %w", id, err), exitError, "fix or remove "+path+", then run 'fluvio cluster start' again")
	}
	return c.Public, nil
}

// moveSPU registers SPU s again at public and private (it is not running).
func (l *localCluster) moveSPU(ctx context.Context, a *fluvio.Client, s *localcluster.SPUProc, public, private string) error {
	if _, err := a.UnregisterSPU(ctx, s.ID); err != nil && !errors.Is(err, fluvio.ErrSPUNotFound) {
		return err
	}
	key, err := l.spuKey(s.ID)
	if err != nil {
		return err
	}
	if _, err := a.RegisterSPU(ctx, fluvio.SPUConfig{ID: s.ID, Name: "spu-" + strconv.Itoa(int(s.ID)),
		PublicEndpoint: public, PrivateEndpoint: private, Type: fluvio.SPUTypeManaged, NKey: key}); err != nil {
		return err
	}
	s.Public, s.Private = public, private
	return l.st.Save()
}

// startSPUs starts every SPU whose process is not running. An SPU whose
// ports are taken moves to its ports of the plan when they are free (an
// older cluster picked ports in the kernel's ephemeral range, which
// outgoing connections take): it is registered again there. Otherwise
// the error names the process holding the port.
func (l *localCluster) startSPUs(ctx context.Context, a *fluvio.Client, bin string) error {
	plan, err := l.plan(len(l.st.SPUs))
	if err != nil {
		return err
	}
	for i := range l.st.SPUs {
		s := &l.st.SPUs[i]
		if s.Proc.Alive() {
			step(l.stdout, "spu-server %d already running (pid %d)", s.ID, s.Proc.PID)
			continue
		}
		public, private, httpAddr := plan.SPU(i)
		if taken := localcluster.Taken(s.Public, s.Private); taken != "" {
			if s.Public == public && s.Private == private || localcluster.Taken(public, private) != "" {
				return spuPortInUse(s.ID, taken)
			}
			if err := l.moveSPU(ctx, a, s, public, private); err != nil {
				return err
			}
			step(l.stdout, "SPU %d moved to its planned ports, public %s, private %s (%s was in use%s)", s.ID, public, private, taken, localcluster.HeldBy(taken))
		}
		if s.HTTP, err = localcluster.OrFree(httpAddr); err != nil {
			return err
		}
		argv := localcluster.SPUCommand{Bin: bin, ID: s.ID, SCs: l.st.SCList(), LogDir: filepath.Join(l.dir, "spu-"+strconv.Itoa(int(s.ID))),
			HTTP: s.HTTP, Creds: l.st.SPUCreds(s.ID), Extra: l.st.TLSArgs(tlsSPUName(s.ID))}.Argv()
		rec, err := localcluster.StartDetached(argv, l.logPath("spu-"+strconv.Itoa(int(s.ID))))
		if err != nil {
			return err
		}
		s.Proc = rec
		if err := l.st.Save(); err != nil {
			return err
		}
		step(l.stdout, "spu-server %d started (pid %d), public %s, private %s, metrics http://%s/metrics", s.ID, rec.PID, s.Public, s.Private, s.HTTP)
	}
	return nil
}

// waitOnline waits until the SC lists every SPU of the state online. A
// process that exits meanwhile fails at once with the end of its log.
func (l *localCluster) waitOnline(ctx context.Context, a *fluvio.Client) error {
	want := make([]int32, 0, len(l.st.SPUs))
	for _, s := range l.st.SPUs {
		want = append(want, s.ID)
	}
	fmt.Fprintf(l.stdout, "… waiting for %d SPU(s) to come online\n", len(want))
	var exits, ready []localcluster.Check
	for _, s := range l.st.SPUs {
		name := "spu-server " + strconv.Itoa(int(s.ID))
		exits = append(exits, localcluster.Check{Name: name, Alive: s.Proc.Alive, Log: s.Proc.Log})
		// Online at the SC is not yet serving clients: each SPU's
		// /readyz and public port too, so that the next command
		// (cluster check, produce) finds every public port open.
		ready = append(ready, localcluster.Check{Name: name, HTTP: s.HTTP, Public: s.Public, Alive: s.Proc.Alive, Log: s.Proc.Log})
	}
	for {
		if errs := localcluster.Unready(ctx, exits); len(errs) > 0 {
			return exitedWhileStarting(errs[0])
		}
		offline, err := l.offlineSPUs(ctx, a, want)
		if err == nil && len(offline) == 0 {
			errs := localcluster.Unready(ctx, ready)
			if len(errs) == 0 {
				step(l.stdout, "all %d SPU(s) online and ready", len(want))
				return nil
			}
			err = fmt.Errorf("SPU(s) online but not ready: %s", localcluster.JoinReasons(errs))
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("SPU(s) %v still offline", offline)
			}
			return withHint(fmt.Errorf("waiting for the SPUs: %w: %w", err, ctx.Err()), exitUnavailable,
				"see the SPU logs in "+filepath.Join(l.dir, "logs")+" and 'fluvio cluster status'")
		case <-time.After(localcluster.ReadyInterval):
		}
	}
}

// offlineSPUs returns the ids of want that the SC does not list online.
func (l *localCluster) offlineSPUs(ctx context.Context, a *fluvio.Client, want []int32) ([]int32, error) {
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	items, err := a.ListSPUs(rctx)
	if err != nil {
		return nil, err
	}
	var offline []int32
	for _, id := range want {
		i := slices.IndexFunc(items, func(s fluvio.SPU) bool { return s.Spec.ID == id })
		if i < 0 || !items[i].Online() || (l.oldIncarnation[id] != "" && items[i].Status.Incarnation == l.oldIncarnation[id]) {
			offline = append(offline, id)
		}
	}
	return offline, nil
}

// profileEnvNote is the line 'cluster start' puts first under "next:"
// when the profiles file is not ~/.fluvio/config but one named by the
// environment (as make run does): the commands below find the local
// profile only while that variable is set. "" otherwise.
func (g *Global) profileEnvNote() string {
	home, _ := g.homeDir()
	for _, name := range []string{EnvConfig, EnvProfilePath} {
		v := g.getenv(name)
		if v == "" {
			continue
		}
		if abs, err := filepath.Abs(v); err == nil && abs == filepath.Join(home, ".fluvio", "config") {
			return ""
		}
		return fmt.Sprintf("  export %s=%s   # the profile %q is there, not in ~/.fluvio/config\n", name, v, localProfile)
	}
	return ""
}
