// Command sc-server runs the Streaming Controller.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/fluvio-go/fluvio/internal/servermain"
	"github.com/fluvio-go/fluvio/sc"
)

func main() {
	var cfg sc.Config
	os.Exit(servermain.Main(servermain.Spec{
		Name:       "sc-server",
		Summary:    "the fluvio Streaming Controller",
		Usage:      "[flags]",
		EnvPrefix:  "FLUVIO",
		EnvExample: "FLUVIO_DATA_DIR",
		AddFlags:   cfg.AddFlags,
		Run: func(ctx context.Context, logger *slog.Logger) error {
			cfg.Logger = logger
			return sc.Run(ctx, cfg)
		},
	}, os.Args[1:], os.Stdout, os.Stderr))
}
