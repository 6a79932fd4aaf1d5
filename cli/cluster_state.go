package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio/internal/natsauth"
)

// A local cluster lives in one data directory (default ~/.fluvio/local):
//
//	cluster.json     the state below: addresses, SPU ids and ports, PIDs
//	.lock            flock(2)ed while a cluster command changes the cluster
//	sc/              the sc-server's JetStream store (the metadata)
//	spu-<id>/        each spu-server's replica logs
//	auth/            the NATS credentials (sc, admin, client, read-only,
//	                 spu-<id>); the local profile uses auth/admin.creds
//	logs/sc.log      the sc-server's output
//	logs/spu-<id>.log
const (
	stateFile     = "cluster.json"
	lockFile      = ".lock"
	firstLocalSPU = 5001
)

// clusterState is cluster.json.
type clusterState struct {
	// Version of this file's format.
	Version int    `json:"version"`
	DataDir string `json:"dataDir"`
	// SCAddr is the SC's (embedded NATS) address, HOST:PORT.
	SCAddr string `json:"scAddr"`
	// SCHTTP is the sc-server's --http address (/metrics, /livez,
	// /readyz): the planned port, or a free one, at each start.
	SCHTTP  string     `json:"scHTTP,omitempty"`
	SC      procRecord `json:"sc"`
	SPUs    []spuProc  `json:"spus"`
	Created time.Time  `json:"created"`
	// With --sc-replicas N > 1 every SC embeds a node of one NATS cluster:
	// SCCluster is the first SC's route address and Peers the other SCs
	// (sc/, sc-2/, ... hold their JetStream stores).
	SCCluster string   `json:"scCluster,omitempty"`
	Peers     []scPeer `json:"scPeers,omitempty"`
	// Auth is true for a cluster whose NATS requires identities (every
	// cluster made since they exist; older ones keep running without).
	// Every SC of the cluster uses the same identities (auth/).
	Auth bool `json:"auth,omitempty"`
}

// authDir is where the cluster's credentials live.
func (st *clusterState) authDir() string { return filepath.Join(st.DataDir, "auth") }

// adminCreds is the admin credential file, "" without auth.
func (st *clusterState) adminCreds() string {
	if !st.Auth {
		return ""
	}
	return filepath.Join(st.authDir(), natsauth.FileAdmin)
}

// spuCreds is SPU id's credential file, "" without auth.
func (st *clusterState) spuCreds(id int32) string {
	if !st.Auth {
		return ""
	}
	return filepath.Join(st.authDir(), natsauth.SPUFile(id))
}

// target is the cluster's SCs as the admin sees them.
func (st *clusterState) target(source string) target {
	return target{Addr: st.scList(), Source: source, Creds: st.adminCreds()}
}

// scPeer is one more SC of a local cluster with --sc-replicas.
type scPeer struct {
	Addr    string     `json:"addr"`
	Cluster string     `json:"cluster"`
	HTTP    string     `json:"http,omitempty"`
	Proc    procRecord `json:"proc"`
}

// scList is the address SPUs and clients get: the SC's, or with several
// SCs every SC's, comma-separated (they fail over between them).
func (st *clusterState) scList() string {
	addrs := []string{st.SCAddr}
	for _, p := range st.Peers {
		addrs = append(addrs, p.Addr)
	}
	return strings.Join(addrs, ",")
}

// scName is the --name of the i-th SC (0 is the first).
func scName(i int) string { return "sc-" + strconv.Itoa(i+1) }

// spuProc is one managed SPU of the local cluster.
type spuProc struct {
	ID      int32  `json:"id"`
	Public  string `json:"public"`
	Private string `json:"private"`
	// HTTP is the spu-server's --http address (/metrics, /livez,
	// /readyz): the planned port, or a free one, at each start.
	HTTP string     `json:"http,omitempty"`
	Proc procRecord `json:"proc"`
}

// procRecord is a process the CLI started: enough to find it again and to
// be sure a PID still belongs to it (the PID's /proc/PID/cmdline must be
// exactly Argv).
type procRecord struct {
	PID     int       `json:"pid"`
	Argv    []string  `json:"argv"`
	Log     string    `json:"log"`
	Started time.Time `json:"started"`
}

func statePath(dir string) string { return filepath.Join(dir, stateFile) }

// loadState reads dir's cluster.json; ok is false when there is none.
func loadState(dir string) (st *clusterState, ok bool, err error) {
	data, err := os.ReadFile(statePath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read cluster state: %w", err)
	}
	st = &clusterState{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, false, withHint(fmt.Errorf("cluster state %s is damaged: %w", statePath(dir), err), exitError,
			"stop any sc-server/spu-server left running, then remove the cluster with 'fluvio cluster delete --force --data-dir "+dir+"'")
	}
	return st, true, nil
}

// save writes cluster.json atomically.
func (st *clusterState) save() error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode cluster state: %w", err)
	}
	if err := writeFileAtomic(statePath(st.DataDir), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write cluster state: %w", err)
	}
	return nil
}

// lockDir takes an exclusive lock on dir's .lock so two cluster commands
// do not start or stop the same cluster at once. unlock releases it.
func lockDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, withHint(fmt.Errorf("create data dir: %w", err), exitError, "pick a writable directory with --data-dir DIR")
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, withHint(fmt.Errorf("open lock file: %w", err), exitError, "pick a writable directory with --data-dir DIR")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, withHint(fmt.Errorf("another 'fluvio cluster' command is working on %s", dir), exitConflict,
			"wait for it to finish, then run the command again")
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// alive reports whether the process of r runs and is still ours: its
// /proc/PID/cmdline is exactly r.Argv and it is not a zombie (a zombie
// child of this process is reaped).
func (r procRecord) alive() bool {
	if r.PID <= 0 {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/stat")
	if err != nil {
		return false
	}
	if procState(stat) == 'Z' {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(r.PID, &ws, syscall.WNOHANG, nil)
		return false
	}
	return r.ours()
}

// ours reports whether /proc/PID/cmdline equals r.Argv.
func (r procRecord) ours() bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/cmdline")
	if err != nil || len(data) == 0 {
		return false
	}
	argv := splitCmdline(data)
	if len(argv) != len(r.Argv) {
		return false
	}
	for i := range argv {
		if argv[i] != r.Argv[i] {
			return false
		}
	}
	return true
}

// splitCmdline splits /proc/PID/cmdline (NUL-terminated arguments).
func splitCmdline(data []byte) []string {
	var out []string
	start := 0
	for i, b := range data {
		if b == 0 {
			out = append(out, string(data[start:i]))
			start = i + 1
		}
	}
	if start < len(data) {
		out = append(out, string(data[start:]))
	}
	return out
}

// procState returns the state letter of /proc/PID/stat ("pid (comm) S ..."),
// reading after the last ')' since comm may hold spaces and parentheses.
func procState(stat []byte) byte {
	for i := len(stat) - 1; i >= 0; i-- {
		if stat[i] == ')' {
			if i+2 < len(stat) {
				return stat[i+2]
			}
			break
		}
	}
	return 0
}
