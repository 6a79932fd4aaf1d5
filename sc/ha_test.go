package sc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// haEnv is several SCs with HA on one NATS, sharing the bucket.
type haEnv struct {
	*env
	scs []*sc.Server
}

// haLeaseTTL is short for quick failovers, but not so short that a
// loaded machine (race detector, 2 shared cores) misses renewals.
const haLeaseTTL = time.Second

func newHAEnv(t *testing.T, n int) *haEnv {
	t.Helper()
	e := newEnv(t, func(c *sc.Config) { c.HA, c.LeaseTTL, c.Name = true, haLeaseTTL, "sc-0" })
	h := &haEnv{env: e, scs: []*sc.Server{e.sc}}
	for i := 1; i < n; i++ {
		cfg := e.cfg
		cfg.Name = fmt.Sprintf("sc-%d", i)
		s, err := sc.Start(context.Background(), cfg)
		testkit.NoErr(t, err)
		t.Cleanup(func() { _ = s.Close() })
		h.scs = append(h.scs, s)
	}
	return h
}

// active waits until exactly one live SC is active and returns it.
func (h *haEnv) active(timeout time.Duration) *sc.Server {
	h.t.Helper()
	var a *sc.Server
	testkit.WaitFor(h.t, timeout, func() error {
		a = nil
		n := 0
		for _, s := range h.scs {
			if s.Active() {
				a = s
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%d active SCs, want 1", n)
		}
		return nil
	})
	return a
}

// register and createTopic retry while no SC is active (a failover in
// progress, or a spurious one on a loaded machine).
func (h *haEnv) register(id int64, name string) {
	h.t.Helper()
	testkit.WaitFor(h.t, 10*time.Second, func() error {
		_, err := req[bus.SPURegisterResponse](h.t, h.nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
			ID: id, Name: name, PublicEndpoint: "127.0.0.1:9005", PrivateEndpoint: "127.0.0.1:9006",
		})
		if errors.Is(err, bus.ErrSPUExists) {
			return nil
		}
		return err
	})
}

func (h *haEnv) createTopic(name string, partitions, replicas int32) (bus.Topic, error) {
	h.t.Helper()
	var topic bus.Topic
	var err error
	testkit.WaitFor(h.t, 10*time.Second, func() error {
		topic, err = h.env.createTopic(name, partitions, replicas)
		if errors.Is(err, bus.ErrUnavailable) {
			return err
		}
		return nil
	})
	return topic, err
}

// kill crashes s (it keeps its lease) and drops it from the set.
func (h *haEnv) kill(s *sc.Server) {
	h.t.Helper()
	testkit.NoErr(h.t, s.Kill())
	h.scs = slices.DeleteFunc(h.scs, func(x *sc.Server) bool { return x == s })
}

// beatFast heartbeats every d with requests that give up after d, the
// way spu-server does, so the beats keep their pace while no SC answers.
func (f *fakeSPU) beatFast(d time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				f.mu.Lock()
				hb := bus.Heartbeat{ID: f.id, Incarnation: f.incarnation, AppliedEpoch: f.applied, Replicas: f.status}
				f.mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), d)
				_, _ = bus.Request[bus.HeartbeatResponse](ctx, f.nc, bus.SubjectSPUHeartbeat(f.id), hb)
				cancel()
			}
		}
	})
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	f.t.Cleanup(stop)
	return stop
}

// kvHistory returns the values stored under key, oldest first (puts
// only), and whether the last operation deleted it.
func kvHistory(t *testing.T, nc *nats.Conn, key string) (puts [][]byte, deleted bool) {
	t.Helper()
	js, err := jetstream.New(nc)
	testkit.NoErr(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, sc.DefaultBucket)
	testkit.NoErr(t, err)
	hist, err := kv.History(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, false
	}
	testkit.NoErr(t, err)
	for _, e := range hist {
		if e.Operation() == jetstream.KeyValuePut {
			puts = append(puts, e.Value())
		}
	}
	return puts, hist[len(hist)-1].Operation() != jetstream.KeyValuePut
}

