package security

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats-server/v2/server"
)

// TestRogueRouteRefused: the NATS nodes of an SC cluster with auth on
// accept a route only from a peer presenting the route secret of the
// cluster's auth directory. A nats-server someone starts on the host and
// routes into the cluster (to read every KV bucket as a member) is
// refused without the secret and with a wrong one: each attempt is seen
// refused (an authorization error on the rogue's side) and it never holds
// a route. The same rogue given the secret joins: the test can see an
// accepted route.
func TestRogueRouteRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a 3-node JetStream cluster")
	}
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth")
	routes := make([]string, 3)
	for i := range routes {
		l := listen(t)
		routes[i] = l.Addr().String()
		_ = l.Close()
	}
	scs := make([]*sc.Server, len(routes))
	errs := make([]error, len(routes))
	var wg sync.WaitGroup
	for i := range routes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			scs[i], errs[i] = sc.Start(ctx, sc.Config{
				Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, fmt.Sprint("sc-", i)), AuthDir: auth,
				ClusterAddr: routes[i], Routes: strings.Join(routes, ","), Name: fmt.Sprint("sc-", i+1),
			})
		})
	}
	wg.Wait()
	for i, s := range scs {
		if s != nil {
			t.Cleanup(func() { _ = s.Close() })
		}
		if errs[i] != nil {
			t.Fatalf("start SC %d: %v", i+1, errs[i])
		}
	}
	// The rogue must dial our node, not whatever else took the port.
	if got := scs[0].RouteAddr(); got != routes[0] {
		t.Fatalf("SC 1 accepts routes on %q, want %q", got, routes[0])
	}
	secret, err := natsauth.RouteSecret(auth)
	if err != nil {
		t.Fatal(err)
	}

	accepted := 0
	for _, bad := range []struct {
		name string
		user *url.Userinfo
	}{
		{"no credentials", nil},
		{"a wrong secret", url.UserPassword("fluvio-route", strings.Repeat("0", len(secret)))},
	} {
		rogue, log := startRogue(t, routes[0], bad.user)
		testkit.WaitFor(t, 20*time.Second, func() error {
			if peers := routedTo(t, rogue); len(peers) > 0 {
				return testkit.Stop(fmt.Errorf("a rogue route with %s was accepted by %v", bad.name, peers))
			}
			if !log.refused() {
				return fmt.Errorf("the rogue with %s has not been refused yet", bad.name)
			}
			return nil
		})
		if len(routedTo(t, rogue)) > 0 {
			accepted++
		}
		rogue.Shutdown()
		rogue.WaitForShutdown()
	}
	report("rogue-route accepted", fmt.Sprint(accepted))
	if accepted > 0 {
		t.Fatalf("%d rogue routes accepted", accepted)
	}

	// The positive control: with the secret, the same rogue joins.
	rogue, _ := startRogue(t, routes[0], url.UserPassword("fluvio-route", secret))
	testkit.WaitFor(t, 20*time.Second, func() error {
		if len(routedTo(t, rogue)) == 0 {
			return fmt.Errorf("the rogue holding the route secret has no route yet")
		}
		return nil
	})
	rogue.Shutdown()
	rogue.WaitForShutdown()
}

// routedTo returns the names of the SC nodes (sc-1...) the rogue holds a
// route with.
func routedTo(t *testing.T, rogue *server.Server) []string {
	t.Helper()
	rz, err := rogue.Routez(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rz.Routes {
		if strings.HasPrefix(r.RemoteName, "sc-") {
			out = append(out, r.RemoteName)
		}
	}
	return out
}

// startRogue starts a nats-server whose cluster block routes to route,
// presenting user (nil: no credentials).
func startRogue(t *testing.T, route string, user *url.Userinfo) (*server.Server, *routeLog) {
	t.Helper()
	host, port, err := net.SplitHostPort(route)
	if err != nil {
		t.Fatal(err)
	}
	u := &url.URL{Scheme: "nats-route", Host: net.JoinHostPort(host, port), User: user}
	ns, err := server.NewServer(&server.Options{
		ServerName: "rogue", Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true,
		// Its own route port takes no one else (another test's server).
		Cluster: server.ClusterOpts{Name: sc.DefaultClusterName, Host: "127.0.0.1", Port: server.RANDOM_PORT,
			Username: "rogue", Password: "rogue-only-" + t.Name()},
		Routes: []*url.URL{u},
	})
	if err != nil {
		t.Fatal(err)
	}
	log := &routeLog{}
	ns.SetLoggerV2(log, false, false, false)
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("the rogue nats-server did not start")
	}
	return ns, log
}

// routeLog is the rogue's logger: it notes an authorization refusal.
type routeLog struct {
	mu    sync.Mutex
	authz bool
}

func (l *routeLog) note(format string, v ...any) {
	if strings.Contains(strings.ToLower(fmt.Sprintf(format, v...)), "authorization") {
		l.mu.Lock()
		l.authz = true
		l.mu.Unlock()
	}
}

func (l *routeLog) refused() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.authz
}

func (l *routeLog) Noticef(format string, v ...any) { l.note(format, v...) }
func (l *routeLog) Warnf(format string, v ...any)   { l.note(format, v...) }
func (l *routeLog) Fatalf(format string, v ...any)  { l.note(format, v...) }
func (l *routeLog) Errorf(format string, v ...any)  { l.note(format, v...) }
func (l *routeLog) Debugf(format string, v ...any)  { l.note(format, v...) }
func (l *routeLog) Tracef(format string, v ...any)  { l.note(format, v...) }
