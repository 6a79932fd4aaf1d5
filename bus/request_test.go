package bus_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// startEcho serves topic.list as a micro service: it returns the names it
// was asked for, or ErrTopicNotFound for "missing".
func startEcho(t *testing.T, nc *nats.Conn, log *slog.Logger) {
	t.Helper()
	svc, err := micro.AddService(nc, micro.Config{Name: bus.ServiceName, Version: "0.0.1"})
	testkit.NoErr(t, err)
	t.Cleanup(func() { _ = svc.Stop() })
	h := bus.Micro(bus.WithLogger(context.Background(), log), func(_ context.Context, _ string, req bus.TopicListRequest) (bus.TopicListResponse, error) {
		var resp bus.TopicListResponse
		for _, n := range req.Names {
			if n == "missing" {
				return resp, bus.ErrTopicNotFound.Withf("topic %q not found", n)
			}
			if n == "panic" {
				panic("boom")
			}
			resp.Items = append(resp.Items, bus.Topic{Name: n, Spec: bus.TopicSpec{Partitions: 1}})
		}
		return resp, nil
	})
	testkit.NoErr(t, svc.AddEndpoint("topic-list", h, micro.WithEndpointSubject(bus.SubjectAdminTopicList)))
}

func TestRequestRoundTrip(t *testing.T) {
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	var logs testkit.Buffer
	startEcho(t, nc, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()

	resp, err := bus.Request[bus.TopicListResponse](ctx, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"a", "b"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, resp.Type, bus.TopicListResponseType)
	testkit.Equal(t, len(resp.Items), 2)
	testkit.Equal(t, resp.Items[1].Name, "b")

	_, err = bus.Request[bus.TopicListResponse](ctx, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"missing"}})
	testkit.ErrIs(t, err, bus.ErrTopicNotFound)
	if !strings.Contains(err.Error(), `topic "missing" not found`) || !strings.Contains(err.Error(), "fluvio topic list") {
		t.Fatalf("error lacks message or hint: %v", err)
	}

	_, err = bus.Request[bus.TopicListResponse](ctx, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"panic"}})
	testkit.ErrIs(t, err, bus.ErrInternal)
	// The panic is logged with its stack where the handler's ctx says.
	out := logs.String()
	for _, want := range []string{"bus: handler panicked", "panic=boom", "subject=" + bus.SubjectAdminTopicList, "stack=", "request_test.go"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRequestNoResponders(t *testing.T) {
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	_, err := bus.Request[bus.TopicListResponse](context.Background(), nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.ErrIs(t, err, bus.ErrUnavailable)
	if !errors.Is(err, nats.ErrNoResponders) {
		t.Fatalf("want it to unwrap to nats.ErrNoResponders: %v", err)
	}
	if !strings.Contains(err.Error(), "fluvio cluster start") {
		t.Fatalf("no hint in %q", err)
	}
}

func TestRequestTimeout(t *testing.T) {
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	block := make(chan struct{})
	sub, err := nc.Subscribe(bus.SubjectAdminTopicList, func(*nats.Msg) { <-block })
	testkit.NoErr(t, err)
	defer func() { close(block); _ = sub.Unsubscribe() }()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = bus.Request[bus.TopicListResponse](ctx, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.ErrIs(t, err, bus.ErrTimeout)
}

// TestJSONAccept checks the nats CLI path: a JSON body or the Accept
// header gets JSON back, errors included.
func TestJSONAccept(t *testing.T) {
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	startEcho(t, nc, slog.New(slog.DiscardHandler))

	for _, tc := range []struct {
		name   string
		body   string
		header bool
	}{
		{"json body", `{"names":["x"]}`, false},
		{"accept header empty body", ``, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := nats.NewMsg(bus.SubjectAdminTopicList)
			m.Data = []byte(tc.body)
			if tc.header {
				m.Header.Set(bus.HeaderAccept, bus.MIMEJSON)
			}
			reply, err := nc.RequestMsg(m, 2*time.Second)
			testkit.NoErr(t, err)
			var out map[string]any
			testkit.NoErr(t, json.Unmarshal(reply.Data, &out))
			testkit.Equal(t, out["type"], any(bus.TopicListResponseType))
			testkit.Equal(t, reply.Header.Get(bus.HeaderContentType), bus.MIMEJSON)
		})
	}

	m := nats.NewMsg(bus.SubjectAdminTopicList)
	m.Data = []byte(`{"names":["missing"]}`)
	reply, err := nc.RequestMsg(m, 2*time.Second)
	testkit.NoErr(t, err)
	testkit.Equal(t, reply.Header.Get(bus.HeaderServiceErrorCode), "21")
	var e map[string]any
	testkit.NoErr(t, json.Unmarshal(reply.Data, &e))
	testkit.Equal(t, e["message"], any(`topic "missing" not found`))
}

// TestMalformed sends garbage: the handler answers ErrBadRequest and keeps
// serving.
func TestMalformed(t *testing.T) {
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	startEcho(t, nc, slog.New(slog.DiscardHandler))
	for _, body := range []string{"{", "\xc1\xc1", `{"names": 5}`, "\x93\x01\x02", `{"type":"fluvio.bus.v9.other"}`} {
		reply, err := nc.Request(bus.SubjectAdminTopicList, []byte(body), 2*time.Second)
		testkit.NoErr(t, err)
		err = bus.ReplyError(reply)
		if !errors.Is(err, bus.ErrBadRequest) && !errors.Is(err, bus.ErrUnsupported) {
			t.Fatalf("body %q: got %v, want a bad request", body, err)
		}
	}
	_, err := bus.Request[bus.TopicListResponse](context.Background(), nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"still-ok"}})
	testkit.NoErr(t, err)
}

func TestMsgHandler(t *testing.T) {
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	sub, err := nc.Subscribe(bus.SubjectSPUHeartbeatAll, bus.Msg(context.Background(),
		func(_ context.Context, subject string, hb bus.Heartbeat) (bus.HeartbeatResponse, error) {
			id, _, _ := bus.ParseSPUSubject(subject)
			if id != hb.ID {
				return bus.HeartbeatResponse{}, bus.ErrSPUIDMismatch.Withf("subject id %d, message id %d", id, hb.ID)
			}
			return bus.HeartbeatResponse{HeartbeatIntervalMs: 1000}, nil
		}))
	testkit.NoErr(t, err)
	defer sub.Unsubscribe()
	resp, err := bus.Request[bus.HeartbeatResponse](context.Background(), nc, bus.SubjectSPUHeartbeat(7), bus.Heartbeat{ID: 7})
	testkit.NoErr(t, err)
	testkit.Equal(t, resp.HeartbeatIntervalMs, int64(1000))
	_, err = bus.Request[bus.HeartbeatResponse](context.Background(), nc, bus.SubjectSPUHeartbeat(7), bus.Heartbeat{ID: 8})
	testkit.ErrIs(t, err, bus.ErrSPUIDMismatch)
}
