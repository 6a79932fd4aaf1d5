package cli

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestTopicWorkflow(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	for _, id := range []string{"1", "2"} {
		e.ok("custom-spu", "register", "--id", id, "-p", "127.0.0.1:1"+id, "-v", "127.0.0.1:2"+id, "--sc", sc.Addr())
	}
	testkit.Equal(t, e.ok("topic", "create", "orders", "-p", "3", "-r", "2", "--sc", sc.Addr()), "topic \"orders\" created\n")
	errs := e.fails(exitConflict, "topic", "create", "orders", "--sc", sc.Addr())
	testkit.Contains(t, errs, "error: Topic already exists\n")

	errs = e.fails(exitConflict, "topic", "create", "wide", "-r", "3", "--sc", sc.Addr())
	testkit.Contains(t, errs, "needs 1 more SPU")

	out := e.ok("topic", "list", "--sc", sc.Addr())
	lines := strings.Split(strings.TrimSpace(out), "\n")
	testkit.Equal(t, len(lines), 2)
	testkit.Contains(t, lines[0], "NAME")
	testkit.Equal(t, strings.Join(strings.Fields(lines[1]), " "), "orders computed 3 2 - provisioned -")

	out = e.ok("topic", "describe", "orders", "--sc", sc.Addr())
	testkit.Contains(t, out, "Partition Count        : 3")
	testkit.Contains(t, out, "Replication Factor     : 2")
	testkit.Contains(t, out, "  partition 0          : [1, 2]")
	testkit.Contains(t, out, "  partition 1          : [2, 1]")

	out = e.ok("topic", "describe", "orders", "--sc", sc.Addr(), "-O", "json")
	var items []fluvio.Topic
	if err := json.Unmarshal([]byte(out), &items); err != nil || len(items) != 1 || items[0].Spec.Partitions != 3 {
		t.Fatalf("describe json: %v\n%s", err, out)
	}
	testkit.Contains(t, out, `"replicationFactor": 2`)

	errs = e.fails(exitNotFound, "topic", "describe", "nope", "--sc", sc.Addr())
	testkit.Contains(t, errs, `error: topic "nope" not found`)

	out = e.ok("partition", "list", "--sc", sc.Addr())
	lines = strings.Split(strings.TrimSpace(out), "\n")
	testkit.Equal(t, len(lines), 4)
	testkit.Equal(t, strings.Join(strings.Fields(lines[0]), " "), "TOPIC PARTITION LEADER REPLICAS ISR SIZE LEO HW")
	testkit.Equal(t, strings.Join(strings.Fields(lines[1]), " "), "orders 0 1 [1, 2] [1, 2] 2 KiB 5 3")
	out = e.ok("partition", "list", "--sc", sc.Addr(), "-O", "json", "--topic", "orders")
	var parts []fluvio.Partition
	if err := json.Unmarshal([]byte(out), &parts); err != nil || len(parts) != 3 || parts[2].Name != "orders-2" {
		t.Fatalf("partition json: %v\n%s", err, out)
	}

	testkit.Equal(t, e.ok("topic", "delete", "orders", "--sc", sc.Addr()), "topic \"orders\" deleted\n")
	errs = e.fails(exitNotFound, "topic", "delete", "orders", "--sc", sc.Addr())
	testkit.Contains(t, errs, `error: topic "orders" not found`)
	testkit.Equal(t, strings.TrimSpace(e.ok("topic", "list", "--sc", sc.Addr(), "-O", "yaml")), "[]")
}

func TestTopicCreateFlags(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	e.ok("custom-spu", "register", "--id", "1", "-p", "127.0.0.1:1", "-v", "127.0.0.1:2", "--sc", sc.Addr())
	e.ok("topic", "create", "logs", "--retention-time", "7d", "--segment-size", "512MiB", "--max-record-size", "2MB",
		"--ignore-rack-assignment", "--min-insync-replicas", "1", "--sync", "never", "--sc", sc.Addr())
	got := sc.LastTopicCreate()
	want := fluvio.TopicSpec{Partitions: 1, ReplicationFactor: 1, IgnoreRackAssignment: true,
		RetentionMs: (7 * 24 * time.Hour).Milliseconds(), SegmentBytes: 512 << 20, MaxRecordBytes: 2_000_000,
		MinInSyncReplicas: 1, Sync: "never"}
	if got.Name != "logs" || !reflect.DeepEqual(got.Spec, want) {
		t.Fatalf("request: %+v\nwant spec %+v", got, want)
	}
	out := e.ok("topic", "describe", "logs", "--sc", sc.Addr())
	testkit.Contains(t, out, "Retention Time         : 7d")
	testkit.Contains(t, out, "Segment Size           : 512 MiB")
	out = e.ok("topic", "create", "trial", "--dry-run", "--sc", sc.Addr())
	testkit.Contains(t, out, "dry run")
	if !sc.LastTopicCreate().DryRun {
		t.Fatal("--dry-run not sent")
	}
	e.fails(exitNotFound, "topic", "describe", "trial", "--sc", sc.Addr())
}

func TestTopicUsageErrors(t *testing.T) {
	e := newCLIEnv(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"topic", "create"}, "takes one argument"},
		{[]string{"topic", "create", "Bad_Name"}, `invalid topic name: "Bad_Name" has the character 'B'`},
		{[]string{"topic", "create", "-x-"}, "unknown shorthand flag"},
		{[]string{"topic", "create", "a-", "-p", "1"}, "must start and end"},
		{[]string{"topic", "create", strings.Repeat("a", 64)}, "the limit is 63"},
		{[]string{"topic", "create", "t", "-p", "0"}, "at least 1 partition"},
		{[]string{"topic", "create", "t", "-r", "0"}, "at least 1 replica"},
		{[]string{"topic", "create", "t", "--retention-time", "soon"}, "--retention-time"},
		{[]string{"topic", "create", "t", "--segment-size", "12 parsecs"}, "unknown unit"},
		{[]string{"topic", "create", "t", "--segment-size", "10"}, "segment_size 10 is less than minimum 1024"},
		{[]string{"topic", "create", "t", "--sync", "sometimes"}, "use always, interval or never"},
		{[]string{"topic", "describe"}, "topic name"},
		{[]string{"topic", "delete"}, "topic name"},
		{[]string{"topic", "list", "-O", "xml"}, `unknown output format "xml"`},
		{[]string{"partition", "list", "orders"}, "--topic NAME"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			testkit.Contains(t, e.fails(exitUsage, c.args...), c.want)
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	e := newCLIEnv(t)
	var walk func(path []string, c *command)
	n := 0
	walk = func(path []string, c *command) {
		path = append(path, c.Name)
		if c.Run == nil {
			out := e.ok(append(path, "--help")...)
			testkit.Contains(t, out, "Commands:")
			for _, s := range c.Sub {
				walk(path, s)
			}
			return
		}
		out := e.ok(append(path, "--help")...)
		for _, s := range []string{"Usage:\n  fluvio " + strings.Join(path, " "), "Examples:\n  ", "Flags:\n"} {
			if !strings.Contains(out, s) {
				t.Errorf("fluvio %s --help lacks %q:\n%s", strings.Join(path, " "), s, out)
			}
		}
		n++
	}
	for _, c := range topLevel() {
		walk(nil, c)
	}
	if n < 15 {
		t.Fatalf("only %d commands checked", n)
	}
	testkit.Contains(t, e.ok("--help"), "topic")
	testkit.Contains(t, e.ok("help", "topic", "create"), "Examples:")
	testkit.Contains(t, e.fails(exitUsage, "nosuch"), `unknown command "nosuch"`)
}
