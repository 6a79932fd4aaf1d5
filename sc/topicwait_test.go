package sc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// createAsync sends a topic create that waits up to wait, and returns
// where its answer arrives.
func (e *env) createAsync(name string, partitions int32, wait time.Duration) <-chan createResult {
	e.t.Helper()
	out := make(chan createResult, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait+10*time.Second)
		defer cancel()
		resp, err := bus.Request[bus.TopicCreateResponse](ctx, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
			Name: name, Spec: bus.TopicSpec{Partitions: partitions, ReplicationFactor: 1}, WaitMs: wait.Milliseconds()})
		out <- createResult{resp, err}
	}()
	return out
}

type createResult struct {
	resp bus.TopicCreateResponse
	err  error
}

// reportLeading makes f report every partition of topic (0..n-1) as its
// leader at epoch 0, in one heartbeat.
func reportLeading(t *testing.T, f *fakeSPU, topic string, n int32) {
	t.Helper()
	f.mu.Lock()
	for p := range n {
		f.status = append(f.status, bus.ReplicaStatus{PartitionID: bus.PartitionID{Topic: topic, Partition: p}, Role: "leader"})
	}
	f.mu.Unlock()
	testkit.NoErr(t, f.beat())
}

func recv(t *testing.T, ch <-chan createResult) createResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("no answer to the topic create in 20 s")
		return createResult{}
	}
}

// A create with WaitMs answers once the leader's heartbeat reports every
// partition (not before, and not at the end of its wait), while other
// admin requests, another create included, are answered meanwhile.
func TestTopicCreateWaitsForLeaderReports(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	f := newFakeSPU(t, e, 1)
	_, err := f.hello()
	testkit.NoErr(t, err)

	const wait = time.Minute
	waiting := e.createAsync("waits", 50, wait)
	waitListed(t, e, "waits")
	// Another create, no wait, while the first waits: answered.
	other, err := e.createTopic("other", 1, 1)
	testkit.NoErr(t, err)
	testkit.Equal(t, other.Status.Resolution, bus.TopicPending)
	// The first one is stored but not answered: its partitions are not
	// reported yet.
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{"waits"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, list.Items[0].Status.Resolution, bus.TopicPending)
	select {
	case r := <-waiting:
		t.Fatalf("the create answered before any report: %+v %v", r.resp.Topic.Status, r.err)
	default:
	}

	reported := time.Now()
	reportLeading(t, f, "waits", 50)
	r := recv(t, waiting)
	testkit.NoErr(t, r.err)
	testkit.Equal(t, r.resp.Waited, true)
	testkit.Equal(t, r.resp.Topic.Status.Resolution, bus.TopicProvisioned)
	if d := time.Since(reported); d > wait/2 {
		t.Fatalf("answered %v after the report: the wait is not driven by it", d)
	}
}

// A create whose partitions are not reported within WaitMs answers at
// the end of the wait with the topic (created) pending and the reason;
// one whose topic is deleted meanwhile answers not found; one in flight
// when the SC stops answers at once.
func TestTopicCreateWaitEnds(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	f := newFakeSPU(t, e, 1)
	_, err := f.hello()
	testkit.NoErr(t, err)
	f.beatEvery(50 * time.Millisecond) // online, reporting no replica

	r := recv(t, e.createAsync("late", 2, 300*time.Millisecond))
	testkit.NoErr(t, r.err)
	testkit.Equal(t, r.resp.Waited, true)
	testkit.Equal(t, r.resp.Topic.Status.Resolution, bus.TopicPending)
	if !strings.Contains(r.resp.Topic.Status.Reason, "has not yet reported its replicas") {
		t.Fatalf("reason %q", r.resp.Topic.Status.Reason)
	}

	gone := e.createAsync("gone", 1, time.Minute)
	waitListed(t, e, "gone")
	_, err = req[bus.TopicDeleteResponse](t, e.nc, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: "gone"})
	testkit.NoErr(t, err)
	r = recv(t, gone)
	requireErr(t, r.err, bus.ErrTopicNotFound, `"gone"`)

	stopped := e.createAsync("stopping", 1, time.Minute)
	waitListed(t, e, "stopping")
	closed := time.Now()
	testkit.NoErr(t, e.sc.Close())
	r = recv(t, stopped)
	testkit.NoErr(t, r.err)
	testkit.Equal(t, r.resp.Topic.Status.Resolution, bus.TopicPending)
	if d := time.Since(closed); d > 30*time.Second {
		t.Fatalf("Close and the waiting create took %v", d)
	}
}

// waitListed polls until topic name is listed (its create stored).
func waitListed(t *testing.T, e *env, name string) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{Names: []string{name}})
		return err
	})
}

// WaitMs may not be negative; a dry run never waits.
func TestTopicCreateWaitValidation(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	_, err := req[bus.TopicCreateResponse](t, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: "neg", WaitMs: -1})
	requireErr(t, err, bus.ErrInvalidConfig, "waitMs")
	resp, err := req[bus.TopicCreateResponse](t, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{Name: "dry", DryRun: true, WaitMs: 60000})
	testkit.NoErr(t, err)
	testkit.Equal(t, resp.Waited, false)
}
