// Command bench-nats-server runs an embedded nats-server (JetStream on) from
// a config file as its own process, for the benchmarks to measure the peer
// exactly as a user would run it. Once clients can connect it writes the
// client URL to --ready-file; it stops on SIGTERM or SIGINT. With
// --pprof-file it also serves the Go profiles (/debug/pprof/, as
// nats-server's prof_port does) on 127.0.0.1 and a free port, written to
// that file: the benchmark runs a GC through heap?gc=1 before it reads idle
// memory, as it does for our servers' --pprof.
//
//	bench-nats-server --config nats.conf --ready-file ready [--pprof-file pprof]
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio/internal/pprofhttp"
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
	pprofFile := flag.String("pprof-file", "", "serve /debug/pprof/ on 127.0.0.1:0 and write its address here")
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
	if *pprofFile != "" {
		stop, err := servePprof(*pprofFile)
		if err != nil {
			s.Shutdown()
			return err
		}
		defer stop()
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

// servePprof serves the Go profiles on 127.0.0.1:0 and writes the address
// to path; stop closes the server.
func servePprof(path string) (stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	mux := http.NewServeMux()
	pprofhttp.Mount(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	stop = func() {
		_ = srv.Close()
		<-done
	}
	if err := os.WriteFile(path, []byte(l.Addr().String()), 0o644); err != nil {
		stop()
		return nil, fmt.Errorf("pprof file: %w", err)
	}
	return stop, nil
}
