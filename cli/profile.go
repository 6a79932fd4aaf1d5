package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/fluvio-go/fluvio/internal/atomicfile"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// profileConfig is the profiles file at ~/.fluvio/config (or
// $FLUVIO_CONFIG, or $FLV_PROFILE_PATH): Fluvio's TOML (profile_toml.go).
// The yaml tags read the YAML files earlier versions wrote.
type profileConfig struct {
	Current  string             `yaml:"current"`
	Profiles map[string]profile `yaml:"profiles"`
	raw      map[string]any     // the TOML document, kept whole when saving
}

// profile is one named cluster target.
type profile struct {
	// SC is the address of the cluster's SC (its NATS), HOST:PORT or a NATS URL.
	SC string `yaml:"sc" json:"sc"`
	// LocalDir is the data directory of the local cluster this profile
	// points at ('fluvio cluster start' sets it); cluster commands use it.
	LocalDir string `yaml:"localDir,omitempty" json:"localDir,omitempty"`
	// Creds is the NATS credential file the CLI connects with (a cluster
	// with auth: 'fluvio cluster start' sets DATA-DIR/auth/admin.creds).
	Creds string `yaml:"creds,omitempty" json:"creds,omitempty"`
	// Cluster names the profile's [cluster.NAME] table in the TOML file
	// (by default the profile's own name).
	Cluster string `yaml:"-" json:"cluster,omitempty"`
	// TLS is the cluster's [cluster.NAME.tls] (profile_tls.go); nil:
	// plaintext.
	TLS *profileTLS `yaml:"-" json:"tls,omitempty"`
}

// profilesPath returns the profiles file path: $FLUVIO_CONFIG, else
// $FLV_PROFILE_PATH (Fluvio's), else ~/.fluvio/config.
func (g *Global) profilesPath() (string, error) {
	if p := g.getenv(EnvConfig); p != "" {
		return p, nil
	}
	if p := g.getenv(EnvProfilePath); p != "" {
		return p, nil
	}
	home, err := g.homeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".fluvio", "config"), nil
}

// homeDir is $HOME (as the Global sees the environment).
func (g *Global) homeDir() (string, error) {
	if h := g.getenv("HOME"); h != "" {
		return h, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", withHint(fmt.Errorf("no home directory: %w", err), exitError, "set HOME, or set "+EnvConfig+" to the profiles file path")
	}
	return h, nil
}

// loadProfiles reads the profiles file; a missing file is an empty config.
func (g *Global) loadProfiles() (*profileConfig, string, error) {
	path, err := g.profilesPath()
	if err != nil {
		return nil, "", err
	}
	cfg := &profileConfig{Profiles: map[string]profile{}, raw: map[string]any{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, path, nil
	}
	if err != nil {
		return nil, path, withHint(fmt.Errorf("read profiles: %w", err), exitError, "check the file's permissions, or set "+EnvConfig+" to another path")
	}
	cfg, migrated, err := decodeProfiles(path, data)
	if err != nil {
		return nil, path, err
	}
	if migrated {
		if err := migrateProfiles(path, data, cfg); err != nil {
			return nil, path, err
		}
	}
	return cfg, path, nil
}

// saveProfiles writes the profiles file atomically (temp file, fsync, rename).
func saveProfiles(path string, cfg *profileConfig) error {
	data, err := encodeProfiles(cfg)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return withHint(fmt.Errorf("write profiles: %w", err), exitError, "check that the directory of "+path+" is writable, or set "+EnvConfig)
	}
	return nil
}

// setProfile adds or replaces profile name and optionally makes it current.
func (g *Global) setProfile(name string, p profile, makeCurrent bool) error {
	cfg, path, err := g.loadProfiles()
	if err != nil {
		return err
	}
	cfg.Profiles[name] = p
	if p.TLS == nil {
		// No TLS now: drop the cluster's old tls table, which encoding
		// would otherwise keep (a cluster started again without --tls
		// kept the deleted one's certificates).
		cluster := p.Cluster
		if cluster == "" {
			cluster = name
		}
		clusters, _ := cfg.raw["cluster"].(map[string]any)
		if cm, ok := clusters[cluster].(map[string]any); ok {
			delete(cm, "tls")
		}
	}
	if makeCurrent || cfg.Current == "" {
		cfg.Current = name
	}
	return saveProfiles(path, cfg)
}

