package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
)

// Open opens the log in dir, creating dir and an empty log if needed, and
// recovers it:
//
//   - leftover temporary files are removed;
//   - every segment but the last is read in full, checking each batch's
//     length, magic, CRC and offset continuity (damage in a closed segment
//     is found here, before the log serves anything, not by the first
//     reader); its indexes are loaded (rebuilt from the .log when missing
//     or invalid); it must end where the next segment starts;
//   - the last (active) segment is scanned in full, checking each batch's
//     length, magic, CRC and offset continuity. A bad batch with nothing
//     valid after it is a torn write: the tail is copied to
//     <segment>.log.broken, cut off and logged. A bad batch followed by a
//     valid one is corruption;
//   - the leader-epoch file is trimmed to the recovered log, or rebuilt.
//
// Corruption is reported as an error matching IsCorrupt, naming the file
// and position; Open never panics on disk content. Under SyncInterval it
// starts a background fsync goroutine, which also runs the early writeback
// (writeback.go); under SyncNever a goroutine runs the early writeback;
// Close stops them.
func Open(dir string, opts Options) (*Log, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	l := &Log{
		dir:    dir,
		opts:   opts,
		fs:     opts.FS,
		logger: opts.Logger.With("wal", dir),
		stop:   make(chan struct{}),
	}
	l.notify.ch = make(chan struct{})
	l.gc.cond.L = &l.gc.Mutex
	if err := l.recover(); err != nil {
		for _, s := range l.st.segs {
			s.close()
		}
		return nil, err
	}
	if opts.Sync != SyncAlways && opts.WritebackBytes > 0 {
		l.wbKick = make(chan struct{}, 1)
	}
	if opts.deferRolls() {
		l.sealKick = make(chan struct{}, 1)
	}
	if opts.Sync == SyncInterval || l.wbKick != nil || l.sealKick != nil {
		l.startBackground()
	}
	return l, nil
}

func (l *Log) path(name string) string { return filepath.Join(l.dir, name) }

func (l *Log) recover() error {
	created := l.missingLevels()
	if err := l.fs.MkdirAll(l.dir, 0o755); err != nil {
		return fmt.Errorf("wal: create %s: %w", l.dir, err)
	}
	names, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("wal: list %s: %w", l.dir, err)
	}
	var bases []int64
	logs := map[string]bool{}
	for _, name := range names {
		if base, ok := parseSegmentName(name); ok {
			bases = append(bases, base)
			logs[strings.TrimSuffix(name, logSuffix)] = true
		}
	}
	for _, name := range names {
		stem := strings.TrimSuffix(strings.TrimSuffix(name, indexSuffix), timeIndexSuffix)
		orphan := stem != name && !logs[stem]
		if strings.HasSuffix(name, tmpSuffix) || orphan {
			if err := l.fs.Remove(l.path(name)); err != nil {
				return fmt.Errorf("wal: remove leftover %s: %w", name, err)
			}
		}
	}
	slices.Sort(bases)
	now := l.opts.Now()
	interval := int64(l.opts.IndexIntervalBytes)
	fresh := len(bases) == 0
	if fresh {
		s, err := createSegment(l.fs, l.dir, 0, interval, now)
		if err != nil {
			return err
		}
		l.st.segs = []*segment{s}
	}
	// Sealed segments that end at or below the recovery point were
	// fsynced; those after it may have been sealed by a deferred roll
	// and torn by a power loss (recoverypoint.go).
	settled := int64(math.MaxInt64)
	if r, ok := l.readRecoveryPoint(); ok {
		settled = r
		l.rp.onDisk, l.rp.value = true, r
	}
	firstUnsettled := -1
	for i, base := range bases {
		s, err := l.openSegment(base, interval)
		if err != nil {
			return err
		}
		l.st.segs = append(l.st.segs, s)
		switch {
		case i == len(bases)-1:
			err = l.recoverActive(s, settled != math.MaxInt64 && base >= settled)
		case bases[i+1] <= settled:
			err = l.loadSealed(s, bases[i+1])
		default:
			if firstUnsettled < 0 {
				firstUnsettled = len(l.st.segs) - 1
			}
			err = l.recoverUnsettled(s, bases[i+1], bases[i+1:])
		}
		if err == nil && l.torn != nil {
			break // cut at a torn sealed segment: the later ones are gone
		}
		if err != nil {
			ce, ok := errors.AsType[*CorruptError](err)
			if !ok || !l.opts.TruncateAtCorruption {
				return err
			}
			if err := l.cutAtCorruption(s, ce, bases[i+1:]); err != nil {
				return err
			}
			break
		}
	}
	active := l.st.segs[len(l.st.segs)-1]
	l.start.Store(l.st.segs[0].base)
	l.leo.Store(active.next)
	l.recountSizeLocked()
	// Everything recovered is on disk; make sure it is durable too (a
	// segment created just now is empty and its directory synced): the
	// active segment, and the sealed ones that may not have been fsynced
	// (a process crash leaves their pages in the page cache).
	if !fresh {
		if firstUnsettled >= 0 {
			for _, s := range l.st.segs[firstUnsettled : len(l.st.segs)-1] {
				if err := s.syncFiles(); err != nil {
					return err
				}
			}
		}
		if err := active.log.Sync(); err != nil {
			return fmt.Errorf("wal: sync %s: %w", active.path(logSuffix), err)
		}
		// Deferred rolls leave the directory fsync to the next sync
		// round, which a process crash can forestall: then a sealed
		// segment past the recovery point is still here (that round also
		// writes the recovery point, whose own write fsyncs the
		// directory), and the entries are made durable now.
		if firstUnsettled >= 0 {
			if err := vfs.SyncDir(l.fs, l.dir); err != nil {
				return fmt.Errorf("wal: sync dir: %w", err)
			}
		}
	}
	l.durable.Store(active.next)
	if err := l.settleRecoveryPoint(); err != nil {
		return err
	}
	if err := l.recoverEpochs(); err != nil {
		return err
	}
	// A log that holds nothing yet may have been created by this Open or
	// by one cut short (a crash, or a failed parent fsync): its entry in
	// the parent directory is made durable before the log is used, so
	// records acknowledged later never sit in a directory a power loss
	// could take away.
	if fresh || created > 0 || l.leo.Load() == 0 {
		c := &l.creation
		c.pending, c.levels = true, created
		if !l.opts.DeferCreateSync {
			return l.SyncCreate()
		}
	}
	return nil
}

