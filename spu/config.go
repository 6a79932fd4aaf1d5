package spu

import (
	"errors"
	"log/slog"

	"github.com/spf13/pflag"
)

// Config configures an SPU. The zero value of each field means its default.
type Config struct {
	// ID is the SPU id; it must be registered with the SC. Required.
	ID int32
	// SCAddr is the SC's NATS address. Default "127.0.0.1:9003".
	SCAddr string
	// PublicAddr, when set, is the bind address of the public server,
	// overriding the registered one (clients still get the registered address).
	PublicAddr string
	// PrivateAddr, when set, is the bind address of the private server.
	PrivateAddr string
	// LogBaseDir holds the replicas' logs. Default ~/.fluvio/data.
	LogBaseDir string
	// Logger receives the SPU's logs. Nil discards them.
	Logger *slog.Logger
}

// AddFlags binds the config's fields to fs.
func (c *Config) AddFlags(fs *pflag.FlagSet) {
	fs.Int32Var(&c.ID, "id", -1, "SPU id (must be registered: fluvio custom-spu register --id N ...)")
	fs.StringVar(&c.SCAddr, "sc-controller", "127.0.0.1:9003", "address of the SC (its NATS)")
	fs.StringVar(&c.PublicAddr, "public-server", "", "bind address of the public server (default: the registered one)")
	fs.StringVar(&c.PrivateAddr, "private-server", "", "bind address of the private server (default: the registered one)")
	fs.StringVar(&c.LogBaseDir, "log-base-dir", "", "directory for replica logs (default ~/.fluvio/data)")
}

// Validate reports the first problem with the config, if any.
func (c Config) Validate() error {
	if c.ID < 0 {
		return errors.New("spu: missing --id: pass the id you registered with 'fluvio custom-spu register --id N'")
	}
	return nil
}
