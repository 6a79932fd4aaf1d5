package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
)

func init() {
	registerGroup("topic", "create, list, describe and delete topics",
		leaf("create", "create a topic", runTopicCreate),
		leaf("list", "list the topics", runTopicList, "ls"),
		leaf("describe", "show a topic's settings and replica assignment", runTopicDescribe),
		leaf("delete", "delete a topic and its data", runTopicDelete, "rm"),
		leaf("add-partition", "add partitions to a topic", runTopicAddPartition),
	)
}

func runTopicCreate(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio topic create NAME [-p PARTITIONS] [-r REPLICAS] [flags]",
		Short: `Create a topic. The SC assigns each partition's replicas to SPUs (least loaded
first, spread across racks unless --ignore-rack-assignment) and the SPUs create
the logs. It returns once every partition can take a produce (its leader SPU
has created the replica and told the SC), or with a warning after --wait (the
topic stays created); --wait 0 returns as soon as the SC has stored it. NAME: lowercase letters, digits and '-', at most 63 characters.
Durations take s, m, h, d and w (30s, 12h, 7d); sizes take B, KB, MB, GB and
KiB, MiB, GiB (512MiB, 1GB).`,
		Examples: `fluvio topic create greetings
			fluvio topic create orders -p 6 -r 3
			fluvio topic create logs --retention-time 7d --segment-size 512MiB --max-record-size 2MiB
			fluvio topic create events -r 2 --dry-run`,
	}, true)
	partitions := fs.Int32P("partitions", "p", 1, "number of partitions, `N`")
	replicas := fs.Int32P("replication", "r", 1, "`N` replicas of each partition (at most the number of SPUs)")
	ignoreRack := fs.BoolP("ignore-rack-assignment", "i", false, "place replicas without spreading them across racks")
	retention := fs.String("retention-time", "", "delete data older than `DURATION` (e.g. 12h, 7d); default: keep forever")
	segment := fs.String("segment-size", "", "`SIZE` of one log segment (e.g. 512MiB, 1GB); default: the SPU's")
	maxRecord := fs.String("max-record-size", "", "largest record accepted, a `SIZE` (e.g. 2MiB); default 1MiB")
	minISR := fs.Int32("min-insync-replicas", 0, "`N` in-sync replicas an acks=all write needs (default: 2 when replication >= 3, else 1)")
	sync := fs.String("sync", "", "WAL sync `POLICY`: always (default), interval or never")
	compression := fs.String("compression-type", "", "how the SPU stores batches: any (default: as producers send them), none, gzip, snappy, lz4 or zstd")
	maxPartition := fs.String("max-partition-size", "", "largest size of each partition's log, a `SIZE` (e.g. 10GB, 2 Ki); the oldest segments go first; default: no limit")
	assignFile := fs.String("replica-assignment", "", "place the partitions by hand: a JSON `FILE` [{\"id\":0,\"replicas\":[5001,5002]}, ...] (leader first)")
	configFile := fs.String("config", "", "read the whole topic (name included) from Fluvio's YAML topic configuration `FILE`")
	dryRun := fs.Bool("dry-run", false, "validate and place the topic without creating it")
	wait := fs.String("wait", "30s", "wait at most this `DURATION` for every partition to take a produce (0: return once the SC has stored the topic)")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	waitFor, err := parseDuration(*wait)
	if err != nil {
		return g.usageError(stderr, "--wait: "+err.Error())
	}
	mode := createMode{dryRun: *dryRun, wait: waitFor}
	if *configFile != "" {
		return createFromFile(ctx, g, fs, *configFile, mode, stdout, stderr)
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "topic create takes one argument: the topic name (or --config FILE)")
	}
	name := fs.Arg(0)
	if err := validateName(name); err != nil {
		return g.fail(stderr, withHint(fmt.Errorf("invalid topic name: %w", err), exitUsage,
			"use lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit, e.g. 'fluvio topic create my-topic'"))
	}
	cfg := fluvio.TopicConfig{
		Partitions:           *partitions,
		Replicas:             *replicas,
		IgnoreRackAssignment: *ignoreRack,
		MinInSyncReplicas:    *minISR,
		Sync:                 *sync,
	}
	switch {
	case *partitions < 1:
		return g.usageError(stderr, fmt.Sprintf("--partitions %d: a topic needs at least 1 partition", *partitions))
	case *replicas < 1:
		return g.usageError(stderr, fmt.Sprintf("--replication %d: a topic needs at least 1 replica", *replicas))
	case *minISR < 0 || *minISR > *replicas:
		return g.usageError(stderr, fmt.Sprintf("--min-insync-replicas %d must be between 1 and --replication (%d)", *minISR, *replicas))
	}
	switch *sync {
	case "", "always", "interval", "never":
	default:
		return g.usageError(stderr, fmt.Sprintf("--sync %q: use always, interval or never", *sync))
	}
	if *compression != "" {
		cfg.CompressionType = strings.ToLower(*compression)
		if _, err := fluvio.ParseCompression(cfg.CompressionType); err != nil && cfg.CompressionType != "any" {
			return g.usageError(stderr, fmt.Sprintf("--compression-type %q: use any, none, gzip, snappy, lz4 or zstd", *compression))
		}
	}
	if *retention != "" {
		d, err := parseDuration(*retention)
		if err != nil {
			return g.usageError(stderr, "--retention-time: "+err.Error())
		}
		cfg.Retention = d
	}
	if *segment != "" {
		n, err := parseSize(*segment)
		if err != nil {
			return g.usageError(stderr, "--segment-size: "+err.Error())
		}
		if n < 1024 {
			return g.usageError(stderr, fmt.Sprintf("--segment-size %s: segment_size %d is less than minimum 1024", *segment, n))
		}
		cfg.SegmentBytes = n
	}
	if *maxPartition != "" {
		n, err := parseSize(*maxPartition)
		if err != nil {
			return g.usageError(stderr, "--max-partition-size: "+err.Error())
		}
		cfg.MaxPartitionBytes = n
	}
	if *assignFile != "" {
		for _, f := range []string{"partitions", "replication", "ignore-rack-assignment"} {
			if fs.Changed(f) {
				return g.usageError(stderr, fmt.Sprintf("--replica-assignment and --%s cannot be combined: the assignment file sets the partitions and their replicas", f))
			}
		}
		a, err := readAssignment(*assignFile)
		if err != nil {
			return g.usageError(stderr, err.Error())
		}
		cfg.ReplicaAssignment, cfg.Partitions, cfg.Replicas = a, int32(len(a)), int32(len(a[0]))
	}
	if *maxRecord != "" {
		n, err := parseSize(*maxRecord)
		if err != nil {
			return g.usageError(stderr, "--max-record-size: "+err.Error())
		}
		if n < 1 || n > math.MaxInt32 {
			return g.usageError(stderr, fmt.Sprintf("--max-record-size %s is out of range (1B to 2GiB)", *maxRecord))
		}
		cfg.MaxRecordBytes = int32(n)
	}
	return createTopic(ctx, g, name, cfg, mode, stdout, stderr)
}