func init() {
	registerGroup("profile", "manage profiles: named SC addresses the CLI talks to",
		leaf("list", "list the profiles (* marks the current one)", runProfileList, "ls"),
		leaf("current", "print the current profile and the effective SC address", runProfileCurrent),
		leaf("switch", "make a profile the current one", runProfileSwitch, "use"),
		leaf("add", "add or update a profile", runProfileAdd, "set"),
		leaf("rename", "rename a profile", runProfileRename),
		leaf("delete", "delete a profile", runProfileDelete, "rm"),
		leaf("export", "print a profile as a profiles file (TOML) or its cluster settings (-O json|yaml)", runProfileExport),
	)
}

// profileView is one profile as -O json|yaml prints it, in the
// {name, spec, status} shape of every list.
type profileView struct {
	Name   string        `json:"name"`
	Spec   profile       `json:"spec"`
	Status profileStatus `json:"status"`
}

type profileStatus struct {
	Current bool `json:"current"`
}

func runProfileList(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio profile list [-O table|yaml|json]",
		Short: "List the profiles in ~/.fluvio/config (or $FLUVIO_CONFIG). The current one is marked with *.",
		Examples: `fluvio profile list
			fluvio profile list -O json`,
	}, false)
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, "profile list takes no arguments")
	}
	cfg, path, err := g.loadProfiles()
	if err != nil {
		return g.fail(stderr, err)
	}
	names := make([]string, 0, len(cfg.Profiles))
	for n := range cfg.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	views := make([]profileView, 0, len(names))
	t := newTable("CURRENT", "PROFILE", "SC")
	for _, n := range names {
		cur := n == cfg.Current
		spec := cfg.Profiles[n]
		spec.SC = natsurl.Redact(spec.SC) // the password stays in the file, never on screen
		views = append(views, profileView{Name: n, Spec: spec, Status: profileStatus{Current: cur}})
		mark := " "
		if cur {
			mark = "*"
		}
		t.rows = append(t.rows, []string{mark, n, spec.SC})
	}
	err = printList(stdout, stderr, *out, views, t, fmt.Sprintf("no profiles in %s: add one with 'fluvio profile add NAME --sc HOST:PORT' or create a local cluster with 'fluvio cluster start'", path))
	if err != nil {
		return g.fail(stderr, err)
	}
	return exitOK
}

func runProfileCurrent(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio profile current [-O table|yaml|json]",
		Short: `Print the current profile's name. With -O yaml or -O json, print the effective
settings: the SC address the next command will use and where it came from
(precedence: --sc or --profile > $FLUVIO_SC > current profile > ` + DefaultSC + `).`,
		Examples: `fluvio profile current
			fluvio profile current -O yaml
			FLUVIO_SC=10.0.0.5:9003 fluvio profile current -O json`,
	}, true)
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, "profile current takes no arguments")
	}
	t, err := g.resolveTarget()
	if err != nil {
		return g.fail(stderr, err)
	}
	if *out != outputTable {
		path, _ := g.profilesPath()
		t.Addr = natsurl.Redact(t.Addr)
		v := struct {
			target `yaml:",inline"`
			Config string `json:"config" yaml:"config"`
		}{t, path}
		if err := printObject(stdout, *out, v, nil); err != nil {
			return g.fail(stderr, err)
		}
		return exitOK
	}
	cfg, _, err := g.loadProfiles()
	if err != nil {
		return g.fail(stderr, err)
	}
	if cfg.Current == "" {
		return g.fail(stderr, withHint(errors.New("no current profile"), exitNotFound,
			"add one with 'fluvio profile add NAME --sc HOST:PORT' (the SC address used now is "+t.describe()+")"))
	}
	fmt.Fprintln(stdout, cfg.Current)
	return exitOK
}

