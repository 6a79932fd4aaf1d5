package sc_test

import (
	"context"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/sc"
	"github.com/nats-io/nats.go/jetstream"
)

// TestBadKVValuesNotApplied writes the values an attacker once stored (an SPU id of -1, a bad endpoint, 1,000,000 partitions, replication -3, replicas [1,-4,99999], a garbage generation) into KV behind
// the SC's back and restarts it: each is skipped (logged with its key),
// a damaged key falls back to its last good revision, and a garbage
// generation never makes epochs go back.
func TestBadKVValuesNotApplied(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	_, err := e.createTopic("good", 1, 1)
	testkit.NoErr(t, err)
	f := newFakeSPU(t, e, 1)
	hello, err := f.hello()
	testkit.NoErr(t, err)
	before := hello.Replicas.Epoch

	js, err := jetstream.New(e.nc)
	testkit.NoErr(t, err)
	kv, err := js.KeyValue(context.Background(), sc.DefaultBucket)
	testkit.NoErr(t, err)
	const goodTopic = `"spec":{"partitions":1,"replicationFactor":1},"partitions":[{"replicas":[1],"leader":1,"isr":[1]}]}`
	for key, val := range map[string]string{
		// A registered SPU damaged: its previous revision is used.
		"spu.1":         `{"name":"custom-spu-1","spec":{"spuId":1,"spuType":"Custom","publicEndpoint":"not an endpoint","privateEndpoint":"127.0.0.1:9006"}}`,
		"spu.-1":        `{"name":"neg","spec":{"spuId":-1,"spuType":"Custom","publicEndpoint":"127.0.0.1:1","privateEndpoint":"127.0.0.1:2"}}`,
		"spu.3":         `{"name":"noaddr","spec":{"spuId":3,"spuType":"Custom","publicEndpoint":"not an endpoint","privateEndpoint":"127.0.0.1:2"}}`,
		"spu.4":         `{"name":"badkey","spec":{"spuId":4,"spuType":"Custom","publicEndpoint":"127.0.0.1:1","privateEndpoint":"127.0.0.1:2","nkey":"not-a-key"}}`,
		"topic.huge":    `{"name":"huge","spec":{"partitions":1000000,"replicationFactor":1},"partitions":[{"replicas":[1],"leader":1,"isr":[1]}]}`,
		"topic.neg":     `{"name":"neg","spec":{"partitions":1,"replicationFactor":-3},"partitions":[{"replicas":[1],"leader":1,"isr":[1]}]}`,
		"topic.ids":     `{"name":"ids","spec":{"partitions":1,"replicationFactor":3},"partitions":[{"replicas":[1,-4,99999],"leader":1,"isr":[1]}]}`,
		"topic.dup":     `{"name":"dup","spec":{"partitions":1,"replicationFactor":2},"partitions":[{"replicas":[1,1],"leader":1,"isr":[1]}]}`,
		"topic.BAD":     `{"name":"BAD",` + goodTopic,
		"topic.good":    `{"name":"good","spec":{"partitions":1,"replicationFactor":1},"partitions":[{"replicas":[1],"leader":1,"leaderEpoch":-5,"isr":[1]}]}`,
		"sc.generation": `garbage`,
	} {
		_, err := kv.Put(context.Background(), key, []byte(val))
		testkit.NoErr(t, err)
	}
	e.restart()

	spus := e.spus()
	testkit.Equal(t, len(spus), 1)
	testkit.Equal(t, spus[1].Spec.PublicEndpoint, "127.0.0.1:9005") // the last good revision
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
	testkit.Equal(t, list.Items[0].Name, "good")
	testkit.Equal(t, list.Items[0].Status.Partitions[0].Spec.LeaderEpoch, int32(0))

	// The generation went up, not back to 1: the SPU takes the new sets.
	f.incarnation = "inc-2"
	hello, err = f.hello()
	testkit.NoErr(t, err)
	if hello.Replicas.Epoch <= before {
		t.Fatalf("epoch after a garbage generation %d, before %d: the SPU would ignore every set", hello.Replicas.Epoch, before)
	}
	testkit.Equal(t, len(hello.Replicas.Replicas), 1)
}
