package replica

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
)

// producerSnapshotName is the producer-state snapshot in the replica's log
// directory, written at a clean Close so that the next open reads the log
// only after it instead of the whole log. It is removed (durably) as soon
// as it is loaded: a snapshot must never outlive a run in which the log
// could be truncated and written again, so after a crash the table is
// rebuilt from the whole log.
//
// Format (big endian): "FPS1" | end int64 (the log end the table covers)
// | count uint32 | count × (pid int64 | epoch int16 | runs uint8 | runs ×
// (first int32 | last int32 | base int64)), least recently appending
// first | crc32c uint32 of everything before.
const producerSnapshotName = "producer-state-snapshot"

const (
	snapshotMagic = "FPS1"
	// maxSnapshotSize bounds the read of a snapshot (10,000 producers
	// take about 900 KB).
	maxSnapshotSize = 64 << 20
)

// encode returns the table's snapshot covering the log up to end.
func (t *Producers) encode(end int64) []byte {
	pids := make([]int64, 0, len(t.m))
	for pid := range t.m {
		pids = append(pids, pid)
	}
	slices.SortFunc(pids, func(a, b int64) int { return cmp.Compare(t.m[a].stamp, t.m[b].stamp) })
	b := append([]byte(nil), snapshotMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(end))
	b = binary.BigEndian.AppendUint32(b, uint32(len(pids)))
	for _, pid := range pids {
		e := t.m[pid]
		b = binary.BigEndian.AppendUint64(b, uint64(pid))
		b = binary.BigEndian.AppendUint16(b, uint16(e.epoch))
		b = append(b, byte(len(e.runs)))
		for _, r := range e.runs {
			b = binary.BigEndian.AppendUint32(b, uint32(r.first))
			b = binary.BigEndian.AppendUint32(b, uint32(r.last))
			b = binary.BigEndian.AppendUint64(b, uint64(r.base))
		}
	}
	return binary.BigEndian.AppendUint32(b, batch.Checksum(b))
}

// decodeProducers parses a snapshot into a table of at most max producers
// (the most recent kept) and returns the log end it covers.
func decodeProducers(b []byte, max int) (*Producers, int64, error) {
	bad := func(what string) (*Producers, int64, error) {
		return nil, 0, fmt.Errorf("%s: %s", producerSnapshotName, what)
	}
	if len(b) < len(snapshotMagic)+8+4+4 || string(b[:4]) != snapshotMagic {
		return bad("not a snapshot")
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if batch.Checksum(body) != sum {
		return bad("checksum mismatch")
	}
	end := int64(binary.BigEndian.Uint64(body[4:]))
	n := binary.BigEndian.Uint32(body[12:])
	p := body[16:]
	t := NewProducers(max)
	for range n {
		if len(p) < 11 {
			return bad("truncated entry")
		}
		pid, epoch, runs := int64(binary.BigEndian.Uint64(p)), int16(binary.BigEndian.Uint16(p[8:])), int(p[10])
		p = p[11:]
		if pid < 0 || runs < 1 || runs > producerRuns || len(p) < runs*16 {
			return bad("bad entry")
		}
		e := &producerEntry{epoch: epoch, runs: make([]seqRun, runs, producerRuns)}
		for i := range e.runs {
			e.runs[i] = seqRun{first: int32(binary.BigEndian.Uint32(p)), last: int32(binary.BigEndian.Uint32(p[4:])),
				base: int64(binary.BigEndian.Uint64(p[8:]))}
			if e.runs[i].first < 0 || e.runs[i].last < e.runs[i].first {
				return bad("bad run")
			}
			p = p[16:]
		}
		if len(t.m) >= t.max {
			t.evict()
		}
		t.clock++
		e.stamp = t.clock
		t.m[pid] = e
	}
	if len(p) != 0 {
		return bad("trailing bytes")
	}
	return t, end, nil
}

// loadProducers builds the table at open: from the snapshot of a clean
// close plus the log after it when there is a usable one, else from the
// whole log. The snapshot is removed before the replica runs.
func (r *Replica) loadProducers() *Producers {
	path := filepath.Join(r.log.Dir(), producerSnapshotName)
	b, err := vfs.ReadFile(r.fs, path, maxSnapshotSize)
	if errors.Is(err, fs.ErrNotExist) {
		return r.scanProducers(r.log.StartOffset(), nil)
	}
	var t *Producers
	var end int64
	if err == nil {
		t, end, err = decodeProducers(b, r.cfg.MaxProducers)
	}
	if err == nil && end > r.log.EndOffset() {
		err = fmt.Errorf("%s covers the log up to %d, the log ends at %d", producerSnapshotName, end, r.log.EndOffset())
	}
	if rerr := r.removeSnapshot(path); rerr != nil {
		// A snapshot that may come back after a crash could be stale
		// then: do not trust it now either.
		r.logg.Warn("cannot remove the producer-state snapshot; rebuilding from the whole log", "err", rerr)
		return r.scanProducers(r.log.StartOffset(), nil)
	}
	if err != nil {
		r.logg.Warn("ignoring the producer-state snapshot; rebuilding from the whole log", "err", err)
		return r.scanProducers(r.log.StartOffset(), nil)
	}
	return r.scanProducers(max(end, r.log.StartOffset()), t)
}

func (r *Replica) removeSnapshot(path string) error {
	if err := r.fs.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return vfs.SyncDir(r.fs, r.log.Dir())
}

// saveProducers writes the snapshot at a clean close (role held
// exclusively: no append runs). A table made stale by a truncation is not
// saved.
func (r *Replica) saveProducers() error {
	r.prod.Lock()
	defer r.prod.Unlock()
	if !r.prod.valid {
		return nil
	}
	data := r.prod.t.encode(r.log.EndOffset())
	if err := vfs.WriteFileAtomic(r.fs, filepath.Join(r.log.Dir(), producerSnapshotName), data); err != nil {
		return fmt.Errorf("replica %s-%d: producer-state snapshot: %w", r.cfg.Topic, r.cfg.Partition, err)
	}
	return nil
}
