package spu_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu"
)

// get fetches url and returns its status and body.
func get(url string) (int, string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestHTTPReadyz: /livez answers while the SPU waits for the SC, /readyz
// only once it is registered and serving; /metrics is the SPU's own
// registry; after Close the port is gone.
func TestHTTPReadyz(t *testing.T) {
	f := newFakeSC(t, loopbackSpec(7))
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	base := "http://" + hl.Addr().String()
	var out bytes.Buffer
	cfg := testConfig(t, f, 7, &out)
	cfg.HTTPListener = hl
	type result struct {
		s   *spu.Server
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := spu.Start(context.Background(), cfg)
		done <- result{s, err}
	}()
	testkit.WaitFor(t, 5*time.Second, func() error {
		code, _, err := get(base + "/livez")
		if err != nil || code != 200 {
			return fmt.Errorf("livez %d %v", code, err)
		}
		return nil
	})
	code, body, err := get(base + "/readyz")
	testkit.NoErr(t, err)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "not yet registered") {
		t.Fatalf("readyz before the SC answers: %d %q, want 503 naming registration", code, body)
	}
	f.serve()
	r := <-done
	testkit.NoErr(t, r.err)
	if r.s.HTTPAddr() != hl.Addr().String() {
		t.Fatalf("HTTPAddr %q, want %q", r.s.HTTPAddr(), hl.Addr())
	}
	code, body, err = get(base + "/readyz")
	testkit.NoErr(t, err)
	if code != 200 {
		t.Fatalf("readyz once serving: %d %q", code, body)
	}
	code, body, err = get(base + "/metrics")
	testkit.NoErr(t, err)
	if code != 200 || !strings.Contains(body, `fluvio_spu_fsync_duration_seconds_count{spu="7"}`) {
		t.Fatalf("metrics: %d\n%s", code, body)
	}
	testkit.NoErr(t, r.s.Close())
	if _, _, err := get(base + "/livez"); err == nil {
		t.Fatal("livez still answers after Close")
	}
}

func TestHTTPBadAddr(t *testing.T) {
	err := spu.Config{ID: 1, LogBaseDir: t.TempDir(), HTTPAddr: "nonsense"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--http") {
		t.Fatalf("got %v, want an error naming --http", err)
	}
}
