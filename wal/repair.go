package wal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
)

// Repair is what cutting a log at its first corrupt batch drops: what
// Open did under Options.TruncateAtCorruption (Log.Repaired), or what it
// would do (PlanRepair).
type Repair struct {
	// File and Pos locate the first bad batch; Reason says what was bad.
	File   string
	Pos    int64
	Reason string
	// End is the log end offset after the cut: every record from it on
	// is dropped (to be fetched again from a healthy replica, if any).
	End int64
	// OldEnd is where the log ended before the cut, as far as the valid
	// batches after the damage tell (End when none follows).
	OldEnd int64
	// DroppedRecords is OldEnd - End: the offsets the cut drops,
	// including those of the damaged batches themselves.
	DroppedRecords int64
	// DroppedBytes counts the bytes cut from the damaged segment (kept in
	// its .broken file) plus the sizes of the later segments removed.
	DroppedBytes int64
	// DroppedSegments counts the whole segments after the damage removed.
	DroppedSegments int
}

// Repaired returns what Open cut because of corruption, or nil.
func (l *Log) Repaired() *Repair { return l.repaired }

// PlanRepair says what opening the log in dir with
// Options.TruncateAtCorruption would cut, without cutting anything: nil
// when the log opens without corruption (it is opened, recovered as Open
// always does, and closed again). Another error means the log could not
// be examined. The log must not be open elsewhere.
func PlanRepair(dir string, opts Options) (*Repair, error) {
	opts.TruncateAtCorruption = false
	l, err := Open(dir, opts)
	if err == nil {
		return nil, l.Close()
	}
	ce, ok := errors.AsType[*CorruptError](err)
	if !ok {
		return nil, err
	}
	opts = opts.withDefaults()
	return planRepair(opts.FS, dir, max(opts.MaxBatchBytes, DefaultMaxBatchBytes), ce)
}

// planRepair measures the cut at ce, reading only: the end of the valid
// prefix before the damage, the end the valid batches after it reach
// (in the damaged segment and in every later one), and the bytes dropped.
func planRepair(fs vfs.FS, dir string, maxBatch int, ce *CorruptError) (*Repair, error) {
	base, ok := parseSegmentName(filepath.Base(ce.File))
	if !ok {
		return nil, fmt.Errorf("wal: corruption in %s, which is not a segment", ce.File)
	}
	rep := &Repair{File: ce.File, Pos: ce.Pos, Reason: ce.Reason, End: base}
	f, err := fs.Open(ce.File)
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", ce.File, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("wal: stat %s: %w", ce.File, err)
	}
	pos := min(ce.Pos, st.Size())
	// The valid prefix: what the cut keeps.
	sc := newScanner(f, pos, 0)
	for {
		b, _, err := sc.next()
		if err != nil {
			if errors.Is(err, errIO) {
				return nil, fmt.Errorf("wal: read %s: %w", ce.File, err)
			}
			break
		}
		rep.End = batch.NextOffset(b)
	}
	rep.OldEnd = rep.End
	rep.DroppedBytes = st.Size() - pos
	end, err := salvageEnd(f, pos, st.Size(), false, maxBatch)
	if err != nil {
		return nil, fmt.Errorf("wal: read %s: %w", ce.File, err)
	}
	rep.OldEnd = max(rep.OldEnd, end)
	names, err := fs.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var later []int64
	for _, n := range names {
		if b, ok := parseSegmentName(n); ok && b > base {
			later = append(later, b)
		}
	}
	slices.Sort(later)
	for _, b := range later {
		name := filepath.Join(dir, segmentName(b, logSuffix))
		g, err := fs.Open(name)
		if err != nil {
			return nil, fmt.Errorf("wal: open %s: %w", name, err)
		}
		st, err := g.Stat()
		if err == nil {
			rep.DroppedBytes += st.Size()
			rep.OldEnd = max(rep.OldEnd, b)
			var end int64
			end, err = salvageEnd(g, 0, st.Size(), true, maxBatch)
			rep.OldEnd = max(rep.OldEnd, end)
		}
		_ = g.Close()
		if err != nil {
			return nil, fmt.Errorf("wal: read %s: %w", name, err)
		}
		rep.DroppedSegments++
	}
	rep.DroppedRecords = rep.OldEnd - rep.End
	return rep, nil
}

// salvageEnd returns the highest next offset of the valid batches in f
// between positions from and size, skipping over damage (0 if none). If
// atBatch, a batch is expected at from; otherwise from is the damage and
// the search starts after it.
func salvageEnd(f vfs.File, from, size int64, atBatch bool, maxBatch int) (int64, error) {
	var end int64
	pos := from
	for {
		if !atBatch {
			q, found, err := findValidAfter(f, pos, size, maxBatch)
			if err != nil || !found {
				return end, err
			}
			pos = q
		}
		atBatch = false
		sc := newScanner(f, size, pos)
		for {
			b, p, err := sc.next()
			if err == io.EOF {
				return end, nil
			}
			if errors.Is(err, errIO) {
				return end, err
			}
			if err != nil {
				pos = p
				break
			}
			end = max(end, batch.NextOffset(b))
		}
	}
}
