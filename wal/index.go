package wal

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// The offset index (.index) of a segment is a sparse list of 8-byte
// big-endian entries: the batch's base offset relative to the segment's
// base (uint32), then the batch's byte position in the .log (uint32). An
// entry is added when at least IndexIntervalBytes have been appended since
// the previous one. Entries strictly increase in both fields. The index is
// derived data: it is validated at open and rebuilt from the .log when
// missing or invalid.

const indexEntrySize = 8

type indexEntry struct {
	rel uint32 // base offset - segment base
	pos uint32 // position in the .log
}

func appendIndexEntry(dst []byte, e indexEntry) []byte {
	dst = binary.BigEndian.AppendUint32(dst, e.rel)
	return binary.BigEndian.AppendUint32(dst, e.pos)
}

// decodeIndex parses and checks an index file's content against a segment
// of logSize bytes.
func decodeIndex(buf []byte, logSize int64) ([]indexEntry, error) {
	if len(buf)%indexEntrySize != 0 {
		return nil, fmt.Errorf("index size %d is not a multiple of %d", len(buf), indexEntrySize)
	}
	entries := make([]indexEntry, 0, len(buf)/indexEntrySize)
	for i := 0; i < len(buf); i += indexEntrySize {
		e := indexEntry{rel: binary.BigEndian.Uint32(buf[i:]), pos: binary.BigEndian.Uint32(buf[i+4:])}
		if n := len(entries); n > 0 && (e.rel <= entries[n-1].rel || e.pos <= entries[n-1].pos) {
			return nil, fmt.Errorf("index entry %d (%d, %d) not after (%d, %d)", n, e.rel, e.pos, entries[n-1].rel, entries[n-1].pos)
		}
		if int64(e.pos) >= logSize {
			return nil, fmt.Errorf("index entry %d position %d beyond log size %d", len(entries), e.pos, logSize)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func encodeIndex(entries []indexEntry) []byte {
	buf := make([]byte, 0, len(entries)*indexEntrySize)
	for _, e := range entries {
		buf = appendIndexEntry(buf, e)
	}
	return buf
}

// lookupIndex returns the position of the last entry whose relative
// offset is <= rel, or 0.
func lookupIndex(entries []indexEntry, rel uint32) int64 {
	i := sort.Search(len(entries), func(i int) bool { return entries[i].rel > rel })
	if i == 0 {
		return 0
	}
	return int64(entries[i-1].pos)
}

// truncateIndex drops the entries at or after position pos.
func truncateIndex(entries []indexEntry, pos int64) []indexEntry {
	i := sort.Search(len(entries), func(i int) bool { return int64(entries[i].pos) >= pos })
	return entries[:i]
}
