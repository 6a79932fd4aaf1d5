package localcluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio/internal/atomicfile"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
)

// A detached local cluster ('fluvio cluster start') lives in one data
// directory (default ~/.fluvio/local):
//
//	cluster.json     the State below: addresses, SPU ids and ports, PIDs
//	.lock            flock(2)ed while a cluster command changes the cluster
//	sc/              the sc-server's JetStream store (the metadata)
//	sc-2/, ...       the JetStream stores of the other SCs (--sc-replicas)
//	spu-<id>/        each spu-server's replica logs
//	auth/            the NATS credentials (sc, admin, client, read-only,
//	                 spu-<id>); the local profile uses auth/admin.creds
//	tls/             with --tls: ca.crt and ca.key, and NAME.crt, NAME.key
//	                 for sc, spu-<id>, admin, client, read-only (keys 0600)
//	logs/sc.log      the sc-server's output (logs/sc-2.log, ...)
//	logs/spu-<id>.log
const (
	StateFile = "cluster.json"
	LockFile  = ".lock"
	// FirstSPU is the id of a local cluster's first SPU; the others follow.
	FirstSPU = 5001
)

// State is cluster.json.
type State struct {
	// Version of this file's format.
	Version int    `json:"version"`
	DataDir string `json:"dataDir"`
	// SCAddr is the SC's (embedded NATS) address, HOST:PORT.
	SCAddr string `json:"scAddr"`
	// SCHTTP is the sc-server's --http address (/metrics, /livez,
	// /readyz): the planned port, or a free one, at each start.
	SCHTTP  string    `json:"scHTTP,omitempty"`
	SC      Record    `json:"sc"`
	SPUs    []SPUProc `json:"spus"`
	Created time.Time `json:"created"`
	// With --sc-replicas N > 1 every SC embeds a node of one NATS cluster:
	// SCCluster is the first SC's route address and Peers the other SCs
	// (sc/, sc-2/, ... hold their JetStream stores).
	SCCluster string   `json:"scCluster,omitempty"`
	Peers     []SCPeer `json:"scPeers,omitempty"`
	// Auth is true for a cluster whose NATS requires identities (every
	// cluster made since they exist; older ones keep running without).
	// Every SC of the cluster uses the same identities (auth/).
	Auth bool `json:"auth,omitempty"`
	// TLS is true for a cluster started with --tls: every link speaks
	// mutual TLS with the certificates under tls/ (EnsureTLS).
	TLS bool `json:"tls,omitempty"`
}

// SCPeer is one more SC of a local cluster with --sc-replicas.
type SCPeer struct {
	Addr    string `json:"addr"`
	Cluster string `json:"cluster"`
	HTTP    string `json:"http,omitempty"`
	Proc    Record `json:"proc"`
}

// SPUProc is one managed SPU of the local cluster.
type SPUProc struct {
	ID      int32  `json:"id"`
	Public  string `json:"public"`
	Private string `json:"private"`
	// HTTP is the spu-server's --http address (/metrics, /livez,
	// /readyz): the planned port, or a free one, at each start.
	HTTP string `json:"http,omitempty"`
	Proc Record `json:"proc"`
}

// AuthDir is where the cluster's credentials live.
func (st *State) AuthDir() string { return filepath.Join(st.DataDir, "auth") }

// AdminCreds is the admin credential file, "" without auth.
func (st *State) AdminCreds() string {
	if !st.Auth {
		return ""
	}
	return filepath.Join(st.AuthDir(), natsauth.FileAdmin)
}

// SPUCreds is SPU id's credential file, "" without auth.
func (st *State) SPUCreds(id int32) string {
	if !st.Auth {
		return ""
	}
	return filepath.Join(st.AuthDir(), natsauth.SPUFile(id))
}

// TLSDir is where the cluster's CA and certificates live.
func (st *State) TLSDir() string { return filepath.Join(st.DataDir, "tls") }

// TLSFiles are the certificate, key and CA of name (sc, spu-N, admin,
// client, read-only) in TLSDir; empty without TLS.
func (st *State) TLSFiles(name string) tlsconf.Files {
	if !st.TLS {
		return tlsconf.Files{}
	}
	return tlsconf.FilesIn(st.TLSDir(), name)
}