// SyncCreate makes the creation of the log durable: the entries of its
// directory (its segment's files), the directory's entry in its parent
// (Options.SyncParent), and the levels above it that Open made. It does nothing when Open found a log with records or did this
// already (without Options.DeferCreateSync, Open does it before it
// returns). A failure leaves it to do at the next call. Safe for
// concurrent use.
func (l *Log) SyncCreate() error {
	c := &l.creation
	c.Lock()
	defer c.Unlock()
	if !c.pending {
		return nil
	}
	if err := vfs.SyncDir(l.fs, l.dir); err != nil {
		return fmt.Errorf("wal: sync dir %s: %w", l.dir, err)
	}
	if err := l.syncParents(c.levels); err != nil {
		return err
	}
	c.pending = false
	return nil
}

// CreatePending reports whether SyncCreate has something left to do.
func (l *Log) CreatePending() bool {
	l.creation.Lock()
	defer l.creation.Unlock()
	return l.creation.pending
}

// missingLevels counts the directories of l.dir's path that do not exist
// (0 when l.dir does).
func (l *Log) missingLevels() int {
	n := 0
	for p := filepath.Clean(l.dir); ; p = filepath.Dir(p) {
		if _, err := l.fs.Stat(p); !errors.Is(err, iofs.ErrNotExist) {
			return n
		}
		n++
		if filepath.Dir(p) == p {
			return n
		}
	}
}

// syncParents makes the log directory's entry durable (Options.SyncParent,
// or an fsync of its parent), then the entries of the created levels
// above it, deepest first.
func (l *Log) syncParents(created int) error {
	dir := filepath.Clean(l.dir)
	sync := l.opts.SyncParent
	if sync == nil {
		sync = func() error { return vfs.SyncDir(l.fs, filepath.Dir(dir)) }
	}
	if err := sync(); err != nil {
		return fmt.Errorf("wal: sync the parent of %s: %w", dir, err)
	}
	for p := filepath.Dir(dir); created > 1 && filepath.Dir(p) != p; created-- {
		if err := vfs.SyncDir(l.fs, filepath.Dir(p)); err != nil {
			return fmt.Errorf("wal: sync the parent of %s: %w", p, err)
		}
		p = filepath.Dir(p)
	}
	return nil
}

