package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/fluvio-go/fluvio"
)

func runPartitionRepair(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio partition repair TOPIC -p N [--truncate-at-corruption] [-O table|yaml|json]",
		Short: `Repair a partition whose replicas are all Corrupt (their logs hold damage
below the tail, see 'fluvio partition list' and 'fluvio cluster check'), so no
healthy replica can give back what the damage took: a replication factor of 1,
or every replica damaged.

Without --truncate-at-corruption nothing changes: it prints what the repair
would drop (a dry run). With it, the replica that keeps the most records has
its log cut at the last valid batch before the damage (the cut bytes are kept
in a .broken file beside the segment, for inspection), it leads at a new
epoch and serves again: consumers read every record below the cut, producers
append from it. It prints how many records and bytes were dropped and from
which offset. The other replicas follow it.

Where a healthy replica exists nothing is cut: the corrupt replicas repair
themselves from the leader (they leave the ISR, cut at the damage and fetch
the rest). Where a replica's SPU is offline the repair is refused: start it.
Needs the admin role.`,
		Examples: `fluvio partition repair orders -p 0
			fluvio partition repair orders -p 0 --truncate-at-corruption`,
	}, true)
	out := addOutputFlag(fs.FlagSet)
	partition := fs.Int32P("partition", "p", -1, "the partition `N` to repair")
	truncate := fs.Bool("truncate-at-corruption", false, "cut the log at the last valid batch before the damage, dropping the records from there (without it: a dry run)")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	switch {
	case fs.NArg() != 1:
		return g.usageError(stderr, "give one TOPIC, for example 'fluvio partition repair orders -p 0'")
	case *partition < 0:
		return g.usageError(stderr, "give the partition with -p N ('fluvio partition list' shows which is Corrupt)")
	}
	topic := fs.Arg(0)
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	r, err := a.RepairPartition(ctx, topic, *partition, *truncate)
	if err != nil {
		return g.fail(stderr, err)
	}
	if *out != outputTable {
		if err := printObject(stdout, *out, r, nil); err != nil {
			return g.fail(stderr, err)
		}
		return exitOK
	}
	name := topic + "-" + strconv.Itoa(int(*partition))
	switch r.Action {
	case fluvio.RepairDryRun:
		fmt.Fprintf(stdout, "dry run, nothing changed: the repair of %s would do this:\n", name)
		printRepairs(stdout, r, true)
		fmt.Fprintf(stdout, "  SPU %d would lead %s at a new epoch\n", r.Leader, name)
		fmt.Fprintf(stdout, "to do it: fluvio partition repair %s -p %d --truncate-at-corruption\n", topic, *partition)
	case fluvio.RepairTruncated:
		fmt.Fprintf(stdout, "repaired %s:\n", name)
		printRepairs(stdout, r, false)
		fmt.Fprintf(stdout, "%s serves again from SPU %d (leader epoch %d): consume reads offsets below %d, produce appends from %d\n",
			name, r.Leader, r.LeaderEpoch, r.EndOffset, r.EndOffset)
	default:
		fmt.Fprintln(stdout, r.Message)
	}
	return exitOK
}

// printRepairs prints what each replica's cut drops (dry) or dropped.
func printRepairs(w io.Writer, r *fluvio.PartitionRepair, dry bool) {
	for i, c := range r.Replicas {
		role := "leader"
		if i > 0 {
			role = fmt.Sprintf("follower of SPU %d", r.Leader)
		}
		switch {
		case c.File == "":
			fmt.Fprintf(w, "  SPU %d (%s): not corrupt, nothing cut; its log ends at offset %d\n", c.SPU, role, c.EndOffset)
			continue
		case dry:
			fmt.Fprintf(w, "  SPU %d (%s): would drop %d records (offsets %d to %d) and %s, cutting its log at offset %d\n",
				c.SPU, role, c.DroppedRecords, c.EndOffset, c.OldEndOffset-1, formatSize(c.DroppedBytes), c.EndOffset)
		default:
			fmt.Fprintf(w, "  SPU %d (%s): dropped %d records (offsets %d to %d) and %s, its log cut at offset %d\n",
				c.SPU, role, c.DroppedRecords, c.EndOffset, c.OldEndOffset-1, formatSize(c.DroppedBytes), c.EndOffset)
		}
		fmt.Fprintf(w, "      damage: %s at position %d: %s\n", c.File, c.Position, c.Reason)
		fmt.Fprintf(w, "      cut bytes kept in: %s\n", c.BrokenCopy)
	}
	if r.DroppedRecords > r.Replicas[0].DroppedRecords {
		fmt.Fprintf(w, "  the partition ends at offset %d, %d records below the furthest any replica reached\n", r.EndOffset, r.DroppedRecords)
	}
}
