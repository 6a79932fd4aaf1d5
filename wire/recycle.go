package wire

import (
	"runtime"
	"sync"
	"unsafe"
	"weak"
)

// Large response frames (fetch answers) are recycled once the garbage
// collector has proved that nothing refers to them any more: a record a
// user keeps aliases its answer's buffer and keeps all of it reachable, so
// a buffer comes back only when no record, slice or response of it is
// left anywhere. Each buffer handed out carries a finalizer (set on its
// first byte, the start of its allocation); when the collector finds the
// buffer unreachable it runs the finalizer instead of freeing it, and the
// finalizer puts the buffer into the free list for a later large frame,
// which overwrites every byte before it is returned (as with rawBytes).
// The free list holds its buffers weakly: one not reused before the next
// collection is freed by it, so an idle client keeps none, and a busy one
// at most maxRecycled beyond what it would hold anyway.
//
// Why: a 4 MiB fetch answer per round trip was allocated fresh, and the
// runtime hands such allocations pages its scavenger has given back to
// the kernel: the kernel's copy into the buffer then page-faulted on a
// large share of its pages (about 65,000 faults per GB consumed, each
// page zeroed by the kernel first). With recycling about 60 % of the
// answers land in a buffer that is still mapped: the consumer's faults
// halved and its CPU per byte fell by about a sixth (bench/README.md,
// G3).
//
// Under the race detector nothing is recycled (recycle_race.go): the
// detector does not know that the collector orders a user's last access
// to a record before the buffer's reuse, and would report races that are
// none in programs that hand records to other goroutines.

const (
	// recycleMin is the smallest frame recycled: fetch answers of a
	// consumer or follower (up to 4 MiB by default); smaller frames are
	// allocated (rawBytes).
	recycleMin = 256 << 10
	// recycleRound rounds a recycled buffer's capacity up, so that the
	// next answer, a little larger, fits too.
	recycleRound = 256 << 10
	// maxRecycled bounds the free list (buffers kept for reuse).
	maxRecycled = 8
)

// frameRecycler is the process's free list of large frame buffers.
var frameRecycler recycler

type recycler struct {
	mu   sync.Mutex
	free []freeBuffer // guarded by mu
	// reused and made count the buffers handed out (for tests).
	reused, made int64 // guarded by mu
}

// payload returns n bytes whose contents are undefined (see rawBytes):
// the caller writes every byte before reading any or handing them out.
func (r *recycler) payload(n int) []byte {
	if n < recycleMin {
		return rawBytes(n)
	}
	if !recycleFrames {
		r.mu.Lock()
		r.made++
		r.mu.Unlock()
		return rawBytes(n)
	}
	var b []byte
	r.mu.Lock()
	for i := 0; i < len(r.free) && b == nil; {
		f := r.free[i]
		p := f.p.Value()
		if p == nil || (f.size >= n && f.size <= 2*n) {
			last := len(r.free) - 1
			r.free[i], r.free[last] = r.free[last], freeBuffer{}
			r.free = r.free[:last]
			if p != nil {
				b = unsafe.Slice(p, f.size)
			}
			continue // a collected one is dropped
		}
		i++
	}
	if b == nil {
		r.made++
	} else {
		r.reused++
	}
	r.mu.Unlock()
	if b == nil {
		b = rawBytes((n + recycleRound - 1) / recycleRound * recycleRound)
	}
	b = b[:cap(b)]
	size := len(b)
	runtime.SetFinalizer(&b[0], func(p *byte) { r.put(unsafe.Slice(p, size)) })
	return b[:n]
}

// put keeps b for reuse if the free list has room (the finalizer of a
// buffer nothing refers to any more).
func (r *recycler) put(b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.free) < maxRecycled {
		r.free = append(r.free, freeBuffer{p: weak.Make(&b[0]), size: len(b)})
	}
}

// freeBuffer is a buffer of the free list, held weakly: one that no
// frame reuses before the next garbage collection is freed by it, so an
// idle client keeps no buffer.
type freeBuffer struct {
	p    weak.Pointer[byte]
	size int
}

// counts returns the buffers handed out that were reused and made.
func (r *recycler) counts() (reused, made int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reused, r.made
}
