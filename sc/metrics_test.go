package sc_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	testkit.NoErr(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	testkit.NoErr(t, err)
	return resp.StatusCode, string(b)
}

// metricLine finds the sample whose series (name and labels as printed)
// is series and returns its value.
func metricValue(body, series string) (float64, bool) {
	for line := range strings.Lines(body) {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f, err == nil
		}
	}
	return 0, false
}

// TestMetricsCluster: SPU liveness, heartbeat age, ISR and
// under-replication gauges follow the cluster, and admin errors are
// counted by endpoint and code.
func TestMetricsCluster(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.HTTPAddr = "127.0.0.1:0" })
	base := "http://" + e.sc.HTTPAddr()
	e.register(1, "one")
	e.register(2, "two")
	f := newFakeSPU(t, e, 1)
	_, err := f.hello()
	testkit.NoErr(t, err)
	f.beatEvery(50 * time.Millisecond)
	topic, err := e.createTopic("m", 2, 2)
	testkit.NoErr(t, err)
	_, err = e.createTopic("m", 1, 1) // exists
	requireErr(t, err, bus.ErrTopicExists)
	_, err = e.createTopic("Bad Name!", 1, 1)
	if err == nil {
		t.Fatal("a bad topic name was accepted")
	}

	var body string
	testkit.WaitFor(t, 5*time.Second, func() error {
		_, body = httpGet(t, base+"/metrics")
		for series, want := range map[string]float64{
			`fluvio_sc_spus{state="online"}`:           1,
			`fluvio_sc_spus{state="offline"}`:          1,
			`fluvio_sc_spu_online{name="one",spu="1"}`: 1,
			`fluvio_sc_spu_online{name="two",spu="2"}`: 0,
			"fluvio_sc_topics":                         1,
			"fluvio_sc_partitions":                     2,
		} {
			if got, ok := metricValue(body, series); !ok || got != want {
				return fmt.Errorf("%s = %v (found %v), want %v", series, got, ok, want)
			}
		}
		return nil
	})
	age, ok := metricValue(body, `fluvio_sc_spu_heartbeat_age_seconds{name="one",spu="1"}`)
	if !ok || age < 0 || age > 2 {
		t.Errorf("heartbeat age of SPU 1 = %v (found %v), want within 2s (it beats every 50ms)", age, ok)
	}
	if _, ok := metricValue(body, `fluvio_sc_spu_heartbeat_age_seconds{name="two",spu="2"}`); ok {
		t.Error("SPU 2 never beat but has a heartbeat age")
	}
	under := 0
	for i, p := range topic.Status.Partitions {
		want := float64(len(p.Status.ISR))
		if got, ok := metricValue(body, fmt.Sprintf(`fluvio_sc_partition_isr_size{partition="%d",topic="m"}`, i)); !ok || got != want {
			t.Errorf("ISR size of m-%d = %v (found %v), want %v", i, got, ok, want)
		}
		if len(p.Status.ISR) < len(p.Spec.Replicas) {
			under++
		}
	}
	if got, _ := metricValue(body, "fluvio_sc_partitions_under_replicated"); got != float64(under) {
		t.Errorf("under-replicated = %v, want %d", got, under)
	}
	if got, _ := metricValue(body, `fluvio_sc_requests_total{endpoint="topic-create"}`); got != 3 {
		t.Errorf("topic-create requests = %v, want 3", got)
	}
	exists := fmt.Sprintf(`fluvio_sc_request_errors_total{code="%d",endpoint="topic-create"}`, bus.ErrTopicExists.Code)
	if got, _ := metricValue(body, exists); got != 1 {
		t.Errorf("%s = %v, want 1", exists, got)
	}
	if t.Failed() {
		t.Log(body)
	}
}

// TestReadyz: ready while NATS and the KV bucket answer, 503 (with the
// reason) while NATS is down, ready again after it returns; /livez
// answers throughout.
func TestReadyz(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.HTTPAddr = "127.0.0.1:0" })
	base := "http://" + e.sc.HTTPAddr()
	code, body := httpGet(t, base+"/readyz")
	testkit.Equal(t, code, 200)
	testkit.Equal(t, body, "ok\n")
	e.ns.Stop()
	testkit.WaitFor(t, 5*time.Second, func() error {
		code, body := httpGet(t, base+"/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "NATS") {
			return fmt.Errorf("readyz with NATS down: %d %q", code, body)
		}
		return nil
	})
	code, _ = httpGet(t, base+"/livez")
	testkit.Equal(t, code, 200)
	e.restartNATS(0)
	testkit.WaitFor(t, 10*time.Second, func() error {
		if code, body := httpGet(t, base+"/readyz"); code != 200 {
			return fmt.Errorf("readyz after NATS returned: %d %q", code, body)
		}
		return nil
	})
}
