// Command bench-nats-server runs an embedded nats-server (JetStream on) from
// a config file as its own process, for the benchmarks to measure the peer
// exactly as a user would run it. Once clients can connect it writes the
// client URL to --ready-file; it stops on SIGTERM or SIGINT.
//
//	bench-nats-server --config nats.conf --ready-file ready
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-nats-server:", err)
		os.Exit(1)
	}
}

func run() error {
	config := flag.String("config", "", "nats-server config file")
	readyFile := flag.String("ready-file", "", "write the client URL here once ready")
	flag.Parse()
	if *config == "" || *readyFile == "" {
		return fmt.Errorf("usage: bench-nats-server --config FILE --ready-file FILE")
	}
	opts, err := server.ProcessConfigFile(*config)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	opts.NoSigs = true
	s, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("new server: %w", err)
	}
	s.ConfigureLogger()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return fmt.Errorf("not ready for connections after 30 s")
	}
	tmp := *readyFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(s.ClientURL()), 0o644); err != nil {
		s.Shutdown()
		return fmt.Errorf("ready file: %w", err)
	}
	if err := os.Rename(tmp, *readyFile); err != nil {
		s.Shutdown()
		return fmt.Errorf("ready file: %w", err)
	}
	slog.Info("ready", "url", s.ClientURL(), "pid", os.Getpid())
	<-sigs
	s.Shutdown()
	s.WaitForShutdown()
	return nil
}
