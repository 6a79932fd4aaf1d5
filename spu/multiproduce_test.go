package spu

import (
	"context"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
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
		testkit.NoErr(t, err)
		testkit.Equal(t, len(resp.Partitions), 5)
		round := int64(0)
		if acks == wire.AcksAll {
			round = 1
		}
		testkit.NoErr(t, resp.Partitions[0].Err())
		testkit.Equal(t, resp.Partitions[0].BaseOffset, 3*round)
		testkit.NoErr(t, resp.Partitions[1].Err())
		testkit.Equal(t, resp.Partitions[1].BaseOffset, round)
		testkit.ErrIs(t, resp.Partitions[2].Err(), wire.ErrUnknownTopicOrPartition)
		testkit.NoErr(t, resp.Partitions[3].Err())
		testkit.Equal(t, resp.Partitions[3].BaseOffset, 3*round+2)
		testkit.ErrIs(t, resp.Partitions[4].Err(), wire.ErrCorruptBatch)
	}
	got, _ := consume(t, c, "a", 0, 0)
	testkit.NoErr(t, eq(got, []string{"a1", "a2", "a3", "a1", "a2", "a3"}))
	got, _ = consume(t, c, "b", 0, 0)
	testkit.NoErr(t, eq(got, []string{"b1", "b1"}))
}

// Each partition of a MultiProduce request is counted in the metrics as
// its own produce (records and bytes in on its own partition's counters,
// one latency observation, an error by code), whether its answer is ready
// at once (sync interval, acks=leader: no commit to wait for) or waits
// for its commit (sync always, or acks=all).
func TestMultiProduceMetrics(t *testing.T) {
	for _, tc := range []struct {
		sync string
		acks wire.Acks
	}{{"interval", wire.AcksLeader}, {"interval", wire.AcksAll}, {"always", wire.AcksLeader}} {
		t.Run(tc.sync+"/"+tc.acks.String(), func(t *testing.T) {
			s, m := startMeteredSPU(t, 1)
			a, b := spec("a", 0, 1, 0), spec("b", 3, 1, 0)
			a.Config.Sync, b.Config.Sync = tc.sync, tc.sync
			s.apply(t, true, nil, a, b)
			c := dial(t, s.public)
			ra, rb := records("a1", "a2"), records("b1")
			for range 2 {
				resp, err := c.MultiProduce(context.Background(), &wire.MultiProduceRequest{Acks: tc.acks, TimeoutMs: 5000, Partitions: []wire.ProducePartition{
					{Topic: "a", Partition: 0, Records: ra},
					{Topic: "b", Partition: 3, Records: rb},
					{Topic: "missing", Partition: 0, Records: rb},
				}})
				testkit.NoErr(t, err)
				testkit.NoErr(t, resp.Partitions[0].Err())
				testkit.NoErr(t, resp.Partitions[1].Err())
				testkit.ErrIs(t, resp.Partitions[2].Err(), wire.ErrUnknownTopicOrPartition)
			}
			testkit.Equal(t, value(t, m.recordsIn.WithLabelValues("a", "0")), 4)
			testkit.Equal(t, value(t, m.bytesIn.WithLabelValues("a", "0")), float64(2*len(ra)))
			testkit.Equal(t, value(t, m.recordsIn.WithLabelValues("b", "3")), 2)
			testkit.Equal(t, value(t, m.bytesIn.WithLabelValues("b", "3")), float64(2*len(rb)))
			code, name := "3", wire.UnknownTopicOrPartition.String()
			testkit.Equal(t, value(t, m.errors.WithLabelValues(apiProduce, code, name)), 2)
			body := scrape(t, m)
			if want := `fluvio_spu_request_duration_seconds_count{api="produce",spu="1"} 6`; !strings.Contains(body, want) {
				t.Fatalf("metrics lack %q:\n%s", want, body)
			}
		})
	}
}
