package vfs_test

import (
	"testing"

	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
)

func TestOSFS(t *testing.T) { vfstest.TestFS(t, vfs.Default, t.TempDir()) }