// TestSCFailover: of three SCs one is active; the others serve reads.
// When the active one crashes, a standby takes over within the lease TTL
// plus a poll (the bound is 10 s), with a higher generation; the
// SPUs get full sets of the new generation, and writes work again.
func TestSCFailover(t *testing.T) {
	h := newHAEnv(t, 3)
	first := h.active(5 * time.Second)
	testkit.Equal(t, first.Name(), "sc-0") // the first to start took the free lease
	for id := bus.SPUID(1); id <= 3; id++ {
		h.register(int64(id), "")
	}
	fakes := map[bus.SPUID]*fakeSPU{}
	for id := bus.SPUID(1); id <= 3; id++ {
		fakes[id] = newFakeSPU(t, h.env, id)
		_, err := fakes[id].hello()
		testkit.NoErr(t, err)
		fakes[id].beatFast(100 * time.Millisecond)
	}
	_, err := h.createTopic("before", 2, 3)
	testkit.NoErr(t, err)
	gen := first.Generation()

	killed := time.Now()
	h.kill(first)
	next := h.active(10 * time.Second)
	took := time.Since(killed)
	t.Logf("failover took %v (lease TTL %v)", took.Round(time.Millisecond), haLeaseTTL)
	if next.Generation() <= gen {
		t.Fatalf("new generation %d, want above %d", next.Generation(), gen)
	}
	for id, f := range fakes {
		testkit.WaitFor(t, 5*time.Second, func() error {
			set, ok := f.lastSet()
			before := 0 // the consumer-offset system topic may be there too
			for _, r := range set.Replicas {
				if r.PartitionID.Topic == "before" {
					before++
				}
			}
			if !ok || !set.Full || set.Epoch>>32 != next.Generation() || before != 2 {
				return fmt.Errorf("SPU %d last set %+v, want a full set of generation %d with the 2 replicas of topic before", id, set, next.Generation())
			}
			return nil
		})
	}
	// Writes go to the new active SC; both remaining SCs read them.
	_, err = h.createTopic("after", 1, 3)
	testkit.NoErr(t, err)
	for range 6 {
		testkit.WaitFor(t, 2*time.Second, func() error {
			md, err := req[bus.MetadataResponse](t, h.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{})
			if err != nil {
				return err
			}
			if len(md.Partitions) != 3 {
				return fmt.Errorf("%d partitions, want 3", len(md.Partitions))
			}
			for _, s := range md.SPUs {
				if !s.Online {
					return fmt.Errorf("SPU %d offline after the failover", s.ID)
				}
			}
			return nil
		})
	}
	// A clean stop hands the lease over at once.
	stopped := time.Now()
	testkit.NoErr(t, next.Close())
	h.scs = slices.DeleteFunc(h.scs, func(x *sc.Server) bool { return x == next })
	h.active(5 * time.Second)
	// (A crash waits a full TTL from the last renewal; a release only for
	// the next poll, TTL/4: 2 TTLs leaves room for a loaded machine.)
	if d := time.Since(stopped); d > 2*haLeaseTTL {
		t.Fatalf("takeover after a clean stop took %v, want well under a crash's", d)
	}
}

