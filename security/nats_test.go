package security

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/nats-io/nats.go"
)

// tally counts attempts and denials for the summary line.
type tally struct{ tried, denied int }

func (t tally) String() string { return fmt.Sprintf("%d/%d", t.denied, t.tried) }

// TestSPUMatrix connects as each SPU i and tries every request subject of
// every other SPU j (publish) and every subject the SC sends j (subscribe),
// plus everything only the SC may do: the server must refuse all of it,
// while SPU i's own subjects keep working.
func TestSPUMatrix(t *testing.T) {
	n := 3
	if testing.Short() {
		n = 2
	}
	c := startCluster(t, n)
	var pub, sub, forgedSets, forgedISR, forgedBeats tally
	for i, ci := range c.keys {
		d := &denials{}
		nc := c.connect(ci, d)
		for j := range c.keys {
			if i == j {
				continue
			}
			for _, verb := range []string{"register", "heartbeat", "isr"} {
				subject := fmt.Sprintf("fluvio.spu.%d.%s", j, verb)
				payload := []byte(fmt.Sprintf(`{"id":%d,"incarnation":"x","stopping":true}`, j))
				pub.tried++
				if denied(t, nc, d, func() error { return nc.Publish(subject, payload) }) {
					pub.denied++
				} else {
					t.Errorf("SPU %d could publish on %s", i, subject)
				}
			}
			for _, verb := range []string{"replicas", "control", "repair"} {
				subject := fmt.Sprintf("fluvio.spu.%d.%s", j, verb)
				sub.tried++
				if denied(t, nc, d, func() error { _, err := nc.SubscribeSync(subject); return err }) {
					sub.denied++
				} else {
					t.Errorf("SPU %d could subscribe to %s", i, subject)
				}
			}
		}
		// What only the SC may do, and other parties' replies.
		for _, subject := range []string{
			fmt.Sprintf("fluvio.spu.%d.replicas", i), // even its own: only the SC sends replica sets
			fmt.Sprintf("fluvio.spu.%d.control", i),
			fmt.Sprintf("fluvio.spu.%d.repair", i), // only the SC asks an SPU to cut its log
			"$KV.fluvio.spu.1", "$JS.API.STREAM.INFO.KV_fluvio", bus.SubjectAdminTopicDelete,
		} {
			pub.tried++
			if denied(t, nc, d, func() error { return nc.Publish(subject, []byte(`{}`)) }) {
				pub.denied++
			} else {
				t.Errorf("SPU %d could publish on %s", i, subject)
			}
		}
		for _, subject := range []string{"_INBOX.>", natsauth.InboxPrefix(c.ids.Admin.Public) + ".>", "fluvio.admin.v1.>", "fluvio.spu.>", "$KV.fluvio.>"} {
			sub.tried++
			if denied(t, nc, d, func() error { _, err := nc.SubscribeSync(subject); return err }) {
				sub.denied++
			} else {
				t.Errorf("SPU %d could subscribe to %s", i, subject)
			}
		}
		// Its own subjects still work (the suite would pass on a server
		// that refuses everything otherwise).
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := bus.Request[bus.HeartbeatResponse](ctx, nc, bus.SubjectSPUHeartbeat(i), bus.Heartbeat{ID: i, Incarnation: "forged-but-own-subject"})
		cancel()
		if err == nil {
			t.Errorf("SPU %d: a heartbeat with a made-up incarnation was accepted", i)
		}
		if _, ok := err.(*bus.Error); !ok {
			t.Errorf("SPU %d: its own heartbeat subject got no answer from the SC: %v", i, err)
		}
	}
	forgedSets, forgedISR, forgedBeats = c.forgeries(t)
	t.Logf("security: cross-spu-publish denied=%v cross-spu-subscribe denied=%v forged-replica-sets applied=%d forged-isr applied=%d forged-heartbeats applied=%d",
		pub, sub, forgedSets.tried-forgedSets.denied, forgedISR.tried-forgedISR.denied, forgedBeats.tried-forgedBeats.denied)
	report("cross-spu-publish denied", pub.String())
	report("cross-spu-subscribe denied", sub.String())
	report("forged-replica-sets applied", fmt.Sprint(forgedSets.tried-forgedSets.denied))
	report("forged-isr applied", fmt.Sprint(forgedISR.tried-forgedISR.denied))
	report("forged-heartbeats applied", fmt.Sprint(forgedBeats.tried-forgedBeats.denied))
}

