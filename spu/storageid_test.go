package spu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStorageID(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	id, err := loadStorageID(dir)
	requireNoErr(t, err)
	if !validStorageID(id) {
		t.Fatalf("storage id %q", id)
	}
	again, err := loadStorageID(dir)
	requireNoErr(t, err)
	requireEqual(t, again, id)

	other, err := loadStorageID(t.TempDir())
	requireNoErr(t, err)
	if other == id {
		t.Fatal("two data directories got the same identity")
	}

	requireNoErr(t, os.WriteFile(filepath.Join(dir, storageIDFile), []byte("garbage"), 0o644))
	_, err = loadStorageID(dir)
	if err == nil || !strings.Contains(err.Error(), "not a storage id") {
		t.Fatalf("a damaged identity file: %v", err)
	}
}
