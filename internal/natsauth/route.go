package natsauth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FileRouteSecret is the route secret's file in an identities directory.
const FileRouteSecret = "route.secret"

// The route secret authenticates the routes between the NATS nodes of one
// SC cluster (each sc-server --cluster embeds one): a node accepts a
// route only from a peer presenting it (nats-server's cluster
// authorization, user and password) and presents it to the peers it
// dials. Without it anyone who reaches a node's --cluster port could join
// as a route and read every KV bucket. NATS routes know only passwords,
// TLS certificates or both (no nkeys), so it is a random password, kept
// like the credential files (0600) in the directory every SC of the
// cluster shares (--auth-dir; copy it to each machine, docs/deploy.md).

// RouteSecret loads the route secret from dir, making it when missing.
// Like EnsureIdentities it is safe to run concurrently: the first writer
// wins and the others read its file.
func RouteSecret(dir string) (string, error) {
	path := filepath.Join(dir, FileRouteSecret)
	if s, err := readRouteSecret(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("natsauth: route secret: %w", err)
	}
	secret := hex.EncodeToString(b)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("natsauth: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".route-*")
	if err != nil {
		return "", fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString("# fluvio NATS route secret: every node of the SC cluster needs the same file.\n# Keep it private: whoever holds it can join the cluster and read its metadata.\n" + secret + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	// Link refuses an existing destination: never replace a secret the
	// other nodes may already use.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readRouteSecret(path)
		}
		return "", fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	return secret, nil
}

// readRouteSecret reads the secret: the one line that is not a comment.
func readRouteSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < 16 || strings.ContainsAny(line, " \t:@/") {
			break
		}
		return line, nil
	}
	return "", fmt.Errorf("natsauth: %s holds no route secret (one line of at least 16 characters, no spaces, ':', '@' or '/'); copy the file from another node of the cluster, or remove it on every node to make a new one", path)
}
