package cli

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio"
)

func init() {
	registerGroup("spu", "list the SPUs (Streaming Processing Units) of the cluster",
		spuListCommand(),
	)
}

func spuListCommand() *command {
	return leaf("list", "list all SPUs, custom and managed", runSPUList, "ls")
}

func runSPUList(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	return listSPUs(ctx, g, args, stdout, stderr, help{
		Usage: g.path + " [-c HOST:PORT | -P PROFILE] [-O table|yaml|json]",
		Short: `List every SPU the SC knows, with its status (online when its spu-server is
connected and heartbeating), type (custom or managed), rack and addresses.`,
		Examples: g.path + ` --sc 127.0.0.1:9003
			` + g.path + ` -O json
			` + g.path + ` -P local -O yaml`,
	}, false)
}

// listSPUs is spu list and custom-spu list.
func listSPUs(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer, h help, customOnly bool) int {
	fs := g.newFlagSet(h, true)
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, "unexpected argument "+strconv.Quote(fs.Arg(0))+": this command takes flags only")
	}
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	list := a.ListSPUs
	if customOnly {
		list = a.ListCustomSPUs
	}
	items, err := list(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	hint := "no SPUs registered: register one with 'fluvio custom-spu register --id N --public-server HOST:PORT --private-server HOST:PORT', or start a local cluster with 'fluvio cluster start'"
	if customOnly {
		// A local cluster's SPUs are managed: say where they are.
		hint = "no custom SPUs registered ('fluvio spu list' shows every SPU, managed ones too): register one with 'fluvio custom-spu register --id N --public-server HOST:PORT --private-server HOST:PORT'"
	}
	if err := printList(stdout, stderr, *out, items, spuTable(items), hint); err != nil {
		return g.fail(stderr, err)
	}
	return exitOK
}

// spuTable is the table of spu list: ID NAME STATUS TYPE RACK PUBLIC PRIVATE.
func spuTable(items []fluvio.SPU) *table {
	t := newTable("ID", "NAME", "STATUS", "TYPE", "RACK", "PUBLIC", "PRIVATE")
	for _, s := range items {
		t.add(strconv.Itoa(int(s.Spec.ID)), s.Name, strings.ToLower(s.Status.Resolution),
			strings.ToLower(s.Spec.Type), s.Spec.RackName(), s.Spec.PublicEndpoint, s.Spec.PrivateEndpoint)
	}
	return t
}
