package security

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/wire"
)

// victimTopic creates topic victim with one partition on the cluster's
// SPUs and waits for its ISR.
func (c *cluster) victimTopic(t *testing.T, ctx context.Context, rf int) bus.Partition {
	t.Helper()
	admin := c.connect(c.ids.Admin, nil)
	if _, err := bus.Request[bus.TopicCreateResponse](ctx, admin, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
		Name: "victim", Spec: bus.TopicSpec{Partitions: 1, ReplicationFactor: int32(rf)},
	}); err != nil {
		t.Fatal(err)
	}
	return c.waitISR(t, ctx, admin, rf)
}

// oneRecord is a produce request of one record for victim/0.
func oneRecord(value string) *wire.ProduceRequest {
	var b batch.Builder
	b.Reset(time.Now().UnixMilli())
	b.Add(nil, []byte(value), nil, time.Now().UnixMilli())
	return &wire.ProduceRequest{Acks: wire.AcksLeader, Topic: "victim", Partition: 0, Records: b.Bytes()}
}

// multiRecord is oneRecord as a MultiProduce request (twice, as for two
// partitions of one leader).
func multiRecord(value string) *wire.MultiProduceRequest {
	r := oneRecord(value)
	p := wire.ProducePartition{Topic: r.Topic, Partition: r.Partition, Records: r.Records}
	return &wire.MultiProduceRequest{Acks: r.Acks, Partitions: []wire.ProducePartition{p, p}}
}

// oneMulti is oneRecord as a multi-partition produce.
func oneMulti(value string) *wire.MultiProduceRequest {
	r := oneRecord(value)
	return &wire.MultiProduceRequest{Acks: r.Acks, Partitions: []wire.ProducePartition{{Topic: r.Topic, Partition: r.Partition, Records: r.Records}}}
}