// openSegment opens an existing segment's files, creating missing indexes.
func (l *Log) openSegment(base, interval int64) (*segment, error) {
	s := &segment{dir: l.dir, base: base, next: base, maxTS: -1, created: l.opts.Now(), interval: interval}
	var err error
	if s.log, err = l.fs.OpenAppend(s.path(logSuffix)); err != nil {
		return nil, fmt.Errorf("wal: open segment: %w", err)
	}
	st, err := s.log.Stat()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("wal: stat segment: %w", err)
	}
	s.size = st.Size()
	for _, f := range []struct {
		suffix string
		dst    *vfs.File
	}{{indexSuffix, &s.idxFile}, {timeIndexSuffix, &s.timeFile}} {
		*f.dst, err = l.fs.OpenAppend(s.path(f.suffix))
		if errors.Is(err, iofs.ErrNotExist) {
			*f.dst, err = l.fs.Create(s.path(f.suffix))
		}
		if err != nil {
			s.close()
			return nil, fmt.Errorf("wal: open index: %w", err)
		}
	}
	return s, nil
}

// loadSealed loads a segment that is not the last one, whose next
// segment starts at nextBase.
func (l *Log) loadSealed(s *segment, nextBase int64) error {
	name := s.path(logSuffix)
	if s.size > MaxSegmentBytes {
		return corruptf(name, 0, "segment of %d bytes exceeds the 32-bit index range", s.size)
	}
	fileSize := s.size
	if err := l.loadIndexes(s, nextBase); err != nil {
		l.logger.Warn("wal: rebuilding index", "segment", name, "reason", err)
		s.index, s.times = nil, nil
	}
	from := int64(0)
	if n := len(s.index); n > 0 {
		from = int64(s.index[n-1].pos)
		// The index skips the batches before its last entry: check them
		// too, so damage anywhere in a closed segment is found here, not
		// by the first consumer that reads it.
		if !l.opts.TrustClosedIndexes {
			if err := l.verifyPrefix(s, from, s.base+int64(s.index[n-1].rel)); err != nil {
				return err
			}
		}
	}
	pos, err := s.replay(from, fileSize)
	if err != nil {
		if errors.Is(err, errIO) {
			return fmt.Errorf("wal: read %s: %w", name, err)
		}
		return corruptAt(name, pos, err, "%v (not the last segment)", err)
	}
	if s.next != nextBase {
		return corruptf(name, s.size, "segment ends at offset %d but the next segment starts at %d", s.next, nextBase)
	}
	if from == 0 {
		// Rebuilt (or had no entries): write what we found.
		if err := s.writeIndexes(); err != nil {
			return err
		}
	}
	return nil
}

// verifyPrefix checks every batch of the sealed segment s before byte
// position to (length, magic, CRC, offsets following on from the
// segment's base) without changing its loaded indexes; the batches must
// end exactly at position to, where offset next starts. Damage is a
// CorruptError naming the file and position. It reads the bytes once
// (sequential 1 MiB reads); NOTES.md gives the cost.
func (l *Log) verifyPrefix(s *segment, to, next int64) error {
	name := s.path(logSuffix)
	want := s.base
	sc := newScanner(s.log, to, 0)
	for {
		b, pos, err := sc.next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errIO) {
			return fmt.Errorf("wal: read %s: %w", name, err)
		}
		if err != nil {
			return corruptAt(name, pos, err, "%v (in a closed segment)", err)
		}
		if got := batch.BaseOffset(b); got != want {
			return corruptf(name, pos, "base offset %d where %d was expected (in a closed segment)", got, want)
		}
		want = batch.NextOffset(b)
	}
	if want != next {
		return corruptf(name, to, "the batches before the last index entry end at offset %d but the entry is at %d", want, next)
	}
	return nil
}

