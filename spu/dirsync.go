package spu

import (
	"sync"

	"github.com/fluvio-go/fluvio/vfs"
)

// dirSync fsyncs one directory on behalf of many callers (group commit):
// Sync returns once an fsync of the directory that began after Sync was
// called has finished, and the callers that arrive while one runs share
// the next. The SPU's replicas are directories of LogBaseDir; a replica
// set that creates many of them at once (in parallel, applyParallel)
// makes their entries durable with a few fsyncs of LogBaseDir instead of
// one each. Safe for concurrent use.
type dirSync struct {
	fs  vfs.FS
	dir string

	mu   sync.Mutex
	cond *sync.Cond
	// started and done count the fsyncs begun and finished (one runs at a
	// time); failed is the number of the last one that failed, failErr
	// its error. All guarded by mu.
	started, done, failed uint64
	failErr               error
}

// newDirSync returns a dirSync of dir on fs (nil: the OS).
func newDirSync(fs vfs.FS, dir string) *dirSync {
	if fs == nil {
		fs = vfs.Default
	}
	d := &dirSync{fs: fs, dir: dir}
	d.cond = sync.NewCond(&d.mu)
	return d
}

// Sync makes every entry added to the directory before the call durable.
// It reports an error if an fsync that could have covered the call
// failed (conservatively: any that ended after the call began).
func (d *dirSync) Sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	// One that is running may have begun before our entry was added: we
	// need the next one to begin.
	want := d.started + 1
	for d.done < want {
		if d.started == d.done { // none running: run one for everyone waiting
			d.started++
			n := d.started
			d.mu.Unlock()
			err := vfs.SyncDir(d.fs, d.dir)
			d.mu.Lock()
			d.done = n
			if err != nil {
				d.failed, d.failErr = n, err
			}
			d.cond.Broadcast()
			continue
		}
		d.cond.Wait()
	}
	if d.failed >= want {
		return d.failErr
	}
	return nil
}