func fetchVictim(ctx context.Context, conn *wire.Conn) (*wire.FetchResponse, error) {
	return conn.Fetch(ctx, &wire.FetchRequest{ReplicaID: -1, MaxBytes: 1 << 20, Partitions: []wire.FetchPartition{
		{Topic: "victim", Partition: 0, Offset: 0, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}})
}

// hello signs a client hello for spu with creds.
func hello(t *testing.T, creds *natsauth.Creds, spu bus.SPUID) *wire.ClientAuthRequest {
	t.Helper()
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	req := &wire.ClientAuthRequest{PublicKey: creds.Public, SPU: int32(spu), UnixMs: time.Now().UnixMilli(), Nonce: nonce}
	sig, err := creds.Sign(req.SignedBytes())
	if err != nil {
		t.Fatal(err)
	}
	req.Signature = sig
	return req
}

// TestPublicPortNeedsAuth attacks an SPU's public (client) port without
// TLS, in a cluster with identities (the default): produce, fetch and
// list offsets without a hello, after a stranger's hello, with a replayed
// hello, and read-only producing. Every attempt must fail with a clear
// error, while the client library with the profile's credentials (the
// negative control) produces and consumes.
func TestPublicPortNeedsAuth(t *testing.T) {
	c := startCluster(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := c.victimTopic(t, ctx, 1)
	leader := p.Spec.Leader
	addr := c.spus[leader].PublicAddr()
	dial := func() *wire.Conn {
		conn, err := wire.Dial(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	produceAccepted, consumeAccepted, tried := 0, 0, 0
	refused := func(what string, err error, code error, accepted *int) {
		t.Helper()
		tried++
		if err == nil {
			*accepted++
			t.Errorf("%s: accepted", what)
			return
		}
		if !errors.Is(err, code) {
			t.Errorf("%s: want %v, got %v", what, code, err)
		}
	}
	needAuth := wire.ClientAuthFailed.Err()

	// No hello.
	conn := dial()
	_, err := conn.Produce(ctx, oneRecord("anonymous"))
	refused("produce without a hello", err, needAuth, &produceAccepted)
	if err != nil && !strings.Contains(err.Error(), "credentials") {
		t.Errorf("the refusal does not say what to configure: %v", err)
	}
	_, err = conn.MultiProduce(ctx, multiRecord("anonymous, several partitions"))
	refused("multi-produce without a hello", err, needAuth, &produceAccepted)
	_, err = conn.MultiProduce(ctx, oneMulti("anonymous"))
	refused("multi-partition produce without a hello", err, needAuth, &produceAccepted)
	_, err = fetchVictim(ctx, conn)
	refused("fetch without a hello", err, needAuth, &consumeAccepted)
	_, err = conn.ListOffsets(ctx, &wire.ListOffsetsRequest{Topic: "victim", Partition: 0, Timestamp: -1})
	refused("list offsets without a hello", err, needAuth, &consumeAccepted)

	// A stranger's key, a hello for another SPU, a replayed hello.
	stranger, _ := natsauth.New("stranger", natsauth.RoleClient)
	conn = dial()
	_, err = conn.ClientAuth(ctx, hello(t, stranger, leader))
	refused("hello signed by a stranger", err, needAuth, &consumeAccepted)
	_, err = conn.Produce(ctx, oneRecord("stranger"))
	refused("produce after a refused hello", err, needAuth, &produceAccepted)
	_, err = dial().ClientAuth(ctx, hello(t, c.ids.Client, leader+1))
	refused("hello for another SPU", err, needAuth, &consumeAccepted)
	good := hello(t, c.ids.Client, leader)
	if _, err := dial().ClientAuth(ctx, good); err != nil {
		t.Fatalf("the client identity's hello was refused: %v", err)
	}
	_, err = dial().ClientAuth(ctx, good)
	refused("replayed hello", err, needAuth, &consumeAccepted)
	// An SPU's key is no client identity.
	_, err = dial().ClientAuth(ctx, hello(t, c.keys[leader], leader))
	refused("hello with an SPU's key", err, needAuth, &consumeAccepted)

	// Read-only: consume yes, produce no.
	ro := dial()
	if role, err := ro.ClientAuth(ctx, hello(t, c.ids.ReadOnly, leader)); err != nil || role != "read-only" {
		t.Fatalf("read-only hello: %q %v", role, err)
	}
	_, err = ro.Produce(ctx, oneRecord("read-only"))
	refused("read-only produce", err, wire.NotAuthorized.Err(), &produceAccepted)
	_, err = ro.MultiProduce(ctx, oneMulti("read-only"))
	refused("read-only multi-partition produce", err, wire.NotAuthorized.Err(), &produceAccepted)
	_, err = ro.MultiProduce(ctx, multiRecord("read-only, several partitions"))
	refused("read-only multi-produce", err, wire.NotAuthorized.Err(), &produceAccepted)
	if _, err := fetchVictim(ctx, ro); err != nil {
		t.Errorf("read-only fetch: %v", err)
	}

	// Negative control: a client identity's connection produces (so the
	// refusals above are the gate, not a broken SPU), and the client
	// library with the profile's credentials produces and consumes.
	cl := dial()
	if _, err := cl.ClientAuth(ctx, hello(t, c.ids.Client, leader)); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Produce(ctx, oneRecord("raw but authenticated")); err != nil {
		t.Fatalf("authenticated produce: %v", err)
	}
	// Named consumers' offsets: read-only connections may not commit,
	// client ones may not delete (refused before the SPU looks for the
	// consumer-offset partition).
	entry := []wire.OffsetEntry{{Consumer: "app", Topic: "victim", Offset: 1}}
	if _, err := ro.OffsetCommit(ctx, &wire.OffsetCommitRequest{Entries: entry}); !errors.Is(err, wire.NotAuthorized.Err()) {
		t.Errorf("read-only offset commit: %v, want NotAuthorized", err)
	}
	if _, err := cl.OffsetDelete(ctx, &wire.OffsetDeleteRequest{Keys: entry}); !errors.Is(err, wire.NotAuthorized.Err()) {
		t.Errorf("client offset delete: %v, want NotAuthorized", err)
	}
	client, err := fluvio.Connect(ctx, c.sc.URL(), fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileClient)))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	produceConsume(t, ctx, client, "library")
	// Read-only through the library: consume works, produce fails with
	// the role's message.
	rdr, err := fluvio.Connect(ctx, c.sc.URL(), fluvio.WithCredentials(filepath.Join(c.dir, "auth", natsauth.FileReadOnly)))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	if n := consumeAll(t, ctx, rdr); n != 2 { // the raw authenticated record and the library's
		t.Errorf("read-only consumer read %d records, want 2", n)
	}
	rp, err := rdr.Producer("victim", fluvio.WithRetries(0, 0))
	if err == nil {
		_, err = rp.SendSync(ctx, nil, []byte("nope"))
		rp.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("read-only library produce: %v", err)
	}
	t.Logf("public-port attacks: %d tried, produce accepted %d, consume accepted %d", tried, produceAccepted, consumeAccepted)
	report("unauthenticated-produce accepted", fmt.Sprint(produceAccepted))
	report("unauthenticated-consume accepted", fmt.Sprint(consumeAccepted))
}

// produceConsume sends a record through client and reads the topic back
// from the beginning.
func produceConsume(t *testing.T, ctx context.Context, client *fluvio.Client, value string) {
	t.Helper()
	pr, err := client.Producer("victim")
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	if _, err := pr.SendSync(ctx, nil, []byte(value)); err != nil {
		t.Fatalf("produce with the client library: %v", err)
	}
	found := false
	cons, err := client.Consumer("victim", fluvio.FromBeginning(), fluvio.DisableContinuous())
	if err != nil {
		t.Fatal(err)
	}
	for r, err := range cons.Records(ctx) {
		if err != nil {
			t.Fatalf("consume with the client library: %v", err)
		}
		if string(r.Value) == value {
			found = true
		}
	}
	if !found {
		t.Fatalf("record %q not read back", value)
	}
}

// consumeAll reads victim from the beginning to its end.
func consumeAll(t *testing.T, ctx context.Context, client *fluvio.Client) int {
	t.Helper()
	cons, err := client.Consumer("victim", fluvio.FromBeginning(), fluvio.DisableContinuous())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range cons.Records(ctx) {
		if err != nil {
			t.Fatalf("consume: %v", err)
		}
		n++
	}
	return n
}
