package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/fluvio-go/fluvio"
)

func init() {
	registerGroup("partition", "list partitions: leaders, replicas, ISR and offsets; repair a corrupt one",
		leaf("list", "list the partitions of every topic (or of --topic)", runPartitionList, "ls"),
		leaf("repair", "repair a partition whose replicas are all corrupt (dry run unless --truncate-at-corruption)", runPartitionRepair),
	)
}

func runPartitionList(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio partition list [--topic NAME]... [--system] [-O table|yaml|json]",
		Short: `List partitions with their leader SPU, replicas (leader first), in-sync
replicas, and the leader's last reported log size, log end offset (LEO: the
next offset to be written) and high watermark (HW: offsets below it are
committed and readable). A value the leader has not reported yet shows as -.
SPUs report these with their heartbeat (every second), so they may lag the
log by that much: a line after the table says how old the oldest report is
(JSON and YAML carry status.reportedAt per partition). --system lists the
system topics' partitions instead (consumer-offset).`,
		Examples: `fluvio partition list
			fluvio partition list --topic orders -O json
			fluvio partition list --system`,
	}, true)
	out := addOutputFlag(fs.FlagSet)
	topics := fs.StringSliceP("topic", "t", nil, "only the partitions of topic `NAME` (repeatable)")
	system := fs.Bool("system", false, "list the system topics' partitions (named consumers' offsets) instead of the users'")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q: to filter by topic pass --topic NAME", fs.Arg(0)))
	}
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	var items []fluvio.Partition
	if *system && len(*topics) == 0 {
		items, err = a.ListSystemPartitions(ctx)
	} else {
		items, err = a.ListPartitions(ctx, *topics...)
	}
	if err != nil {
		return g.fail(stderr, err)
	}
	t := newTable("TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR", "SIZE", "LEO", "HW")
	var oldest time.Time
	for _, p := range items {
		if r := p.Status.ReportedAt; !r.IsZero() && (oldest.IsZero() || r.Before(oldest)) {
			oldest = r
		}
		leader := strconv.Itoa(int(p.Spec.Leader))
		if p.Spec.Leader < 0 {
			leader = "none"
		}
		size := "-"
		if p.Status.Size >= 0 {
			size = formatSize(p.Status.Size)
		}
		t.add(p.Spec.Topic, strconv.Itoa(int(p.Spec.Partition)), leader, formatIDs(p.Spec.Replicas), formatIDs(p.Status.ISR),
			size, offset(p.Status.LEO), offset(p.Status.HW))
	}
	if err := printList(stdout, stderr, *out, items, t, "no partitions: create a topic with 'fluvio topic create NAME'"); err != nil {
		return g.fail(stderr, err)
	}
	if *out == outputTable && len(items) > 0 {
		// On stderr: the table on stdout stays one row per partition.
		fmt.Fprintln(stderr, reportAge(oldest, time.Now()))
		for _, p := range items {
			for _, r := range p.Status.Replicas {
				switch {
				case r.Corrupt == "":
				case p.Status.Resolution == fluvio.PartitionCorrupt:
					fmt.Fprintf(stderr, "%s: replica on SPU %d is Corrupt: %s (no healthy replica leads: 'fluvio partition repair %s -p %d' shows what a repair would drop)\n",
						p.Name, r.SPU, r.Corrupt, p.Spec.Topic, p.Spec.Partition)
				default:
					fmt.Fprintf(stderr, "%s: replica on SPU %d is Corrupt: %s (it does not lead and repairs itself from the leader; see 'fluvio cluster check')\n", p.Name, r.SPU, r.Corrupt)
				}
			}
		}
	}
	return exitOK
}

// reportAge says how old the SIZE, LEO and HW columns are, given the
// oldest leader report among the rows (zero: none reported yet).
func reportAge(oldest, now time.Time) string {
	if oldest.IsZero() {
		return "SIZE, LEO and HW: no leader has reported yet (SPUs report with their heartbeat, every second)"
	}
	age := max(now.Sub(oldest), 0).Round(100 * time.Millisecond)
	return fmt.Sprintf("SIZE, LEO and HW as the leaders reported them %v ago at most (at %s; SPUs report every second)",
		age, oldest.Local().Format("15:04:05"))
}

// offset prints an offset, or - when unknown (negative).
func offset(n int64) string {
	if n < 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}
