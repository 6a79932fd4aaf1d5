package sc

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// The SC's timing (heartbeat expiry, the election hold, the lease's
// validity and takeover) runs here on testing/synctest's fake clock: the
// loops and handlers are the SC's own, without NATS (a bubble cannot hold
// network I/O), so the tests take no wall-clock time and check each
// boundary to the nanosecond whatever the machine's speed.

// timingServer is an SC without NATS or KV: the in-memory state, the
// handlers that feed it and the timing loops. Its loops stop when the
// returned stop is called.
func timingServer(t *testing.T, timeout time.Duration) (s *Server, stop func()) {
	t.Helper()
	cfg := Config{DataDir: t.TempDir(), HeartbeatInterval: timeout / 3, HeartbeatTimeout: timeout,
		Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s = &Server{cfg: cfg, log: cfg.Logger, st: newState(), electKick: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
	return s, cancel
}

// addSPU registers SPU id (offline until its hello).
func (s *Server) addTimingSPU(id bus.SPUID) {
	s.st.mu.Lock()
	s.st.spus[id] = &spuEntry{rec: spuRecord{Spec: bus.SPUSpec{ID: id}}}
	s.st.mu.Unlock()
}

func (s *Server) isOnline(id bus.SPUID) bool {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	return s.st.spus[id].online
}

// kicked drains an election kick.
func (s *Server) kicked() bool {
	select {
	case <-s.electKick:
		return true
	default:
		return false
	}
}

func hello(t *testing.T, s *Server, id bus.SPUID, incarnation string) error {
	t.Helper()
	_, err := s.handleHello(context.Background(), bus.SubjectSPURegister(id), bus.SPUHello{ID: id, Incarnation: incarnation})
	return err
}

func beat(t *testing.T, s *Server, id bus.SPUID, incarnation string) {
	t.Helper()
	if _, err := s.handleHeartbeat(context.Background(), bus.SubjectSPUHeartbeat(id), bus.Heartbeat{ID: id, Incarnation: incarnation}); err != nil {
		t.Fatalf("heartbeat of SPU %d: %v", id, err)
	}
}

// TestLivenessTiming: beats every interval keep an SPU online as long as
// they come; once they stop it is online exactly up to HeartbeatTimeout
// after the last one and offline at the loop's next tick (never sooner,
// at most one tick later), with an election kick; a beat brings it back.
// A second spu-server with its id is refused while the first beats and
// accepted as soon as the first has been silent for longer than the
// timeout, even before the loop marks it offline.
func TestLivenessTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 3 * time.Second
		tick := livenessTick(timeout)
		s, stop := timingServer(t, timeout)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stop()
		s.addTimingSPU(1)
		if err := hello(t, s, 1, "a"); err != nil {
			t.Fatal(err)
		}
		if !s.isOnline(1) || !s.kicked() {
			t.Fatal("hello: SPU not online, or no election kick")
		}
		wg.Go(s.livenessLoop)

		for range 10 { // 10 s of beats, more than three timeouts
			time.Sleep(time.Second)
			beat(t, s, 1, "a")
			synctest.Wait()
			if !s.isOnline(1) {
				t.Fatal("offline while beating every second")
			}
			if err := hello(t, s, 1, "b"); !errors.Is(err, bus.ErrSPUConflict) {
				t.Fatalf("a second spu-server while the first beats: %v, want a conflict", err)
			}
		}

		time.Sleep(timeout)
		synctest.Wait()
		if !s.isOnline(1) || s.kicked() {
			t.Fatalf("offline (or election kicked) exactly one timeout after the last beat: never sooner")
		}
		time.Sleep(time.Nanosecond)
		// Silent for longer than the timeout: a new spu-server may take
		// the id (a crashed one), before the loop's next tick.
		if hello(t, s, 1, "b") != nil {
			t.Fatal("a second spu-server refused after the first was silent past the timeout")
		}
		beat(t, s, 1, "b")
		s.kicked()
		last := time.Now()

		time.Sleep(timeout)
		synctest.Wait()
		if !s.isOnline(1) {
			t.Fatal("offline one timeout after the last beat")
		}
		time.Sleep(tick)
		synctest.Wait()
		if s.isOnline(1) {
			t.Fatalf("still online %v after the last beat (timeout %v, tick %v)", time.Since(last), timeout, tick)
		}
		if !s.kicked() {
			t.Fatal("going offline kicked no election")
		}
		beat(t, s, 1, "b")
		if !s.isOnline(1) || !s.kicked() {
			t.Fatal("a beat after the timeout: SPU not back online, or no election kick")
		}
	})
}

