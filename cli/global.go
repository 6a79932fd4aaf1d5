package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"github.com/spf13/pflag"
)

// DefaultSC is the SC address used when neither a flag, FLUVIO_SC nor a
// profile names one.
const DefaultSC = "127.0.0.1:9003"

// Environment variables the CLI reads.
const (
	// EnvSC overrides the current profile's SC address (but not --sc or --profile).
	EnvSC = "FLUVIO_SC"
	// EnvConfig is the path of the profiles file (default ~/.fluvio/config).
	EnvConfig = "FLUVIO_CONFIG"
	// EnvCreds overrides the profile's NATS credential file (but not --creds).
	EnvCreds = "FLUVIO_CLIENT_CREDS"
	// EnvProfilePath is Fluvio's name for it, used when EnvConfig is unset.
	EnvProfilePath = "FLV_PROFILE_PATH"
)

// Global holds the settings shared by every command: where the SC is, and
// how to reach the environment. One Global is made per Run.
type Global struct {
	// SC is the value of -c/--sc, "" when not given.
	SC string
	// Profile is the value of -P/--profile, "" when not given.
	Profile string
	// Creds is the value of --creds, "" when not given.
	Creds string
	// TLSCA, TLSCert and TLSKey are --tls-ca, --tls-cert and --tls-key:
	// they replace the profile's TLS settings.
	TLSCA, TLSCert, TLSKey string

	// path is the command path being run, e.g. "fluvio topic create".
	path string
	// getenv reads the environment (os.Getenv unless a test sets it).
	getenv func(string) string
	// stdin is where commands that ask questions read answers.
	stdin io.Reader
	// connectTimeout bounds dialing the SC.
	connectTimeout time.Duration
	// dialed is the SC address the command connected to, once it has.
	dialed *target
	// stderr gets the client library's warnings (a partition waiting for
	// its leader); nil discards them.
	stderr io.Writer
}

func newGlobal() *Global {
	return &Global{getenv: os.Getenv, stdin: os.Stdin, connectTimeout: 3 * time.Second}
}

// help is the --help text of one leaf command.
type help struct {
	// Usage is the synopsis after "Usage:", e.g. "fluvio topic create NAME [flags]".
	Usage string
	// Short is the paragraph that says what the command does.
	Short string
	// Examples are example command lines, one per line, with optional
	// "# comment" lines.
	Examples string
}

// render formats the help with the flag set's usages.
func (h help) render(fs *pflag.FlagSet) string {
	var b strings.Builder
	if h.Short != "" {
		b.WriteString(strings.TrimSpace(h.Short))
		b.WriteString("\n\n")
	}
	fmt.Fprintf(&b, "Usage:\n  %s\n", h.Usage)
	if h.Examples != "" {
		b.WriteString("\nExamples:\n")
		for _, line := range strings.Split(strings.TrimSpace(h.Examples), "\n") {
			b.WriteString("  " + strings.TrimSpace(line) + "\n")
		}
	}
	if u := flagUsages(fs); u != "" {
		b.WriteString("\nFlags:\n")
		b.WriteString(u)
	}
	return b.String()
}

// flagUsages lists fs's flags, one per line, aligned: "  -O, --output FORMAT   what it does (default x)".
// A flag without a value (a bool) shows no value name.
func flagUsages(fs *pflag.FlagSet) string {
	type line struct{ left, right string }
	var lines []line
	w := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if name != "" {
			left += " " + name
		}
		switch f.DefValue {
		case "", "0", "false", "[]", "-1", "0s":
		default:
			if name != "" && !strings.Contains(usage, "(default") {
				usage += " (default " + f.DefValue + ")"
			}
		}
		lines = append(lines, line{left, usage})
		w = max(w, len(left))
	})
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%-*s   %s\n", w, l.left, l.right)
	}
	return b.String()
}

// flagSet is a pflag.FlagSet that knows its help text.
type flagSet struct {
	*pflag.FlagSet
	help help
	// target reports whether the target flags (--sc, --profile) are bound.
	target bool
}

