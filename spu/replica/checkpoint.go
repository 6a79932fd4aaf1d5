package replica

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/vfs"
)

// hwFileName is the high-watermark checkpoint in the replica's log
// directory (Kafka's replication-offset-checkpoint, one partition):
//
//	0      format version
//	1200   the high watermark
//
// It is replaced atomically (temp file, rename) without fsync
// (vfs.ReplaceFile): it is a hint, read back as min(checkpoint, the
// recovered durable end), and a crash can only leave an older value, or an
// empty or partial file that readHW refuses (the HW is then rebuilt as
// followers report); a partial write of the digits reads as a lower HW.
// Two fsyncs per written partition per checkpoint were the SPU's largest
// fsync load with many partitions. The log ignores files it does not
// know.
const hwFileName = "replication-offset-checkpoint"

// readHW returns the checkpointed HW of the log in dir, or 0 when there
// is none or it cannot be parsed (the HW is then rebuilt as followers
// report, as after a first start).
func readHW(fsys vfs.FS, dir string) (int64, error) {
	b, err := vfs.ReadFile(fsys, filepath.Join(dir, hwFileName), 64)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "0" {
		return 0, fmt.Errorf("%s: bad format", hwFileName)
	}
	hw, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || hw < 0 {
		return 0, fmt.Errorf("%s: bad high watermark %q", hwFileName, lines[1])
	}
	return hw, nil
}

// CheckpointHW writes the HW to the replica's directory if it changed
// since the last checkpoint. The data plane calls it periodically and
// Close calls it once more, so that a restarted leader serves what was
// committed before without waiting for its followers.
func (r *Replica) CheckpointHW() error {
	r.mu.Lock()
	hw, saved, closed := r.mu.st.HW(), r.mu.savedHW, r.mu.closed
	r.mu.Unlock()
	if hw == saved || closed {
		return nil
	}
	if err := r.writeHW(hw); err != nil {
		return err
	}
	r.mu.Lock()
	r.mu.savedHW = hw
	r.mu.Unlock()
	return nil
}

func (r *Replica) writeHW(hw int64) error {
	data := []byte("0\n" + strconv.FormatInt(hw, 10) + "\n")
	if err := vfs.ReplaceFile(r.fs, filepath.Join(r.log.Dir(), hwFileName), data); err != nil {
		return fmt.Errorf("replica %s-%d: checkpoint HW: %w", r.cfg.Topic, r.cfg.Partition, err)
	}
	return nil
}
