package spu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/fluvio-go/fluvio/vfs"
)

// storageIDFile holds the identity of an SPU's data directory, beside the
// replica directories (<topic>-<partition>, which always end in a number).
const storageIDFile = "storage-id"

// loadStorageID returns the identity of the data directory dir, creating
// dir and the identity (a random id, fsynced with its directory) when
// there is none. The SPU sends it at hello and in heartbeats: the SC
// treats the SPU's replicas as new and empty when it changes (the disk
// was wiped or replaced), so an empty replica never counts as in sync.
func loadStorageID(dir string) (string, error) {
	path := filepath.Join(dir, storageIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if !validStorageID(id) {
			return "", fmt.Errorf("spu: %s holds %q, not a storage id; if the data directory was damaged, move it away and start with an empty one (its replicas are fetched again from their leaders)", path, truncate(id, 40))
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("spu: read the storage identity: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("spu: create the data directory: %w", err)
	}
	var r [16]byte
	_, _ = rand.Read(r[:])
	id := hex.EncodeToString(r[:])
	if err := vfs.WriteFileAtomic(vfs.Default, path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("spu: write the storage identity: %w", err)
	}
	// The data directory itself may be new: make its entry durable too.
	if err := vfs.SyncDir(vfs.Default, filepath.Dir(filepath.Clean(dir))); err != nil {
		return "", fmt.Errorf("spu: sync the data directory's parent: %w", err)
	}
	return id, nil
}

func validStorageID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
