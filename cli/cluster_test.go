package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/localcluster"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestClusterStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := loadState(dir); ok || err != nil {
		t.Fatalf("empty dir: ok=%v err=%v", ok, err)
	}
	st := &localcluster.State{Version: 1, DataDir: dir, SCAddr: "127.0.0.1:1", SPUs: []localcluster.SPUProc{{ID: 5001, Public: "127.0.0.1:2", Private: "127.0.0.1:3",
		Proc: localcluster.Record{PID: 42, Argv: []string{"/bin/x", "--id", "5001"}, Log: "/l"}}}}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	got, ok, err := loadState(dir)
	if !ok || err != nil {
		t.Fatalf("load: ok=%v err=%v", ok, err)
	}
	testkit.Equal(t, got.SPUs[0].Proc.Argv[2], "5001")
	testkit.Equal(t, got.SCAddr, "127.0.0.1:1")

	if err := os.WriteFile(localcluster.StatePath(dir), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = loadState(dir)
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged state: %v", err)
	}
	_, hint, _ := explain(err)
	testkit.Contains(t, hint, "fluvio cluster delete --force")
}

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	_, err := findBinary("sc-server", dir)
	if err == nil {
		t.Fatal("found a missing binary")
	}
	msg, hint, _ := explain(err)
	testkit.Contains(t, msg, "sc-server not found in --bin-dir "+dir)
	testkit.Contains(t, hint, "make build")
	p := filepath.Join(dir, "sc-server")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := findBinary("sc-server", dir)
	if err != nil || got != p {
		t.Fatalf("findBinary: %q %v", got, err)
	}
	// Without --bin-dir, PATH is searched.
	t.Setenv("PATH", dir)
	if got, err := findBinary("sc-server", ""); err != nil || got != p {
		t.Fatalf("findBinary on PATH: %q %v", got, err)
	}
	t.Setenv("PATH", t.TempDir())
	_, err = findBinary("spu-server", "")
	if err == nil || !strings.Contains(err.Error(), "PATH") {
		t.Fatalf("missing on PATH: %v", err)
	}
}

func TestLockDir(t *testing.T) {
	dir := t.TempDir()
	unlock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDir(dir); err == nil || !strings.Contains(err.Error(), "another 'fluvio cluster' command") {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	unlock2, err := lockDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}

func TestClusterCommandsWithoutCluster(t *testing.T) {
	e := newCLIEnv(t)
	dir := filepath.Join(t.TempDir(), "none")
	testkit.Contains(t, e.fails(exitNotFound, "cluster", "status", "--data-dir", dir), "no local cluster in "+dir)
	testkit.Contains(t, e.fails(exitNotFound, "cluster", "stop", "--data-dir", dir), "fluvio cluster start")

	// delete refuses a directory that is not a cluster's, and keeps it.
	other := t.TempDir()
	keep := filepath.Join(other, "precious.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.Contains(t, e.fails(exitNotFound, "cluster", "delete", "--force", "--data-dir", other), "holds no fluvio cluster")
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("delete removed a foreign file: %v", err)
	}

	// delete asks; anything but y/yes keeps the data.
	st := &localcluster.State{Version: 1, DataDir: dir, SCAddr: "127.0.0.1:1"}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	e.stdin = "no\n"
	out, _, code := e.run("cluster", "delete", "--data-dir", dir)
	testkit.Equal(t, code, exitError)
	testkit.Contains(t, out, "[y/N]")
	testkit.Contains(t, out, "not deleted")
	if _, ok, _ := loadState(dir); !ok {
		t.Fatal("state gone after a refused delete")
	}
	e.stdin = "y\n"
	out = e.ok("cluster", "delete", "--data-dir", dir)
	testkit.Contains(t, out, "removed "+dir)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("dir still there: %v", err)
	}
}

// TestClusterDeleteNothing: delete of a directory without a cluster says
// so, fails without --force, and with --force says "nothing to delete"
// (never "removed"). Both name the directory before acting.
func TestClusterDeleteNothing(t *testing.T) {
	e := newCLIEnv(t)
	dir := filepath.Join(t.TempDir(), "none")
	out, errs, code := e.run("cluster", "delete", "--data-dir", dir)
	testkit.Equal(t, code, exitNotFound)
	testkit.Contains(t, out, "deleting the local cluster in "+dir+" (from --data-dir)")
	testkit.Contains(t, errs, "nothing to delete: no local cluster in "+dir)
	testkit.Contains(t, errs, "--force makes this not an error")
	out = e.ok("cluster", "delete", "--force", "--data-dir", dir)
	testkit.Contains(t, out, "nothing to delete: no local cluster in "+dir)
	if strings.Contains(out, "removed") || strings.Contains(out, "deleted;") {
		t.Fatalf("delete of nothing claims a removal:\n%s", out)
	}
}

// TestClusterTargetAnnounced: start and delete say which cluster they act
// on and what chose it: the profile in FLUVIO_CONFIG (the tour's shell),
// or the default when no profile names one.
func TestClusterTargetAnnounced(t *testing.T) {
	e := newCLIEnv(t)
	out, _, _ := e.run("cluster", "delete", "--force")
	testkit.Contains(t, out, "deleting the local cluster in "+filepath.Join(e.env["HOME"], ".fluvio", "local")+" (from the default")
	g := newGlobal()
	g.getenv = func(k string) string { return e.env[k] }
	runDir := filepath.Join(t.TempDir(), "run-cluster")
	if err := g.setProfile(localProfile, profile{SC: "127.0.0.1:1", LocalDir: runDir}, true); err != nil {
		t.Fatal(err)
	}
	// start fails (no binaries), but first it names its target.
	out, _, code := e.run("cluster", "start", "--bin-dir", t.TempDir(), "--sc-addr", freeAddr(t))
	if code == exitOK {
		t.Fatal("start without binaries succeeded")
	}
	testkit.Contains(t, out, "starting the local cluster in "+runDir+` (from the current profile "local" in FLUVIO_CONFIG=`+e.env[EnvConfig]+")")
}