// createMode is how 'topic create' creates: only validating (dryRun), or
// for real, waiting up to wait for the partitions (0: not at all).
type createMode struct {
	dryRun bool
	wait   time.Duration
}

// createFromFile is 'topic create --config FILE': everything comes from
// the file, so any other topic option (or a NAME argument) is an error
// naming both.
func createFromFile(ctx context.Context, g *Global, fs *flagSet, path string, mode createMode, stdout, stderr io.Writer) int {
	for _, f := range []string{"partitions", "replication", "ignore-rack-assignment", "retention-time", "segment-size",
		"max-record-size", "min-insync-replicas", "sync", "compression-type", "max-partition-size", "replica-assignment"} {
		if fs.Changed(f) {
			return g.usageError(stderr, fmt.Sprintf("--config and --%s cannot be combined: set everything in the configuration file", f))
		}
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("--config and the topic name %q cannot be combined: the file names the topic (meta.name)", fs.Arg(0)))
	}
	name, cfg, err := readTopicFile(path)
	if err != nil {
		return g.usageError(stderr, err.Error())
	}
	if err := validateName(name); err != nil {
		return g.fail(stderr, withHint(fmt.Errorf("invalid topic name in %s: %w", path, err), exitUsage,
			"use lowercase letters, digits and '-', at most 63 characters"))
	}
	return createTopic(ctx, g, name, cfg, mode, stdout, stderr)
}

