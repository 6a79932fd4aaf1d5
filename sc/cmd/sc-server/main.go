// Command sc-server runs the Streaming Controller.
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
	"github.com/fluvio-go/fluvio/sc"
	"github.com/spf13/pflag"
)

func main() {
	var cfg sc.Config
	fs := pflag.NewFlagSet("sc-server", pflag.ContinueOnError)
	cfg.AddFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "sc-server: the fluvio Streaming Controller\n\nUsage:\n  sc-server [flags]\n\nFlags:\n%s\nA flag not given is read from the environment as FLUVIO_<FLAG> (for example FLUVIO_DATA_DIR).\n", fs.FlagUsages())
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "sc-server:", err)
		os.Exit(2)
	}
	if err := flagenv.Bind(fs, "FLUVIO", nil); err != nil {
		fmt.Fprintln(os.Stderr, "sc-server:", err)
		os.Exit(2)
	}
	if *showVersion {
		fmt.Println("sc-server", version.String())
		return
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sc.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "sc-server:", err)
		os.Exit(1)
	}
}
