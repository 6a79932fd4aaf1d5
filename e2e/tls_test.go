package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestE2EClusterStartTLS: 'fluvio cluster start --tls' makes a CA and the
// certificates under the data dir (keys 0600) and starts every process
// with mutual TLS in one command; the local profile carries the TLS
// settings (profile export shows them) and produce/consume work through
// it across two replicas; a client without TLS settings, and one without
// a client certificate, are told what to set; a custom SPU registered
// with --certs-out joins through the private port; asking to resume the
// cluster with --tls=false is refused.
func TestE2EClusterStartTLS(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(e.home, ".fluvio", "local")
	scAddr := freePlanAddr(t, 2)
	cleanupCluster(t, e, dir)

	out := e.ok("cluster", "start", "--tls", "--spu", "2", "--sc-addr", scAddr, "--timeout", "60s")
	testkit.Contains(t, out, "all 2 SPU(s) online")
	testkit.Contains(t, out, "TLS is on for every link")
	tlsDir := filepath.Join(dir, "tls")
	for _, name := range []string{"ca", "sc", "spu-5001", "spu-5002", "admin", "client", "read-only"} {
		fi, err := os.Stat(filepath.Join(tlsDir, name+".key"))
		if err != nil {
			t.Fatalf("key of %s: %v", name, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s.key has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	exported := e.ok("profile", "export")
	for _, want := range []string{`tls_policy = "verified"`, `tls_source = "files"`, filepath.Join(tlsDir, "ca.crt"), filepath.Join(tlsDir, "admin.crt")} {
		testkit.Contains(t, exported, want)
	}

	e.ok("topic", "create", "secure", "-r", "2")
	e.ok("produce", "secure", "--file", writeLines(t, "one", "two", "three"))
	got := e.ok("consume", "secure", "-B", "-d")
	if got != "one\ntwo\nthree\n" {
		t.Fatalf("consumed %q", got)
	}
	testkit.Contains(t, e.ok("cluster", "check"), "full ISR")
	// The example programs (package fluvio only) with the client's
	// certificate and credentials: fluvio.LoadTLS and WithTLS.
	ex := &env{t: t, home: e.home, vars: append(append([]string{}, e.vars...), "FLUVIO_SC="+scAddr,
		"FLUVIO_CLIENT_CREDS="+filepath.Join(dir, "auth", "client.creds"), "FLUVIO_TLS_CA="+filepath.Join(tlsDir, "ca.crt"),
		"FLUVIO_TLS_CERT="+filepath.Join(tlsDir, "client.crt"), "FLUVIO_TLS_KEY="+filepath.Join(tlsDir, "client.key"))}
	for _, args := range [][]string{{"example-producer", "--topic", "secure", "--count", "2"}, {"example-consumer", "--topic", "secure", "--beginning", "--once"}} {
		cmd := exec.Command(bin(args[0]), args[1:]...)
		cmd.Env = ex.vars
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s over TLS: %v\n%s", args[0], err, b)
		}
	}

	// Without the profile's TLS settings: told that the SC speaks TLS.
	plain := &env{t: t, home: e.home, vars: append(append([]string{}, e.vars...), "FLUVIO_CONFIG="+filepath.Join(e.home, "none"))}
	errs := plain.fails("topic", "list", "--sc", scAddr, "--creds", filepath.Join(dir, "auth", "admin.creds"))
	testkit.Contains(t, errs, "speaks TLS")
	testkit.Contains(t, errs, "--tls-ca")
	// The CA but no client certificate: the cluster requires one.
	errs = plain.fails("topic", "list", "--sc", scAddr, "--creds", filepath.Join(dir, "auth", "admin.creds"), "--tls-ca", filepath.Join(tlsDir, "ca.crt"))
	testkit.Contains(t, errs, "client certificate")
	// The read-only certificate and credentials consume but do not produce.
	ro := []string{"--sc", scAddr, "--creds", filepath.Join(dir, "auth", "read-only.creds"), "--tls-ca", filepath.Join(tlsDir, "ca.crt"),
		"--tls-cert", filepath.Join(tlsDir, "read-only.crt"), "--tls-key", filepath.Join(tlsDir, "read-only.key")}
	if got := plain.ok(append([]string{"consume", "secure", "-B", "-d"}, ro...)...); got != "one\ntwo\nthree\nhello 0\nhello 1\n" { // the example producer sent two
		t.Fatalf("read-only consumed %q", got)
	}
	_, errs, code := plain.fluvio(append([]string{"produce", "secure", "--file", writeLines(t, "no")}, ro...)...)
	testkit.Contains(t, errs, "read-only")
	testkit.Contains(t, errs, "next: connect with the client or admin role") // said once, on the next: line
	if strings.Count(errs, "client or admin") != 1 {
		t.Errorf("read-only produce repeats its advice:\n%s", errs)
	}
	if code != 6 { // the CLI's permission exit code, as for NATS's refusals
		t.Fatalf("read-only produce: exit %d, want 6\n%s", code, errs)
	}

	// A custom SPU joins the TLS cluster through the private port 9004
	// (a byte proxy to NATS: TLS end to end) with the certificate
	// 'custom-spu register --certs-out' issues.
	pub, priv := freeAddr(t), freeAddr(t)
	_, stderr, code := e.fluvio("custom-spu", "register", "--id", "200", "-p", pub, "-v", priv)
	if code != 0 || !strings.Contains(stderr, "this cluster speaks TLS: SPU 200 needs a certificate") {
		t.Fatalf("register on a TLS cluster without --certs-out: exit %d, %s", code, stderr)
	}
	e.ok("custom-spu", "unregister", "--id", "200")
	certs := filepath.Join(e.home, "spu-200-certs")
	_, stderr, code = e.fluvio("custom-spu", "register", "--id", "200", "-p", pub, "-v", priv, "--certs-out", certs)
	if code != 0 || !strings.Contains(stderr, "--tls-cert "+filepath.Join(certs, "spu-200.crt")) {
		t.Fatalf("register --certs-out: exit %d, %s", code, stderr)
	}
	c := readCluster(t, dir)
	private := planned(t, c.SCAddr, 1)
	spu := e.start("spu-server", "--id", "200", "--sc-controller", private, "--creds", filepath.Join(e.home, ".fluvio", "creds", "spu-200.creds"),
		"--tls-cert", filepath.Join(certs, "spu-200.crt"), "--tls-key", filepath.Join(certs, "spu-200.key"), "--tls-ca", filepath.Join(certs, "ca.crt"),
		"--log-base-dir", filepath.Join(e.home, "spu-200"))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(row(e.ok("spu", "list"), "200"), "online") {
		if time.Now().After(deadline) {
			t.Fatalf("custom SPU 200 never came online over TLS; its output:\n%s", spu.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.ok("custom-spu", "unregister", "--id", "200")

	testkit.Contains(t, e.fails("cluster", "start", "--tls=false"), "runs with TLS")
}

// TestE2ENATSConfTLS: an external nats-server with the config and the
// certificates 'fluvio cluster gen-nats-conf --tls' writes (TLS only,
// client certificates required), an sc-server and an spu-server with
// their credentials and certificates, and the CLI through a profile with
// TLS: records go through, and a client without TLS settings is told the
// server speaks TLS.
func TestE2ENATSConfTLS(t *testing.T) {
	needNATSServer(t)
	e := newEnv(t)
	dir := filepath.Join(e.home, "nats")
	addr := freeAddr(t)
	out := e.ok("cluster", "gen-nats-conf", "--out-dir", dir, "--spus", "5001", "--listen", addr, "--tls")
	testkit.Contains(t, out, "--tls-cert "+filepath.Join(dir, "tls", "sc.crt"))
	conf, err := os.ReadFile(filepath.Join(dir, "nats.conf"))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Contains(t, string(conf), "verify: true")
	natsProc := e.start("nats-server", "-c", filepath.Join(dir, "nats.conf"))
	testkit.WaitFor(t, 10*time.Second, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return fmt.Errorf("nats-server not listening on %s: %w; output %q", addr, err, natsProc.out.String())
		}
		return c.Close()
	})
	tlsArgs := func(name string) []string {
		return []string{"--tls-cert", filepath.Join(dir, "tls", name+".crt"), "--tls-key", filepath.Join(dir, "tls", name+".key"),
			"--tls-ca", filepath.Join(dir, "tls", "ca.crt")}
	}
	scHTTP := freeAddr(t)
	e.start("sc-server", append([]string{"--nats-url", "tls://" + addr, "--nats-creds", filepath.Join(dir, "sc.creds"), "--http", scHTTP}, tlsArgs("sc")...)...)
	waitReady(t, "sc-server", scHTTP, 200)
	e.ok(append([]string{"profile", "add", "ext", "--sc", addr, "--creds", filepath.Join(dir, "admin.creds"), "--switch"}, tlsArgs("admin")...)...)

	pub, priv := freeAddr(t), freeAddr(t)
	e.ok("custom-spu", "register", "--id", "5001", "-p", pub, "-v", priv, "--spu-creds", filepath.Join(dir, "spu-5001.creds"))
	spuHTTP := freeAddr(t)
	e.start("spu-server", append([]string{"--id", "5001", "--sc-controller", addr, "--creds", filepath.Join(dir, "spu-5001.creds"),
		"--log-base-dir", filepath.Join(e.home, "spu"), "--http", spuHTTP}, tlsArgs("spu-5001")...)...)
	waitReady(t, "spu-server", spuHTTP, 200)

	e.ok("topic", "create", "ext")
	e.ok("produce", "ext", "--file", writeLines(t, "a", "b"))
	if got := e.ok("consume", "ext", "-B", "-d"); got != "a\nb\n" {
		t.Fatalf("consumed %q", got)
	}
	plain := &env{t: t, home: e.home, vars: append(append([]string{}, e.vars...), "FLUVIO_CONFIG="+filepath.Join(e.home, "none"))}
	testkit.Contains(t, plain.fails("topic", "list", "--sc", addr, "--creds", filepath.Join(dir, "admin.creds")), "speaks TLS")
}