// createTopic asks the SC to create (or with mode.dryRun, validate) the
// topic and waits up to mode.wait until every partition can take a
// produce (fluvio.Client.CreateTopicReady: the SC answers when the SPUs
// report the replicas). A topic created but not ready in time is a
// warning, not a failure: it exists, and producers wait for its leaders.
func createTopic(ctx context.Context, g *Global, name string, cfg fluvio.TopicConfig, mode createMode, stdout, stderr io.Writer) int {
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	create := a.CreateTopicReady
	switch {
	case mode.dryRun:
		create = a.ValidateTopic
	case mode.wait <= 0:
		create = a.CreateTopic
	default:
		var cancel context.CancelFunc
		ctx, cancel = readyContext(ctx, mode.wait)
		defer cancel()
	}
	err = create(ctx, name, cfg)
	if errors.Is(err, fluvio.ErrTopicNotReady) {
		fmt.Fprintf(stdout, "topic %q created\n", name)
		fmt.Fprintf(stderr, "warning: %v; producers wait for its leaders: see 'fluvio partition list --topic %s'\n", err, name)
		return exitOK
	}
	if err != nil {
		return g.fail(stderr, err)
	}
	if mode.dryRun {
		fmt.Fprintf(stdout, "topic %q is valid and can be placed (dry run: not created)\n", name)
		return exitOK
	}
	fmt.Fprintf(stdout, "topic %q created\n", name)
	return exitOK
}

// readyContext bounds a CreateTopicReady or AddPartitionsReady call so
// that the SC waits wait: those calls leave a fifth of ctx (at most 1 s)
// for the SC's answer.
func readyContext(ctx context.Context, wait time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, wait+min(time.Second, wait/4))
}

func runTopicList(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio topic list [--system] [-O table|yaml|json]",
		Short: `List the topics with their partitions, replication, retention and status
(provisioned when every partition's leader is online, else pending, with the reason).
System topics, which the cluster creates and uses itself, are listed only with
--system: consumer-offset holds named consumers' offsets (fluvio consumer list);
they cannot be deleted.`,
		Examples: `fluvio topic list
			fluvio topic list -O json
			fluvio topic list --system`,
	}, true)
	out := addOutputFlag(fs.FlagSet)
	system := fs.Bool("system", false, "list the system topics (named consumers' offsets) instead of the users'")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q: to see one topic run 'fluvio topic describe NAME'", fs.Arg(0)))
	}
	var items []fluvio.Topic
	if *system {
		a, err := g.admin(ctx)
		if err != nil {
			return g.fail(stderr, err)
		}
		defer a.Close()
		if items, err = a.DescribeSystemTopics(ctx); err != nil {
			return g.fail(stderr, err)
		}
	} else {
		var code int
		if items, code = listTopics(ctx, g, stderr, nil); items == nil {
			return code
		}
	}
	empty := "no topics: create one with 'fluvio topic create NAME'"
	if *system {
		empty = "no system topics yet: the SC creates consumer-offset once SPUs are registered (or at the first named consumer's commit)"
	}
	t := newTable("NAME", "TYPE", "PARTITIONS", "REPLICAS", "RETENTION TIME", "STATUS", "REASON")
	for _, tp := range items {
		t.add(tp.Name, "computed", strconv.Itoa(int(tp.Spec.Partitions)), strconv.Itoa(int(tp.Spec.ReplicationFactor)),
			formatDuration(time.Duration(tp.Spec.RetentionMs)*time.Millisecond), strings.ToLower(tp.Status.Resolution), tp.Status.Reason)
	}
	if err := printList(stdout, stderr, *out, items, t, empty); err != nil {
		return g.fail(stderr, err)
	}
	return exitOK
}

// listTopics asks the SC for topics (names empty: all). It returns nil and
// the exit code after printing the error on failure; a non-nil slice on
// success.
func listTopics(ctx context.Context, g *Global, stderr io.Writer, names []string) ([]fluvio.Topic, int) {
	a, err := g.admin(ctx)
	if err != nil {
		return nil, g.fail(stderr, err)
	}
	defer a.Close()
	items, err := a.DescribeTopics(ctx, names...)
	if err != nil {
		return nil, g.fail(stderr, err)
	}
	return items, exitOK
}

