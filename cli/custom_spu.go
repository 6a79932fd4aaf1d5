package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/natsauth"
)

func init() {
	registerGroup("custom-spu", "register, unregister and list custom SPUs (SPUs run out-of-band)",
		leaf("register", "authorize an SPU id to join the cluster", runCustomSPURegister),
		leaf("unregister", "remove a custom SPU (a connected spu-server is dropped)", runCustomSPUUnregister, "delete"),
		leaf("list", "list the custom SPUs", runCustomSPUList, "ls"),
	)
}

func runCustomSPURegister(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	return registerSPU(ctx, g, args, stdout, stderr, fluvio.SPUTypeCustom)
}

// registerSPU is custom-spu register and cluster spu register.
func registerSPU(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer, spuType string) int {
	fs := g.newFlagSet(help{
		Usage: g.path + " --id ID --public-server HOST:PORT --private-server HOST:PORT [--name NAME] [--rack RACK] [--creds-out FILE] [--certs-out DIR] [-c HOST:PORT | -P PROFILE]",
		Short: `Tell the SC that an SPU with this id is authorized to join the cluster. It is
used in replica assignment at once and shows offline until 'spu-server --id ID'
connects. spu-server processes with an id nobody registered are refused.
The public server is the address clients reach; the private server the one
other SPUs replicate from: both must be reachable addresses, not 0.0.0.0.

It also makes the SPU's NATS credentials: a new nkey pair whose public key the
SC stores (only the holder of the file can speak as this SPU id) and whose
seed is written to --creds-out (mode 0600). Hand that file to the SPU's host:
'spu-server --id ID --creds FILE'. Unregistering revokes it.

On a cluster with TLS the SPU also needs a certificate signed by the cluster's
CA that names it (spu-ID): --certs-out DIR issues it (with the CA in --ca-dir,
by default the one of the profile: 'fluvio cluster start --tls' keeps it in
DATA-DIR/tls) and writes spu-ID.crt, spu-ID.key (mode 0600) and ca.crt there;
without --certs-out it says which files the SPU needs.`,
		Examples: g.path + ` --id 200 --public-server 127.0.0.1:9005 --private-server 127.0.0.1:9006 --sc 127.0.0.1:9003
			` + g.path + ` -i 201 -n edge-1 -r rack-a -p 10.0.0.7:9005 -v 10.0.0.7:9006
			# then, on the SPU's host (with the file written by register):
			spu-server --id 200 --sc-controller 127.0.0.1:9004 --creds ~/.fluvio/creds/spu-200.creds`,
	}, true)
	id := fs.Int64P("id", "i", -1, "SPU `ID`, 0 to 2147483647 (required, unique)")
	name := fs.StringP("name", "n", "", "SPU `NAME` (default custom-spu-<id>)")
	rack := fs.StringP("rack", "r", "", "`RACK` label, used to spread replicas across racks")
	pub := fs.StringP("public-server", "p", "", "public `HOST:PORT` clients connect to (required)")
	priv := fs.StringP("private-server", "v", "", "private `HOST:PORT` other SPUs replicate from (required)")
	credsOut := fs.String("creds-out", "", "where to write the SPU's NATS credentials, `FILE` (default ~/.fluvio/creds/spu-<id>.creds)")
	spuCreds := fs.String("spu-creds", "", "use the SPU credentials in `FILE` (from 'fluvio cluster gen-nats-conf') instead of making new ones")
	certsOut := fs.String("certs-out", "", "issue the SPU's TLS certificate into `DIR` (spu-<id>.crt, spu-<id>.key, ca.crt)")
	caDir := fs.String("ca-dir", "", "`DIR` holding the cluster's ca.crt and ca.key for --certs-out (default: the profile's CA directory)")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() != 0:
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q: pass the id with --id", fs.Arg(0)))
	case !fs.Changed("id"):
		return g.usageError(stderr, "missing --id: the SPU id to authorize")
	case *id < 0 || *id > fluvio.MaxSPUID:
		return g.usageError(stderr, fmt.Sprintf("--id %d is out of range: pick an id between 0 and %d", *id, int64(fluvio.MaxSPUID)))
	case *pub == "":
		return g.usageError(stderr, "missing --public-server HOST:PORT: the address clients reach the SPU at")
	case *priv == "":
		return g.usageError(stderr, "missing --private-server HOST:PORT: the address other SPUs replicate from")
	}
	for _, f := range [][2]string{{"--public-server", *pub}, {"--private-server", *priv}} {
		if err := validateAdvertised(f[1]); err != nil {
			return g.usageError(stderr, f[0]+": "+err.Error())
		}
	}
	if *name != "" {
		if err := validateName(*name); err != nil {
			return g.usageError(stderr, "--name: "+err.Error())
		}
	}
	out := *credsOut
	if out == "" {
		home, err := g.homeDir()
		if err != nil {
			return g.fail(stderr, err)
		}
		out = filepath.Join(home, ".fluvio", "creds", natsauth.SPUFile(int32(*id)))
	}
	creds, err := spuCredsFor(*spuCreds, *id)
	if err != nil {
		return g.fail(stderr, err)
	}
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	spu, authRequired, err := a.RegisterSPUAuth(ctx, fluvio.SPUConfig{
		ID: fluvio.SPUID(*id), Name: *name, Rack: *rack, PublicEndpoint: *pub, PrivateEndpoint: *priv, Type: spuType,
		NKey: creds.Public,
	})
	if err != nil {
		return g.fail(stderr, err)
	}
	// Written only once the SC took the key: a refused register leaves an
	// existing file (a registered SPU's) alone.
	switch {
	case *spuCreds != "":
		out = creds.Path
	case !authRequired && *credsOut == "":
		out = "" // the SC's NATS lets anyone in: no file to hand over
	default:
		err = creds.Replace(out)
	}
	if err != nil {
		return g.fail(stderr, withHint(fmt.Errorf("SPU %d is registered, but its credentials could not be written: %w", *id, err), exitError,
			fmt.Sprintf("unregister it ('%s unregister --id %d'), then register it again with --creds-out FILE in a writable place", strings.TrimSuffix(g.path, " register"), *id)))
	}
	if out != "" {
		fmt.Fprintf(stderr, "credentials of SPU %d written to %s: start it with 'spu-server --id %d --creds %s'\n", *id, out, *id, out)
	}
	if err := spuCertificates(g.dialed, int32(*id), *pub, *priv, *certsOut, *caDir, stderr); err != nil {
		return g.fail(stderr, fmt.Errorf("SPU %d is registered, but: %w", *id, err))
	}
	n := spu.Name
	if n == "" {
		n = *name
	}
	fmt.Fprintf(stdout, "custom-spu '%s' registered successfully\n", n)
	return exitOK
}