// loadIndexes reads and checks a sealed segment's index files.
func (l *Log) loadIndexes(s *segment, nextBase int64) error {
	buf, err := vfs.ReadFile(l.fs, s.path(indexSuffix), s.size)
	if err != nil {
		return err
	}
	idx, err := decodeIndex(buf, s.size)
	if err != nil {
		return err
	}
	if n := len(idx); n > 0 {
		var hdr [batch.HeaderSize]byte
		e := idx[n-1]
		if err := readHeader(s.log, int64(e.pos), &hdr); err != nil {
			return fmt.Errorf("last index entry: %w", err)
		}
		if hdr[batch.MagicOffset] != batch.Magic || batch.BaseOffset(hdr[:]) != s.base+int64(e.rel) {
			return fmt.Errorf("last index entry (%d, %d) does not point at its batch", e.rel, e.pos)
		}
	}
	buf, err = vfs.ReadFile(l.fs, s.path(timeIndexSuffix), s.size)
	if err != nil {
		return err
	}
	times, err := decodeTimeIndex(buf, nextBase-s.base)
	if err != nil {
		return err
	}
	if len(idx) == 0 && len(times) > 0 {
		return fmt.Errorf("time index without offset index")
	}
	if len(idx) > 0 && len(times) > 0 && times[len(times)-1].rel > idx[len(idx)-1].rel {
		return fmt.Errorf("time index beyond the offset index")
	}
	s.index, s.times = idx, times
	s.flushedIdx, s.flushedTimes = len(idx), len(times)
	return nil
}

// recoverActive scans the last segment in full, truncating a torn tail.
// A bad batch followed by a valid one is corruption, unless the segment
// is unsettled: at or past the recovery point (recoverypoint.go), where
// a power loss can have kept a later page and lost an earlier one, so the
// log is cut at the first bad batch whatever follows.
func (l *Log) recoverActive(s *segment, unsettled bool) error {
	name := s.path(logSuffix)
	fileSize := s.size
	s.index, s.times = nil, nil
	pos, err := s.replay(0, fileSize)
	if err != nil {
		if errors.Is(err, errIO) {
			return fmt.Errorf("wal: read %s: %w", name, err)
		}
		q, found, serr := findValidAfter(s.log, pos, fileSize, max(l.opts.MaxBatchBytes, DefaultMaxBatchBytes))
		if serr != nil {
			return fmt.Errorf("wal: read %s: %w", name, serr)
		}
		if found && !unsettled {
			return corruptAt(name, pos, err, "%v (a valid batch follows at %d)", err, q)
		}
		if found {
			l.logger.Warn("wal: valid batches after the tear of a segment past the recovery point (pages written back out of order); cut at the tear",
				"segment", name, "position", pos, "valid_at", q)
		}
		if err := l.cutTornTail(s, pos, fileSize, err); err != nil {
			return err
		}
	}
	if s.size > MaxSegmentBytes {
		return corruptf(name, 0, "segment of %d bytes exceeds the 32-bit index range", s.size)
	}
	return s.writeIndexes()
}

// recoverUnsettled loads a sealed segment past the recovery point (its
// fsync may not have happened before a power loss), whose next segment
// starts at nextBase; later are the bases of the segments after it. The
// segment is scanned in full. A bad or short batch, or an end short of
// nextBase, is a tear, wherever it lies and whatever follows it (the
// kernel writes a file's pages back in no set order): the log is cut
// there, as for a torn tail of the active segment, the later segments are
// removed, this segment becomes the active one, and Log.TornSealed says
// what was cut.
func (l *Log) recoverUnsettled(s *segment, nextBase int64, later []int64) error {
	name := s.path(logSuffix)
	fileSize := s.size
	s.index, s.times = nil, nil
	pos, rerr := s.replay(0, fileSize)
	if errors.Is(rerr, errIO) {
		return fmt.Errorf("wal: read %s: %w", name, rerr)
	}
	if rerr == nil && s.next == nextBase {
		if s.size > MaxSegmentBytes {
			return corruptf(name, 0, "segment of %d bytes exceeds the 32-bit index range", s.size)
		}
		return s.writeIndexes()
	}
	if rerr == nil {
		rerr = fmt.Errorf("segment ends at offset %d but the next segment starts at %d", s.next, nextBase)
	}
	if pos < fileSize {
		if err := l.cutTornTail(s, pos, fileSize, rerr); err != nil {
			return err
		}
	}
	if err := l.removeLater(later, "a torn sealed segment"); err != nil {
		return err
	}
	if s.size > MaxSegmentBytes {
		return corruptf(name, 0, "segment of %d bytes exceeds the 32-bit index range", s.size)
	}
	l.torn = &TornSealed{Segment: s.base, Position: pos, End: s.next, OldEnd: nextBase, DroppedSegments: len(later)}
	l.logger.Warn("wal: sealed segment torn before its fsync (power loss); log cut there",
		"segment", name, "position", pos, "end_offset", s.next, "sealed_end", nextBase,
		"later_segments_removed", len(later), "cause", rerr)
	return s.writeIndexes()
}

