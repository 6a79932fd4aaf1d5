package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// roundTripRequest encodes req as a client does, decodes it as a server
// does, and requires the result to equal req.
func roundTripRequest(t *testing.T, req Request) {
	t.Helper()
	p, err := bytesOf(req)
	testkit.NoErr(t, err)
	got, err := DecodeRequest(req.APIKey(), 0, p)
	testkit.NoErr(t, err)
	testkit.DeepEqual(t, got, req)
	// Every strict prefix fails cleanly.
	for i := range p {
		if _, err := DecodeRequest(req.APIKey(), 0, p[:i]); err == nil {
			t.Fatalf("%s: prefix of %d/%d bytes decoded without error", req.APIKey(), i, len(p))
		}
	}
}

// roundTripResponse encodes resp as a server does and decodes it as a
// client does.
func roundTripResponse(t *testing.T, resp Response, want Response) {
	t.Helper()
	p, err := bytesOf(resp)
	testkit.NoErr(t, err)
	got, err := DecodeResponse(resp.APIKey(), p)
	testkit.NoErr(t, err)
	testkit.DeepEqual(t, got, want)
	for i := range p {
		if _, err := DecodeResponse(resp.APIKey(), p[:i]); err == nil {
			t.Fatalf("%s: prefix of %d/%d bytes decoded without error", resp.APIKey(), i, len(p))
		}
	}
}

type bytesSource []byte

func (b bytesSource) Len() int                           { return len(b) }
func (b bytesSource) WriteTo(w io.Writer) (int64, error) { n, err := w.Write(b); return int64(n), err }

func TestRoundTrip(t *testing.T) {
	t.Run("produce", func(t *testing.T) {
		roundTripRequest(t, &ProduceRequest{Acks: AcksAll, TimeoutMs: 1500, Topic: "greetings", Partition: 3, Records: []byte("raw batches")})
		roundTripRequest(t, &ProduceRequest{Acks: AcksNone, Topic: "t", Partition: 0, Records: []byte{}})
		r := &ProduceResponse{ErrorCode: NotLeader, ErrorMessage: "leader is 5001", BaseOffset: -1, LogAppendTimeMs: -1, LogStartOffset: 7}
		roundTripResponse(t, r, r)
	})
	t.Run("fetch", func(t *testing.T) {
		roundTripRequest(t, &FetchRequest{ReplicaID: -1, MaxWaitMs: 500, MinBytes: 1, MaxBytes: 1 << 20, Partitions: []FetchPartition{
			{Topic: "a", Partition: 0, Offset: 10, MaxBytes: 1000, CurrentLeaderEpoch: -1},
			{Topic: "b", Partition: 7, Offset: 1 << 40, MaxBytes: 5, CurrentLeaderEpoch: 3},
		}})
		roundTripRequest(t, &FetchRequest{ReplicaID: 5002, Partitions: []FetchPartition{}})
		roundTripRequest(t, &FetchRequest{ReplicaID: -1, ReadUncommitted: true, Partitions: []FetchPartition{{Topic: "a", CurrentLeaderEpoch: -1}}})
		roundTripRequest(t, &FetchRequest{ReplicaID: 5002, ProgressApart: true, Partitions: []FetchPartition{{Topic: "a", Offset: 9, CurrentLeaderEpoch: 2}}})
		withSource := &FetchResponse{Partitions: []FetchPartitionResponse{
			{Topic: "a", Partition: 0, HighWatermark: 10, LogStartOffset: 0, LogEndOffset: 12, Source: bytesSource("from a file")},
			{Topic: "b", Partition: 1, ErrorCode: OffsetOutOfRange, ErrorMessage: "offset 99 not in [0, 12)", HighWatermark: 12, LogEndOffset: 12, Records: nil},
			{Topic: "c", Partition: 2, Records: []byte("in memory"), Source: nil},
		}}
		want := &FetchResponse{Partitions: []FetchPartitionResponse{
			{Topic: "a", Partition: 0, HighWatermark: 10, LogStartOffset: 0, LogEndOffset: 12, Records: []byte("from a file")},
			{Topic: "b", Partition: 1, ErrorCode: OffsetOutOfRange, ErrorMessage: "offset 99 not in [0, 12)", HighWatermark: 12, LogEndOffset: 12},
			{Topic: "c", Partition: 2, Records: []byte("in memory")},
		}}
		roundTripResponse(t, withSource, want)
	})
	t.Run("list offsets", func(t *testing.T) {
		roundTripRequest(t, &ListOffsetsRequest{Topic: "t", Partition: 1, Timestamp: EarliestTimestamp})
		r := &ListOffsetsResponse{Offset: 42}
		roundTripResponse(t, r, r)
	})
	t.Run("offsets", func(t *testing.T) {
		e := OffsetEntry{Consumer: "app", Topic: "orders", Partition: 2, Offset: 41, TopicID: 1 << 50, ModifiedMs: 1700000000000}
		roundTripRequest(t, &OffsetCommitRequest{Partition: 0, Entries: []OffsetEntry{e, {Consumer: "b"}}})
		roundTripRequest(t, &OffsetFetchRequest{Partition: 1, Consumer: "app", Topic: ""})
		roundTripRequest(t, &OffsetDeleteRequest{Partition: 0, Keys: []OffsetEntry{e}})
		c := &OffsetCommitResponse{ErrorCode: NotLeader, ErrorMessage: "moved"}
		roundTripResponse(t, c, c)
		f := &OffsetFetchResponse{Entries: []OffsetEntry{e}}
		roundTripResponse(t, f, f)
		d := &OffsetDeleteResponse{Deleted: []OffsetEntry{e, e}}
		roundTripResponse(t, d, d)
	})
	t.Run("api versions", func(t *testing.T) {
		p, err := bytesOf(&APIVersionsRequest{})
		testkit.NoErr(t, err)
		testkit.Equal(t, len(p), 0)
		roundTripResponse(t, SupportedAPIs(), SupportedAPIs())
	})
	t.Run("epoch end offset", func(t *testing.T) {
		roundTripRequest(t, &EpochEndOffsetRequest{ReplicaID: 2, Partitions: []EpochPartition{
			{Topic: "t", Partition: 0, LeaderEpoch: 3, CurrentLeaderEpoch: 4},
		}})
		r := &EpochEndOffsetResponse{Partitions: []EpochPartitionResponse{
			{Topic: "t", Partition: 0, LeaderEpoch: 2, EndOffset: 100},
			{Topic: "u", Partition: 1, ErrorCode: StaleEpoch, ErrorMessage: "epoch 3 < 4", LeaderEpoch: -1, EndOffset: -1},
		}}
		roundTripResponse(t, r, r)
	})
	t.Run("follower progress", func(t *testing.T) {
		roundTripRequest(t, &FollowerProgressRequest{ReplicaID: 5002, Partitions: []ProgressPartition{
			{Topic: "t", Partition: 0, EndOffset: 1 << 40, CurrentLeaderEpoch: 4},
			{Topic: "u", Partition: 9, EndOffset: 0, CurrentLeaderEpoch: -1},
		}})
		r := &FollowerProgressResponse{Partitions: []ProgressPartitionResponse{
			{Topic: "t", Partition: 0, HighWatermark: 100},
			{Topic: "u", Partition: 9, ErrorCode: NotLeader, ErrorMessage: "leader is 5003", HighWatermark: -1},
		}}
		roundTripResponse(t, r, r)
	})
}

