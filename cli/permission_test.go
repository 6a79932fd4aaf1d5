package cli

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
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
	testkit.Contains(t, errs, "NATS refused the request on fluvio.admin.v1.topic.list")
	testkit.Contains(t, errs, "next: the NATS user")
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v: the permission error should end the wait", d)
	}
}

// TestAuthRefusedHint: a cluster that requires credentials refuses a
// connection without them; the hint names the fix for where the address
// came from (the profile in use, or --sc).
func TestAuthRefusedHint(t *testing.T) {
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
		Users: []*server.User{{Username: "admin", Password: "pw"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	addr := ns.Addr().(*net.TCPAddr).String()
	e := newCLIEnv(t)

	errs := e.fails(exitUnavailable, "topic", "list", "--sc", addr)
	testkit.Contains(t, errs, "refused the connection")
	testkit.Contains(t, errs, "pass --creds FILE")

	e.ok("profile", "add", "prod", "--sc", addr, "--switch")
	errs = e.fails(exitUnavailable, "topic", "list")
	testkit.Contains(t, errs, `(from profile "prod") refused the connection`)
	testkit.Contains(t, errs, `profile "prod" names none: add them with 'fluvio profile add prod --sc `+addr+` --creds FILE'`)
	if strings.Contains(errs, "profile switch") {
		t.Fatalf("the hint sends to the profile already in use:\n%s", errs)
	}
}
