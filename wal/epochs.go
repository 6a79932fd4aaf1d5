package wal

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The leader-epoch checkpoint (file leader-epoch-checkpoint) maps each
// leader epoch to the first offset written in it, as Kafka's file of the
// same name (KIP-101):
//
//	0              format version
//	2              number of entries
//	3 0            epoch start-offset
//	5 1200
//
// It is replaced atomically (temp file, fsync, rename, fsync dir) whenever
// an entry is added or truncated away. At open, entries at or beyond the
// recovered end offset are dropped; a missing or invalid file is rebuilt
// from the batch headers.

const (
	epochFileName = "leader-epoch-checkpoint"
	epochFileMax  = 1 << 20
	// UndefinedEpoch is returned by EndOffsetForEpoch when it knows no
	// epoch at or below the one asked for (and LatestEpoch of an empty log).
	UndefinedEpoch int32 = -1
	// UndefinedOffset is the end offset returned with UndefinedEpoch.
	UndefinedOffset int64 = -1
)

type epochEntry struct {
	epoch int32
	start int64
}

func parseEpochFile(b []byte) ([]epochEntry, error) {
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 2 || lines[0] != "0" {
		return nil, fmt.Errorf("epoch file: bad version line")
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n != len(lines)-2 {
		return nil, fmt.Errorf("epoch file: count %q does not match %d entries", lines[1], len(lines)-2)
	}
	entries := make([]epochEntry, 0, n)
	for i, l := range lines[2:] {
		f := strings.Fields(l)
		if len(f) != 2 {
			return nil, fmt.Errorf("epoch file: line %d: %q", i+3, l)
		}
		e, err1 := strconv.ParseInt(f[0], 10, 32)
		s, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || e < 0 || s < 0 {
			return nil, fmt.Errorf("epoch file: line %d: %q", i+3, l)
		}
		if k := len(entries); k > 0 && (int32(e) <= entries[k-1].epoch || s <= entries[k-1].start) {
			return nil, fmt.Errorf("epoch file: line %d: %q not after the previous entry", i+3, l)
		}
		entries = append(entries, epochEntry{epoch: int32(e), start: s})
	}
	return entries, nil
}

func formatEpochFile(entries []epochEntry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "0\n%d\n", len(entries))
	for _, e := range entries {
		fmt.Fprintf(&b, "%d %d\n", e.epoch, e.start)
	}
	return b.Bytes()
}

// epochCache is the in-memory leader-epoch table; guarded by Log.mu.
type epochCache struct {
	entries []epochEntry
}

func (c *epochCache) latest() int32 {
	if len(c.entries) == 0 {
		return UndefinedEpoch
	}
	return c.entries[len(c.entries)-1].epoch
}

// assign records that epoch starts at start; it reports whether the table
// changed (only a new, higher epoch changes it).
func (c *epochCache) assign(epoch int32, start int64) bool {
	if epoch <= c.latest() || epoch < 0 {
		return false
	}
	if n := len(c.entries); n > 0 && c.entries[n-1].start >= start {
		// The previous epoch wrote nothing: replace it.
		c.entries = c.entries[:n-1]
	}
	c.entries = append(c.entries, epochEntry{epoch: epoch, start: start})
	return true
}

// truncateFromEnd drops entries starting at or after end; it reports
// whether the table changed.
func (c *epochCache) truncateFromEnd(end int64) bool {
	i := sort.Search(len(c.entries), func(i int) bool { return c.entries[i].start >= end })
	changed := i != len(c.entries)
	c.entries = c.entries[:i]
	return changed
}

// truncateFromStart drops entries wholly before start, moving the start of
// the epoch covering start up to it.
func (c *epochCache) truncateFromStart(start int64) bool {
	i := sort.Search(len(c.entries), func(i int) bool { return c.entries[i].start > start })
	if i == 0 {
		return false
	}
	changed := i > 1 || c.entries[i-1].start != start
	c.entries = append(c.entries[:0], c.entries[i-1:]...)
	c.entries[0].start = start
	return changed
}

// endOffsetFor answers KIP-101's OffsetForLeaderEpoch: the largest epoch
// <= epoch this log knows and the offset where the next higher epoch
// starts (or end, for the latest epoch).
func (c *epochCache) endOffsetFor(epoch int32, end int64) (int32, int64) {
	if len(c.entries) == 0 || epoch < 0 {
		return UndefinedEpoch, UndefinedOffset
	}
	if epoch == c.latest() {
		return epoch, end
	}
	i := sort.Search(len(c.entries), func(i int) bool { return c.entries[i].epoch > epoch })
	if i == len(c.entries) {
		return UndefinedEpoch, UndefinedOffset
	}
	if i == 0 {
		return epoch, c.entries[0].start
	}
	return c.entries[i-1].epoch, c.entries[i].start
}
