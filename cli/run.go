package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Run runs the fluvio command line with args (without the program name),
// writing to stdout and stderr, and returns the process exit code (0 on
// success, 2 on a usage error; the other codes are listed in doc.go).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return newGlobal().run(ctx, args, stdout, stderr)
}

func (g *Global) run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	args = moveLeadingTargetFlags(args)
	g.stderr = stderr
	if len(args) == 0 {
		fmt.Fprint(stderr, rootUsage())
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			// "fluvio help topic create" is "fluvio topic create --help".
			return g.run(ctx, append(args[1:], "--help"), stdout, stderr)
		}
		fmt.Fprint(stdout, rootUsage())
		return exitOK
	case "--version":
		args = append([]string{"version"}, args[1:]...)
	case completeCommand:
		return g.complete(ctx, args[1:], stdout)
	}
	c := lookupTop(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "error: unknown command %q\nnext: run 'fluvio --help' for the list of commands\n", args[0])
		return exitUsage
	}
	return dispatch(ctx, g, "fluvio "+c.Name, c, args[1:], stdout, stderr)
}

// rootUsage is the top-level help, listing the registered commands.
func rootUsage() string {
	var b strings.Builder
	b.WriteString("fluvio: the command line for a fluvio-go streaming cluster\n\n")
	b.WriteString("Usage:\n  fluvio <command> [flags]\n\nCommands:\n")
	cmds := topLevel()
	w := 0
	for _, c := range cmds {
		w = max(w, len(c.Name))
	}
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-*s  %s\n", w, c.Name, c.Summary)
	}
	b.WriteString(`
Flags most commands take:
  -c, --sc HOST:PORT      address of the Streaming Controller
  -P, --profile NAME      use a profile's SC address (see 'fluvio profile list')
  -O, --output FORMAT     table, yaml or json (list and describe commands)
  -h, --help              show a command's help and examples

The SC address comes from --sc or --profile, else $FLUVIO_SC, else the
current profile in ~/.fluvio/config ($FLUVIO_CONFIG), else 127.0.0.1:9003.

Get started:
  fluvio cluster start          # a local cluster: SC with embedded NATS and one SPU
  fluvio topic create hello
  fluvio produce hello
  fluvio consume hello -B

Run 'fluvio <command> --help' for a command's flags and examples.
`)
	return b.String()
}

// moveLeadingTargetFlags lets the target flags come before the command
// ("fluvio --sc HOST:PORT topic list"): they move to the end, where the
// command's flag set parses them.
func moveLeadingTargetFlags(args []string) []string {
	var lead []string
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--sc" || a == "-c" || a == "--profile" || a == "-P":
			if len(args) < 2 {
				return append(lead, args...) // the command parser reports it
			}
			lead, args = append(lead, a, args[1]), args[2:]
		case strings.HasPrefix(a, "--sc=") || strings.HasPrefix(a, "--profile="):
			lead, args = append(lead, a), args[1:]
		default:
			if len(lead) == 0 || len(args) == 0 {
				return append(lead, args...)
			}
			return append(args[:len(args):len(args)], lead...)
		}
	}
	return lead
}