func TestDecodeRequestErrors(t *testing.T) {
	_, err := DecodeRequest(APIKey(77), 0, nil)
	testkit.ErrIs(t, err, ErrUnknownAPIKey)
	_, err = DecodeRequest(KeyProduce, 9, nil)
	testkit.ErrIs(t, err, ErrUnsupportedVersion)
	p, _ := bytesOf(&ListOffsetsRequest{Topic: "t"})
	_, err = DecodeRequest(KeyListOffsets, 0, append(p, 0))
	testkit.ErrIs(t, err, ErrInvalidRequest)
	// An array claiming more elements than the bytes could hold allocates
	// nothing and fails.
	huge := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}
	_, err = DecodeRequest(KeyFetch, 0, huge)
	testkit.ErrIs(t, err, ErrInvalidRequest)
	// The fetch's mode byte is 0 or 1, or 2 for a follower only.
	f, _ := bytesOf(&FetchRequest{ReplicaID: -1})
	f[len(f)-1] = 2
	_, err = DecodeRequest(KeyFetch, 0, f)
	testkit.ErrIs(t, err, ErrInvalidRequest)
	f, _ = bytesOf(&FetchRequest{ReplicaID: 5002})
	f[len(f)-1] = 3
	_, err = DecodeRequest(KeyFetch, 0, f)
	testkit.ErrIs(t, err, ErrInvalidRequest)
}

func TestErrorCodes(t *testing.T) {
	for code, info := range codes {
		err := code.Err()
		var we *Error
		if !errors.As(err, &we) {
			t.Fatalf("%d: not an *Error", code)
		}
		testkit.Equal(t, we.Retriable, info.retriable)
		if info.hint == "" {
			t.Errorf("code %d (%s) has no hint", code, info.name)
		}
		if !errors.Is(code.ErrMsg("detail"), &Error{Code: code}) {
			t.Errorf("errors.Is does not match code %d", code)
		}
	}
	testkit.Equal(t, None.Err(), nil)
	if !IsRetriable(NotLeader.Err()) || IsRetriable(CorruptBatch.Err()) {
		t.Fatal("retriable bit wrong")
	}
	testkit.Equal(t, CodeOf(errors.New("x")), Unknown)
	testkit.Equal(t, NotLeader.ErrMsg("leader is 3").Error(), "wire: not the leader for this partition: leader is 3")
	if !bytes.Contains([]byte(OffsetOutOfRange.Err().Error()), []byte("fluvio consume")) {
		t.Fatalf("hint missing: %v", OffsetOutOfRange.Err())
	}
}