// TestDeposedSCWritesNothing: an SC whose lease another SC took, but
// which has not noticed yet (its own clock says the lease is valid), can
// store nothing: its write is refused inside JetStream by the fence, the
// requester is told to retry, and the SC steps down.
func TestDeposedSCWritesNothing(t *testing.T) {
	e := newEnv(t, func(c *sc.Config) { c.LeaseTTL, c.Name = time.Minute, "old" })
	e.register(1, "")
	js, err := jetstream.New(e.nc)
	testkit.NoErr(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, sc.DefaultBucket)
	testkit.NoErr(t, err)
	// Another SC takes the lease (CAS at the holder's revision).
	cur, err := kv.Get(ctx, "sc.lease")
	testkit.NoErr(t, err)
	var lease map[string]any
	testkit.NoErr(t, json.Unmarshal(cur.Value(), &lease))
	lease["holder"], lease["generation"] = "new", lease["generation"].(float64)+1
	b, err := json.Marshal(lease)
	testkit.NoErr(t, err)
	_, err = kv.Update(ctx, "sc.lease", b, cur.Revision())
	testkit.NoErr(t, err)
	testkit.Equal(t, e.sc.Active(), true) // it has not noticed yet

	_, err = e.createTopic("late", 1, 1)
	requireErr(t, err, bus.ErrUnavailable)
	if _, err := kv.Get(ctx, "topic.late"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("the deposed SC stored topic.late (err %v)", err)
	}
	testkit.WaitFor(t, 5*time.Second, func() error {
		if e.sc.Active() {
			return errors.New("the deposed SC is still active")
		}
		return nil
	})
	// Its reads still work; writes find no active SC (no responders).
	testkit.Equal(t, len(e.spus()), 1)
	_, err = e.createTopic("late", 1, 1)
	requireErr(t, err, bus.ErrUnavailable)
}

// TestKillActiveDuringTopicCreation: clients create topics while the
// active SC crashes. Every create a client saw succeed is in KV as
// answered, every topic was stored once (one put in its history: no
// decision made twice), and a create whose answer was lost is either
// stored once or not at all, and succeeds on retry.
func TestKillActiveDuringTopicCreation(t *testing.T) {
	h := newHAEnv(t, 3)
	first := h.active(5 * time.Second)
	for id := bus.SPUID(1); id <= 3; id++ {
		h.register(int64(id), "")
	}
	const n = 40
	answered := make([]bus.Topic, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			name := fmt.Sprintf("t%02d", i)
			err := testkit.Poll(context.Background(), 15*time.Second, func() error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				resp, err := bus.Request[bus.TopicCreateResponse](ctx, h.nc, bus.SubjectAdminTopicCreate,
					bus.TopicCreateRequest{Name: name, Spec: bus.TopicSpec{Partitions: 2, ReplicationFactor: 2}})
				cancel()
				switch {
				case err == nil:
					answered[i] = resp.Topic
					return nil
				case errors.Is(err, bus.ErrTopicExists):
					return nil // an earlier attempt was stored; its answer was lost
				}
				return err
			})
			if err != nil {
				t.Errorf("topic %s: %v", name, err)
			}
		})
	}
	close(start)
	time.Sleep(5 * time.Millisecond) // some creates are in flight
	h.kill(first)
	wg.Wait()
	h.active(5 * time.Second)
	for i := range n {
		name := fmt.Sprintf("t%02d", i)
		puts, deleted := kvHistory(t, h.nc, "topic."+name)
		if len(puts) != 1 || deleted {
			t.Fatalf("topic %s: %d puts (deleted %v) in KV, want exactly 1", name, len(puts), deleted)
		}
		if answered[i].Name == "" {
			continue
		}
		var rec struct {
			Partitions []struct {
				Replicas []bus.SPUID `json:"replicas"`
			} `json:"partitions"`
		}
		testkit.NoErr(t, json.Unmarshal(puts[0], &rec))
		for p, part := range rec.Partitions {
			if got := answered[i].Status.ReplicaMap[int32(p)]; !slices.Equal(got, part.Replicas) {
				t.Fatalf("topic %s partition %d: client was told replicas %v, KV holds %v", name, p, got, part.Replicas)
			}
		}
	}
}

