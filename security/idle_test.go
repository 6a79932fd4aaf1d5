package security

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
)

// idleEnv is SECURITY_IDLE_CONNS: how many idle connections
// TestIdleConnectionsWhileProducing opens (default 1,000; 'make security'
// sets 20,000). Above 2,000 they come from child processes (the file
// descriptor limit is per process) and from 127.0.0.1..127.0.0.N, so the
// SPU's total limit is reached, not only its per-IP one.
const idleEnv = "SECURITY_IDLE_CONNS"

// childEnv makes the test binary an idle-connection holder: ADDR,FIRST,COUNT.
const childEnv = "SECURITY_IDLE_CHILD"

func init() {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(holdIdle(spec))
	}
}

// holdIdle opens COUNT connections to ADDR from 127.0.0.(FIRST+i/1000),
// prints "ready N" (N accepted so far), and holds them until stdin closes.
func holdIdle(spec string) int {
	parts := strings.Split(spec, ",")
	if len(parts) != 3 {
		return 2
	}
	first, _ := strconv.Atoi(parts[1])
	count, _ := strconv.Atoi(parts[2])
	conns := openIdle(parts[0], first, count)
	fmt.Printf("ready %d\n", len(conns))
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	for _, c := range conns {
		_ = c.Close()
	}
	return 0
}

// openIdle dials count connections that never send anything.
func openIdle(addr string, first, count int) []net.Conn {
	var conns []net.Conn
	for i := range count {
		ip := net.IPv4(127, 0, 0, byte(first+i/1000))
		d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			continue
		}
		conns = append(conns, c)
	}
	return conns
}

// TestIdleConnectionsWhileProducing opens many idle connections to an
// SPU's public server while a producer with acks runs: the SPU keeps
// serving, and the producer's p99 is compared with its baseline.
func TestIdleConnectionsWhileProducing(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 300
	}
	if v := os.Getenv(idleEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a count", idleEnv, v)
		}
	}
	c := startCluster(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := c.connect(c.ids.Admin, nil)
	if _, err := bus.Request[bus.TopicCreateResponse](ctx, admin, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
		Name: "victim", Spec: bus.TopicSpec{Partitions: 1, ReplicationFactor: 1},
	}); err != nil {
		t.Fatal(err)
	}
	c.waitISR(t, ctx, admin, 1)
	client, err := fluvio.Connect(ctx, c.sc.URL(), fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileClient)))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p, err := client.Producer("victim")
	if err != nil {
		t.Fatal(err)
	}
	measure := func(records int) time.Duration {
		lat := make([]time.Duration, 0, records)
		for i := range records {
			start := time.Now()
			if _, err := p.SendSync(ctx, nil, fmt.Appendf(nil, "record %d", i)); err != nil {
				t.Fatalf("produce %d: %v", i, err)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		return lat[len(lat)*99/100]
	}
	const records = 300
	measure(20) // warm up: metadata, the SPU connection
	base := measure(records)

	addr := c.spus[5001].PublicAddr()
	opened, stop := openIdleMany(t, addr, n)
	defer stop()
	loaded := measure(records)
	// Still serving new clients (a new connection from another address).
	c2, err := fluvio.Connect(ctx, c.sc.URL(), fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileClient)))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	ratio := float64(loaded) / float64(base)
	t.Logf("%d idle connections dialed (%d held after the SPU's limits), producer p99 %v -> %v (x%.2f)", n, opened, base, loaded, ratio)
	report("idle-connections", strconv.Itoa(n))
	report("producer-p99-ratio", fmt.Sprintf("%.2f", ratio))
}

// openIdleMany opens n idle connections (from child processes above
// 2,000) and returns how many are still held once the SPU applied its
// limits, and a function that closes them all.
func openIdleMany(t *testing.T, addr string, n int) (int, func()) {
	t.Helper()
	if n <= 2000 {
		conns := openIdle(addr, 1, n)
		return held(conns), func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		total int
	)
	per := 9000
	for first := 0; first*1000 < n; first += per / 1000 {
		count := min(per, n-first*1000)
		cmd := exec.Command(exe, "-test.run", "^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d,%d", childEnv, addr, first+1, count))
		stdin, _ := cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		var got int
		fmt.Sscanf(line, "ready %d", &got)
		mu.Lock()
		total += got
		mu.Unlock()
		t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	}
	return total, func() {}
}

// held counts the connections the server has not closed.
func held(conns []net.Conn) int {
	n := 0
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				n++
			}
		}
	}
	return n
}
