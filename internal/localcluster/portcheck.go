package localcluster

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// PortInUseError is a port a local cluster needs that another program
// holds.
type PortInUseError struct {
	// What needs the port ("SC", "SPU 5001", ...).
	What string
	Addr string
	// Holder is "pid N (NAME)" for the process holding the port, "" when
	// it cannot be told (another OS, another user's process).
	Holder string
	Err    error // from listen
}

func (e *PortInUseError) Error() string {
	_, port, _ := net.SplitHostPort(e.Addr)
	msg := fmt.Sprintf("port %s for the %s (%s) is in use", port, e.What, e.Addr)
	if e.Holder != "" {
		msg += ", by " + e.Holder
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// PortFree reports whether addr can be listened on now (nil), else the
// listen error.
func PortFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}

// Taken returns the first of addrs that cannot be listened on, or "".
func Taken(addrs ...string) string {
	for _, addr := range addrs {
		if PortFree(addr) != nil {
			return addr
		}
	}
	return ""
}

// OrFree returns addr when it can be listened on, else a free port on the
// same host (for addresses nobody else needs to know in advance: --http).
func OrFree(addr string) (string, error) {
	if PortFree(addr) == nil {
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

// FreeLoopbackAddrs returns n distinct 127.0.0.1:PORT addresses with
// ports that were free a moment ago (all held open until all are picked,
// so none repeats). For addresses outside the plan (the routes of SC
// peers, test servers).
func FreeLoopbackAddrs(n int) ([]string, error) {
	var addrs []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// HeldBy is ", by pid N (NAME)" for the process holding addr, or "".
func HeldBy(addr string) string {
	if h := Holder(addr); h != "" {
		return ", by " + h
	}
	return ""
}

// Holder says which process holds a TCP port, as "pid N (NAME)", from
// /proc (Linux); "" when it cannot tell (another OS, or a process of
// another user).
func Holder(addr string) string {
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
