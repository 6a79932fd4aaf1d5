package wire

import (
	"bytes"
	"reflect"
	"testing"
)

func seedFrames() [][]byte {
	p1, _ := bytesOf(&ProduceRequest{Acks: AcksAll, Topic: "t", Partition: 1, Records: []byte("batch")})
	p2, _ := bytesOf(&FetchRequest{ReplicaID: -1, MaxWaitMs: 100, Partitions: []FetchPartition{{Topic: "t", Offset: 5, CurrentLeaderEpoch: -1}}})
	p3, _ := bytesOf(&ListOffsetsRequest{Topic: "t", Timestamp: LatestTimestamp})
	p4, _ := bytesOf(&EpochEndOffsetRequest{ReplicaID: 1, Partitions: []EpochPartition{{Topic: "t", LeaderEpoch: 2}}})
	good := frame(KeyProduce, 0, 1, p1)
	return [][]byte{
		nil,
		{0, 0, 0, 8},
		appendRequestHeader(nil, RequestHeader{Key: KeyProduce}, 1<<30),
		good,
		append(bytes.Clone(good), 0xde, 0xad),
		frame(KeyFetch, 0, 2, p2),
		frame(KeyListOffsets, 0, 3, p3),
		frame(KeyEpochEndOffset, 0, 4, p4),
		frame(KeyAPIVersions, 0, 5, nil),
		frame(APIKey(-1), 0, 6, nil),
	}
}

// FuzzRequestFrame feeds arbitrary bytes to the server's frame reader and
// request decoder: no panic, no allocation beyond the input and the frame
// limit, and anything decoded re-encodes to something that decodes equal.
func FuzzRequestFrame(f *testing.F) {
	for _, s := range seedFrames() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			h, payload, err := readRequest(r, 1<<16)
			if err != nil {
				return
			}
			req, err := DecodeRequest(h.Key, h.Version, payload)
			if err != nil {
				if CodeOf(err) == Unknown {
					t.Fatalf("decode error without a wire code: %v", err)
				}
				continue
			}
			again, err := bytesOf(req)
			if err != nil {
				t.Fatal(err)
			}
			req2, err := DecodeRequest(h.Key, h.Version, again)
			if err != nil {
				t.Fatalf("re-encoded request does not decode: %v", err)
			}
			if !reflect.DeepEqual(req, req2) {
				t.Fatalf("round trip changed the request:\n%#v\n%#v", req, req2)
			}
		}
	})
}

// FuzzResponse feeds arbitrary bytes to the client's frame reader and
// response decoders.
func FuzzResponse(f *testing.F) {
	fr, _ := bytesOf(&FetchResponse{Partitions: []FetchPartitionResponse{{Topic: "t", Records: []byte("b")}}})
	pr, _ := bytesOf(&ProduceResponse{BaseOffset: 3})
	f.Add(int16(KeyFetch), append(appendResponseHeader(nil, 1, None, len(fr)), fr...))
	f.Add(int16(KeyProduce), append(appendResponseHeader(nil, 1, None, len(pr)), pr...))
	f.Add(int16(KeyProduce), append(appendResponseHeader(nil, 1, NotLeader, 4), errorPayload("xy")...))
	f.Add(int16(KeyAPIVersions), []byte{0, 0, 0, 6, 0, 0, 0, 1, 0, 0})
	f.Fuzz(func(t *testing.T, key int16, data []byte) {
		fr, err := readResponse(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		if fr.code != None {
			_ = decodeErrorPayload(fr.payload)
			return
		}
		_, _ = DecodeResponse(APIKey(key), fr.payload)
	})
}
