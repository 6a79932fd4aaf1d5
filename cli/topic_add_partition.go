package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/fluvio-go/fluvio"
)

func runTopicAddPartition(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio topic add-partition NAME [-c COUNT]",
		Short: `Add partitions to a topic. The SC places them as it placed the topic's
(same replication, least-loaded SPUs first) and the command returns once
their leaders serve them (the SC answers when the SPUs report the new
replicas), or with a warning after --wait (the partitions stay added);
--wait 0 returns as soon as the SC has stored them. Running producers start
writing to them within a second. Keyed records may hash to another
partition from then on.`,
		Examples: `fluvio topic add-partition orders
			fluvio topic add-partition orders -c 3`,
	}, false)
	// -c is Fluvio's --count here, so --sc has no shorthand.
	fs.target = true
	fs.StringVar(&g.SC, "sc", "", "address of the Streaming Controller, `HOST:PORT` (default: the current profile's, else "+DefaultSC+")")
	fs.StringVarP(&g.Profile, "profile", "P", "", "use the SC address of profile `NAME` (see 'fluvio profile list')")
	count := fs.Int32P("count", "c", 1, "number of partitions to add, `N`")
	wait := fs.String("wait", "30s", "wait at most this `DURATION` for the new partitions to take a produce (0: return once the SC has stored them)")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	waitFor, err := parseDuration(*wait)
	if err != nil {
		return g.usageError(stderr, "--wait: "+err.Error())
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "topic add-partition takes one argument: the topic name")
	}
	if *count < 1 {
		return g.usageError(stderr, fmt.Sprintf("--count %d: add at least 1 partition", *count))
	}
	name := fs.Arg(0)
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	add := a.AddPartitionsReady
	if waitFor <= 0 {
		add = a.AddPartitions
	} else {
		var cancel context.CancelFunc
		ctx, cancel = readyContext(ctx, waitFor)
		defer cancel()
	}
	added, err := add(ctx, name, *count)
	if errors.Is(err, fluvio.ErrTopicNotReady) {
		fmt.Fprintf(stderr, "warning: %v; producers wait for their leaders: see 'fluvio partition list --topic %s'\n", err, name)
	} else if err != nil {
		return g.fail(stderr, err)
	}
	fmt.Fprintf(stdout, "added new partitions to topic: %q\n", name)
	t := newTable("PARTITION", "SPU")
	for _, p := range added {
		t.add(strconv.Itoa(int(p.Partition)), strconv.Itoa(int(p.Replicas[0])))
	}
	if err := t.write(stdout); err != nil {
		return g.fail(stderr, err)
	}
	return exitOK
}