// settleRecoveryPoint brings the recovery point in line with a recovered
// log, everything of which is now fsynced: at the active segment's base
// when rolls are deferred (if the file exists: a missing one already
// means that), removed when every roll fsyncs.
func (l *Log) settleRecoveryPoint() error {
	r, ok := l.recoveryPoint()
	if !ok {
		return nil
	}
	if !l.opts.deferRolls() {
		return l.removeRecoveryPoint()
	}
	if base := l.st.segs[len(l.st.segs)-1].base; r != base {
		return l.writeRecoveryPoint(base)
	}
	return nil
}

// cutAtCorruption is Options.TruncateAtCorruption: the log ends at the
// last valid batch before the damage in segment s. The bytes from there
// are kept in <segment>.log.broken, the later segments are removed, and s
// becomes the active segment (its indexes rebuilt). Log.Repaired says
// what was cut.
func (l *Log) cutAtCorruption(s *segment, ce *CorruptError, later []int64) error {
	st, err := s.log.Stat()
	if err != nil {
		return fmt.Errorf("wal: stat %s: %w", ce.File, err)
	}
	pos := min(ce.Pos, st.Size())
	rep, err := planRepair(l.fs, l.dir, max(l.opts.MaxBatchBytes, DefaultMaxBatchBytes), ce)
	if err != nil {
		return err
	}
	// The end of the valid prefix: replay up to the damage.
	s.index, s.times = nil, nil
	if _, err := s.replay(0, pos); err != nil && !errors.Is(err, batch.ErrCorrupt) && !errors.Is(err, batch.ErrTooShort) {
		return fmt.Errorf("wal: read %s: %w", ce.File, err)
	}
	keptEnd := s.next
	if err := l.cutTornTail(s, pos, st.Size(), ce); err != nil {
		return err
	}
	if err := l.removeLater(later, "the corruption"); err != nil {
		return err
	}
	s.size = pos
	if err := l.recoverActive(s, false); err != nil {
		return err
	}
	rep.End, rep.DroppedSegments = keptEnd, len(later)
	rep.OldEnd = max(rep.OldEnd, keptEnd)
	rep.DroppedRecords = rep.OldEnd - keptEnd
	l.repaired = rep
	l.logger.Warn("wal: truncated at corruption", "segment", ce.File, "position", ce.Pos, "end_offset", keptEnd,
		"dropped_records", rep.DroppedRecords, "dropped_bytes", rep.DroppedBytes,
		"later_segments_removed", len(later), "reason", ce.Reason)
	return nil
}

// findValidAfter looks for a valid batch of f starting after position
// bad, of at most maxBatch bytes.
func findValidAfter(f vfs.File, bad, fileSize int64, maxBatch int) (int64, bool, error) {
	const window = 1 << 20
	buf := make([]byte, 0, window+batch.HeaderSize)
	for w := bad + 1; w+batch.HeaderSize <= fileSize; w += window {
		n := min(int64(window+batch.HeaderSize), fileSize-w)
		buf = buf[:n]
		if m, err := f.ReadAt(buf, w); int64(m) < n {
			return 0, false, errors.Join(err, io.ErrUnexpectedEOF)
		}
		for i := 0; i < window && int64(i)+batch.HeaderSize <= n; i++ {
			if buf[i+batch.MagicOffset] != batch.Magic {
				continue
			}
			size, err := batch.Size(buf[i:])
			if err != nil || w+int64(i)+int64(size) > fileSize || size > maxBatch {
				continue
			}
			cand := buf[i:]
			if len(cand) < size {
				cand = make([]byte, size)
				if m, err := f.ReadAt(cand, w+int64(i)); m < size {
					return 0, false, errors.Join(err, io.ErrUnexpectedEOF)
				}
			}
			if _, err := batch.Validate(cand); err == nil {
				return w + int64(i), true, nil
			}
		}
	}
	return 0, false, nil
}

// cutTornTail keeps a copy of the bytes from pos in <segment>.log.broken,
// truncates the segment there and fsyncs it.
func (l *Log) cutTornTail(s *segment, pos, fileSize int64, cause error) error {
	name := s.path(logSuffix)
	tail := fileSize - pos
	zeroed, err := allZero(s.log, pos, fileSize)
	if err != nil {
		return fmt.Errorf("wal: read %s: %w", name, err)
	}
	broken := name + brokenSuffix
	if err := copyRange(l.fs, s.log, broken, pos, fileSize); err != nil {
		return fmt.Errorf("wal: save torn tail of %s: %w", name, err)
	}
	if err := s.log.Truncate(pos); err != nil {
		return fmt.Errorf("wal: truncate %s: %w", name, err)
	}
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", name, err)
	}
	if err := vfs.SyncDir(l.fs, l.dir); err != nil {
		return fmt.Errorf("wal: sync dir: %w", err)
	}
	l.logger.Warn("wal: truncated torn tail", "segment", name, "position", pos,
		"bytes", tail, "zeroed", zeroed, "offset", s.next, "copy", broken, "cause", cause)
	return nil
}

