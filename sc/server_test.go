package sc_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/sc"
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
	requireNoErr(t, err)
	created, err := e.createTopic("keep", 4, 2)
	requireNoErr(t, err)

	e.restart()
	spus := e.spus()
	requireEqual(t, len(spus), 2)
	requireEqual(t, spus[2].Name, "two")
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	requireNoErr(t, err)
	requireEqual(t, len(list.Items), 1)
	for p, r := range created.Status.ReplicaMap {
		got := list.Items[0].Status.ReplicaMap[p]
		if len(got) != len(r) || got[0] != r[0] || got[1] != r[1] {
			t.Fatalf("partition %d: replicas %v after restart, %v before", p, got, r)
		}
	}
	after, err := f.hello()
	requireNoErr(t, err)
	if after.Replicas.Epoch <= before.Replicas.Epoch {
		t.Fatalf("epoch %d after restart, not above %d", after.Replicas.Epoch, before.Replicas.Epoch)
	}
	// A heartbeat from an SPU the new SC has not seen yet brings it
	// online with a full set.
	e.restart()
	requireNoErr(t, f.beat())
	requireNoErr(t, online(e, 1))
	waitFor(t, 2*time.Second, func() error {
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
	requireNoErr(t, err)
	nc, err := nats.Connect(s.URL())
	requireNoErr(t, err)
	_, err = req[bus.SPURegisterResponse](t, nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: 7, PublicEndpoint: "h:1", PrivateEndpoint: "h:2"})
	requireNoErr(t, err)
	_, err = req[bus.TopicCreateResponse](t, nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: "t"})
	requireNoErr(t, err)
	nc.Close()
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr %q", s.Addr())
	}
	requireNoErr(t, s.Close())

	s, err = sc.Start(context.Background(), cfg)
	requireNoErr(t, err)
	defer s.Close()
	nc, err = nats.Connect(s.URL())
	requireNoErr(t, err)
	defer nc.Close()
	list, err := req[bus.TopicListResponse](t, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	requireNoErr(t, err)
	requireEqual(t, len(list.Items), 1)
	requireEqual(t, list.Items[0].Status.ReplicaMap[0][0], bus.SPUID(7))
	v, err := req[bus.VersionResponse](t, nc, bus.SubjectAdminVersionGet, bus.VersionRequest{})
	requireNoErr(t, err)
	if v.NATS == "" || v.GoVersion == "" {
		t.Fatalf("version %+v", v)
	}
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	requireNoErr(t, err)
	defer l.Close()
	_, err = sc.Start(context.Background(), sc.Config{Addr: l.Addr().String(), DataDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) || !strings.Contains(err.Error(), "--sc HOST:PORT") {
		t.Fatalf("got %v, want an error naming %s and --sc", err, l.Addr())
	}
}

func TestUnreachableNATS(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	requireNoErr(t, err)
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
	requireNoErr(t, sc.Config{DataDir: "/tmp/x"}.Validate())
}

// TestMicroService: `nats micro info fluvio-sc` sees every endpoint.
func TestMicroService(t *testing.T) {
	e := newEnv(t, nil)
	reply, err := e.nc.Request("$SRV.INFO."+bus.ServiceName, nil, 5*time.Second)
	requireNoErr(t, err)
	var info struct {
		Name      string `json:"name"`
		Endpoints []struct {
			Name    string `json:"name"`
			Subject string `json:"subject"`
		} `json:"endpoints"`
	}
	requireNoErr(t, json.Unmarshal(reply.Data, &info))
	requireEqual(t, info.Name, "fluvio-sc")
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
