package sc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// TestNATSConfPermissions runs the repository's nats.conf (on a random
// port and a temporary store): the SC works with its user, each SPU only
// as itself, and clients only on the admin API.
func TestNATSConfPermissions(t *testing.T) {
	opts, err := server.ProcessConfigFile("../nats.conf")
	testkit.NoErr(t, err)
	opts.Port = server.RANDOM_PORT
	opts.StoreDir = t.TempDir()
	opts.NoLog, opts.NoSigs = true, true
	ns, err := server.NewServer(opts)
	testkit.NoErr(t, err)
	ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	addr := ns.Addr().String()
	url := func(user string) string { return fmt.Sprintf("nats://%s:%s-secret@%s", user, user, addr) }
	// NATS reports a refused publish or subscribe asynchronously: each
	// connection's reports go to its channel.
	violations := map[*nats.Conn]chan error{}
	connect := func(user string) *nats.Conn {
		aopts, _, err := natsauth.ConnectOptions(url(user), "")
		testkit.NoErr(t, err)
		ch := make(chan error, 16)
		nc, err := nats.Connect(url(user), append(aopts, nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case ch <- err:
			default:
			}
		}))...)
		testkit.NoErr(t, err)
		t.Cleanup(nc.Close)
		violations[nc] = ch
		return nc
	}
	// refused waits for NATS's report that nc may not use subject.
	refused := func(nc *nats.Conn, subject string) error {
		timeout := time.NewTimer(5 * time.Second)
		defer timeout.Stop()
		for {
			select {
			case err := <-violations[nc]:
				if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), subject) {
					return nil
				}
			case <-timeout.C:
				return fmt.Errorf("NATS reported no permissions violation for %s", subject)
			}
		}
	}

	cfg := fastConfig(url("sc"))
	s, err := sc.Start(context.Background(), cfg)
	testkit.NoErr(t, err)
	defer s.Close()

	admin := connect("admin")
	client := connect("client")
	for _, id := range []int64{5001, 5002} {
		_, err := req[bus.SPURegisterResponse](t, admin, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
			ID: id, PublicEndpoint: "h:1", PrivateEndpoint: "h:2"})
		testkit.NoErr(t, err)
	}
	_, err = req[bus.TopicCreateResponse](t, admin, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
		Name: "perm", Spec: bus.TopicSpec{Partitions: 2, ReplicationFactor: 2}})
	testkit.NoErr(t, err)
	// Named consumers: a client may have the SC create the consumer-offset
	// system topic, and read the legacy offset bucket (there is none).
	storage, err := req[bus.ConsumerStorageResponse](t, client, bus.SubjectAdminConsumerStorage, bus.ConsumerStorageRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, storage.Topic, bus.ConsumerOffsetTopic)
	offs, err := req[bus.ConsumerListResponse](t, client, bus.SubjectAdminConsumerList, bus.ConsumerListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(offs.Items), 0)

	spu1 := connect("spu5001")
	hello, err := req[bus.SPUHelloResponse](t, spu1, bus.SubjectSPURegister(5001), bus.SPUHello{ID: 5001, Incarnation: "a"})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(hello.Replicas.Replicas), 3) // perm-0, perm-1, consumer-offset-0
	_, err = req[bus.HeartbeatResponse](t, spu1, bus.SubjectSPUHeartbeat(5001), bus.Heartbeat{ID: 5001, Incarnation: "a"})
	testkit.NoErr(t, err)

	// SPU 5001 speaking as 5002 never reaches the SC: NATS refuses the
	// request (short returns the refusal; nil when NATS let it through).
	short := func(nc *nats.Conn, subject string, v any) error {
		ctx, cancel := context.WithCancel(context.Background())
		answered := make(chan struct{})
		go func() {
			defer close(answered)
			_, _ = bus.Request[bus.HeartbeatResponse](ctx, nc, subject, v)
		}()
		err := refused(nc, subject)
		cancel()
		<-answered
		if err != nil {
			return nil // let through
		}
		return fmt.Errorf("NATS refused %s", subject)
	}
	if err := short(spu1, bus.SubjectSPUHeartbeat(5002), bus.Heartbeat{ID: 5002, Incarnation: "forged"}); err == nil {
		t.Fatal("SPU 5001 heartbeated as 5002")
	}
	if err := short(spu1, bus.SubjectSPURegister(5002), bus.SPUHello{ID: 5002, Incarnation: "forged"}); err == nil {
		t.Fatal("SPU 5001 said hello as 5002")
	}
	testkit.NoErr(t, offline(&env{t: t, nc: client}, 5002))
	// Nor may it read 5002's replica sets, or use the admin API.
	if _, err := spu1.SubscribeSync(bus.SubjectSPUReplicas(5002)); err == nil {
		testkit.NoErr(t, spu1.Flush())
		if !errors.Is(spu1.LastError(), nats.ErrPermissionViolation) {
			t.Fatalf("SPU 5001 subscribed to 5002's replica sets (last error %v)", spu1.LastError())
		}
	}
	if err := short(spu1, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: "perm"}); err == nil {
		t.Fatal("SPU 5001 deleted a topic")
	}
	// A client cannot forge replica sets or heartbeats.
	if err := short(client, bus.SubjectSPUHeartbeat(5001), bus.Heartbeat{ID: 5001, Incarnation: "forged"}); err == nil {
		t.Fatal("a client heartbeated as SPU 5001")
	}
	// The client role reads but does not change; nobody reads others' replies.
	if err := short(client, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: "perm"}); err == nil {
		t.Fatal("the client user deleted a topic")
	}
	for _, nc := range []*nats.Conn{client, spu1} {
		if _, err := nc.SubscribeSync("_INBOX.admin.>"); err == nil {
			testkit.NoErr(t, nc.Flush())
			if err := refused(nc, "_INBOX.admin.>"); err != nil {
				t.Fatalf("%s subscribed to the admin's replies: %v", nc.Opts.User, err)
			}
		}
	}
	list, err := req[bus.TopicListResponse](t, client, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
}
