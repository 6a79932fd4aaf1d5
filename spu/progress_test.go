package spu

import (
	"context"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// A pipelining follower's progress report is taken when the leader reads
// it, not in answer order: an acks=all produce is answered while the
// follower's long-poll fetch, sent before the report on the same
// connection, is still waiting. The test plays follower 2 on the leader's
// private server.
func TestFollowerProgressAnswersAcksAllDuringALongPoll(t *testing.T) {
	s1 := startSPU(t, 1, 0)
	s1.apply(t, true, []bus.PeerEndpoint{{ID: 1, Private: s1.private}}, spec("p", 0, 1, 0, 1, 2))
	priv := dial(t, s1.private)
	ctx := context.Background()

	// The long poll: a fetch from the log end that wants 1 MiB and waits
	// 20 s, so the small produce below does not end it.
	poll := priv.StartFetch(ctx, &wire.FetchRequest{ReplicaID: 2, MaxWaitMs: 20000, MinBytes: 1 << 20, MaxBytes: 1 << 20,
		ProgressApart: true, Partitions: []wire.FetchPartition{{Topic: "p", Offset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: 0}}})

	acked := make(chan error, 1)
	start := time.Now()
	pub := dial(t, s1.public)
	go func() {
		_, err := produce(ctx, pub, "p", 0, wire.AcksAll, "a", "b")
		acked <- err
	}()
	// Not acknowledged while follower 2 has not reported the records.
	select {
	case err := <-acked:
		t.Fatalf("acks=all answered (%v) before the follower reported", err)
	case <-time.After(300 * time.Millisecond):
	}
	// The follower reports; the fetch in front of the report still waits.
	rep := priv.StartFollowerProgress(ctx, &wire.FollowerProgressRequest{ReplicaID: 2, Partitions: []wire.ProgressPartition{
		{Topic: "p", Partition: 0, EndOffset: 2, CurrentLeaderEpoch: 0}}})
	select {
	case err := <-acked:
		testkit.NoErr(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("acks=all not answered after the follower's progress report")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("acks=all took %s: it waited for the long poll", d)
	}
	if _, done, _ := rep.Poll(); done {
		t.Fatal("the report was answered before the fetch queued ahead of it")
	}
	testkit.Equal(t, s1.dp.lookup("p", 0).Offsets().HW, 2)

	// A report beyond the leader's log end, from an unknown epoch or for
	// a partition the SPU does not hold is refused and moves nothing.
	bad, err := dial(t, s1.private).FollowerProgress(ctx, &wire.FollowerProgressRequest{ReplicaID: 2, Partitions: []wire.ProgressPartition{
		{Topic: "p", Partition: 0, EndOffset: 99, CurrentLeaderEpoch: 0},
		{Topic: "p", Partition: 0, EndOffset: 2, CurrentLeaderEpoch: 7},
		{Topic: "nope", Partition: 0, EndOffset: 0, CurrentLeaderEpoch: 0}}})
	testkit.NoErr(t, err)
	testkit.ErrIs(t, bad.Partitions[0].Err(), wire.ErrOffsetOutOfRange)
	testkit.ErrIs(t, bad.Partitions[1].Err(), wire.ErrUnknownLeaderEpoch)
	testkit.ErrIs(t, bad.Partitions[2].Err(), wire.ErrUnknownTopicOrPartition)
	testkit.Equal(t, s1.dp.lookup("p", 0).Offsets().HW, 2)
	// Reports are for the private server only.
	_, err = dial(t, s1.public).FollowerProgress(ctx, &wire.FollowerProgressRequest{ReplicaID: 2})
	testkit.ErrIs(t, err, wire.ErrInvalidRequest)

	// The long poll is still the first answer on its connection.
	if _, done, _ := rep.Poll(); done {
		t.Fatal("the report was answered before the fetch queued ahead of it")
	}
	_ = poll
}
