package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"
)

// addPartitionWait bounds how long add-partition waits for the new
// partitions to be Online (their SPUs opened the logs).
const addPartitionWait = 10 * time.Second

func runTopicAddPartition(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio topic add-partition NAME [-c COUNT]",
		Short: `Add partitions to a topic. The SC places them as it placed the topic's
(same replication, least-loaded SPUs first) and the command returns once
their leaders serve them; running producers start writing to them within
a second. Keyed records may hash to another partition from then on.`,
		Examples: `fluvio topic add-partition orders
			fluvio topic add-partition orders -c 3`,
	}, false)
	// -c is Fluvio's --count here, so --sc has no shorthand.
	fs.target = true
	fs.StringVar(&g.SC, "sc", "", "address of the Streaming Controller, `HOST:PORT` (default: the current profile's, else "+DefaultSC+")")
	fs.StringVarP(&g.Profile, "profile", "P", "", "use the SC address of profile `NAME` (see 'fluvio profile list')")
	count := fs.Int32P("count", "c", 1, "number of partitions to add, `N`")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
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
	added, err := a.AddPartitions(ctx, name, *count)
	if err != nil {
		return g.fail(stderr, err)
	}
	// Wait until the new partitions are served (bounded).
	deadline := time.Now().Add(addPartitionWait)
	for {
		parts, err := a.Partitions(ctx, name)
		online := 0
		for _, p := range parts {
			for _, n := range added {
				if p.Partition == n.Partition && p.Status == "Online" {
					online++
				}
			}
		}
		if err == nil && online == len(added) {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fmt.Fprintf(stderr, "note: the new partitions are not all online after %v; see 'fluvio partition list --topic %s'\n", addPartitionWait, name)
			break
		}
		time.Sleep(50 * time.Millisecond)
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
