package wire

import (
	"context"
	"hash/crc32"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// frameBuffer hands out empty buffers of at least the capacity asked for,
// pooled or not, and releaseFrame takes any buffer without harm.
func TestFrameBuffer(t *testing.T) {
	for _, n := range []int{1, 256, 1 << minPooledFrameBits, 1<<minPooledFrameBits + 1, 100 << 10, 1 << 20, 1<<maxPooledFrameBits + 1} {
		for range 3 {
			b := frameBuffer(n)
			if len(b) != 0 || cap(b) < n {
				t.Fatalf("frameBuffer(%d): len %d cap %d, want 0 and >= %d", n, len(b), cap(b), n)
			}
			b = b[:n]
			releaseFrame(b)
		}
	}
	releaseFrame(nil)
	releaseFrame(make([]byte, 5000)) // not a pooled size: left to the collector
}

// checksumServer answers every produce with the CRC of its records as the
// base offset, so the client can tell that each frame carried exactly its
// own records.
type checksumServer struct{}

func (checksumServer) Handle(ctx context.Context, req Request) Reply {
	switch r := req.(type) {
	case *ProduceRequest:
		return Respond(&ProduceResponse{BaseOffset: int64(crc32.ChecksumIEEE(r.Records))})
	case *MultiProduceRequest:
		resp := &MultiProduceResponse{}
		for i := range r.Partitions {
			resp.Partitions = append(resp.Partitions, ProduceResponse{BaseOffset: int64(crc32.ChecksumIEEE(r.Partitions[i].Records))})
		}
		return Respond(resp)
	}
	return RespondErr(UnsupportedVersion.ErrMsg("not in this test"))
}

// Frames written one after another reuse their encoding buffers
// (framePools): big, then small, then big again, each frame carries its
// own records and nothing of an earlier frame's.
func TestReusedFrameBuffersCarryTheirOwnRecords(t *testing.T) {
	c := dial(t, testServer(t, ServerConfig{}, checksumServer{}))
	c.CoalesceProduce()
	ctx := context.Background()
	for round, parts := range []int{40, 3, 1, 60, 2, 40} {
		reqs := make([]*ProduceRequest, parts)
		for i := range reqs {
			rec := make([]byte, 900+37*i+round)
			for j := range rec {
				rec[j] = byte(round*131 + i*17 + j)
			}
			reqs[i] = &ProduceRequest{Acks: AcksLeader, Topic: "t", Partition: int32(i), Records: rec}
		}
		want := make([]int64, parts)
		for i, r := range reqs {
			want[i] = int64(crc32.ChecksumIEEE(r.Records))
		}
		for i, p := range c.StartProduceMany(ctx, reqs) {
			r, err := p.Wait(ctx)
			testkit.NoErr(t, err)
			if r.BaseOffset != want[i] {
				t.Fatalf("round %d, partition %d: the server read other records (crc %d, want %d)", round, i, r.BaseOffset, want[i])
			}
		}
	}
}
