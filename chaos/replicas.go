package chaos

import (
	"fmt"
	"path/filepath"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/wal"
)

// replicaDir is where an SPU keeps a partition's log:
// <log-base-dir>/<topic>-<partition>.
func replicaDir(base, topic string, partition int32) string {
	return filepath.Join(base, fmt.Sprintf("%s-%d", topic, partition))
}

// readReplica reads every record of the log in dir from its start. The SPU
// owning dir must be stopped.
func readReplica(dir string) (recs []StoredRecord, err error) {
	l, err := wal.Open(dir, wal.Options{RetentionTime: -1})
	if err != nil {
		return nil, fmt.Errorf("chaos: open replica log %s: %w", dir, err)
	}
	defer func() {
		if cerr := l.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("chaos: close replica log %s: %w", dir, cerr)
		}
	}()
	off := l.StartOffset()
	for off < l.EndOffset() {
		c, err := l.Read(off, 1<<20)
		if err != nil {
			return recs, fmt.Errorf("chaos: read replica log %s at offset %d: %w", dir, off, err)
		}
		buf, _ := c.Bytes()
		for len(buf) > 0 {
			b, n, err := batch.Decode(buf)
			if err != nil {
				c.Close()
				return recs, fmt.Errorf("chaos: decode a batch of %s near offset %d: %w", dir, off, err)
			}
			crc := batch.CRC(buf)
			for _, r := range b.Records {
				recs = append(recs, StoredRecord{Offset: b.BaseOffset + int64(r.OffsetDelta), Value: string(r.Value), Epoch: b.LeaderEpoch, CRC: crc})
			}
			buf = buf[n:]
		}
		next := c.NextOffset()
		c.Close()
		if next <= off {
			return recs, fmt.Errorf("chaos: replica log %s does not advance at offset %d", dir, off)
		}
		off = next
	}
	return recs, nil
}
