//go:build invariants || race

package wal

import "fmt"

// invariants enables expensive consistency checks (with -race or
// -tags invariants).
const invariants = true

// checkInvariantsLocked panics if the segments are not contiguous or the
// offsets disagree; st held. Only built into test binaries with -race or
// -tags invariants, where a panic is the point.
func (l *Log) checkInvariantsLocked() {
	segs := l.st.segs
	for i := 1; i < len(segs); i++ {
		if segs[i-1].next != segs[i].base {
			panic(fmt.Sprintf("wal invariant: segment %d ends at %d, next starts at %d", i-1, segs[i-1].next, segs[i].base))
		}
	}
	if end := segs[len(segs)-1].next; end != l.leo.Load() {
		panic(fmt.Sprintf("wal invariant: active segment ends at %d, LEO %d", end, l.leo.Load()))
	}
	if l.durable.Load() > l.leo.Load() {
		panic(fmt.Sprintf("wal invariant: durable %d beyond LEO %d", l.durable.Load(), l.leo.Load()))
	}
}
