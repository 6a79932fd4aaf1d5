package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"
)

func init() {
	registerGroup("consumer", "list and delete named consumers (consume --consumer NAME)",
		leaf("list", "list the named consumers and their offsets", runConsumerList, "ls"),
		leaf("delete", "delete a named consumer's offsets", runConsumerDelete, "rm"),
	)
}

// consumerItem is one row of 'fluvio consumer list -O json|yaml', in
// Fluvio's field names.
type consumerItem struct {
	ConsumerID   string `json:"consumer_id" yaml:"consumer_id"`
	Topic        string `json:"topic" yaml:"topic"`
	Partition    int32  `json:"partition" yaml:"partition"`
	Offset       int64  `json:"offset" yaml:"offset"`
	ModifiedTime int64  `json:"modified_time" yaml:"modified_time"` // seconds since the Unix epoch
}

func runConsumerList(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio consumer list [-O table|yaml|json]",
		Short: `List the named consumers (fluvio consume --consumer NAME): per topic and
partition, the last offset each read and when it was stored.`,
		Examples: `fluvio consumer list
			fluvio consumer list -O json`,
	}, true)
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q: consumer list takes no arguments", fs.Arg(0)))
	}
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	offs, err := a.ListConsumers(ctx, "", "")
	if err != nil {
		return g.fail(stderr, err)
	}
	if len(offs) == 0 && *out == outputTable {
		fmt.Fprintln(stdout, "No consumers found")
		return exitOK
	}
	items := make([]consumerItem, 0, len(offs))
	t := newTable("CONSUMER", "TOPIC", "PARTITION", "OFFSET", "LAST SEEN")
	now := time.Now()
	for _, o := range offs {
		items = append(items, consumerItem{ConsumerID: o.Consumer, Topic: o.Topic, Partition: o.Partition,
			Offset: o.Offset, ModifiedTime: o.Modified.Unix()})
		t.add(o.Consumer, o.Topic, strconv.Itoa(int(o.Partition)), strconv.FormatInt(o.Offset, 10),
			now.Sub(o.Modified).Round(time.Second).String())
	}
	if err := printList(stdout, stderr, *out, items, t, ""); err != nil {
		return g.fail(stderr, err)
	}
	return exitOK
}

func runConsumerDelete(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio consumer delete NAME [--topic TOPIC [--partition N]]",
		Short: `Delete a named consumer's stored offsets: all of them, those of one topic,
or of one partition. Its next run starts from its start option again.`,
		Examples: `fluvio consumer delete billing
			fluvio consumer delete billing --topic orders --partition 0`,
	}, true)
	topic := fs.StringP("topic", "t", "", "only the offsets of topic `NAME`")
	partition := fs.Int32P("partition", "p", -1, "only partition `N` (needs --topic)")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "consumer delete takes one argument: the consumer name")
	}
	if fs.Changed("partition") {
		if *topic == "" {
			return g.usageError(stderr, "--partition needs --topic: pass --topic TOPIC --partition N")
		}
		if *partition < 0 {
			return g.usageError(stderr, fmt.Sprintf("--partition %d: partitions are numbered from 0", *partition))
		}
	}
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	deleted, err := a.DeleteConsumer(ctx, fs.Arg(0), *topic, *partition)
	if err != nil {
		return g.fail(stderr, err)
	}
	for _, o := range deleted {
		fmt.Fprintf(stdout, "consumer %q on topic %q and partition \"%d\" deleted\n", o.Consumer, o.Topic, o.Partition)
	}
	return exitOK
}
