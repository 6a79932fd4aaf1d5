package fluviotest_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
)

// TestHTTP: with Options.HTTP the SC and every SPU are ready at their own
// addresses, and their metrics see the cluster.
func TestHTTP(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 2, HTTP: true})
	get := func(url string) (int, string) {
		t.Helper()
		cl := http.Client{Timeout: 5 * time.Second}
		resp, err := cl.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	addrs := map[string]string{"sc": c.SCHTTPAddr()}
	for _, id := range c.SPUIDs() {
		addrs[fmt.Sprint("spu ", id)] = c.SPU(id).HTTPAddr()
	}
	seen := map[string]bool{}
	for name, a := range addrs {
		if a == "" || seen[a] {
			t.Fatalf("%s has HTTP address %q (all: %v)", name, a, addrs)
		}
		seen[a] = true
		if code, body := get("http://" + a + "/readyz"); code != 200 {
			t.Fatalf("%s /readyz: %d %q", name, code, body)
		}
	}
	_, body := get("http://" + c.SCHTTPAddr() + "/metrics")
	if !strings.Contains(body, `fluvio_sc_spus{state="online"} 2`) {
		t.Fatalf("SC metrics do not see 2 SPUs online:\n%s", body)
	}
	_, body = get("http://" + c.SPU(c.SPUIDs()[0]).HTTPAddr() + "/metrics")
	if !strings.Contains(body, "fluvio_spu_fsync_duration_seconds_count") {
		t.Fatalf("SPU metrics:\n%s", body)
	}
}
