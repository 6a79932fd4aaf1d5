package spu_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/spu"
)

// TestHeartbeatsAndReplicaSets: heartbeats carry the incarnation and the
// applied epoch; stale sets are ignored; a gap asks for a full set.
func TestHeartbeatsAndReplicaSets(t *testing.T) {
	f := newFakeSC(t, loopbackSpec(7))
	f.serve()
	var out bytes.Buffer
	s, err := spu.Start(context.Background(), testConfig(t, f, 7, &out))
	testkit.NoErr(t, err)
	defer s.Close()
	base := f.epoch
	applied := func(want int64, needFull bool) func() error {
		return func() error {
			hb, ok := f.lastBeat()
			if !ok || hb.ID != 7 || hb.Incarnation == "" || hb.AppliedEpoch != want || hb.NeedFullSync != needFull {
				return fmt.Errorf("last heartbeat %+v, want applied %d needFull %v", hb, want, needFull)
			}
			return nil
		}
	}
	testkit.WaitFor(t, 3*time.Second, applied(base, false))
	subject := bus.SubjectSPUReplicas(7)
	f.publish(subject, bus.ReplicaSet{SPU: 7, Epoch: base + 1, Replicas: []bus.ReplicaSpec{}})
	testkit.WaitFor(t, 3*time.Second, applied(base+1, false))
	f.publish(subject, bus.ReplicaSet{SPU: 7, Epoch: base, Full: true}) // stale
	f.publish(subject, bus.ReplicaSet{SPU: 8, Epoch: base + 9})         // not ours
	f.publish(bus.SubjectSPUReplicas(7), "garbage")                     // undecodable
	// Several beats after those three: none of them was applied.
	beats := f.beatCount()
	testkit.WaitFor(t, 3*time.Second, func() error {
		if n := f.beatCount(); n < beats+3 {
			return fmt.Errorf("%d heartbeats since the publishes, want 3", n-beats)
		}
		return nil
	})
	testkit.WaitFor(t, time.Second, applied(base+1, false))
	f.publish(subject, bus.ReplicaSet{SPU: 7, Epoch: base + 3}) // gap: base+2 lost
	testkit.WaitFor(t, 3*time.Second, applied(base+3, true))
	f.publish(subject, bus.ReplicaSet{SPU: 7, Epoch: base + 4, Full: true})
	testkit.WaitFor(t, 3*time.Second, applied(base+4, false))
	if s.Err() != nil {
		t.Fatalf("SPU stopped: %v", s.Err())
	}
}

// TestStopWhenUnregistered: a stop on the control subject, or a heartbeat
// refused as not registered, stops the SPU with ErrUnregistered.
func TestStopWhenUnregistered(t *testing.T) {
	t.Run("control", func(t *testing.T) {
		f := newFakeSC(t, loopbackSpec(9))
		f.serve()
		var out bytes.Buffer
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- spu.Run(ctx, testConfig(t, f, 9, &out)) }()
		testkit.WaitFor(t, 3*time.Second, func() error {
			if _, ok := f.lastBeat(); !ok {
				return errors.New("no heartbeat yet")
			}
			return nil
		})
		f.publish(bus.SubjectSPUControl(8), bus.Control{SPU: 8, Command: bus.ControlStop}) // not ours
		f.publish(bus.SubjectSPUControl(9), bus.Control{SPU: 9, Command: bus.ControlStop, Reason: "unregistered"})
		select {
		case err := <-errc:
			if !errors.Is(err, spu.ErrUnregistered) || !bytes.Contains([]byte(err.Error()), []byte("fluvio custom-spu register --id 9")) {
				t.Fatalf("got %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("SPU did not stop")
		}
	})
	t.Run("heartbeat refused", func(t *testing.T) {
		f := newFakeSC(t, loopbackSpec(10))
		f.serve()
		var out bytes.Buffer
		s, err := spu.Start(context.Background(), testConfig(t, f, 10, &out))
		testkit.NoErr(t, err)
		defer s.Close()
		f.mu.Lock()
		f.registered = false
		f.mu.Unlock()
		select {
		case <-s.Done():
			if !errors.Is(s.Err(), spu.ErrUnregistered) {
				t.Fatalf("got %v", s.Err())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("SPU did not stop")
		}
	})
}

// TestSurvivesSCOutage: the SC's NATS goes away and comes back on the
// same port; heartbeats resume on their own.
func TestSurvivesSCOutage(t *testing.T) {
	f := newFakeSC(t, loopbackSpec(11))
	f.serve()
	var out bytes.Buffer
	s, err := spu.Start(context.Background(), testConfig(t, f, 11, &out))
	testkit.NoErr(t, err)
	defer s.Close()
	testkit.WaitFor(t, 3*time.Second, func() error {
		if _, ok := f.lastBeat(); !ok {
			return errors.New("no heartbeat")
		}
		return nil
	})
	ns2 := f.ns.Restart()
	f2 := &fakeSC{t: t, ns: ns2, nc: ns2.Connect(t), registered: true, spec: f.spec, epoch: f.epoch + 100}
	f2.serve()
	testkit.WaitFor(t, 5*time.Second, func() error {
		if hb, ok := f2.lastBeat(); !ok || hb.ID != 11 {
			return errors.New("no heartbeat after the SC came back")
		}
		return nil
	})
	if s.Err() != nil {
		t.Fatalf("SPU stopped during the outage: %v", s.Err())
	}
}

// TestCloseSaysGoodbye: a clean stop sends a last heartbeat with Stopping.
func TestCloseSaysGoodbye(t *testing.T) {
	f := newFakeSC(t, loopbackSpec(12))
	f.serve()
	var out bytes.Buffer
	s, err := spu.Start(context.Background(), testConfig(t, f, 12, &out))
	testkit.NoErr(t, err)
	testkit.NoErr(t, s.Close())
	hb, ok := f.lastBeat()
	if !ok || !hb.Stopping || hb.ID != 12 {
		t.Fatalf("last heartbeat %+v, want Stopping", hb)
	}
	// Kill looks like a crash: no goodbye.
	s, err = spu.Start(context.Background(), testConfig(t, f, 12, &out))
	testkit.NoErr(t, err)
	testkit.WaitFor(t, 3*time.Second, func() error {
		if hb, ok := f.lastBeat(); !ok || hb.Stopping {
			return errors.New("no heartbeat from the second SPU yet")
		}
		return nil
	})
	testkit.NoErr(t, s.Kill())
	if hb, _ := f.lastBeat(); hb.Stopping {
		t.Fatal("Kill said goodbye")
	}
}
