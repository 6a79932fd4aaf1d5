package cli

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The local cluster's port plan, as Fluvio's local cluster has it: fixed
// ports counted from the SC's (9003 by default), all below the kernel's
// ephemeral range (32768-60999 on Linux), so an outgoing connection never
// holds one when the cluster restarts. With the default --sc-addr:
//
//	9003        SC (its NATS: clients and SPUs)
//	9004        SC private port for SPUs (sc-server --sc-private, port + 1)
//	9008        sc-server --http (/metrics, /livez, /readyz)
//	9010, 9011  SPU 5001 public and private servers, 9012 its --http
//	9020, 9021  SPU 5002, 9022 its --http; and so on, 10 ports per SPU
//
// 9005 and 9006 stay free for custom SPUs (see README.md). A cluster with
// --sc-addr HOST:P uses the same offsets from P.
const (
	planSCHTTP   = 5  // sc-server --http: P+5
	planSPUFirst = 7  // first SPU's public server: P+7
	planSPUStep  = 10 // ports per SPU
)

// portPlan gives the fixed addresses of a local cluster whose SC listens
// at host:sc.
type portPlan struct {
	host string
	sc   int
}

func newPortPlan(scAddr string) (portPlan, error) {
	host, port, err := net.SplitHostPort(scAddr)
	if err != nil {
		return portPlan{}, err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return portPlan{}, fmt.Errorf("bad port %q", port)
	}
	return portPlan{host: host, sc: p}, nil
}

func (p portPlan) addr(port int) string { return net.JoinHostPort(p.host, strconv.Itoa(port)) }

// check fails when n SPUs do not fit below port 65536.
func (p portPlan) check(n int) error {
	if last := p.sc + planSPUFirst + planSPUStep*(n-1) + 2; last > 65535 {
		return fmt.Errorf("%d SPUs need ports up to %d from the SC's port %d: pick a lower --sc-addr port (the default is 9003)", n, last, p.sc)
	}
	return nil
}

func (p portPlan) scHTTP() string { return p.addr(p.sc + planSCHTTP) }

// spu returns the public, private and HTTP addresses of the i-th SPU (0
// for the first).
func (p portPlan) spu(i int) (public, private, http string) {
	base := p.sc + planSPUFirst + planSPUStep*i
	return p.addr(base), p.addr(base + 1), p.addr(base + 2)
}

// orFree returns addr when it can be listened on, else a free port on the
// same host (for addresses nobody else needs to know in advance: --http).
func orFree(addr string) (string, error) {
	if portFree(addr) == nil {
		return addr, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// portHolder says which process holds a TCP port, as "pid N (NAME)", from
// /proc (Linux); "" when it cannot tell (another OS, or a process of
// another user).
func portHolder(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return ""
	}
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		for inode := range socketInodes(f, p) {
			inodes[inode] = true
		}
	}
	if len(inodes) == 0 {
		return ""
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid := strings.Split(fd, "/")[2]
			comm, _ := os.ReadFile("/proc/" + pid + "/comm")
			return fmt.Sprintf("pid %s (%s)", pid, strings.TrimSpace(string(comm)))
		}
	}
	return ""
}

// socketInodes returns the inodes of the sockets of a /proc/net/tcp file
// bound to port locally.
func socketInodes(file string, port int) map[string]bool {
	out := map[string]bool{}
	f, err := os.Open(file)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	want := fmt.Sprintf(":%04X", port)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || !strings.HasSuffix(fields[1], want) {
			continue
		}
		out[fields[9]] = true
	}
	return out
}
