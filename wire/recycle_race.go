//go:build race

package wire

// recycleFrames is off under the race detector (recycle.go says why).
const recycleFrames = false
