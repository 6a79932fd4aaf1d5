package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/localcluster"
)

// componentStatus is one row of 'fluvio cluster status'.
type componentStatus struct {
	Name    string
	Up      bool
	Status  string
	Address string
	PID     int
	Version string
	Log     string
	// HTTP is the process's --http address ("" for NATS, or a cluster
	// started by an older fluvio); Ready is its /readyz answer.
	HTTP  string
	Ready string
}

func runClusterStatus(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio cluster status [--data-dir DIR] [-O table|yaml|json]",
		Short: `Show the local cluster's components: the SC, its NATS server and each SPU,
whether each is up (for SPUs: the process, and whether the SC sees it online),
its address, PID, version and log file, and where its /metrics (Prometheus),
/livez and /readyz are served; READY is what /readyz answers. Exits 0 when
everything is up, 5 when something is down.`,
		Examples: `fluvio cluster status
			fluvio cluster status -O json
			curl -s $(fluvio cluster status -O json | jq -r '.[] | select(.name=="spu 5001") | .spec.metrics')`,
	}, false)
	cf := addClusterFlags(fs)
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	dir, err := g.localDir(*cf.dataDir)
	if err != nil {
		return g.fail(stderr, err)
	}
	st, ok, err := loadState(dir)
	if err != nil {
		return g.fail(stderr, err)
	}
	if !ok {
		return g.fail(stderr, noCluster(dir))
	}
	rows := clusterStatus(ctx, st)
	t := newTable("COMPONENT", "STATUS", "ADDRESS", "PID", "READY", "VERSION", "METRICS", "LOG")
	allUp := true
	for _, r := range rows {
		allUp = allUp && r.Up
		metrics := ""
		if r.PID != 0 {
			metrics = httpURL(r.HTTP, "/metrics") // none for a process that is down
		}
		t.add(r.Name, r.Status, r.Address, pidString(r.PID), r.Ready, r.Version, metrics, r.Log)
	}
	if err := printList(stdout, stderr, *out, statusViews(rows), t, ""); err != nil {
		return g.fail(stderr, err)
	}
	if *out == outputTable {
		fmt.Fprintln(stderr, "each METRICS address also serves /livez and /readyz")
	}
	if !allUp {
		fmt.Fprintln(stderr, "next: 'fluvio cluster start' starts what is down; the logs say why something stopped")
		return exitUnavailable
	}
	return exitOK
}

// componentView is a row of cluster status as -O json|yaml prints it, in
// the {name, spec, status} shape of every list.
type componentView struct {
	Name string `json:"name"`
	Spec struct {
		Address string `json:"address,omitempty"`
		Log     string `json:"log,omitempty"`
		Metrics string `json:"metrics,omitempty"`
		Livez   string `json:"livez,omitempty"`
		Readyz  string `json:"readyz,omitempty"`
	} `json:"spec"`
	Status struct {
		Up         bool   `json:"up"`
		Resolution string `json:"resolution"`
		PID        int    `json:"pid,omitempty"`
		Version    string `json:"version,omitempty"`
		Ready      string `json:"ready,omitempty"`
	} `json:"status"`
}

func statusViews(rows []componentStatus) []componentView {
	out := make([]componentView, len(rows))
	for i, r := range rows {
		v := &out[i]
		v.Name = r.Name
		v.Spec.Address, v.Spec.Log = r.Address, r.Log
		v.Spec.Metrics, v.Spec.Livez, v.Spec.Readyz = httpURL(r.HTTP, "/metrics"), httpURL(r.HTTP, "/livez"), httpURL(r.HTTP, "/readyz")
		v.Status.Ready = r.Ready
		v.Status.Up, v.Status.Resolution, v.Status.PID, v.Status.Version = r.Up, r.Status, r.PID, r.Version
	}
	return out
}

