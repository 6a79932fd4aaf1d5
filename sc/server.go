package sc

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Run starts the SC and blocks until ctx is cancelled; it returns after all
// its goroutines have exited.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("sc: bad --sc address %q: %w (want HOST:PORT)", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("sc: bad port in --sc %q: %w", cfg.Addr, err)
	}
	ns, err := server.NewServer(&server.Options{
		Host: host, Port: port, JetStream: true, StoreDir: cfg.DataDir,
		NoSigs: true, NoLog: true, ServerName: "fluvio-sc",
	})
	if err != nil {
		return fmt.Errorf("sc: embedded NATS: %w", err)
	}
	ns.Start()
	defer ns.WaitForShutdown()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		return fmt.Errorf("sc: embedded NATS did not start on %s: is the port in use? pick another with --sc HOST:PORT", cfg.Addr)
	}
	cfg.Logger.Info("sc started", "nats", ns.ClientURL(), "data_dir", cfg.DataDir)
	<-ctx.Done()
	cfg.Logger.Info("sc stopping")
	return nil
}
