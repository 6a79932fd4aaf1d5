package wire

import (
	"math/bits"
	"sync"
)

// Request frames of the client (writeCallLocked) are encoded into buffers
// from framePools and given back once written: a producer writing many
// partitions at once encodes a MultiProduce frame of tens or hundreds of
// KiB per write, and allocating each (then collecting it) was half of the
// bytes a 1,000-partition producer allocated, which set how often its
// garbage collections ran. Buffers go by power-of-two size class;
// sync.Pool lets them go over garbage collections once no one uses them.

const (
	minPooledFrameBits = 12 // 4 KiB: smaller frames are allocated
	maxPooledFrameBits = 25 // 32 MiB: larger frames are allocated
)

var framePools [maxPooledFrameBits + 1]sync.Pool

// frameBuffer returns an empty buffer of at least capacity bytes.
func frameBuffer(capacity int) []byte {
	c := bits.Len(uint(capacity - 1))
	if capacity <= 1<<minPooledFrameBits || c > maxPooledFrameBits {
		return make([]byte, 0, capacity)
	}
	if p, ok := framePools[c].Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, 1<<c)
}

// releaseFrame gives back a buffer of frameBuffer once nothing refers to
// it (its frame is written); others are left to the garbage collector.
func releaseFrame(b []byte) {
	n := cap(b)
	if n&(n-1) != 0 {
		return
	}
	c := bits.Len(uint(n)) - 1
	if c <= minPooledFrameBits || c > maxPooledFrameBits {
		return
	}
	b = b[:0]
	framePools[c].Put(&b)
}