func TestClusterStartErrors(t *testing.T) {
	e := newCLIEnv(t)
	testkit.Contains(t, e.fails(exitUsage, "cluster", "start", "--spu", "0"), "pick between 1 and 100")
	testkit.Contains(t, e.fails(exitUsage, "cluster", "start", "--sc-addr", "nope"), "want HOST:PORT")
	testkit.Contains(t, e.fails(exitUsage, "cluster", "start", "extra"), "unexpected argument")
	dir := filepath.Join(t.TempDir(), "c")
	errs := e.fails(exitError, "cluster", "start", "--data-dir", dir, "--sc-addr", freeAddr(t), "--bin-dir", t.TempDir())
	testkit.Contains(t, errs, "sc-server not found")
	testkit.Contains(t, errs, "next: build the binaries with 'make build'")
}

func TestLocalDirPrecedence(t *testing.T) {
	e := newCLIEnv(t)
	g := newGlobal()
	g.getenv = func(k string) string { return e.env[k] }
	d, err := g.localDir("")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, d, filepath.Join(e.env["HOME"], ".fluvio", "local"))
	if err := g.setProfile(localProfile, profile{SC: "127.0.0.1:1", LocalDir: "/srv/fluvio"}, true); err != nil {
		t.Fatal(err)
	}
	d, _ = g.localDir("")
	testkit.Equal(t, d, "/srv/fluvio")
	d, _ = g.localDir("/flag/dir")
	testkit.Equal(t, d, "/flag/dir")
	// delete drops the profile that points at the cluster.
	if err := g.dropLocalProfile("/srv/fluvio"); err != nil {
		t.Fatal(err)
	}
	cfg, _, _ := g.loadProfiles()
	if _, ok := cfg.Profiles[localProfile]; ok || cfg.Current != "" {
		t.Fatalf("profile kept: %+v", cfg)
	}
}

// TestClusterStartWaitsForEverySC: the readiness 'cluster start' waits
// for covers every SC of the cluster, the standbys too: with a peer whose
// /readyz answers 503 the wait names it and times out; once it answers
// 200 the wait ends.
func TestClusterStartWaitsForEverySC(t *testing.T) {
	var standbyReady atomic.Bool
	var notReadyAnswers atomic.Int32
	serve := func(ready func() bool) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if !ready() {
				notReadyAnswers.Add(1)
				http.Error(w, "not ready: starting: the admin service is not up yet", http.StatusServiceUnavailable)
				return
			}
			fmt.Fprintln(w, "ok")
		}))
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "http://")
	}
	self := localcluster.Record{PID: os.Getpid(), Argv: os.Args} // alive: this test process
	st := &localcluster.State{SCHTTP: serve(func() bool { return true }), SC: self,
		Peers: []localcluster.SCPeer{{HTTP: serve(func() bool { return true }), Proc: self}, {HTTP: serve(standbyReady.Load), Proc: self}}}
	l := &localCluster{st: st}
	checks := l.scChecks()
	testkit.Equal(t, len(checks), 3)

	// The wait ends only when cancelled; cancel it once the standby has
	// answered "not ready" twice (the waiter has read at least one answer),
	// however slow the machine is.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	go func() {
		defer cancel()
		_ = testkit.Poll(ctx, 30*time.Second, func() error {
			if n := notReadyAnswers.Load(); n < 2 {
				return fmt.Errorf("%d not-ready answers", n)
			}
			return nil
		})
	}()
	err := localcluster.WaitReady(ctx, checks...)
	<-ctx.Done()
	if err == nil || !strings.Contains(err.Error(), "sc-server 3: /readyz starting: the admin service is not up yet") {
		t.Fatalf("wait with a standby not ready = %v", err)
	}
	standbyReady.Store(true)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := localcluster.WaitReady(ctx, checks...); err != nil {
		t.Fatal(err)
	}
}

// TestClusterStartProfileEnvNote: with the profiles file named by the
// environment (make run's FLUVIO_CONFIG=.run/config), the next steps
// 'cluster start' prints begin with the export they need; with the
// default file they do not.
func TestClusterStartProfileEnvNote(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HOME": "/h"}, ""},
		{map[string]string{"HOME": "/h", EnvConfig: "/h/.fluvio/config"}, ""},
		{map[string]string{"HOME": "/h", EnvConfig: "/repo/.run/config"}, "  export FLUVIO_CONFIG=/repo/.run/config   # the profile \"local\" is there, not in ~/.fluvio/config\n"},
		{map[string]string{"HOME": "/h", EnvProfilePath: "/p/prod.toml"}, "  export FLV_PROFILE_PATH=/p/prod.toml   # the profile \"local\" is there, not in ~/.fluvio/config\n"},
	}
	for _, c := range cases {
		g := &Global{getenv: func(k string) string { return c.env[k] }}
		testkit.Equal(t, g.profileEnvNote(), c.want)
	}
}
