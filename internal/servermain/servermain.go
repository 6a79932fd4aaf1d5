// Package servermain is the shared body of the server binaries' main
// functions (sc-server, spu-server): parse flags with pflag (environment
// variables bound onto the same FlagSet), handle --help and --version, log
// with slog to stderr, and run until SIGINT or SIGTERM. Every message it
// prints or logs has the passwords of NATS URLs redacted (internal/natsurl).
package servermain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/fluvio-go/fluvio/internal/flagenv"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/fluvio-go/fluvio/internal/version"
	"github.com/spf13/pflag"
)

// Spec describes one server binary.
type Spec struct {
	// Name is the binary's name, e.g. "sc-server".
	Name string
	// Summary is the first line of --help.
	Summary string
	// Usage is the usage line after the name, e.g. "--id N [flags]".
	Usage string
	// EnvPrefix is the prefix of the environment variables bound onto the
	// flags (FLUVIO_<FLAG>), and EnvExample one such variable.
	EnvPrefix, EnvExample string
	// AddFlags binds the server's Config to the flag set.
	AddFlags func(fs *pflag.FlagSet)
	// Run runs the server until ctx is cancelled.
	Run func(ctx context.Context, logger *slog.Logger) error
}

// Main runs the binary described by s with args (without the program name)
// and returns the process exit code: 0 on success, 1 when the server fails,
// 2 on bad flags.
func Main(s Spec, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet(s.Name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	s.AddFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s: %s\n\nUsage:\n  %s %s\n\nFlags:\n%s\nA flag not given is read from the environment as %s_<FLAG> (for example %s).\n",
			s.Name, s.Summary, s.Name, s.Usage, fs.FlagUsages(), s.EnvPrefix, s.EnvExample)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for the flags.\n", s.Name, natsurl.Redact(err.Error()), s.Name)
		return 2
	}
	if err := flagenv.Bind(fs, s.EnvPrefix, nil); err != nil {
		fmt.Fprintln(stderr, s.Name+":", natsurl.Redact(err.Error()))
		return 2
	}
	if *showVersion {
		fmt.Fprintln(stdout, s.Name, version.String())
		return 0
	}
	// No message of a server shows a password of a NATS URL.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{ReplaceAttr: natsurl.RedactAttr}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := s.Run(ctx, logger); err != nil {
		fmt.Fprintln(stderr, s.Name+":", natsurl.Redact(err.Error()))
		return 1
	}
	return 0
}