// newFlagSet returns a ContinueOnError flag set for the command being run,
// with --sc and --profile bound to g when target is true.
func (g *Global) newFlagSet(h help, target bool) *flagSet {
	fs := pflag.NewFlagSet(g.path, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	fs.BoolP("help", "h", false, "show this help")
	if target {
		g.addTargetFlags(fs)
	}
	return &flagSet{FlagSet: fs, help: h, target: target}
}

// addTargetFlags binds -c/--sc and -P/--profile.
func (g *Global) addTargetFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&g.SC, "sc", "c", "", "address of the Streaming Controller, `HOST:PORT` (default: the current profile's, else "+DefaultSC+")")
	fs.StringVarP(&g.Profile, "profile", "P", "", "use the SC address of profile `NAME` (see 'fluvio profile list')")
	fs.StringVar(&g.Creds, "creds", "", "NATS credential `FILE` to connect with (default: $"+EnvCreds+", else the profile's)")
	fs.StringVar(&g.TLSCA, "tls-ca", "", "speak TLS, trusting the cluster's CA certificate `FILE` (default: the profile's tls settings)")
	fs.StringVar(&g.TLSCert, "tls-cert", "", "client certificate `FILE` for a cluster with mutual TLS (with --tls-key)")
	fs.StringVar(&g.TLSKey, "tls-key", "", "the client certificate's key `FILE`")
}

// parse parses args into fs. It returns ok=false with the exit code to
// return when the command should stop: after --help (printed to stdout,
// code 0) or on a usage error (printed to stderr with the next step).
func (g *Global) parse(fs *flagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	err := fs.Parse(args)
	if h, _ := fs.GetBool("help"); h || errors.Is(err, pflag.ErrHelp) {
		fmt.Fprint(stdout, fs.help.render(fs.FlagSet))
		return exitOK, false
	}
	if err != nil {
		return g.usageError(stderr, err.Error()), false
	}
	if fs.target && g.SC != "" && g.Profile != "" {
		return g.usageError(stderr, "--sc and --profile cannot be used together: pass one of them"), false
	}
	return exitOK, true
}

// usageError prints a usage error and returns exitUsage.
func (g *Global) usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "error: %s\nnext: run '%s --help' for usage and examples\n", msg, g.path)
	return exitUsage
}

// target is a resolved SC address and where it came from.
type target struct {
	Addr string `json:"sc" yaml:"sc"`
	// Profile is the profile the address came from, if any.
	Profile string `json:"profile,omitempty" yaml:"profile,omitempty"`
	// Source says which setting won: "--sc", "--profile", "FLUVIO_SC",
	// "current profile" or "default".
	Source string `json:"source" yaml:"source"`
	// Creds is the NATS credential file: --creds, else FLUVIO_CLIENT_CREDS,
	// else the profile's; "" connects without an identity.
	Creds string `json:"creds,omitempty" yaml:"creds,omitempty"`
	// TLS is --tls-ca/--tls-cert/--tls-key, else the profile's; nil:
	// plaintext.
	TLS *profileTLS `json:"tls,omitempty" yaml:"tls,omitempty"`
}

// describe says where the address came from, for error messages.
// The address's passwords are redacted.
func (t target) describe() string {
	addr := natsurl.Redact(t.Addr)
	if t.Profile != "" {
		return fmt.Sprintf("%s (from profile %q)", addr, t.Profile)
	}
	if t.Source == "default" {
		return addr + " (the default)"
	}
	return fmt.Sprintf("%s (from %s)", addr, t.Source)
}

// resolveTarget picks the SC address: --sc, else --profile, else
// FLUVIO_SC, else the current profile, else DefaultSC; and the
// credentials: --creds, else FLUVIO_CLIENT_CREDS, else the profile's.
func (g *Global) resolveTarget() (target, error) {
	t, creds, err := g.resolveAddr()
	if err != nil {
		return t, err
	}
	flagTLS, err := tlsFromFlags(g.TLSCA, g.TLSCert, g.TLSKey, "")
	if err != nil {
		return t, withHint(err, exitUsage, "pass the cluster's CA with --tls-ca FILE, and a client certificate with --tls-cert FILE --tls-key FILE")
	}
	if flagTLS != nil {
		t.TLS = flagTLS
	} else if t.TLS == nil && t.Profile == "" {
		// --sc or FLUVIO_SC naming a cluster a profile knows: use that
		// profile's TLS settings.
		if cfg, _, err := g.loadProfiles(); err == nil {
			for _, name := range sortedProfileNames(cfg) {
				if p := cfg.Profiles[name]; p.SC == t.Addr && p.TLS != nil {
					t.TLS = p.TLS
					break
				}
			}
		}
	}
	switch {
	case g.Creds != "":
		t.Creds = g.Creds
	case g.getenv(EnvCreds) != "":
		t.Creds = g.getenv(EnvCreds)
	case creds != "":
		t.Creds = creds
	default:
		// --sc or FLUVIO_SC naming a cluster a profile knows: use that
		// profile's credentials ('make run' prints --sc addresses).
		if cfg, _, err := g.loadProfiles(); err == nil {
			for _, name := range sortedProfileNames(cfg) {
				if p := cfg.Profiles[name]; p.SC == t.Addr && p.Creds != "" {
					t.Creds = p.Creds
					break
				}
			}
		}
	}
	return t, nil
}

