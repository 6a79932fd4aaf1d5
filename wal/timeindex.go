package wal

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// The time index (.timeindex) of a segment is a sparse list of 12-byte
// big-endian entries: the largest maxTimestamp (ms) of the segment's
// batches up to and including a batch, then that batch's base offset
// relative to the segment's base (uint32). Entries are written with the
// offset index entries, only when the timestamp grows, so both fields
// strictly increase. Like the offset index it is derived and rebuilt when
// invalid.

const timeEntrySize = 12

type timeEntry struct {
	ts  int64  // max timestamp of the segment up to this batch
	rel uint32 // base offset - segment base of the batch
}

func appendTimeEntry(dst []byte, e timeEntry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.ts))
	return binary.BigEndian.AppendUint32(dst, e.rel)
}

// decodeTimeIndex parses and checks a time index; every relative offset
// must be below maxRel (the segment's offset span).
func decodeTimeIndex(buf []byte, maxRel int64) ([]timeEntry, error) {
	if len(buf)%timeEntrySize != 0 {
		return nil, fmt.Errorf("time index size %d is not a multiple of %d", len(buf), timeEntrySize)
	}
	entries := make([]timeEntry, 0, len(buf)/timeEntrySize)
	for i := 0; i < len(buf); i += timeEntrySize {
		e := timeEntry{ts: int64(binary.BigEndian.Uint64(buf[i:])), rel: binary.BigEndian.Uint32(buf[i+8:])}
		if n := len(entries); n > 0 && (e.ts <= entries[n-1].ts || e.rel <= entries[n-1].rel) {
			return nil, fmt.Errorf("time index entry %d (%d, %d) not after (%d, %d)", n, e.ts, e.rel, entries[n-1].ts, entries[n-1].rel)
		}
		if int64(e.rel) >= maxRel {
			return nil, fmt.Errorf("time index entry %d offset %d beyond segment span %d", len(entries), e.rel, maxRel)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func encodeTimeIndex(entries []timeEntry) []byte {
	buf := make([]byte, 0, len(entries)*timeEntrySize)
	for _, e := range entries {
		buf = appendTimeEntry(buf, e)
	}
	return buf
}

// lookupTime returns the relative offset from which to scan for the first
// batch with maxTimestamp >= ts: that of the last entry whose timestamp is
// below ts (every batch before it is older), or 0.
func lookupTime(entries []timeEntry, ts int64) uint32 {
	i := sort.Search(len(entries), func(i int) bool { return entries[i].ts >= ts })
	if i == 0 {
		return 0
	}
	return entries[i-1].rel
}

// truncateTimeIndex drops the entries at or after relative offset rel.
func truncateTimeIndex(entries []timeEntry, rel int64) []timeEntry {
	i := sort.Search(len(entries), func(i int) bool { return int64(entries[i].rel) >= rel })
	return entries[:i]
}