// TestElectionHoldTiming: kicks before the hold ends make one pass
// exactly when it ends; a kick after it makes a pass at once; kicks during
// a pass coalesce into one more; closing the SC during a hold runs none.
func TestElectionHoldTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, stop := timingServer(t, 3*time.Second)
		var mu sync.Mutex
		var passes []time.Time
		block := make(chan struct{})
		blocking := atomic.Bool{}
		pass := func() {
			mu.Lock()
			passes = append(passes, time.Now())
			mu.Unlock()
			if blocking.Load() {
				<-block
			}
		}
		count := func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(passes)
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stop()
		t0 := time.Now()
		s.holdElectionsUntil(t0.Add(3 * time.Second))
		wg.Go(func() { s.runElections(pass) })

		for range 3 {
			s.kickElection()
			time.Sleep(time.Second - time.Millisecond)
		}
		synctest.Wait()
		if n := count(); n != 0 {
			t.Fatalf("%d passes during the hold", n)
		}
		time.Sleep(3*time.Millisecond + time.Nanosecond)
		synctest.Wait()
		if n := count(); n != 1 || !passes[0].Equal(t0.Add(3*time.Second)) {
			t.Fatalf("passes %v, want one at the end of the hold (+3s)", passes)
		}

		s.kickElection()
		synctest.Wait()
		if n := count(); n != 2 || !passes[1].Equal(time.Now()) {
			t.Fatalf("a kick after the hold: passes %v, want a second one now", passes)
		}

		blocking.Store(true)
		s.kickElection()
		synctest.Wait() // the pass is running, blocked
		for range 5 {
			s.kickElection()
		}
		blocking.Store(false)
		close(block)
		synctest.Wait()
		if n := count(); n != 4 {
			t.Fatalf("%d passes, want 4: kicks during a pass coalesce into one more", n)
		}

		s.holdElectionsUntil(time.Now().Add(time.Hour))
		s.kickElection()
		time.Sleep(time.Minute)
		stop()
		wg.Wait()
		if n := count(); n != 4 {
			t.Fatalf("a pass ran during a hold the SC was closed in (%d passes)", n)
		}
	})
}

// TestNATSOutageTiming: while the SC's NATS is down nobody can beat, so
// nobody expires however long it lasts. When it comes back the liveness
// loop's first look restarts every SPU's timeout and holds elections for
// one timeout (resumeBeats; the NATS client's reconnect handler does the
// same, but asynchronously, maybe later): an SPU that beats again stays
// online, one that does not goes offline one timeout after that look,
// and the election for it runs only then.
func TestNATSOutageTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const timeout = 3 * time.Second
		tick := livenessTick(timeout)
		s, stop := timingServer(t, timeout)
		var down atomic.Bool
		s.natsDown = down.Load
		var passes atomic.Int32
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stop()
		for id := bus.SPUID(1); id <= 2; id++ {
			s.addTimingSPU(id)
			if err := hello(t, s, id, "a"); err != nil {
				t.Fatal(err)
			}
		}
		s.kicked()
		t0 := time.Now()
		wg.Go(s.livenessLoop) // ticks at t0 + k*tick
		wg.Go(func() { s.runElections(func() { passes.Add(1) }) })
		for range 3 {
			time.Sleep(time.Second)
			beat(t, s, 1, "a")
			beat(t, s, 2, "a")
		}

		down.Store(true)
		time.Sleep(5*timeout + tick/3) // no beats arrive; it comes back between two ticks
		synctest.Wait()
		if !s.isOnline(1) || !s.isOnline(2) || passes.Load() != 0 {
			t.Fatalf("during the outage: online %v %v, %d election passes; want both online, none", s.isOnline(1), s.isOnline(2), passes.Load())
		}
		down.Store(false) // the reconnect handler has not run (and will not)
		resumed := t0.Add((time.Since(t0)/tick + 1) * tick)
		time.Sleep(time.Until(resumed))
		synctest.Wait()
		if !s.isOnline(1) || !s.isOnline(2) {
			t.Fatal("an SPU went offline at the first look after the reconnect")
		}
		s.kickElection() // as a resync does
		for range 3 {    // SPU 1 beats again, SPU 2 does not
			time.Sleep(time.Second - time.Millisecond)
			beat(t, s, 1, "a")
		}
		synctest.Wait()
		if !s.isOnline(2) || passes.Load() != 0 {
			t.Fatalf("%v after the reconnect: SPU 2 online=%v, %d passes; want online (a fresh timeout) and no pass (held)",
				time.Since(resumed), s.isOnline(2), passes.Load())
		}
		time.Sleep(3*time.Millisecond + tick)
		synctest.Wait()
		if !s.isOnline(1) || s.isOnline(2) {
			t.Fatalf("one timeout and a tick after the reconnect: online %v %v, want SPU 1 only", s.isOnline(1), s.isOnline(2))
		}
		if n := passes.Load(); n != 2 {
			t.Fatalf("%d election passes, want 2: the held one at the end of the hold, then SPU 2's", n)
		}
	})
}