// forgeries sends, as every identity but the SC, the three attacks of
// ones seen before identities: a replica set that empties an SPU, an ISR change and a
// "stopping" heartbeat with the real incarnation; then checks that no SPU
// lost its replica, the ISR is unchanged and every SPU is still online.
func (c *cluster) forgeries(t *testing.T) (sets, isr, beats tally) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	admin := c.connect(c.ids.Admin, nil)
	if _, err := bus.Request[bus.TopicCreateResponse](ctx, admin, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
		Name: "victim", Spec: bus.TopicSpec{Partitions: 1, ReplicationFactor: int32(len(c.keys))},
	}); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	before := c.waitISR(t, ctx, admin, len(c.keys))
	spus, err := bus.Request[bus.SPUListResponse](ctx, admin, bus.SubjectAdminSPUList, bus.SPUListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	inc := map[bus.SPUID]string{}
	for _, s := range spus.Items {
		inc[s.Spec.ID] = s.Status.Incarnation // printed by 'spu list': no credential
	}
	attackers := []*natsauth.Creds{c.ids.Admin, c.ids.Client, c.ids.ReadOnly, nil}
	for _, k := range c.keys {
		attackers = append(attackers, k)
	}
	for _, a := range attackers {
		d := &denials{}
		nc, err := c.dial(a, d)
		if err != nil { // anonymous: refused at the door
			sets.tried, sets.denied = sets.tried+1, sets.denied+1
			isr.tried, isr.denied = isr.tried+1, isr.denied+1
			beats.tried, beats.denied = beats.tried+1, beats.denied+1
			continue
		}
		for victim := range c.keys {
			if a != nil && a.Public == c.keys[victim].Public {
				continue // its own subjects: the SC's checks, not NATS, apply
			}
			set, _ := bus.Marshal(bus.ReplicaSet{SPU: victim, Epoch: 9_000_000_000_000_000_000, Full: true}, false)
			sets.tried++
			if denied(t, nc, d, func() error { return nc.Publish(bus.SubjectSPUReplicas(victim), set) }) {
				sets.denied++
			}
			upd, _ := bus.Marshal(bus.ISRUpdate{ID: victim, PartitionID: bus.PartitionID{Topic: "victim"}, LeaderEpoch: before.Spec.LeaderEpoch, ISR: []bus.SPUID{victim}}, false)
			isr.tried++
			if denied(t, nc, d, func() error { return nc.Publish(bus.SubjectSPUISR(victim), upd) }) {
				isr.denied++
			}
			hb, _ := bus.Marshal(bus.Heartbeat{ID: victim, Incarnation: inc[victim], Stopping: true}, false)
			beats.tried++
			if denied(t, nc, d, func() error { return nc.Publish(bus.SubjectSPUHeartbeat(victim), hb) }) {
				beats.denied++
			}
		}
	}
	// Nothing changed: the same leader, epoch and ISR; every SPU online
	// with the same incarnation.
	after := c.partition(t, ctx, admin)
	if after.Spec.Leader != before.Spec.Leader || after.Spec.LeaderEpoch != before.Spec.LeaderEpoch || len(after.Status.ISR) != len(before.Status.ISR) {
		t.Errorf("partition changed under forged messages: before %+v, after %+v", before, after)
		isr.denied--
	}
	spus, err = bus.Request[bus.SPUListResponse](ctx, admin, bus.SubjectAdminSPUList, bus.SPUListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range spus.Items {
		if !s.Online() || s.Status.Incarnation != inc[s.Spec.ID] {
			t.Errorf("SPU %d went offline or restarted under forged heartbeats: %+v", s.Spec.ID, s.Status)
			beats.denied--
		}
	}
	for id, s := range c.spus {
		if s.Err() != nil {
			t.Errorf("SPU %d stopped: %v", id, s.Err())
		}
	}
	return sets, isr, beats
}

func (c *cluster) partition(t *testing.T, ctx context.Context, nc *nats.Conn) bus.Partition {
	t.Helper()
	resp, err := bus.Request[bus.PartitionListResponse](ctx, nc, bus.SubjectAdminPartitionList, bus.PartitionListRequest{Topics: []string{"victim"}})
	if err != nil || len(resp.Items) != 1 {
		t.Fatalf("partition list: %v %+v", err, resp)
	}
	return resp.Items[0]
}

// waitISR waits until the victim partition's ISR has n members.
func (c *cluster) waitISR(t *testing.T, ctx context.Context, nc *nats.Conn, n int) bus.Partition {
	t.Helper()
	for {
		p := c.partition(t, ctx, nc)
		if len(p.Status.ISR) == n && p.Status.Resolution == bus.PartitionOnline {
			return p
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ISR of victim/0 never reached %d: %+v", n, p)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