func runTopicDescribe(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio topic describe NAME... [-O table|yaml|json]",
		Short: "Show each named topic's settings, status and replica assignment (partition: replicas, leader first).",
		Examples: `fluvio topic describe orders
			fluvio topic describe orders logs -O yaml`,
	}, true)
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return g.usageError(stderr, "topic describe takes the topic name(s) to show")
	}
	items, code := listTopics(ctx, g, stderr, fs.Args())
	if items == nil {
		return code
	}
	if *out != outputTable {
		if err := printObject(stdout, *out, items, nil); err != nil {
			return g.fail(stderr, err)
		}
		return exitOK
	}
	for i, tp := range items {
		if i > 0 {
			fmt.Fprintln(stdout, "-----------------")
		}
		if err := printObject(stdout, outputTable, tp, topicDetails(tp)); err != nil {
			return g.fail(stderr, err)
		}
	}
	return exitOK
}

// topicDetails is the key/value view of topic describe.
func topicDetails(tp fluvio.Topic) [][2]string {
	orDefault := func(n int64, format func(int64) string) string {
		if n <= 0 {
			return "default"
		}
		return format(n)
	}
	sync := tp.Spec.Sync
	if sync == "" {
		sync = "always"
	}
	kv := [][2]string{
		{"Name", tp.Name},
		{"Type", "computed"},
		{"Partition Count", strconv.Itoa(int(tp.Spec.Partitions))},
		{"Replication Factor", strconv.Itoa(int(tp.Spec.ReplicationFactor))},
		{"Ignore Rack Assignment", strconv.FormatBool(tp.Spec.IgnoreRackAssignment)},
		{"Retention Time", orDefault(tp.Spec.RetentionMs, func(n int64) string { return formatDuration(time.Duration(n) * time.Millisecond) })},
		{"Segment Size", orDefault(tp.Spec.SegmentBytes, formatSize)},
		{"Max Record Size", orDefault(int64(tp.Spec.MaxRecordBytes), formatSize)},
		{"Min In-Sync Replicas", orDefault(int64(tp.Spec.MinInSyncReplicas), func(n int64) string { return strconv.FormatInt(n, 10) })},
		{"Sync", sync},
		{"Status", strings.ToLower(tp.Status.Resolution)},
		{"Reason", dash(tp.Status.Reason)},
	}
	if tp.Status.CreatedMs > 0 {
		kv = append(kv, [2]string{"Created", time.UnixMilli(tp.Status.CreatedMs).UTC().Format(time.RFC3339)})
	}
	parts := make([]int32, 0, len(tp.Status.ReplicaMap))
	for p := range tp.Status.ReplicaMap {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	kv = append(kv, [2]string{"Replica Map", "partition: replicas, leader first"})
	for _, p := range parts {
		kv = append(kv, [2]string{fmt.Sprintf("  partition %d", p), formatIDs(tp.Status.ReplicaMap[p])})
	}
	if len(parts) == 0 {
		kv[len(kv)-1][1] = "-"
	}
	return kv
}

// formatIDs prints SPU ids as [1, 2, 3].
func formatIDs(ids []fluvio.SPUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runTopicDelete(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio topic delete NAME... [flags]",
		Short: "Delete topics. The SPUs delete their logs: the data is gone.",
		Examples: `fluvio topic delete orders
			fluvio topic delete a b c --continue-on-error`,
	}, true)
	cont := fs.Bool("continue-on-error", false, "with several names, keep deleting after a failure")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		return g.usageError(stderr, "topic delete takes the topic name(s) to delete")
	}
	a, err := g.admin(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer a.Close()
	code := exitOK
	for _, name := range fs.Args() {
		if err := a.DeleteTopic(ctx, name); err != nil {
			code = g.fail(stderr, err)
			if !*cont {
				return code
			}
			continue
		}
		fmt.Fprintf(stdout, "topic %q deleted\n", name)
	}
	return code
}
