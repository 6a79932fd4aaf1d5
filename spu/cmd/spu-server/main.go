// Command spu-server runs one Streaming Processing Unit.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/fluvio-go/fluvio/internal/flagenv"
	"github.com/fluvio-go/fluvio/internal/version"
	"github.com/fluvio-go/fluvio/spu"
	"github.com/spf13/pflag"
)

func main() {
	var cfg spu.Config
	fs := pflag.NewFlagSet("spu-server", pflag.ContinueOnError)
	cfg.AddFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "spu-server: a fluvio Streaming Processing Unit\n\nUsage:\n  spu-server --id N --sc-controller HOST:PORT [flags]\n\nFlags:\n%s\nA flag not given is read from the environment as FLUVIO_SPU_<FLAG> (for example FLUVIO_SPU_SC_CONTROLLER).\n", fs.FlagUsages())
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "spu-server:", err)
		os.Exit(2)
	}
	if err := flagenv.Bind(fs, "FLUVIO_SPU", nil); err != nil {
		fmt.Fprintln(os.Stderr, "spu-server:", err)
		os.Exit(2)
	}
	if *showVersion {
		fmt.Println("spu-server", version.String())
		return
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := spu.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "spu-server:", err)
		os.Exit(1)
	}
}