// sortedProfileNames lists cfg's profiles, the current one first.
func sortedProfileNames(cfg *profileConfig) []string {
	names := make([]string, 0, len(cfg.Profiles))
	for n := range cfg.Profiles {
		if n != cfg.Current {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if _, ok := cfg.Profiles[cfg.Current]; ok {
		names = append([]string{cfg.Current}, names...)
	}
	return names
}

// resolveAddr is resolveTarget's address part; creds are the credentials
// of the profile the address came from.
func (g *Global) resolveAddr() (t target, creds string, err error) {
	if g.SC != "" {
		return target{Addr: g.SC, Source: "--sc"}, "", nil
	}
	if g.Profile != "" {
		cfg, path, err := g.loadProfiles()
		if err != nil {
			return target{}, "", err
		}
		p, ok := cfg.Profiles[g.Profile]
		if !ok {
			return target{}, "", &cliError{
				Err:  fmt.Errorf("profile %q not found in %s", g.Profile, path),
				Hint: "run 'fluvio profile list' to see the profiles, or 'fluvio profile add " + g.Profile + " --sc HOST:PORT' to create it",
				Code: exitNotFound,
			}
		}
		return target{Addr: p.SC, Profile: g.Profile, Source: "--profile", TLS: p.TLS}, p.Creds, nil
	}
	if v := g.getenv(EnvSC); v != "" {
		return target{Addr: v, Source: EnvSC}, "", nil
	}
	cfg, _, err := g.loadProfiles()
	if err != nil {
		return target{}, "", err
	}
	if p, ok := cfg.Profiles[cfg.Current]; ok && cfg.Current != "" {
		return target{Addr: p.SC, Profile: cfg.Current, Source: "current profile", TLS: p.TLS}, p.Creds, nil
	}
	return target{Addr: DefaultSC, Source: "default"}, "", nil
}

// unreachable is the error for an SC that cannot be dialed.
func unreachable(t target, err error) error {
	if hint, ok := natsauth.TLSHint(err, "the SC", natsurl.Redact(t.Addr), t.TLS != nil); ok {
		return &cliError{Err: fmt.Errorf("cannot connect to the SC at %s: %w", t.describe(), err), Hint: hint, Code: exitUnavailable}
	}
	if isAuthRefused(err) {
		hint := "this cluster requires credentials: pass --creds FILE (a local cluster's are in DATA-DIR/auth: admin.creds, client.creds, read-only.creds), or use its profile ('fluvio profile switch local'); with a nats.conf of passwords, " +
			natsurl.Hint(err, "a client user's in the address, --sc", "")
		switch {
		case t.Creds != "":
			hint = "NATS refused the credentials " + t.Creds + ": they belong to another cluster or were revoked; pass this cluster's with --creds FILE"
		case t.Profile != "":
			// The profile in use is the one to fix: switching to it does nothing.
			hint = fmt.Sprintf("this cluster requires credentials and profile %q names none: add them with 'fluvio profile add %s --sc %s --creds FILE' (a local cluster's are in DATA-DIR/auth: admin.creds, client.creds, read-only.creds), or pass --creds FILE",
				t.Profile, t.Profile, natsurl.Redact(t.Addr))
		}
		return &cliError{Err: fmt.Errorf("the SC at %s refused the connection: %w", t.describe(), err), Hint: hint, Code: exitUnavailable}
	}
	return &cliError{
		Err: fmt.Errorf("cannot reach the SC at %s: %w", t.describe(), err),
		Hint: natsurl.Hint(err, "a client user's in the address, --sc",
			"start a local cluster with 'fluvio cluster start', or point at a running one with --sc HOST:PORT or --profile NAME"),
		Code: exitUnavailable,
	}
}
