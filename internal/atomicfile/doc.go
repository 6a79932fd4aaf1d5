// Package atomicfile writes small files (profiles, a local cluster's
// state) so that a reader sees the old contents or the new ones, never a
// mix, and the new ones survive a crash once Write returns.
package atomicfile