// TLSArgs are the --tls-cert, --tls-key and --tls-ca arguments of the
// server whose certificate is name; none without TLS.
func (st *State) TLSArgs(name string) []string {
	if !st.TLS {
		return nil
	}
	f := st.TLSFiles(name)
	return []string{"--tls-cert", f.Cert, "--tls-key", f.Key, "--tls-ca", f.CA}
}

// EnsureTLS makes the cluster's CA (ECDSA P-256, key 0600) and the
// certificates it lacks: the SCs' (one, for every SC and their routes),
// each SPU's (named spu-N: their servers and their dials to NATS and to
// their peers) and the client roles' (admin, client, read-only: their
// OU). Every certificate serves the loopback names and the hosts of the
// cluster's addresses.
func (st *State) EnsureTLS() error {
	if !st.TLS {
		return nil
	}
	dir := st.TLSDir()
	ca, err := tlsconf.EnsureAuthority(dir, "fluvio local cluster CA ("+st.DataDir+")")
	if err != nil {
		return err
	}
	hosts := slices.Clone(tlsconf.LocalHosts)
	addHost := func(addr string) {
		if h, _, err := net.SplitHostPort(addr); err == nil && h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	addHost(st.SCAddr)
	for _, p := range st.Peers {
		addHost(p.Addr)
	}
	leaves := []tlsconf.Leaf{{Name: "sc", Hosts: hosts},
		{Name: tlsconf.RoleAdmin, Role: tlsconf.RoleAdmin}, {Name: tlsconf.RoleClient, Role: tlsconf.RoleClient},
		{Name: tlsconf.RoleReadOnly, Role: tlsconf.RoleReadOnly}}
	for _, s := range st.SPUs {
		h := slices.Clone(hosts)
		for _, a := range []string{s.Public, s.Private} {
			if x, _, err := net.SplitHostPort(a); err == nil && x != "" && !slices.Contains(h, x) {
				h = append(h, x)
			}
		}
		leaves = append(leaves, tlsconf.Leaf{Name: tlsconf.SPUName(s.ID), Hosts: h})
	}
	for _, l := range leaves {
		if _, err := ca.Ensure(dir, l); err != nil {
			return err
		}
	}
	return nil
}

// SCList is the address SPUs and clients get: the SC's, or with several
// SCs every SC's, comma-separated (they fail over between them).
func (st *State) SCList() string {
	addrs := []string{st.SCAddr}
	for _, p := range st.Peers {
		addrs = append(addrs, p.Addr)
	}
	return strings.Join(addrs, ",")
}

// SCName is the --name of the i-th SC (0 is the first).
func SCName(i int) string { return "sc-" + strconv.Itoa(i+1) }

// StatePath is the state file of the cluster in dir.
func StatePath(dir string) string { return filepath.Join(dir, StateFile) }

// DamagedStateError is LoadState's error for a state file that does not
// parse.
type DamagedStateError struct {
	Path string
	Err  error
}

func (e *DamagedStateError) Error() string {
	return fmt.Sprintf("cluster state %s is damaged: %v", e.Path, e.Err)
}

func (e *DamagedStateError) Unwrap() error { return e.Err }

// LoadState reads dir's cluster.json; ok is false when there is none.
func LoadState(dir string) (st *State, ok bool, err error) {
	data, err := os.ReadFile(StatePath(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read cluster state: %w", err)
	}
	st = &State{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, false, &DamagedStateError{Path: StatePath(dir), Err: err}
	}
	return st, true, nil
}

// Save writes cluster.json atomically.
func (st *State) Save() error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode cluster state: %w", err)
	}
	if err := atomicfile.Write(StatePath(st.DataDir), append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write cluster state: %w", err)
	}
	return nil
}

// ErrLocked is Lock's error when another command holds the lock.
var ErrLocked = errors.New("locked by another command")

// Lock takes an exclusive lock on dir's .lock (creating dir) so two
// commands do not start or stop the same cluster at once. unlock
// releases it. A held lock is ErrLocked.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, ErrLocked)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
