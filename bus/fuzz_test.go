package bus_test

import (
	"testing"

	"github.com/fluvio-go/fluvio/bus"
)

// FuzzUnmarshal decodes arbitrary bytes (JSON or msgpack) into every
// message an SC or SPU receives: it must never panic, and what decodes
// must encode and decode again.
func FuzzUnmarshal(f *testing.F) {
	for _, seed := range fuzzSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		targets := []func() any{
			func() any { return new(bus.SPURegisterRequest) },
			func() any { return new(bus.SPUUnregisterRequest) },
			func() any { return new(bus.TopicCreateRequest) },
			func() any { return new(bus.TopicListRequest) },
			func() any { return new(bus.MetadataRequest) },
			func() any { return new(bus.SPUHello) },
			func() any { return new(bus.Heartbeat) },
			func() any { return new(bus.ISRUpdate) },
			func() any { return new(bus.ReplicaSet) },
			func() any { return new(bus.Control) },
			func() any { return new(bus.Error) },
		}
		for _, newT := range targets {
			v := newT()
			if err := bus.Unmarshal(data, v); err != nil {
				continue
			}
			for _, asJSON := range []bool{false, true} {
				out, err := bus.Marshal(v, asJSON)
				if err != nil {
					// JSON cannot carry every float msgpack can (NaN).
					continue
				}
				if err := bus.Unmarshal(out, newT()); err != nil {
					t.Fatalf("%T: re-decoding %q (json=%v): %v", v, out, asJSON, err)
				}
			}
		}
	})
}

func fuzzSeeds() [][]byte {
	mp := func(v any) []byte {
		b, err := bus.Marshal(v, false)
		if err != nil {
			panic(err)
		}
		return b
	}
	js := func(v any) []byte {
		b, err := bus.Marshal(v, true)
		if err != nil {
			panic(err)
		}
		return b
	}
	id := int64(5)
	hb := bus.Heartbeat{ID: 5, Incarnation: "abc", AppliedEpoch: 1 << 33,
		Replicas: []bus.ReplicaStatus{{PartitionID: bus.PartitionID{Topic: "t", Partition: 1}, Role: "leader", LEO: 9, HW: 8}}}
	set := bus.ReplicaSet{SPU: 5, Epoch: 7, Full: true, Replicas: []bus.ReplicaSpec{{
		PartitionID: bus.PartitionID{Topic: "t"}, Leader: 5, Replicas: []bus.SPUID{5, 6}, ISR: []bus.SPUID{5}}},
		Peers: []bus.PeerEndpoint{{ID: 6, Private: "h:2"}}}
	valid := mp(hb)
	return [][]byte{
		{},
		valid,
		append(append([]byte{}, valid...), 0xc1, 0xff, '{'),
		mp(set),
		js(set),
		mp(bus.SPURegisterRequest{ID: 1 << 40, PublicEndpoint: "h:1", PrivateEndpoint: "h:2", Rack: "r"}),
		js(bus.SPUUnregisterRequest{ID: &id}),
		mp(bus.TopicCreateRequest{Name: "orders", Spec: bus.TopicSpec{Partitions: 3, ReplicationFactor: 2}}),
		[]byte(`{"names":["a","b"],"type":"fluvio.bus.v1.topic_list_request"}`),
		[]byte(`{"type":5}`),
		{0xdd, 0xff, 0xff, 0xff, 0xff}, // array32 claiming 4G entries
		{0x81, 0xa5, 'n', 'a', 'm', 'e', 's', 0xdd, 0x7f, 0xff, 0xff, 0xff}, // names: array of 2G
		{0xdb, 0xff, 0xff, 0xff, 0xff},                                      // str32 claiming 4 GiB
	}
}
