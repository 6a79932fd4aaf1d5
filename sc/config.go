package sc

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
)

// Config configures an SC. The zero value of each field means its default.
type Config struct {
	// Addr is the NATS listen address of the embedded server, and the
	// address SPUs and clients reach the SC at. Default "127.0.0.1:9003".
	Addr string
	// NATSURL, when set, connects to an existing NATS instead of embedding one.
	NATSURL string
	// DataDir holds the embedded NATS JetStream store. Default ~/.fluvio/sc.
	DataDir string
	// Logger receives the SC's logs. Nil discards them.
	Logger *slog.Logger
}

// AddFlags binds the config's fields to fs.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Addr, "sc", "127.0.0.1:9003", "NATS listen address of the embedded server (the SC address SPUs and clients use)")
	fs.StringVar(&c.NATSURL, "nats-url", "", "use an existing NATS at this URL instead of the embedded server")
	fs.StringVar(&c.DataDir, "data-dir", "", "directory for the embedded JetStream store (default ~/.fluvio/sc)")
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:9003"
	}
	if c.DataDir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			c.DataDir = filepath.Join(home, ".fluvio", "sc")
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first problem with the config, if any.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.NATSURL == "" && c.DataDir == "" {
		return errors.New("sc: no data dir: pass --data-dir DIR")
	}
	if c.NATSURL == "" && c.Addr == "" {
		return fmt.Errorf("sc: no listen address: pass --sc HOST:PORT")
	}
	return nil
}
