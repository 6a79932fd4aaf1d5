// Command spu-server runs one Streaming Processing Unit.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/fluvio-go/fluvio/internal/servermain"
	"github.com/fluvio-go/fluvio/spu"
)

func main() {
	var cfg spu.Config
	os.Exit(servermain.Main(servermain.Spec{
		Name:       "spu-server",
		Summary:    "a fluvio Streaming Processing Unit",
		Usage:      "--id N --sc-controller HOST:PORT [flags]",
		EnvPrefix:  "FLUVIO_SPU",
		EnvExample: "FLUVIO_SPU_SC_CONTROLLER",
		AddFlags:   cfg.AddFlags,
		Run: func(ctx context.Context, logger *slog.Logger) error {
			cfg.Logger = logger
			return spu.Run(ctx, cfg)
		},
	}, os.Args[1:], os.Stdout, os.Stderr))
}
