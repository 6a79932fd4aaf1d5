package sc_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// TestSCRestart: SPUs, topics and assignments survive an SC restart, and
// replica-set epochs keep increasing across it.
func TestSCRestart(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	e.register(2, "two")
	f := newFakeSPU(t, e, 1)
	before, err := f.hello()
	testkit.NoErr(t, err)
	created, err := e.createTopic("keep", 4, 2)
	testkit.NoErr(t, err)

	e.restart()
	spus := e.spus()
	testkit.Equal(t, len(spus), 2)
	testkit.Equal(t, spus[2].Name, "two")
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
	for p, r := range created.Status.ReplicaMap {
		got := list.Items[0].Status.ReplicaMap[p]
		if len(got) != len(r) || got[0] != r[0] || got[1] != r[1] {
			t.Fatalf("partition %d: replicas %v after restart, %v before", p, got, r)
		}
	}
	after, err := f.hello()
	testkit.NoErr(t, err)
	if after.Replicas.Epoch <= before.Replicas.Epoch {
		t.Fatalf("epoch %d after restart, not above %d", after.Replicas.Epoch, before.Replicas.Epoch)
	}
	// A heartbeat from an SPU the new SC has not seen yet brings it
	// online with a full set.
	e.restart()
	testkit.NoErr(t, f.beat())
	testkit.NoErr(t, online(e, 1))
	testkit.WaitFor(t, 2*time.Second, func() error {
		set, ok := f.lastSet()
		if !ok || !set.Full || set.Epoch <= after.Replicas.Epoch {
			return errString("no full set after the SC restarted")
		}
		return nil
	})
}

type errString string

func (e errString) Error() string { return string(e) }

// TestEmbeddedRestart runs the embedded NATS path: the store lives under
// DataDir and a new SC on the same dir has everything.
func TestEmbeddedRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := sc.Config{Addr: "127.0.0.1:0", DataDir: dir}
	s, err := sc.Start(context.Background(), cfg)
	testkit.NoErr(t, err)
	nc, err := nats.Connect(s.URL())
	testkit.NoErr(t, err)
	_, err = req[bus.SPURegisterResponse](t, nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: 7, PublicEndpoint: "h:1", PrivateEndpoint: "h:2"})
	testkit.NoErr(t, err)
	_, err = req[bus.TopicCreateResponse](t, nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: "t"})
	testkit.NoErr(t, err)
	nc.Close()
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr %q", s.Addr())
	}
	testkit.NoErr(t, s.Close())

	s, err = sc.Start(context.Background(), cfg)
	testkit.NoErr(t, err)
	defer s.Close()
	nc, err = nats.Connect(s.URL())
	testkit.NoErr(t, err)
	defer nc.Close()
	list, err := req[bus.TopicListResponse](t, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
	testkit.Equal(t, list.Items[0].Status.ReplicaMap[0][0], bus.SPUID(7))
	v, err := req[bus.VersionResponse](t, nc, bus.SubjectAdminVersionGet, bus.VersionRequest{})
	testkit.NoErr(t, err)
	if v.NATS == "" || v.GoVersion == "" {
		t.Fatalf("version %+v", v)
	}
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	defer l.Close()
	_, err = sc.Start(context.Background(), sc.Config{Addr: l.Addr().String(), DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) || !strings.Contains(err.Error(), "--sc HOST:PORT") {
		t.Fatalf("got %v, want an error naming %s and --sc", err, l.Addr())
	}
}

func TestUnreachableNATS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	start := time.Now()
	_, err = sc.Start(context.Background(), sc.Config{NATSURL: "nats://" + addr})
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "--nats-url") {
		t.Fatalf("got %v, want an error naming %s and --nats-url", err, addr)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %v to fail", time.Since(start))
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []sc.Config{
		{Addr: "nocolon", DataDir: "/tmp/x"},
		{Addr: "127.0.0.1:99999", DataDir: "/tmp/x"},
		{HeartbeatInterval: time.Second, HeartbeatTimeout: time.Second, DataDir: "/tmp/x"},
		{KVReplicas: 9, DataDir: "/tmp/x"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("config %+v: no error", c)
		}
	}
	testkit.NoErr(t, sc.Config{DataDir: "/tmp/x"}.Validate())
}