func runProfileSwitch(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage:    "fluvio profile switch NAME",
		Short:    "Make profile NAME the current one: later commands without --sc or --profile use its SC.",
		Examples: `fluvio profile switch local`,
	}, false)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "profile switch takes one argument: the profile name")
	}
	name := fs.Arg(0)
	cfg, path, err := g.loadProfiles()
	if err != nil {
		return g.fail(stderr, err)
	}
	if _, ok := cfg.Profiles[name]; !ok {
		return g.fail(stderr, profileNotFound(name, path))
	}
	cfg.Current = name
	if err := saveProfiles(path, cfg); err != nil {
		return g.fail(stderr, err)
	}
	fmt.Fprintf(stdout, "switched to profile %q\n", name)
	return exitOK
}

func profileNotFound(name, path string) error {
	return withHint(fmt.Errorf("profile %q not found in %s", name, path), exitNotFound,
		"run 'fluvio profile list' to see the profiles, or 'fluvio profile add "+name+" --sc HOST:PORT' to create it")
}

func runProfileAdd(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio profile add NAME --sc HOST:PORT [--creds FILE] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]] [--switch]",
		Short: `Add profile NAME pointing at the SC at HOST:PORT, or update it if it exists.
The first profile added becomes the current one; --switch makes this one current.
With --tls-ca the profile speaks TLS to the cluster (tls_policy = "verified",
Fluvio's [cluster.NAME.tls]); --tls-cert and --tls-key are the client certificate
a cluster with mutual TLS requires. Updating a profile without --tls-* keeps its TLS.`,
		Examples: `fluvio profile add prod --sc sc.example.com:9003
			fluvio profile add local --sc 127.0.0.1:9003 --switch
			fluvio profile add ops --sc 127.0.0.1:9003 --creds ~/.fluvio/local/auth/read-only.creds
			fluvio profile add secure --sc 10.0.0.5:9003 --creds admin.creds --tls-ca ca.crt --tls-cert admin.crt --tls-key admin.key`,
	}, false)
	sc := fs.StringP("sc", "c", "", "the profile's SC address, `HOST:PORT` (required)")
	creds := fs.String("creds", "", "the NATS credential `FILE` the profile connects with (a cluster with auth)")
	tlsCA := fs.String("tls-ca", "", "the cluster's CA certificate `FILE`: the profile speaks TLS")
	tlsCert := fs.String("tls-cert", "", "the client certificate `FILE` (a cluster with mutual TLS)")
	tlsKey := fs.String("tls-key", "", "the client certificate's key `FILE`")
	tlsDomain := fs.String("tls-domain", "", "the `NAME` every server certificate carries (default: the host dialed)")
	sw := fs.Bool("switch", false, "make it the current profile")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "profile add takes one argument: the profile name")
	}
	if *sc == "" {
		return g.usageError(stderr, "missing --sc HOST:PORT: the SC address the profile points at")
	}
	if err := validateAddr(*sc); err != nil {
		return g.usageError(stderr, "--sc: "+err.Error())
	}
	name := fs.Arg(0)
	if err := validateProfileName(name); err != nil {
		return g.usageError(stderr, "profile name: "+err.Error())
	}
	if *creds != "" {
		abs, err := filepath.Abs(*creds)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			return g.usageError(stderr, "--creds: "+err.Error())
		}
		*creds = abs
	}
	ptls, err := tlsFromFlags(*tlsCA, *tlsCert, *tlsKey, *tlsDomain)
	if err != nil {
		return g.usageError(stderr, err.Error())
	}
	if ptls == nil {
		if cfg, _, err := g.loadProfiles(); err == nil {
			ptls = cfg.Profiles[name].TLS // keep the profile's
		}
	}
	if err := g.setProfile(name, profile{SC: *sc, Creds: *creds, TLS: ptls}, *sw); err != nil {
		return g.fail(stderr, err)
	}
	fmt.Fprintf(stdout, "profile %q set to %s\n", name, natsurl.Redact(*sc))
	return exitOK
}

