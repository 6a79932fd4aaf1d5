package wire

import "unsafe" // go:linkname to the runtime's allocator

// A response frame's payload is allocated per frame and handed to the
// caller (a fetch answer's records alias it, and a consumer's records
// alias those: the client reuses it only once nothing refers to it any
// more, recycle.go). make zeroes a new buffer
// before the frame's bytes overwrite every one of them: for a 4 MiB
// fetch answer that was a fifth of a consumer's CPU (memclr, the runtime
// clearing a large span again), a pass over each byte as costly as the
// kernel's copy into it. Frames of at least rawAllocMin bytes are
// allocated without the zeroing instead; frameReader.next fills the whole
// payload before anyone sees it, and a frame that is not filled (the
// connection failed) is never returned.
//
// runtime.mallocgc is the allocator itself; the runtime keeps its
// signature for the packages that link to it this way (its comment lists
// them: pebble's rawalloc among them), and the linker allows this link.
// With a nil type the memory holds no pointers (never scanned by the GC),
// and needzero false skips the clearing.

//go:linkname mallocgc runtime.mallocgc
func mallocgc(size uintptr, typ unsafe.Pointer, needzero bool) unsafe.Pointer

// rawAllocMin is the size from which rawBytes skips the zeroing: the
// runtime's large objects (a span of their own, cleared with one memclr
// over the whole span); below it make is as cheap.
const rawAllocMin = 32 << 10

// rawBytes returns a slice of n bytes whose contents are undefined: the
// caller must write every byte before reading any or handing the slice
// out. Small slices are zeroed anyway (make).
func rawBytes(n int) []byte {
	if n < rawAllocMin {
		return make([]byte, n)
	}
	return unsafe.Slice((*byte)(mallocgc(uintptr(n), nil, false)), n)
}
