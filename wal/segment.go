package wal

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/vfs"
)

// File names: a segment with base offset 42 is 00000000000000000042.log
// with 00000000000000000042.index and 00000000000000000042.timeindex.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	brokenSuffix    = ".broken"
	tmpSuffix       = ".tmp"
)

func segmentName(base int64, suffix string) string { return fmt.Sprintf("%020d%s", base, suffix) }

// parseSegmentName returns the base offset of a NNNN.log name.
func parseSegmentName(name string) (int64, bool) {
	s, ok := strings.CutSuffix(name, logSuffix)
	if !ok || len(s) != 20 {
		return 0, false
	}
	base, err := strconv.ParseInt(s, 10, 64)
	return base, err == nil && base >= 0
}

// segment is one .log file with its two indexes. All fields are guarded
// by Log.mu (written with it held for writing, read with it held at least
// for reading); the files themselves are safe for concurrent ReadAt.
type segment struct {
	dir     string
	base    int64
	next    int64 // offset after the last batch
	size    int64 // bytes in the .log
	maxTS   int64 // largest batch maxTimestamp, or -1 when empty
	created time.Time

	log, idxFile, timeFile vfs.File
	index                  []indexEntry
	times                  []timeEntry
	sinceIndex             int64      // bytes appended since the last index entry
	interval               int64      // Options.IndexIntervalBytes
	scratch                []byte     // encoded index entries
	flushedIdx             int        // index[:flushedIdx] is in the .index file
	flushedTimes           int        // times[:flushedTimes] is in the .timeindex file
	seen                   epochCache // epochs of the batches observed (used by recovery)
	wbAsked                int64      // size when the early writeback was last kicked (writeback.go)
	// unsynced: sealed by a roll that left its fsync to the background
	// (recoverypoint.go); its index entries are written, not fsynced.
	unsynced bool
}

func (s *segment) path(suffix string) string {
	return filepath.Join(s.dir, segmentName(s.base, suffix))
}

// createSegment creates the three files of a new empty segment; the
// caller fsyncs the directory before appending, or (a deferred roll)
// before anything appended to it or to a later segment is called durable. The files are empty, so
// they hold no data to fsync: the directory's fsync makes them durable
// (their entries and inodes, committed together by the filesystem's
// journal), which is what the crash model of vfstest.MemFS assumes too.
func createSegment(fs vfs.FS, dir string, base, interval int64, now time.Time) (_ *segment, err error) {
	s := &segment{dir: dir, base: base, next: base, maxTS: -1, created: now, interval: interval}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	for _, f := range []struct {
		suffix string
		dst    *vfs.File
	}{{logSuffix, &s.log}, {indexSuffix, &s.idxFile}, {timeIndexSuffix, &s.timeFile}} {
		if *f.dst, err = fs.Create(s.path(f.suffix)); err != nil {
			return nil, fmt.Errorf("wal: create segment: %w", err)
		}
	}
	return s, nil
}

// close closes the segment's files, ignoring errors (nothing is pending:
// data is synced by the Log's sync path before a segment is closed).
func (s *segment) close() {
	for _, f := range []vfs.File{s.log, s.idxFile, s.timeFile} {
		if f != nil {
			_ = f.Close()
		}
	}
}

