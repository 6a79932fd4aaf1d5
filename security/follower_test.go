package security

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/wire"
)

// TestFollowerFetchNeedsProof attacks a leader's private (replication)
// server: without a proof, with another SPU's proof, with a replayed or
// forged one, and as a consumer. Every attempt must fail, while the real
// followers keep the ISR full.
func TestFollowerFetchNeedsProof(t *testing.T) {
	c := startCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := c.connect(c.ids.Admin, nil)
	if _, err := bus.Request[bus.TopicCreateResponse](ctx, admin, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
		Name: "victim", Spec: bus.TopicSpec{Partitions: 1, ReplicationFactor: 3},
	}); err != nil {
		t.Fatal(err)
	}
	p := c.waitISR(t, ctx, admin, 3) // the real followers proved who they are
	leader := p.Spec.Leader
	var follower, other bus.SPUID
	for _, id := range p.Spec.Replicas {
		if id != leader {
			if follower == 0 {
				follower = id
			} else {
				other = id
			}
		}
	}
	addr := c.spus[leader].PrivateAddr()
	fetchAs := func(conn *wire.Conn, replica int32) error {
		_, err := conn.Fetch(ctx, &wire.FetchRequest{ReplicaID: replica, MaxBytes: 1 << 20, Partitions: []wire.FetchPartition{
			{Topic: "victim", Partition: 0, Offset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1},
		}})
		return err
	}
	dial := func() *wire.Conn {
		conn, err := wire.Dial(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	proof := func(creds *natsauth.Creds, spu bus.SPUID) *wire.SPUAuthRequest {
		nonce := make([]byte, 16)
		_, _ = rand.Read(nonce)
		req := &wire.SPUAuthRequest{SPU: int32(spu), Leader: int32(leader), UnixMs: time.Now().UnixMilli(), Nonce: nonce}
		sig, err := creds.Sign(req.SignedBytes())
		if err != nil {
			t.Fatal(err)
		}
		req.Signature = sig
		return req
	}
	tried, accepted := 0, 0
	attempt := func(what string, err error) {
		tried++
		if err == nil {
			accepted++
			t.Errorf("%s: accepted", what)
			return
		}
		if !errors.Is(err, wire.ErrSPUAuthFailed) {
			t.Errorf("%s: want SPU authentication failed, got %v", what, err)
		}
	}

	// No proof: neither as a follower nor as a consumer.
	conn := dial()
	attempt(fmt.Sprintf("fetch as replica %d without a proof", follower), fetchAs(conn, int32(follower)))
	attempt("consumer fetch on the private port", fetchAs(conn, -1))
	_, err := conn.EpochEndOffset(ctx, &wire.EpochEndOffsetRequest{ReplicaID: int32(follower), Partitions: []wire.EpochPartition{{Topic: "victim", LeaderEpoch: 0, CurrentLeaderEpoch: -1}}})
	attempt("epoch query without a proof", err)

	// A real SPU's proof, then fetching as another replica.
	conn = dial()
	if err := conn.SPUAuth(ctx, proof(c.keys[other], other)); err != nil {
		t.Fatalf("SPU %d's own proof refused: %v", other, err)
	}
	attempt(fmt.Sprintf("SPU %d fetching as replica %d", other, follower), fetchAs(conn, int32(follower)))
	if err := fetchAs(conn, int32(other)); err != nil {
		t.Errorf("SPU %d fetching as itself: %v", other, err)
	}

	// A replayed proof, a proof signed with the wrong key, and a proof
	// for another leader.
	good := proof(c.keys[follower], follower)
	if err := dial().SPUAuth(ctx, good); err != nil {
		t.Fatalf("SPU %d's proof refused: %v", follower, err)
	}
	attempt("replayed proof", dial().SPUAuth(ctx, good))
	stranger, _ := natsauth.New("stranger", natsauth.RoleSPU)
	attempt("proof signed by a stranger", dial().SPUAuth(ctx, proof(stranger, follower)))
	forOther := proof(c.keys[follower], follower)
	forOther.Leader = int32(other)
	sig, _ := c.keys[follower].Sign(forOther.SignedBytes())
	forOther.Signature = sig
	attempt("proof for another leader", dial().SPUAuth(ctx, forOther))
	old := proof(c.keys[follower], follower)
	old.UnixMs -= (10 * time.Minute).Milliseconds()
	sig, _ = c.keys[follower].Sign(old.SignedBytes())
	old.Signature = sig
	attempt("proof from 10 minutes ago", dial().SPUAuth(ctx, old))

	// The real followers are still in sync.
	if p := c.partition(t, ctx, admin); len(p.Status.ISR) != 3 {
		t.Errorf("ISR shrank to %v", p.Status.ISR)
	}
	t.Logf("follower-fetch attacks: %d tried, %d accepted", tried, accepted)
	report("unauthenticated-follower-fetch accepted", fmt.Sprint(accepted))
}