func allZero(f vfs.File, from, to int64) (bool, error) {
	buf := make([]byte, min(to-from, 1<<20))
	for p := from; p < to; {
		n := min(int64(len(buf)), to-p)
		if m, err := f.ReadAt(buf[:n], p); int64(m) < n {
			return false, errors.Join(err, io.ErrUnexpectedEOF)
		}
		if !bytes.Equal(buf[:n], make([]byte, n)) {
			return false, nil
		}
		p += n
	}
	return true, nil
}

func copyRange(fs vfs.FS, src vfs.File, dst string, from, to int64) error {
	f, err := fs.Create(dst)
	if err != nil {
		return err
	}
	buf := make([]byte, min(to-from, 1<<20))
	for p := from; p < to; {
		n := min(int64(len(buf)), to-p)
		if m, err := src.ReadAt(buf[:n], p); int64(m) < n {
			_ = f.Close()
			return errors.Join(err, io.ErrUnexpectedEOF)
		}
		if _, err := f.Write(buf[:n]); err != nil {
			_ = f.Close()
			return err
		}
		p += n
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// recoverEpochs loads the leader-epoch file, trims it to the log and adds
// epochs seen in the active segment; a missing or invalid file is rebuilt
// from every segment's batch headers.
func (l *Log) recoverEpochs() error {
	buf, err := vfs.ReadFile(l.fs, l.path(epochFileName), epochFileMax)
	var entries []epochEntry
	if err == nil {
		entries, err = parseEpochFile(buf)
	}
	rewrite := false
	if err != nil {
		if !errors.Is(err, iofs.ErrNotExist) {
			l.logger.Warn("wal: rebuilding leader-epoch file", "reason", err)
		}
		rewrite = true
		entries = nil
		if entries, err = l.scanEpochs(l.st.segs); err != nil {
			return err
		}
	}
	l.st.epochs.entries = entries
	end := l.leo.Load()
	if l.st.epochs.truncateFromEnd(end) {
		rewrite = true
	}
	if l.st.epochs.truncateFromStart(l.start.Load()) {
		rewrite = true
	}
	// Batches of the active segment whose epoch the file lacks.
	for _, e := range l.st.segs[len(l.st.segs)-1].seen.entries {
		if l.st.epochs.assign(e.epoch, e.start) {
			rewrite = true
		}
	}
	l.latestEp.Store(l.st.epochs.latest())
	if rewrite && len(l.st.epochs.entries) > 0 {
		return l.writeEpochsLocked()
	}
	return nil
}

// scanEpochs reads the batch headers of segs and returns where each new
// epoch starts.
func (l *Log) scanEpochs(segs []*segment) ([]epochEntry, error) {
	var c epochCache
	var hdr [batch.HeaderSize]byte
	for _, s := range segs {
		for pos := int64(0); pos < s.size; {
			if err := readHeader(s.log, pos, &hdr); err != nil {
				return nil, fmt.Errorf("wal: read %s: %w", s.path(logSuffix), err)
			}
			c.assign(batch.LeaderEpoch(hdr[:]), batch.BaseOffset(hdr[:]))
			pos += int64(batch.Length(hdr[:])) + batch.LogOverhead
		}
	}
	return c.entries, nil
}

// removeLater removes the segments whose bases are later (newest first,
// so a crash half way leaves a contiguous log) after a cut at recovery,
// then fsyncs the directory; after names the cut for the error.
func (l *Log) removeLater(later []int64, after string) error {
	for j := len(later) - 1; j >= 0; j-- {
		gone := &segment{dir: l.dir, base: later[j]}
		if err := gone.remove(l.fs); err != nil {
			return fmt.Errorf("wal: remove segment after %s: %w", after, err)
		}
	}
	if err := vfs.SyncDir(l.fs, l.dir); err != nil {
		return fmt.Errorf("wal: sync dir: %w", err)
	}
	return nil
}
