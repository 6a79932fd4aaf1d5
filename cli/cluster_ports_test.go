package cli

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
)

func TestPortPlan(t *testing.T) {
	p, err := newPortPlan(DefaultSC)
	requireNoErr(t, err)
	requireEqual(t, p.scHTTP(), "127.0.0.1:9008")
	for i, want := range [][3]string{{"127.0.0.1:9010", "127.0.0.1:9011", "127.0.0.1:9012"}, {"127.0.0.1:9020", "127.0.0.1:9021", "127.0.0.1:9022"}} {
		pub, priv, http := p.spu(i)
		if [3]string{pub, priv, http} != want {
			t.Errorf("SPU %d: %s %s %s, want %v", i, pub, priv, http, want)
		}
	}
	requireNoErr(t, p.check(100))
	high, err := newPortPlan("127.0.0.1:65500")
	requireNoErr(t, err)
	if err := high.check(5); err == nil || !strings.Contains(err.Error(), "pick a lower --sc-addr port") {
		t.Errorf("check of a plan past 65535 = %v", err)
	}
}

func TestPortHolderAndOrFree(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	requireNoErr(t, err)
	defer l.Close()
	addr := l.Addr().String()
	if runtime.GOOS == "linux" {
		if h := portHolder(addr); !strings.HasPrefix(h, fmt.Sprintf("pid %d (", os.Getpid())) {
			t.Errorf("portHolder(%s) = %q, want this process", addr, h)
		}
	}
	got, err := orFree(addr)
	requireNoErr(t, err)
	if got == addr {
		t.Errorf("orFree(%s) kept a taken address", addr)
	}
}
