package fluvio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// TestRequestDenied: a NATS user that may not publish on the admin
// subjects gets a *RequestError naming the subject at once, not a
// timeout, and the denial of one subject does not fail another.
func TestRequestDenied(t *testing.T) {
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "ro", Password: "pw", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Deny: []string{"fluvio.admin.v1.topic.>"}},
		}}},
	})
	testkit.NoErr(t, err)
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, fmt.Sprintf("nats://ro:pw@%s", ns.Addr().(*net.TCPAddr).String()), WithRequestTimeout(8*time.Second))
	testkit.NoErr(t, err)
	defer c.Close()

	start := time.Now()
	_, err = c.ListTopics(ctx)
	re, ok := errors.AsType[*RequestError](err)
	if !ok || !re.Denied || re.Subject != "fluvio.admin.v1.topic.list" || Hint(err) == "" {
		t.Fatalf("ListTopics = %v, want a denied *RequestError on fluvio.admin.v1.topic.list with a hint", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v: the permission error should end the wait", d)
	}
	// version.get may be published: nobody serves it here.
	_, err = c.SCVersion(ctx)
	re, ok = errors.AsType[*RequestError](err)
	if !ok || re.Denied || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("SCVersion = %v, want a no-responders *RequestError matching ErrUnavailable", err)
	}
}

// TestRequestWaitsForSC: an admin request that finds no SC serving its
// subject (an SC still starting, or a standby taking over) is tried again
// and answered once an SC serves it; with nobody serving it gives up
// after noResponderWindow with ErrUnavailable.
func TestRequestWaitsForSC(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	testkit.NoErr(t, err)
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	url := ns.ClientURL()
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	c, err := Connect(ctx, url, WithRequestTimeout(20*time.Second))
	testkit.NoErr(t, err)
	defer c.Close()

	done := make(chan error, 1)
	go func() {
		_, err := c.SCVersion(ctx)
		done <- err
	}()
	// Serve the subject only after NATS has seen the request at least once
	// (and found no responder).
	testkit.WaitFor(t, 10*time.Second, func() error {
		if v, _ := ns.Varz(nil); v == nil || v.InMsgs < 1 {
			return fmt.Errorf("no request published yet")
		}
		return nil
	})
	sc, err := nats.Connect(url)
	testkit.NoErr(t, err)
	defer sc.Close()
	sub, err := sc.Subscribe("fluvio.admin.v1.version.get", func(m *nats.Msg) {
		data, _ := bus.Marshal(map[string]string{"version": "test"}, false)
		_ = m.Respond(data)
	})
	testkit.NoErr(t, err)
	defer func() { _ = sub.Unsubscribe() }()
	testkit.NoErr(t, sc.Flush())
	if err := <-done; err != nil {
		t.Fatalf("SCVersion after the SC came = %v, want an answer", err)
	}

	// Nobody serves topic.list: the request ends with ErrUnavailable after
	// the window, well before the request timeout.
	start := time.Now()
	_, err = c.ListTopics(ctx)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("ListTopics with no SC = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d < noResponderWindow || d > noResponderWindow+6*time.Second {
		t.Fatalf("gave up after %v, want about %v", d, noResponderWindow)
	}
}
