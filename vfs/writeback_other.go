//go:build !linux

package vfs

import "os"

// startWriteback: only Linux has sync_file_range.
func startWriteback(*os.File, int64, int64) error { return ErrNoWriteback }
