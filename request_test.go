package fluvio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
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
	requireNoErr(t, err)
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, fmt.Sprintf("nats://ro:pw@%s", ns.Addr().(*net.TCPAddr).String()), WithRequestTimeout(8*time.Second))
	requireNoErr(t, err)
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
