package spu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestStorageID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	id, err := loadStorageID(dir)
	testkit.NoErr(t, err)
	if !validStorageID(id) {
		t.Fatalf("storage id %q", id)
	}
	again, err := loadStorageID(dir)
	testkit.NoErr(t, err)
	testkit.Equal(t, again, id)

	other, err := loadStorageID(t.TempDir())
	testkit.NoErr(t, err)
	if other == id {
		t.Fatal("two data directories got the same identity")
	}

	testkit.NoErr(t, os.WriteFile(filepath.Join(dir, storageIDFile), []byte("garbage"), 0o644))
	_, err = loadStorageID(dir)
	if err == nil || !strings.Contains(err.Error(), "not a storage id") {
		t.Fatalf("a damaged identity file: %v", err)
	}
}
