package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/fluvio-go/fluvio/internal/version"
)

const usage = `fluvio: the command line for a fluvio-go streaming cluster

Usage:
  fluvio <command> [flags]

Commands:
  version     print the CLI version

Global flags:
  -h, --help      show help
      --version   print the version

Run 'fluvio <command> --help' for a command's flags and examples.
`

// Run runs the fluvio command line with args (without the program name),
// writing to stdout and stderr, and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	_ = ctx
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	case "--version", "version":
		fmt.Fprintln(stdout, "fluvio CLI", version.String())
		return 0
	}
	fmt.Fprintf(stderr, "fluvio: unknown command %q\nRun 'fluvio --help' for the list of commands.\n", args[0])
	return 2
}