func runProfileRename(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage:    "fluvio profile rename OLD NEW",
		Short:    "Rename profile OLD to NEW (it stays current if it was).",
		Examples: `fluvio profile rename local dev`,
	}, false)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 2 {
		return g.usageError(stderr, "profile rename takes two arguments: OLD NEW")
	}
	from, to := fs.Arg(0), fs.Arg(1)
	if err := validateProfileName(to); err != nil {
		return g.usageError(stderr, "profile name: "+err.Error())
	}
	cfg, path, err := g.loadProfiles()
	if err != nil {
		return g.fail(stderr, err)
	}
	p, ok := cfg.Profiles[from]
	if !ok {
		return g.fail(stderr, profileNotFound(from, path))
	}
	if _, exists := cfg.Profiles[to]; exists {
		return g.fail(stderr, withHint(fmt.Errorf("profile %q already exists", to), exitConflict,
			"delete it first with 'fluvio profile delete "+to+"', or pick another name"))
	}
	delete(cfg.Profiles, from)
	cfg.Profiles[to] = p
	if cfg.Current == from {
		cfg.Current = to
	}
	if err := saveProfiles(path, cfg); err != nil {
		return g.fail(stderr, err)
	}
	fmt.Fprintf(stdout, "profile %q renamed to %q\n", from, to)
	return exitOK
}

func runProfileDelete(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio profile delete NAME",
		Short: `Delete profile NAME. Deleting the current profile leaves no current profile:
switch to another with 'fluvio profile switch NAME'.`,
		Examples: `fluvio profile delete prod`,
	}, false)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "profile delete takes one argument: the profile name")
	}
	name := fs.Arg(0)
	cfg, path, err := g.loadProfiles()
	if err != nil {
		return g.fail(stderr, err)
	}
	if _, ok := cfg.Profiles[name]; !ok {
		return g.fail(stderr, profileNotFound(name, path))
	}
	delete(cfg.Profiles, name)
	wasCurrent := cfg.Current == name
	if wasCurrent {
		cfg.Current = ""
	}
	if err := saveProfiles(path, cfg); err != nil {
		return g.fail(stderr, err)
	}
	fmt.Fprintf(stdout, "profile %q deleted\n", name)
	if wasCurrent {
		fmt.Fprintln(stderr, "note: that was the current profile; switch to another with 'fluvio profile switch NAME'")
	}
	return exitOK
}

func runProfileExport(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio profile export [NAME] [-O toml|json|yaml]",
		Short: `Print the current profile (or NAME). TOML, the default, is a whole profiles
file holding just that profile: save it and point FLV_PROFILE_PATH (or
FLUVIO_CONFIG) at it on another machine (the files it names, the NATS
credentials and TLS certificates, must be there too). JSON and YAML print
the cluster settings (endpoint, tls, metadata.nats_creds).`,
		Examples: `fluvio profile export > prod.toml && FLV_PROFILE_PATH=prod.toml fluvio topic list
			fluvio profile export local -O json`,
	}, false)
	out := fs.StringP("output", "O", "toml", "output `FORMAT`: toml, json or yaml")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() > 1 {
		return g.usageError(stderr, "profile export takes at most one argument: the profile name")
	}
	cfg, path, err := g.loadProfiles()
	if err != nil {
		return g.fail(stderr, err)
	}
	name := cfg.Current
	if fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	if name == "" {
		return g.fail(stderr, withHint(errors.New("no current profile to export"), exitNotFound,
			"name one: 'fluvio profile export NAME' (see 'fluvio profile list')"))
	}
	if _, ok := cfg.Profiles[name]; !ok {
		return g.fail(stderr, profileNotFound(name, path))
	}
	switch *out {
	case "toml", "table":
		data, err := exportProfile(cfg, name)
		if err != nil {
			return g.fail(stderr, err)
		}
		_, _ = stdout.Write(data)
	case "json":
		err = writeJSON(stdout, clusterExport(cfg, name))
	case "yaml":
		err = writeYAML(stdout, clusterExport(cfg, name))
	default:
		return g.usageError(stderr, fmt.Sprintf("--output %q: use toml, json or yaml", *out))
	}
	if err != nil {
		return g.fail(stderr, err)
	}
	return exitOK
}
