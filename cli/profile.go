package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/fluvio-go/fluvio/internal/natsurl"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// profileConfig is the profiles file, YAML at ~/.fluvio/config (or
// $FLUVIO_CONFIG):
//
//	current: local
//	profiles:
//	  local:
//	    sc: 127.0.0.1:9003
//	  prod:
//	    sc: sc.example.com:9003
type profileConfig struct {
	Current  string             `yaml:"current"`
	Profiles map[string]profile `yaml:"profiles"`
}

// profile is one named cluster target.
type profile struct {
	// SC is the address of the cluster's SC (its NATS), HOST:PORT or a NATS URL.
	SC string `yaml:"sc" json:"sc"`
	// LocalDir is the data directory of the local cluster this profile
	// points at ('fluvio cluster start' sets it); cluster commands use it.
	LocalDir string `yaml:"localDir,omitempty" json:"localDir,omitempty"`
}

// profilesPath returns the profiles file path: $FLUVIO_CONFIG, else
// ~/.fluvio/config.
func (g *Global) profilesPath() (string, error) {
	if p := g.getenv(EnvConfig); p != "" {
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
	cfg := &profileConfig{Profiles: map[string]profile{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, path, nil
	}
	if err != nil {
		return nil, path, withHint(fmt.Errorf("read profiles: %w", err), exitError, "check the file's permissions, or set "+EnvConfig+" to another path")
	}
	if err := yaml.Unmarshal(data, cfg); err != nil {
		return nil, path, withHint(fmt.Errorf("profiles file %s is not valid YAML: %w", path, err), exitError,
			"fix or remove the file (it holds only 'current:' and 'profiles:'), then add profiles with 'fluvio profile add NAME --sc HOST:PORT'")
	}
	if cfg.Profiles == nil {
		cfg.Profiles = map[string]profile{}
	}
	return cfg, path, nil
}

// saveProfiles writes the profiles file atomically (temp file, fsync, rename).
func saveProfiles(path string, cfg *profileConfig) error {
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("encode profiles: %w", err)
	}
	data = append([]byte("# fluvio CLI profiles: edit with 'fluvio profile add|switch|delete'\n"), data...)
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return withHint(fmt.Errorf("write profiles: %w", err), exitError, "check that the directory of "+path+" is writable, or set "+EnvConfig)
	}
	return nil
}

// writeFileAtomic writes data to path through a temp file, fsync and rename.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
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
		Usage: "fluvio profile add NAME --sc HOST:PORT [--switch]",
		Short: `Add profile NAME pointing at the SC at HOST:PORT, or update it if it exists.
The first profile added becomes the current one; --switch makes this one current.`,
		Examples: `fluvio profile add prod --sc sc.example.com:9003
			fluvio profile add local --sc 127.0.0.1:9003 --switch`,
	}, false)
	sc := fs.StringP("sc", "c", "", "the profile's SC address, `HOST:PORT` (required)")
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
	if err := g.setProfile(name, profile{SC: *sc}, *sw); err != nil {
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
