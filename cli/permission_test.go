package cli

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestPermissionViolation: a NATS user that may not publish on the admin
// subjects gets a named permission error at once, not a timeout.
func TestPermissionViolation(t *testing.T) {
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "ro", Password: "pw", Permissions: &server.Permissions{
			Publish: &server.SubjectPermission{Deny: []string{"fluvio.admin.>"}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	url := fmt.Sprintf("nats://ro:pw@%s", ns.Addr().(*net.TCPAddr).String())
	e := newCLIEnv(t)
	start := time.Now()
	errs := e.fails(exitPermission, "topic", "list", "--sc", url)
	requireContains(t, errs, "NATS refused the request on fluvio.admin.v1.topic.list")
	requireContains(t, errs, "next: the NATS user")
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v: the permission error should end the wait", d)
	}
}
