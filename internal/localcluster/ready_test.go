package localcluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// readyz serves /readyz: 503 "not ready: starting" until ready is set.
func readyz(t *testing.T, ready *atomic.Bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if !ready.Load() {
			http.Error(w, "not ready: starting", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestProbeReady(t *testing.T) {
	var ready atomic.Bool
	addr := readyz(t, &ready)
	ctx := context.Background()
	if got := ProbeReady(ctx, addr); got != "no: starting" {
		t.Errorf("ProbeReady before ready = %q", got)
	}
	ready.Store(true)
	if got := ProbeReady(ctx, addr); got != "yes" {
		t.Errorf("ProbeReady when ready = %q", got)
	}
	if got := ProbeReady(ctx, ""); got != "" {
		t.Errorf("ProbeReady without an address = %q", got)
	}
	free, _ := FreeLoopbackAddrs(1)
	if got := ProbeReady(ctx, free[0]); got != "no: /readyz does not answer" {
		t.Errorf("ProbeReady of a closed port = %q", got)
	}
}

// TestWaitReady: the wait ends when every /readyz answers 200 and every
// public port accepts; it names what is not ready when its deadline
// passes; it fails at once, with the log's end, when a process exits.
func TestWaitReady(t *testing.T) {
	var scReady, spuReady atomic.Bool
	sc, spu := readyz(t, &scReady), readyz(t, &spuReady)
	public := listen(t, "127.0.0.1:0").Addr().String()
	alive := func() bool { return true }
	checks := []Check{
		{Name: "sc-server 2", HTTP: sc, Alive: alive},
		{Name: "spu-server 5001", HTTP: spu, Public: public, Alive: alive},
	}

	// Timeout: both named, with /readyz's reason. Long enough for the
	// probes to get an answer on a loaded machine (at 300 ms a CI run saw
	// "does not answer" instead of "starting").
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := WaitReady(ctx, checks...)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitReady before ready = %v, want a deadline error", err)
	}
	for _, want := range []string{"sc-server 2: /readyz starting", "spu-server 5001: /readyz starting"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("timeout error %q lacks %q", err, want)
		}
	}

	// The public port counts too.
	scReady.Store(true)
	spuReady.Store(true)
	closed, _ := FreeLoopbackAddrs(1)
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = WaitReady(ctx, Check{Name: "spu-server 5002", Public: closed[0]})
	cancel()
	if err == nil || !strings.Contains(err.Error(), "spu-server 5002: public port "+closed[0]+" not accepting connections") {
		t.Errorf("WaitReady with a closed public port = %v", err)
	}

	// Ready once the SPU's /readyz answers 200.
	spuReady.Store(false)
	go func() {
		time.Sleep(200 * time.Millisecond)
		spuReady.Store(true)
	}()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := WaitReady(ctx, checks...); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("WaitReady returned after %v, before the SPU was ready", d)
	}

	// A process that exits: at once, with its log.
	log := filepath.Join(t.TempDir(), "spu.log")
	if err := os.WriteFile(log, []byte("starting\nfatal: cannot open data dir\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	err = WaitReady(ctx, Check{Name: "spu-server 5003", HTTP: sc, Alive: func() bool { return false }, Log: log})
	ee, ok := errors.AsType[*ExitedError](err)
	if !ok || ee.Name != "spu-server 5003" || !strings.Contains(err.Error(), "  | fatal: cannot open data dir") {
		t.Fatalf("WaitReady of an exited process = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("the exit was seen after %v, want at once", time.Since(start))
	}
}
