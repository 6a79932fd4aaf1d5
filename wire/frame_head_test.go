package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// The server reads request heads through its bufio.Reader (peekRequestHead,
// no allocation); any other reader goes through readRequestHead. Both
// give the same header, payload and error for every input, whole or cut.
func TestRequestHeadPathsAgree(t *testing.T) {
	frame := func(size int32, key APIKey, corr int32, payload int) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(size))
		b = binary.BigEndian.AppendUint16(b, uint16(key))
		b = binary.BigEndian.AppendUint16(b, 0)
		b = binary.BigEndian.AppendUint32(b, uint32(corr))
		return append(b, bytes.Repeat([]byte{7}, payload)...)
	}
	good := frame(RequestHeaderLen+5, KeyProduce, 42, 5)
	inputs := map[string][]byte{
		"empty":          nil,
		"size cut":       good[:2],
		"size only":      good[:SizeLen],
		"header cut":     good[:SizeLen+3],
		"payload cut":    good[:len(good)-1],
		"whole":          good,
		"whole and more": append(append([]byte(nil), good...), 1, 2, 3),
		"below header":   frame(3, KeyProduce, 1, 0),
		"negative":       frame(-5, KeyProduce, 1, 0),
		"over the max":   frame(1<<20, KeyFetch, 9, 0),
		"empty payload":  frame(RequestHeaderLen, KeyAPIVersions, 3, 0),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			h1, p1, e1 := readRequestInto(bytes.NewReader(in), 1<<10, nil)
			h2, p2, e2 := readRequestInto(bufio.NewReader(bytes.NewReader(in)), 1<<10, nil)
			if h1 != h2 || !bytes.Equal(p1, p2) || fmt.Sprint(e1) != fmt.Sprint(e2) {
				t.Fatalf("generic: %+v %q %v\nbuffered: %+v %q %v", h1, p1, e1, h2, p2, e2)
			}
			if name == "whole" && (e2 != nil || h2.CorrelationID != 42 || len(p2) != 5) {
				t.Fatalf("whole frame: %+v %q %v", h2, p2, e2)
			}
		})
	}
}

// apiOf (an index for the small keys) answers like the apis table for
// every key, known or not.
func TestAPIOfMatchesTable(t *testing.T) {
	for k := APIKey(-3); k < 1100; k++ {
		a, ok := apiOf(k)
		b, want := apis[k]
		if ok != want || a.key != b.key || a.minVersion != b.minVersion || a.maxVersion != b.maxVersion {
			t.Fatalf("key %d: apiOf %+v %v, table %+v %v", k, a, ok, b, want)
		}
	}
}
