package spu

import (
	"context"
	"testing"

	"github.com/fluvio-go/fluvio/wire"
)

// A MultiProduce request appends each partition as its own Produce would,
// in request order (a partition named twice gets consecutive offsets), and
// answers every partition, a missing one with its own error.
func TestMultiProduce(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("a", 0, 1, 0), spec("b", 0, 1, 0))
	c := dial(t, s.public)
	ctx := context.Background()
	for _, acks := range []wire.Acks{wire.AcksLeader, wire.AcksAll} {
		resp, err := c.MultiProduce(ctx, &wire.MultiProduceRequest{Acks: acks, TimeoutMs: 5000, Partitions: []wire.ProducePartition{
			{Topic: "a", Partition: 0, Records: records("a1", "a2")},
			{Topic: "b", Partition: 0, Records: records("b1")},
			{Topic: "missing", Partition: 0, Records: records("x")},
			{Topic: "a", Partition: 0, Records: records("a3")},
			{Topic: "b", Partition: 0, Records: []byte("not a batch")},
		}})
		requireNoErr(t, err)
		requireEqual(t, len(resp.Partitions), 5)
		round := int64(0)
		if acks == wire.AcksAll {
			round = 1
		}
		requireNoErr(t, resp.Partitions[0].Err())
		requireEqual(t, resp.Partitions[0].BaseOffset, 3*round)
		requireNoErr(t, resp.Partitions[1].Err())
		requireEqual(t, resp.Partitions[1].BaseOffset, round)
		requireErrIs(t, resp.Partitions[2].Err(), wire.ErrUnknownTopicOrPartition)
		requireNoErr(t, resp.Partitions[3].Err())
		requireEqual(t, resp.Partitions[3].BaseOffset, 3*round+2)
		requireErrIs(t, resp.Partitions[4].Err(), wire.ErrCorruptBatch)
	}
	got, _ := consume(t, c, "a", 0, 0)
	requireNoErr(t, eq(got, []string{"a1", "a2", "a3", "a1", "a2", "a3"}))
	got, _ = consume(t, c, "b", 0, 0)
	requireNoErr(t, eq(got, []string{"b1", "b1"}))
}
