package security

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/nats-io/nats.go"
)

// adminEndpoints are every admin subject with a harmless request; the
// mutating ones target objects that do not exist, so an allowed call
// fails in the SC (not found, bad request), a denied one in NATS.
var adminEndpoints = map[string]any{
	bus.SubjectAdminSPUList:       bus.SPUListRequest{},
	bus.SubjectAdminSPURegister:   bus.SPURegisterRequest{ID: -1},
	bus.SubjectAdminSPUUnregister: bus.SPUUnregisterRequest{Name: "nobody"},
	bus.SubjectAdminTopicCreate:   bus.TopicCreateRequest{Name: "Not A Name"},
	bus.SubjectAdminTopicDelete:   bus.TopicDeleteRequest{Name: "nobody"},
	bus.SubjectAdminTopicList:     bus.TopicListRequest{},
	bus.SubjectAdminPartitionList: bus.PartitionListRequest{},
	bus.SubjectAdminMetadataGet:   bus.MetadataRequest{},
	bus.SubjectAdminVersionGet:    bus.VersionRequest{},
	// Only admins may cut a partition's log.
	bus.SubjectAdminPartitionRepair: bus.PartitionRepairRequest{Topic: "nobody", TruncateAtCorruption: true},
}

// allowed is what each client role may call.
var allowed = map[natsauth.Role]map[string]bool{
	natsauth.RoleAdmin: {
		bus.SubjectAdminSPUList: true, bus.SubjectAdminSPURegister: true, bus.SubjectAdminSPUUnregister: true,
		bus.SubjectAdminTopicCreate: true, bus.SubjectAdminTopicDelete: true, bus.SubjectAdminTopicList: true,
		bus.SubjectAdminPartitionList: true, bus.SubjectAdminMetadataGet: true, bus.SubjectAdminVersionGet: true,
		bus.SubjectAdminPartitionRepair: true,
	},
	natsauth.RoleClient: {
		bus.SubjectAdminSPUList: true, bus.SubjectAdminTopicList: true, bus.SubjectAdminPartitionList: true,
		bus.SubjectAdminMetadataGet: true, bus.SubjectAdminVersionGet: true,
	},
	natsauth.RoleReadOnly: {
		bus.SubjectAdminSPUList: true, bus.SubjectAdminTopicList: true, bus.SubjectAdminPartitionList: true,
		bus.SubjectAdminMetadataGet: true, bus.SubjectAdminVersionGet: true,
	},
}

// TestRoleMatrix calls every admin endpoint as every role: the server
// denies what the role does not allow, the SC answers the rest. An
// anonymous connection and a key nobody registered are refused.
func TestRoleMatrix(t *testing.T) {
	c := startCluster(t, 1)
	for _, who := range []*natsauth.Creds{c.ids.Admin, c.ids.Client, c.ids.ReadOnly} {
		d := &denials{}
		nc := c.connect(who, d)
		for subject, req := range adminEndpoints {
			ok := allowed[who.Role][subject]
			// A denied request gets no reply: stop waiting at the denial.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			before := d.count()
			stop := make(chan struct{})
			go func() {
				for {
					select {
					case <-d.ch:
						if d.count() != before {
							cancel()
							return
						}
					case <-stop:
						return
					}
				}
			}()
			_, err := bus.Request[struct{}](ctx, nc, subject, req)
			close(stop)
			cancel()
			var be *bus.Error
			answered := errors.As(err, &be) && be.Code != bus.CodeTimeout && be.Code != bus.CodeUnavailable || err == nil
			wasDenied := d.count() != before
			switch {
			case ok && (wasDenied || !answered):
				t.Errorf("%s: %s refused: %v", who.Role, subject, err)
			case !ok && !wasDenied:
				t.Errorf("%s: %s not refused by NATS (SC said %v)", who.Role, subject, err)
			}
		}
		// Nobody reads others' replies or requests; only admins watch the
		// SPUs' traffic.
		subjects := []string{"_INBOX.>", natsauth.InboxPrefix(c.ids.SC.Public) + ".>", "fluvio.admin.v1.>", "$KV.>"}
		if who.Role != natsauth.RoleAdmin {
			subjects = append(subjects, "fluvio.spu.>")
		}
		for _, subject := range subjects {
			if !denied(t, nc, d, func() error { _, err := nc.SubscribeSync(subject); return err }) {
				t.Errorf("%s may subscribe to %s", who.Role, subject)
			}
		}
		// Only the SC writes the buckets or forges SC messages.
		for _, subject := range []string{"$KV.fluvio.spu.1", "$KV.fluvio-consumers.x", "$JS.API.STREAM.DELETE.KV_fluvio",
			"$JS.API.STREAM.PURGE.KV_fluvio", "fluvio.spu.5001.replicas", "fluvio.spu.5001.heartbeat", "fluvio.spu.5001.repair"} {
			if !denied(t, nc, d, func() error { return nc.Publish(subject, []byte("{}")) }) {
				t.Errorf("%s may publish on %s", who.Role, subject)
			}
		}
	}

	// Anonymous, a wrong key, and a user/password are refused at the door.
	accepted := 0
	stranger, err := natsauth.New("stranger", natsauth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]nats.Option{
		"anonymous": nil,
		"stranger":  stranger.Options(),
		"password":  {nats.UserInfo("admin", "admin")},
	} {
		nc, err := nats.Connect(c.sc.URL(), append(opts, nats.NoReconnect(), nats.Timeout(2*time.Second))...)
		if err == nil {
			nc.Close()
			accepted++
			t.Errorf("%s connection accepted", name)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s connection: want an authorization error, got %v", name, err)
		}
	}
	report("anonymous-admin accepted", fmt.Sprint(accepted))
}

// TestUnregisterRevokes: unregistering an SPU disconnects its spu-server at
// once and its credentials stop working.
func TestUnregisterRevokes(t *testing.T) {
	c := startCluster(t, 2)
	id := bus.SPUID(5002)
	key := c.keys[id]
	closed := make(chan struct{})
	nc, err := nats.Connect(c.sc.URL(), append(key.Options(), nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }))...)
	if err != nil {
		t.Fatalf("SPU %d credentials refused before unregister: %v", id, err)
	}
	defer nc.Close()
	admin := c.connect(c.ids.Admin, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := int64(id)
	if _, err := bus.Request[bus.SPUUnregisterResponse](ctx, admin, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{ID: &n}); err != nil {
		t.Fatalf("unregister: %v", err)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the unregistered SPU's connection is still open")
	}
	select {
	case <-c.spus[id].Done():
	case <-time.After(5 * time.Second):
		t.Fatal("spu-server 5002 still runs after unregister")
	}
	if nc2, err := nats.Connect(c.sc.URL(), append(key.Options(), nats.NoReconnect())...); err == nil {
		nc2.Close()
		t.Fatal("revoked credentials still accepted")
	}
	// The other SPU is untouched.
	if err := c.spus[5001].Err(); err != nil {
		t.Fatalf("SPU 5001 stopped: %v", err)
	}
}