// remove closes the segment and removes its files.
func (s *segment) remove(fs vfs.FS) error {
	s.close()
	var errs []error
	for _, suffix := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
		if err := fs.Remove(s.path(suffix)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// append writes c (checked batches whose first base offset is s.next)
// to the .log and adds index entries in memory; they reach the index
// files at flushIndexes (roll, close). The active segment's indexes are
// rebuilt at open anyway. On error the in-memory state is unchanged but
// the file may hold part of c; the Log fail-stops.
func (s *segment) append(c batch.Checked) error {
	if _, err := s.log.Write(c.Bytes()); err != nil {
		return fmt.Errorf("wal: write %s: %w", s.path(logSuffix), err)
	}
	for b := range c.All() {
		s.observe(b)
	}
	return nil
}

// flushIndexes appends the index entries not yet written to the files.
func (s *segment) flushIndexes() error {
	s.flushedIdx, s.flushedTimes = min(s.flushedIdx, len(s.index)), min(s.flushedTimes, len(s.times))
	s.scratch = s.scratch[:0]
	for _, e := range s.index[s.flushedIdx:] {
		s.scratch = appendIndexEntry(s.scratch, e)
	}
	if len(s.scratch) > 0 {
		if _, err := s.idxFile.Write(s.scratch); err != nil {
			return fmt.Errorf("wal: write %s: %w", s.path(indexSuffix), err)
		}
	}
	s.flushedIdx = len(s.index)
	s.scratch = s.scratch[:0]
	for _, e := range s.times[s.flushedTimes:] {
		s.scratch = appendTimeEntry(s.scratch, e)
	}
	if len(s.scratch) > 0 {
		if _, err := s.timeFile.Write(s.scratch); err != nil {
			return fmt.Errorf("wal: write %s: %w", s.path(timeIndexSuffix), err)
		}
	}
	s.flushedTimes = len(s.times)
	return nil
}

// observe accounts for batch b appended at position s.size: index
// entries, maxTS, next and size.
func (s *segment) observe(b []byte) {
	n := int64(len(b))
	s.maxTS = max(s.maxTS, batch.MaxTimestamp(b))
	if s.sinceIndex >= s.interval {
		e := indexEntry{rel: uint32(batch.BaseOffset(b) - s.base), pos: uint32(s.size)}
		s.index = append(s.index, e)
		if len(s.times) == 0 || s.maxTS > s.times[len(s.times)-1].ts {
			s.times = append(s.times, timeEntry{ts: s.maxTS, rel: e.rel})
		}
		s.sinceIndex = 0
	}
	s.sinceIndex += n
	s.size += n
	s.next = batch.NextOffset(b)
	s.seen.assign(batch.LeaderEpoch(b), batch.BaseOffset(b))
}

// syncAll writes pending index entries and fsyncs the .log and both
// indexes.
func (s *segment) syncAll() error {
	if err := s.flushIndexes(); err != nil {
		return err
	}
	return s.syncFiles()
}

// syncFiles fsyncs the .log and both indexes (their entries written).
func (s *segment) syncFiles() error {
	for _, f := range []vfs.File{s.log, s.idxFile, s.timeFile} {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("wal: sync segment %d: %w", s.base, err)
		}
	}
	return nil
}

// writeIndexes replaces both index files with the in-memory entries.
func (s *segment) writeIndexes() error {
	for _, f := range []struct {
		file *vfs.File
		data []byte
	}{{&s.idxFile, encodeIndex(s.index)}, {&s.timeFile, encodeTimeIndex(s.times)}} {
		if err := (*f.file).Truncate(0); err != nil {
			return fmt.Errorf("wal: rewrite index of segment %d: %w", s.base, err)
		}
		if _, err := (*f.file).Write(f.data); err != nil {
			return fmt.Errorf("wal: rewrite index of segment %d: %w", s.base, err)
		}
	}
	s.flushedIdx, s.flushedTimes = len(s.index), len(s.times)
	return nil
}

// truncateAt cuts the segment at byte position pos, a batch boundary
// found by the caller; it fsyncs the .log and rewrites the indexes.
func (s *segment) truncateAt(pos int64) error {
	if err := s.log.Truncate(pos); err != nil {
		return fmt.Errorf("wal: truncate %s: %w", s.path(logSuffix), err)
	}
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", s.path(logSuffix), err)
	}
	s.index = truncateIndex(s.index, pos)
	from := int64(0)
	if n := len(s.index); n > 0 {
		from = int64(s.index[n-1].pos)
	}
	if _, err := s.replay(from, pos); err != nil {
		return err
	}
	return s.writeIndexes()
}

