package natsauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCredsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	c, err := New("spu-7", RoleSPU)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sub", "spu-7.creds")
	if err := c.Write(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(path); err == nil {
		t.Fatal("Write replaced an existing key")
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Public != c.Public || got.Name != "spu-7" || got.Role != RoleSPU {
		t.Fatalf("loaded %+v, wrote %+v", got, c)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable seed loaded: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk"), []byte("not a seed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "junk")); err == nil {
		t.Fatal("junk loaded as credentials")
	}
	// Concurrent LoadOrCreate agree on one key.
	ids1, err := EnsureIdentities(filepath.Join(dir, "ids"))
	if err != nil {
		t.Fatal(err)
	}
	ids2, err := EnsureIdentities(filepath.Join(dir, "ids"))
	if err != nil {
		t.Fatal(err)
	}
	if ids1.Admin.Public != ids2.Admin.Public || ids1.SC.Public == ids1.Admin.Public {
		t.Fatal("identities not stable or not distinct")
	}
}

func TestConnectOptionsInbox(t *testing.T) {
	for url, want := range map[string]string{
		"nats://client:secret@h:1":        "client",
		"nats://TOKEN@h:1":                "",
		"nats://h:1":                      "",
		"nats://a:b@h:1,nats://c:d@h:2":   "a",
		"tls://spu5001:x@h:1, nats://h:2": "spu5001",
	} {
		if got := urlUser(url); got != want {
			t.Errorf("urlUser(%q) = %q, want %q", url, got, want)
		}
	}
}

// TestConfEnforcesRoles runs the generated config in a real nats-server:
// the users' permissions hold and anonymous clients are refused.
func TestConfEnforcesRoles(t *testing.T) {
	dir := t.TempDir()
	ids, err := EnsureIdentities(dir)
	if err != nil {
		t.Fatal(err)
	}
	spu1, _ := New("spu-1", RoleSPU)
	spu2, _ := New("spu-2", RoleSPU)
	users := append(ids.Users(), User{Name: "spu-1", Role: RoleSPU, Public: spu1.Public, SPU: 1}, User{Name: "spu-2", Role: RoleSPU, Public: spu2.Public, SPU: 2})
	conf, err := Conf(ServerConfig{Listen: "127.0.0.1:4222", StoreDir: filepath.Join(dir, "js"), Users: users})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("generated config does not load: %v\n%s", err, conf)
	}
	opts.Port, opts.NoLog, opts.NoSigs = server.RANDOM_PORT, true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("not ready")
	}
	if nc, err := nats.Connect(ns.ClientURL(), nats.NoReconnect()); err == nil {
		nc.Close()
		t.Fatal("anonymous connection accepted")
	}
	connect := func(c *Creds) (*nats.Conn, chan error) {
		errs := make(chan error, 16)
		nc, err := nats.Connect(ns.ClientURL(), append(c.Options(), nats.NoReconnect(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))...)
		if err != nil {
			t.Fatalf("connect as %s: %v", c.Name, err)
		}
		t.Cleanup(nc.Close)
		return nc, errs
	}
	sc, _ := connect(ids.SC)
	got, err := sc.SubscribeSync("fluvio.spu.*.heartbeat")
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Flush(); err != nil {
		t.Fatal(err)
	}
	nc1, errs1 := connect(spu1)
	// Its own subject arrives; 2's is refused and never arrives.
	if err := nc1.Publish("fluvio.spu.2.heartbeat", []byte("forged")); err != nil {
		t.Fatal(err)
	}
	if err := nc1.Publish("fluvio.spu.1.heartbeat", []byte("own")); err != nil {
		t.Fatal(err)
	}
	if err := nc1.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs1:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("want a permission violation, got %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("SPU 1 published as SPU 2 without a violation")
	}
	m, err := got.NextMsg(2 * time.Second)
	if err != nil || string(m.Data) != "own" {
		t.Fatalf("SC got %v %v, want SPU 1's own heartbeat only", m, err)
	}
	rd, rerrs := connect(ids.ReadOnly)
	if err := rd.Publish("fluvio.admin.v1.consumer.storage", nil); err != nil {
		t.Fatal(err)
	}
	_ = rd.Flush()
	select {
	case <-rerrs:
	case <-time.After(2 * time.Second):
		t.Fatal("read-only published consumer.storage")
	}
}