// clusterStatus inspects the processes of st and asks the SC (if it
// answers) for versions and SPU liveness.
func clusterStatus(ctx context.Context, st *localcluster.State) []componentStatus {
	sc := componentStatus{Name: "sc", Address: st.SCAddr, Log: st.SC.Log, Status: "down", HTTP: st.SCHTTP}
	nats := componentStatus{Name: "nats", Address: st.SCAddr, Status: "down"}
	if st.SC.Alive() {
		sc.Up, sc.Status, sc.PID = true, "up", st.SC.PID
	}
	scs := []componentStatus{sc}
	for i, p := range st.Peers {
		r := componentStatus{Name: "sc " + strconv.Itoa(i+2), Address: p.Addr, Log: p.Proc.Log, Status: "down", HTTP: p.HTTP}
		if p.Proc.Alive() {
			r.Up, r.Status, r.PID = true, "up", p.Proc.PID
		}
		scs = append(scs, r)
	}
	anyUp := false
	for _, r := range scs {
		anyUp = anyUp || r.Up
	}
	var spus map[int32]fluvio.SPU
	t := stateTarget(st, "the local cluster")
	if anyUp {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if a, err := dialAdmin(ctx, t, 2*time.Second); err == nil {
			defer a.Close()
			nats.Up, nats.Status, nats.Version = true, "up", a.NATSServerVersion()
			nats.Address = a.NATSServerURL()
			if v, err := a.SCVersion(ctx); err == nil {
				for i := range scs {
					if scs[i].Up {
						scs[i].Version = v.Version
					}
				}
			} else {
				for i := range scs {
					scs[i].Up, scs[i].Status = false, "not answering"
				}
			}
			if items, err := a.ListSPUs(ctx); err == nil {
				spus = make(map[int32]fluvio.SPU, len(items))
				for _, s := range items {
					spus[s.Spec.ID] = s
				}
			}
			if len(st.Peers) > 0 {
				controlPlaneStatus(ctx, a, scs, &nats)
			}
		}
	}
	sc = scs[0]
	rows := append(scs, nats)
	for _, s := range st.SPUs {
		r := componentStatus{Name: "spu " + strconv.Itoa(int(s.ID)), Address: s.Public, Log: s.Proc.Log, Status: "down", HTTP: s.HTTP}
		if s.Proc.Alive() {
			r.PID = s.Proc.PID
			r.Status = "up"
			r.Up = true
		}
		if info, ok := spus[s.ID]; ok {
			r.Status += ", " + strings.ToLower(info.Status.Resolution)
			r.Version = info.Status.Version
			r.Up = r.Up && info.Online()
		} else if sc.Up && spus != nil {
			r.Status += ", not registered"
			r.Up = false
		}
		rows = append(rows, r)
	}
	for i := range rows {
		if rows[i].PID != 0 {
			rows[i].Ready = localcluster.ProbeReady(ctx, rows[i].HTTP)
		}
	}
	return rows
}

// controlPlaneStatus adds each SC's role (the lease holder is "active")
// and the NATS cluster (nodes, KV replicas and their RAFT leader) to the
// status rows of a cluster with several SCs.
func controlPlaneStatus(ctx context.Context, a *fluvio.Client, scs []componentStatus, nats *componentStatus) {
	cp, err := a.ControlPlane(ctx, "fluvio")
	if err != nil {
		nats.Status += ", control plane unknown: " + err.Error()
		return
	}
	for i := range scs {
		if !scs[i].Up {
			continue
		}
		if localcluster.SCName(i) == cp.ActiveSC {
			scs[i].Status += ", active"
		} else {
			scs[i].Status += ", standby"
		}
	}
	current := cp.Current()
	nats.Status += fmt.Sprintf(", cluster %s: %d/%d KV replicas current, leader %s", cp.Cluster, current, cp.KVReplicas, cp.Leader())
	nats.Address = strings.Join(cp.Servers, ",")
	if current < cp.KVReplicas {
		nats.Up = false
	}
}

// httpURL is the URL of path on a process's HTTP address, "" without one.
func httpURL(addr, path string) string {
	if addr == "" {
		return ""
	}
	return "http://" + addr + path
}
