package cli

import (
	"context"
	"io"

	"github.com/fluvio-go/fluvio"
)

func init() {
	registerGroup("cluster", "run a local cluster, check a cluster, and manage its SPUs",
		leaf("start", "start (or resume) a local cluster: SC with embedded NATS and N SPUs", runClusterStart, "resume"),
		leaf("stop", "stop the local cluster, keeping its data", runClusterStop, "shutdown"),
		leaf("status", "show the local cluster's processes, addresses and logs", runClusterStatus),
		leaf("check", "check that a cluster can run or is healthy", runClusterCheck),
		leaf("delete", "stop the local cluster and remove its data", runClusterDelete),
		leaf("gen-nats-conf", "write a least-privilege nats-server config and credentials for an external NATS", runClusterGenNATSConf),
		group("spu", "register, unregister and list SPUs",
			leaf("register", "register an SPU", runClusterSPURegister),
			leaf("unregister", "unregister an SPU", runCustomSPUUnregister, "delete"),
			spuListCommand(),
		),
	)
}

func runClusterSPURegister(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	return registerSPU(ctx, g, args, stdout, stderr, fluvio.SPUTypeCustom)
}
