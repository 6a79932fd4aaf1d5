//go:build !race

package wire

// recycleFrames: large response frames are recycled (recycle.go).
const recycleFrames = true
