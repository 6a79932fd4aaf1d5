package spu

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// rawFrame writes bytes to the SPU's public server and returns what it
// answers until it closes the connection.
func rawFrame(t *testing.T, addr string, b []byte) (corr int32, code wire.ErrorCode, closed bool) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	testkit.NoErr(t, err)
	defer nc.Close()
	_, err = nc.Write(b)
	testkit.NoErr(t, err)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var head [10]byte
	_, err = io.ReadFull(nc, head[:])
	testkit.NoErr(t, err)
	size := binary.BigEndian.Uint32(head[:])
	_, err = io.CopyN(io.Discard, nc, int64(size)-6)
	testkit.NoErr(t, err)
	_, err = io.Copy(io.Discard, nc) // until the server closes
	return int32(binary.BigEndian.Uint32(head[4:])), wire.ErrorCode(binary.BigEndian.Uint16(head[8:])), err == nil
}

func header(size uint32, key int16, corr int32) []byte {
	b := binary.BigEndian.AppendUint32(nil, size)
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, 0)
	return binary.BigEndian.AppendUint32(b, uint32(corr))
}

func TestSPUBadFrames(t *testing.T) {
	s := startSPU(t, 1, 0)
	s.apply(t, true, nil, spec("t", 0, 1, 0))
	for _, tc := range []struct {
		name string
		in   []byte
		corr int32
		code wire.ErrorCode
	}{
		{"claims 2 GiB", header(2<<30-1, int16(wire.KeyProduce), 7), 7, wire.FrameTooLarge},
		{"below the header size", []byte{0, 0, 0, 4, 0, 0, 0, 0}, -1, wire.InvalidRequest},
		{"unknown api key", header(8, 300, 9), 9, wire.UnknownAPIKey},
		{"payload does not decode", append(header(11, int16(wire.KeyListOffsets), 3), 0, 5, 'x'), 3, wire.InvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			corr, code, closed := rawFrame(t, s.public, tc.in)
			testkit.Equal(t, corr, tc.corr)
			testkit.Equal(t, code, tc.code)
			if !closed {
				t.Fatal("connection not closed after a bad frame")
			}
		})
	}
	// The SPU still serves.
	_, err := produce(context.Background(), dial(t, s.public), "t", 0, wire.AcksLeader, "still here")
	testkit.NoErr(t, err)
}

// FuzzSPURequest feeds arbitrary requests to the SPU's handler (both
// servers): it must answer (or wait within the deadline), never panic.
func FuzzSPURequest(f *testing.F) {
	f.Add(int16(wire.KeyProduce), []byte("\xff\xff\x00\x00\x00\x00\x00\x01t\x00\x00\x00\x00\x00\x00\x00\x10garbagegarbagega"), false)
	f.Add(int16(wire.KeyFetch), []byte("\xff\xff\xff\xff\x00\x00\x00\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\xff\xff\xff\xff"), false)
	f.Add(int16(wire.KeyFetch), []byte("\x00\x00\x00\x02\x00\x00\x00\x0a\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00"), true)
	f.Add(int16(wire.KeyListOffsets), []byte("\x00\x01t\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xfe"), false)
	f.Add(int16(wire.KeyEpochEndOffset), []byte("\x00\x00\x00\x02\x00\x00\x00\x01\x00\x01t\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff"), true)
	f.Add(int16(wire.KeyProduce), append([]byte("\x00\x01\x00\x00\x00\x00\x00\x01t\x00\x00\x00\x00\x00\x00\x00\x4a"), records("v")...), false)

	dp, err := newDataPlane(Config{ID: 1, LogBaseDir: f.TempDir()}, 1)
	if err != nil {
		f.Fatal(err)
	}
	defer dp.Close()
	if err := dp.Apply(bus.ReplicaSet{SPU: 1, Epoch: 1, Full: true, Replicas: []bus.ReplicaSpec{spec("t", 0, 1, 0, 1, 2)}}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key int16, payload []byte, private bool) {
		req, err := wire.DecodeRequest(wire.APIKey(key), 0, payload)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		h := &handler{d: dp, private: private}
		reply := h.Handle(ctx, req)
		resp, err := reply.Resolve(ctx)
		if resp == nil && err == nil {
			t.Fatal("no response and no error")
		}
		if fr, ok := resp.(*wire.FetchResponse); ok {
			closeChunks(fr)
		}
	})
}