// TestKillActiveDuringElection: an SPU leading partitions dies and the
// active SC is killed while it moves their leadership. The new active SC
// finishes the job; every partition ends with a live leader at leader
// epoch 1 (one election, not two) and the surviving SPUs are told so.
func TestKillActiveDuringElection(t *testing.T) {
	h := newHAEnv(t, 2)
	first := h.active(5 * time.Second)
	for id := bus.SPUID(1); id <= 3; id++ {
		h.register(int64(id), "")
	}
	fakes := map[bus.SPUID]*fakeSPU{}
	stops := map[bus.SPUID]func(){}
	for id := bus.SPUID(1); id <= 3; id++ {
		fakes[id] = newFakeSPU(t, h.env, id)
		_, err := fakes[id].hello()
		testkit.NoErr(t, err)
		stops[id] = fakes[id].beatFast(100 * time.Millisecond)
	}
	const topics = 30
	for i := range topics {
		_, err := h.createTopic(fmt.Sprintf("e%02d", i), 1, 3)
		testkit.NoErr(t, err)
	}
	// (A standby answers reads from memory that follows KV a few
	// milliseconds behind: wait until the answer has every topic.)
	var md bus.MetadataResponse
	testkit.WaitFor(t, 5*time.Second, func() error {
		var err error
		md, err = req[bus.MetadataResponse](t, h.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{})
		if err == nil && len(md.Partitions) != topics {
			err = fmt.Errorf("%d partitions, want %d", len(md.Partitions), topics)
		}
		return err
	})
	led := map[bus.SPUID]int{}
	for _, p := range md.Partitions {
		led[p.Leader]++
	}
	victim := bus.SPUID(1)
	for id, c := range led {
		if c > led[victim] {
			victim = id
		}
	}
	stops[victim]()
	// Kill the active SC once the first election is stored.
	testkit.WaitFor(t, 5*time.Second, func() error {
		md, err := req[bus.MetadataResponse](t, h.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{})
		if err != nil {
			return err
		}
		for _, p := range md.Partitions {
			if p.LeaderEpoch > 0 {
				return nil
			}
		}
		return errors.New("no election yet")
	})
	h.kill(first)
	h.active(10 * time.Second)
	var final bus.MetadataResponse
	testkit.WaitFor(t, 10*time.Second, func() error {
		md, err := req[bus.MetadataResponse](t, h.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{})
		if err != nil {
			return err
		}
		for _, p := range md.Partitions {
			if p.Leader == victim {
				return fmt.Errorf("%s still led by the dead SPU %d", p.Topic, victim)
			}
		}
		final = md
		return nil
	})
	for _, p := range final.Partitions {
		wantEpoch := int32(0)
		if slices.Contains(p.Replicas, victim) && md.Partitions[slices.IndexFunc(md.Partitions, func(q bus.PartitionMetadata) bool {
			return q.PartitionID == p.PartitionID
		})].Leader == victim {
			wantEpoch = 1
		}
		if p.LeaderEpoch != wantEpoch || slices.Contains(p.ISR, victim) && wantEpoch == 1 {
			t.Fatalf("%s-%d: leader %d epoch %d ISR %v, want epoch %d without SPU %d", p.Topic, p.Partition, p.Leader, p.LeaderEpoch, p.ISR, wantEpoch, victim)
		}
		puts, _ := kvHistory(t, h.nc, "topic."+p.Topic)
		if len(puts) != 1+int(wantEpoch) {
			t.Fatalf("%s: %d puts in KV, want %d (created, then elected at most once)", p.Topic, len(puts), 1+wantEpoch)
		}
		// The survivors hold the new leadership.
		for _, id := range p.Replicas {
			if id == victim {
				continue
			}
			testkit.WaitFor(t, 5*time.Second, func() error {
				for _, set := range slices.Backward(fakes[id].received()) {
					for _, r := range set.Replicas {
						if r.PartitionID == p.PartitionID {
							if r.Leader == p.Leader && r.LeaderEpoch == p.LeaderEpoch {
								return nil
							}
							return fmt.Errorf("SPU %d last heard leader %d epoch %d for %s", id, r.Leader, r.LeaderEpoch, p.Topic)
						}
					}
				}
				return fmt.Errorf("SPU %d never heard of %s", id, p.Topic)
			})
		}
	}
}