// TestMicroService: `nats micro info fluvio-sc` sees every endpoint.
func TestMicroService(t *testing.T) {
	e := newEnv(t, nil)
	reply, err := e.nc.Request("$SRV.INFO."+bus.ServiceName, nil, 5*time.Second)
	testkit.NoErr(t, err)
	var info struct {
		Name      string `json:"name"`
		Endpoints []struct {
			Name    string `json:"name"`
			Subject string `json:"subject"`
		} `json:"endpoints"`
	}
	testkit.NoErr(t, json.Unmarshal(reply.Data, &info))
	testkit.Equal(t, info.Name, "fluvio-sc")
	subjects := map[string]bool{}
	for _, ep := range info.Endpoints {
		subjects[ep.Subject] = true
	}
	for _, s := range []string{
		bus.SubjectAdminSPUList, bus.SubjectAdminSPURegister, bus.SubjectAdminSPUUnregister,
		bus.SubjectAdminTopicCreate, bus.SubjectAdminTopicDelete, bus.SubjectAdminTopicList,
		bus.SubjectAdminPartitionList, bus.SubjectAdminMetadataGet, bus.SubjectAdminVersionGet,
		bus.SubjectSPURegisterAll, bus.SubjectSPUHeartbeatAll, bus.SubjectSPUISRAll,
	} {
		if !subjects[s] {
			t.Errorf("endpoint %s missing from %v", s, subjects)
		}
	}
}

// TestNATSOutage: the external NATS restarts; the SC reconnects and serves
// the same metadata, and admin writes work again.
func TestNATSOutage(t *testing.T) {
	dir := t.TempDir()
	ns := bustest.StartDir(t, dir)
	cfg := fastConfig(ns.URL())
	s, err := sc.Start(context.Background(), cfg)
	testkit.NoErr(t, err)
	defer s.Close()
	nc, err := nats.Connect(ns.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	testkit.NoErr(t, err)
	defer nc.Close()
	_, err = req[bus.SPURegisterResponse](t, nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: 1, PublicEndpoint: "h:1", PrivateEndpoint: "h:2"})
	testkit.NoErr(t, err)

	ns.Restart()
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := req[bus.TopicCreateResponse](t, nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: "after"})
		return err
	})
	list, err := req[bus.SPUListResponse](t, nc, bus.SubjectAdminSPUList, bus.SPUListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
}

func TestHTTPHealthMetrics(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.register(1, "")
	_, err := e.createTopic("m", 2, 1)
	testkit.NoErr(t, err)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + e.sc.HTTPAddr() + path)
		testkit.NoErr(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		testkit.NoErr(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	testkit.Equal(t, code, 200)
	testkit.Equal(t, body, "ok\n")
	code, body = get("/metrics")
	testkit.Equal(t, code, 200)
	for _, want := range []string{`fluvio_sc_spus{state="offline"} 1`, "fluvio_sc_topics 1", "fluvio_sc_partitions 2",
		"fluvio_sc_partitions_leader_offline 2", "fluvio_sc_nats_connected 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	// A busy --http address is a clear error.
	_, err = sc.Start(context.Background(), sc.Config{NATSURL: e.ns.URL(), HTTPAddr: e.sc.HTTPAddr()})
	if err == nil || !strings.Contains(err.Error(), "--http") {
		t.Fatalf("got %v, want an error naming --http", err)
	}
}

// TestNoJetStream: an external NATS without JetStream is a clear error.
func TestNoJetStream(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	testkit.NoErr(t, err)
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	_, err = sc.Start(context.Background(), sc.Config{NATSURL: ns.ClientURL(), StoreTimeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "JetStream") || !strings.Contains(err.Error(), "-js") {
		t.Fatalf("got %v, want an error about JetStream", err)
	}
}
