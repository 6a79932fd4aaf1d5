package natsauth

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nkeys"
)

// Creds is one identity loaded from (or made for) a credential file.
type Creds struct {
	// Name labels the identity ("sc", "admin", "spu-5001"); it is only a
	// comment in the file.
	Name string
	// Role is the identity's role; a comment in the file too.
	Role Role
	// Public is the nkey public key (U...), what the NATS server knows.
	Public string
	// Path is the file it was read from or written to, "" if neither.
	Path string
	seed []byte
}

// New makes a fresh identity with a new key pair.
func New(name string, role Role) (*Creds, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("natsauth: create nkey for %s: %w", name, err)
	}
	seed, err := kp.Seed()
	if err != nil {
		return nil, fmt.Errorf("natsauth: nkey seed for %s: %w", name, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("natsauth: nkey public key for %s: %w", name, err)
	}
	return &Creds{Name: name, Role: role, Public: pub, seed: seed}, nil
}

// InboxPrefix is where this identity receives replies: _INBOX.<public key>.
func (c *Creds) InboxPrefix() string { return InboxPrefix(c.Public) }

// InboxPrefix is the reply inbox prefix of the identity with public key pub.
func InboxPrefix(pub string) string { return "_INBOX." + pub }

// Sign signs a server nonce with the identity's private key.
func (c *Creds) Sign(nonce []byte) ([]byte, error) {
	kp, err := nkeys.FromSeed(c.seed)
	if err != nil {
		return nil, fmt.Errorf("natsauth: %s: %w", c.describe(), err)
	}
	defer kp.Wipe()
	return kp.Sign(nonce)
}

func (c *Creds) describe() string {
	if c.Path != "" {
		return "credentials " + c.Path
	}
	return "identity " + c.Name
}

// Write stores the identity at path (mode 0600, in a 0700 directory it
// creates if needed), atomically. It refuses to replace an existing file.
func (c *Creds) Write(path string) error { return c.write(path, false) }

// Replace is Write, replacing an existing file.
func (c *Creds) Replace(path string) error { return c.write(path, true) }

func (c *Creds) write(path string, replace bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("natsauth: create the directory of %s: %w", path, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# fluvio NATS credentials: identity %q, role %s.\n", c.Name, c.Role)
	fmt.Fprintf(&b, "# Public key %s; replies on %s.>\n", c.Public, c.InboxPrefix())
	b.WriteString("# Keep this file private: whoever holds it speaks as this identity.\n")
	b.Write(c.seed)
	b.WriteByte('\n')
	tmp, err := os.CreateTemp(filepath.Dir(path), ".creds-*")
	if err != nil {
		return fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	if replace {
		if err := os.Rename(tmp.Name(), path); err != nil {
			return fmt.Errorf("natsauth: write %s: %w", path, err)
		}
		c.Path = path
		return nil
	}
	// Link refuses an existing destination: never overwrite a key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("natsauth: %s exists already: remove it first, or keep using it: %w", path, err)
		}
		return fmt.Errorf("natsauth: write %s: %w", path, err)
	}
	c.Path = path
	return nil
}

// Load reads a credential file written by Write (or any file holding an
// nkey user seed, like 'nsc generate nkey -u' output).
func Load(path string) (*Creds, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("natsauth: read credentials: %w; pass the file 'fluvio cluster start' or 'fluvio custom-spu register' wrote", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("natsauth: credentials %s are readable by others (mode %v): run 'chmod 600 %s'", path, fi.Mode().Perm(), path)
	}
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	if err != nil {
		return nil, fmt.Errorf("natsauth: credentials %s hold no nkey user seed: %w", path, err)
	}
	defer kp.Wipe()
	seed, err := kp.Seed()
	if err != nil {
		return nil, fmt.Errorf("natsauth: credentials %s: %w", path, err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("natsauth: credentials %s: %w", path, err)
	}
	c := &Creds{Name: strings.TrimSuffix(filepath.Base(path), ".creds"), Public: pub, Path: path, seed: bytes.Clone(seed)}
	for line := range strings.Lines(string(data)) {
		if _, rest, ok := strings.Cut(line, "identity "); ok && strings.HasPrefix(line, "#") {
			var name, role string
			if n, _ := fmt.Sscanf(rest, "%q, role %s", &name, &role); n == 2 {
				c.Name, c.Role = name, Role(strings.TrimSuffix(role, "."))
			}
			break
		}
	}
	return c, nil
}

// LoadOrCreate loads path, or makes a new identity and writes it there
// when the file does not exist.
func LoadOrCreate(path, name string, role Role) (*Creds, error) {
	c, err := Load(path)
	if err == nil {
		return c, nil
	}
	if _, serr := os.Stat(path); !errors.Is(serr, fs.ErrNotExist) {
		return nil, err
	}
	c, err = New(name, role)
	if err != nil {
		return nil, err
	}
	if err := c.Write(path); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process made it first
			return Load(path)
		}
		return nil, err
	}
	return c, nil
}

// ValidPublicKey reports whether s is an nkey user public key (U...).
func ValidPublicKey(s string) bool { return nkeys.IsValidPublicUserKey(s) }
