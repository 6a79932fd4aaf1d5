package localcluster

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	p, err := NewPlan("127.0.0.1:9003")
	if err != nil {
		t.Fatal(err)
	}
	if p.SCAddr() != "127.0.0.1:9003" || p.SCPrivate() != "127.0.0.1:9004" || p.SCHTTP() != "127.0.0.1:9008" {
		t.Errorf("SC addresses %s %s %s", p.SCAddr(), p.SCPrivate(), p.SCHTTP())
	}
	for i, want := range [][3]string{{"127.0.0.1:9010", "127.0.0.1:9011", "127.0.0.1:9012"}, {"127.0.0.1:9020", "127.0.0.1:9021", "127.0.0.1:9022"}} {
		pub, priv, http := p.SPU(i)
		if [3]string{pub, priv, http} != want {
			t.Errorf("SPU %d: %s %s %s, want %v", i, pub, priv, http, want)
		}
	}
	if got := len(p.Addrs(1, 2)); got != 11 {
		t.Errorf("Addrs(1, 2) has %d addresses, want 11", got)
	}
	if pub, priv := p.CustomSPU(); pub != "127.0.0.1:9005" || priv != "127.0.0.1:9006" {
		t.Errorf("CustomSPU() = %s %s", pub, priv)
	}
	if nats, priv, routes, http := p.SCN(0); nats != p.SCAddr() || priv != p.SCPrivate() || routes != "127.0.0.1:9007" || http != p.SCHTTP() {
		t.Errorf("SCN(0) = %s %s %s %s", nats, priv, routes, http)
	}
	if nats, priv, routes, http := p.SCN(2); [4]string{nats, priv, routes, http} != [4]string{"127.0.0.1:8983", "127.0.0.1:8984", "127.0.0.1:8987", "127.0.0.1:8988"} {
		t.Errorf("SCN(2) = %s %s %s %s", nats, priv, routes, http)
	}
	// Every port of a 3-SC, 3-SPU plan is distinct.
	seen := map[string]bool{}
	for _, a := range p.Addrs(3, 3) {
		if seen[a] {
			t.Errorf("port %s used twice (or a custom SPU's)", a)
		}
		seen[a] = true
	}
	if err := p.CheckSCs(5); err != nil {
		t.Error(err)
	}
	low, _ := NewPlan("127.0.0.1:1050")
	if err := low.CheckSCs(5); err == nil || !strings.Contains(err.Error(), "pick a higher --sc-addr port") {
		t.Errorf("CheckSCs below 1024 = %v", err)
	}
	if err := p.Check(100); err != nil {
		t.Error(err)
	}
	high, _ := NewPlan("127.0.0.1:65500")
	if err := high.Check(5); err == nil || !strings.Contains(err.Error(), "pick a lower --sc-addr port") {
		t.Errorf("Check of a plan past 65535 = %v", err)
	}
	for _, bad := range []string{"nope", "127.0.0.1:x", "127.0.0.1:0", "127.0.0.1:70000"} {
		if _, err := NewPlan(bad); err == nil {
			t.Errorf("NewPlan(%q) accepted", bad)
		}
	}
}

// listen holds a loopback port for the test.
func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// TestPortTakenNamesHolder: a taken port of the plan is reported with
// the process holding it (this test process), and FreePlan goes
// elsewhere, below the ephemeral range.
func TestPortTakenNamesHolder(t *testing.T) {
	p, err := FreePlan("127.0.0.1", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if first, _, _, _ := p.SCN(2); p.SC-20 < freePlanMin || p.last(2) >= 32768 {
		t.Fatalf("FreePlan picked SC port %d (SC 3 at %s, last %d): want the whole plan in [%d, 32768)", p.SC, first, p.last(2), freePlanMin)
	}
	if err := p.Free(3, 2); err != nil {
		t.Fatalf("a fresh FreePlan is not free: %v", err)
	}
	_, priv, _ := p.SPU(1)
	listen(t, priv)
	err = p.Free(3, 2)
	pe, ok := errors.AsType[*PortInUseError](err)
	if !ok || pe.Addr != priv {
		t.Fatalf("Free with %s taken = %v, want a PortInUseError for it", priv, err)
	}
	if runtime.GOOS == "linux" {
		want := fmt.Sprintf("by pid %d (", os.Getpid())
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name the holder (%s...)", err, want)
		}
	}
	if Taken(p.SCAddr(), priv) != priv {
		t.Errorf("Taken did not find %s", priv)
	}
	// Another plan is picked around the taken port.
	other, err := FreePlan("127.0.0.1", 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range other.Addrs(3, 2) {
		if a == priv {
			t.Fatalf("FreePlan picked the taken %s", priv)
		}
	}
}

func TestHolderAndOrFree(t *testing.T) {
	l := listen(t, "127.0.0.1:0")
	addr := l.Addr().String()
	if runtime.GOOS == "linux" {
		if h := Holder(addr); !strings.HasPrefix(h, fmt.Sprintf("pid %d (", os.Getpid())) {
			t.Errorf("Holder(%s) = %q, want this process", addr, h)
		}
	}
	got, err := OrFree(addr)
	if err != nil {
		t.Fatal(err)
	}
	if got == addr {
		t.Errorf("OrFree(%s) kept a taken address", addr)
	}
	addrs, err := FreeLoopbackAddrs(3)
	if err != nil || len(addrs) != 3 || addrs[0] == addrs[1] || addrs[1] == addrs[2] || addrs[0] == addrs[2] {
		t.Errorf("FreeLoopbackAddrs(3) = %v, %v", addrs, err)
	}
}