// replay rebuilds the in-memory state (size, next, maxTS, index tail)
// from position from, which is 0 or the position of the last index
// entry, by scanning the .log up to position to. It returns the position
// of the first invalid batch and the batch error, or (to, nil). A batch
// whose base offset does not follow the previous one is invalid.
func (s *segment) replay(from, to int64) (int64, error) {
	s.index = truncateIndex(s.index, from+1)
	s.size, s.sinceIndex, s.next, s.maxTS = from, 0, s.base, -1
	if n := len(s.index); n > 0 {
		s.next = s.base + int64(s.index[n-1].rel)
	}
	rel := s.next - s.base
	s.times = truncateTimeIndex(s.times, rel+1)
	if n := len(s.times); n > 0 {
		s.maxTS = s.times[n-1].ts
	}
	sc := newScanner(s.log, to, from)
	for {
		b, pos, err := sc.next()
		if err == io.EOF {
			return to, nil
		}
		if err != nil {
			return pos, err
		}
		if got := batch.BaseOffset(b); got != s.next {
			return pos, fmt.Errorf("%w: base offset %d where %d was expected", batch.ErrCorrupt, got, s.next)
		}
		if int64(batch.NextOffset(b))-s.base > math.MaxUint32 {
			return pos, fmt.Errorf("%w: offset %d beyond the segment's 32-bit span", batch.ErrCorrupt, batch.NextOffset(b))
		}
		s.observe(b)
	}
}

// scanner reads the batches of a segment file sequentially through a
// window buffer, validating each (length, magic, CRC).
type scanner struct {
	f     vfs.File
	size  int64
	pos   int64 // position of the next batch
	buf   []byte
	start int64 // file position of buf[0]
}

const scanWindow = 1 << 20

func newScanner(f vfs.File, size, from int64) *scanner {
	return &scanner{f: f, size: size, pos: from}
}

// ensure returns n bytes of the file at s.pos (n <= s.size - s.pos).
func (s *scanner) ensure(n int64) ([]byte, error) {
	if s.pos >= s.start && s.pos+n <= s.start+int64(len(s.buf)) {
		off := s.pos - s.start
		return s.buf[off : off+n], nil
	}
	want := min(max(n, scanWindow), s.size-s.pos)
	if int64(cap(s.buf)) < want {
		s.buf = make([]byte, want)
	}
	s.buf = s.buf[:want]
	s.start = s.pos
	m, err := s.f.ReadAt(s.buf, s.pos)
	if int64(m) < want {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		s.buf = s.buf[:0]
		return nil, err
	}
	return s.buf[:n], nil
}

// errIO marks a read error (as opposed to invalid content).
var errIO = errors.New("read error")

// next returns the next valid batch and its position, io.EOF at the end,
// an error wrapping batch.ErrTooShort when the file ends inside a batch,
// another batch error for invalid content, or errIO.
func (s *scanner) next() ([]byte, int64, error) {
	rem := s.size - s.pos
	if rem <= 0 {
		return nil, s.pos, io.EOF
	}
	if rem < batch.LogOverhead {
		return nil, s.pos, fmt.Errorf("%w: %d bytes at the end", batch.ErrTooShort, rem)
	}
	hdr, err := s.ensure(batch.LogOverhead)
	if err != nil {
		return nil, s.pos, fmt.Errorf("%w: %w", errIO, err)
	}
	n, err := batch.Size(hdr)
	if err != nil {
		return nil, s.pos, err
	}
	if int64(n) > rem {
		return nil, s.pos, fmt.Errorf("%w: batch of %d bytes, %d left in the file", batch.ErrTooShort, n, rem)
	}
	b, err := s.ensure(int64(n))
	if err != nil {
		return nil, s.pos, fmt.Errorf("%w: %w", errIO, err)
	}
	if _, err := batch.Validate(b); err != nil {
		return nil, s.pos, err
	}
	pos := s.pos
	s.pos += int64(n)
	return b, pos, nil
}

// readHeader reads the batch header at pos.
func readHeader(f vfs.File, pos int64, hdr *[batch.HeaderSize]byte) error {
	n, err := f.ReadAt(hdr[:], pos)
	if n == len(hdr) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