// TestLeaseTiming: a holder renewing every TTL/4 keeps acting and no
// standby polling every TTL/4 sees its lease lapse; once it stops
// renewing (a crash) it stops acting 3/4 TTL after its last renewal was
// sent, and the standby takes over only after the revision stood still
// for more than TTL by its own clock: never while the old holder may
// still act (a quarter TTL apart at least), and at most two polls after
// the TTL.
func TestLeaseTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const ttl = 4 * time.Second
		poll := ttl / 4
		var (
			mu              sync.Mutex
			rev             uint64 = 1 // the KV's lease revision
			holder, standby leaseState
			lastSent        time.Time
			crashed         bool
			takeover        time.Time
		)
		holder.renewed(leaseRecord{Holder: "a"}, rev, time.Now(), ttl)
		lastSent = time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		loop := func(offset time.Duration, f func(now time.Time) bool) {
			wg.Go(func() {
				time.Sleep(offset)
				tk := time.NewTicker(poll)
				defer tk.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case now := <-tk.C:
						mu.Lock()
						done := f(now)
						mu.Unlock()
						if done {
							return
						}
					}
				}
			})
		}
		// The holder renews (a write: the revision moves) until it crashes.
		loop(0, func(now time.Time) bool {
			if crashed {
				return true
			}
			rev++
			holder.renewed(leaseRecord{Holder: "a"}, rev, now, ttl)
			lastSent = now
			return false
		})
		// The standby polls, out of step with the holder.
		loop(poll/3, func(now time.Time) bool {
			if _, lapsed := standby.lapsed(rev, now, ttl); lapsed {
				takeover = now
				return true
			}
			return false
		})

		time.Sleep(10 * ttl)
		synctest.Wait()
		mu.Lock()
		renewing, valid := takeover, holder.valid(time.Now())
		crashed = true
		mu.Unlock()
		if !renewing.IsZero() {
			t.Fatalf("the standby took over at %v while the holder renewed", renewing)
		}
		if !valid {
			t.Fatal("the renewing holder may not act")
		}

		time.Sleep(3 * ttl)
		cancel()
		wg.Wait() // the loops are done: their variables are ours
		end := lastSent.Add(ttl * 3 / 4)
		if !holder.valid(end) || holder.valid(end.Add(time.Nanosecond)) {
			t.Fatalf("the holder's validity does not end 3/4 TTL after its last renewal (%v)", lastSent)
		}
		switch {
		case takeover.IsZero():
			t.Fatal("the standby never took over")
		case takeover.Sub(end) < ttl/4:
			t.Fatalf("takeover %v after the old holder stopped acting, want at least TTL/4 (%v)", takeover.Sub(end), ttl/4)
		case takeover.Sub(lastSent) > ttl+2*poll:
			t.Fatalf("takeover %v after the last renewal, want at most TTL + 2 polls (%v)", takeover.Sub(lastSent), ttl+2*poll)
		}
		// The worst case: a standby that saw the last renewal the instant
		// it was sent and looks again at every instant.
		var eager leaseState
		eager.lapsed(rev, lastSent, ttl)
		if _, lapsed := eager.lapsed(rev, lastSent.Add(ttl), ttl); lapsed {
			t.Fatal("a revision that stood still exactly TTL counts as lapsed")
		}
		first := lastSent.Add(ttl + time.Nanosecond)
		if _, lapsed := eager.lapsed(rev, first, ttl); !lapsed {
			t.Fatal("a revision that stood still past TTL does not count as lapsed")
		}
		if gap := first.Sub(end); gap < ttl/4 {
			t.Fatalf("an eager standby takes over %v after the old holder stops acting, want at least TTL/4", gap)
		}
		t.Logf("last renewal +%v, holder stops acting +%v, standby takes over +%v",
			lastSent.Sub(lastSent), end.Sub(lastSent), takeover.Sub(lastSent))
	})
}
