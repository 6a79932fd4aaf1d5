// Package placement assigns partition replicas to SPUs and chooses leaders.
// It is pure: no I/O, no clock, deterministic for the same input.
// It imports nothing of ours.
package placement
