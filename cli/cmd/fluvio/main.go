// Command fluvio is the user CLI of a fluvio-go cluster.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fluvio-go/fluvio/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
