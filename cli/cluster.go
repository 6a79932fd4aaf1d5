package cli

import (
	"context"
	"io"

	"github.com/fluvio-go/fluvio/bus"
)

func init() {
	registerGroup("cluster", "run a local cluster, and manage the cluster's SPUs",
		group("spu", "register, unregister and list SPUs",
			leaf("register", "register an SPU", runClusterSPURegister),
			leaf("unregister", "unregister an SPU", runCustomSPUUnregister, "delete"),
			spuListCommand(),
		),
	)
}

func runClusterSPURegister(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	return registerSPU(ctx, g, args, stdout, stderr, bus.SPUTypeCustom)
}