func runCustomSPUUnregister(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: g.path + " (--id ID | --name NAME) [-c HOST:PORT | -P PROFILE]",
		Short: `Remove a custom SPU's authorization. A connected spu-server with that id is
told to stop and disconnected at once; its credentials no longer work.`,
		Examples: g.path + ` --id 200 --sc 127.0.0.1:9003
			` + g.path + ` --name custom-spu-200`,
	}, true)
	id := fs.Int64P("id", "i", -1, "SPU `ID`")
	name := fs.StringP("name", "n", "", "SPU `NAME`")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	byID, byName := fs.Changed("id"), fs.Changed("name")
	switch {
	case fs.NArg() != 0:
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q: pass --id ID or --name NAME", fs.Arg(0)))
	case byID == byName:
		return g.usageError(stderr, "pass exactly one of --id and --name")
	case byID && (*id < 0 || *id > fluvio.MaxSPUID):
		return g.usageError(stderr, fmt.Sprintf("--id %d is out of range: pick an id between 0 and %d", *id, int64(fluvio.MaxSPUID)))
	case byName && *name == "":
		return g.usageError(stderr, "--name is empty")
	}
	what := *name
	if byID {
		what = fmt.Sprint(*id)
	}
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	if byID {
		_, err = a.UnregisterSPU(ctx, fluvio.SPUID(*id))
	} else {
		_, err = a.UnregisterSPUNamed(ctx, *name)
	}
	if err != nil {
		return g.fail(stderr, err)
	}
	// Seed 001's line, word for word: the SPU as the command named it
	// ('200' for --id 200, the name for --name).
	fmt.Fprintf(stdout, "custom-spu '%s' deleted unregistered\n", what)
	return exitOK
}

func runCustomSPUList(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	return listSPUs(ctx, g, args, stdout, stderr, help{
		Usage: g.path + " [-c HOST:PORT | -P PROFILE] [-O table|yaml|json]",
		Short: "List the custom SPUs: those registered with 'fluvio custom-spu register'.",
		Examples: g.path + ` --sc 127.0.0.1:9003
			` + g.path + ` -O yaml`,
	}, true)
}
