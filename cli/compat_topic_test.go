package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestTopicAddPartition: 'topic add-partition NAME -c N' prints Fluvio's
// message and a PARTITION SPU table once the partitions are served (the
// partition list right after shows them Online); a
// producer connected before writes to them; an unknown topic is 'topic
// "NAME" not found'; partition list keeps Fluvio's column order.
func TestTopicAddPartition(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	sc := cl.SCAddr()
	e := newCLIEnv(t)
	e.ok("topic", "create", "grow", "--sc", sc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := fluvio.Connect(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Producer("grow", fluvio.WithPartitionRefresh(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.SendSync(ctx, nil, []byte("before")); err != nil {
		t.Fatal(err)
	}

	out := e.ok("topic", "add-partition", "grow", "-c", "2", "--sc", sc)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != `added new partitions to topic: "grow"` || strings.Join(strings.Fields(lines[1]), " ") != "PARTITION SPU" ||
		!strings.HasPrefix(lines[2], "1 ") || !strings.HasPrefix(lines[3], "2 ") {
		t.Fatalf("add-partition printed:\n%s", out)
	}
	// It returned once the new partitions were served: no polling here.
	var listed []fluvio.Partition
	if err := json.Unmarshal([]byte(e.ok("partition", "list", "--topic", "grow", "-O", "json", "--sc", sc)), &listed); err != nil || len(listed) != 3 {
		t.Fatalf("partition list: %v, %d partitions", err, len(listed))
	}
	for _, p := range listed {
		if p.Status.Resolution != "Online" {
			t.Fatalf("partition %d is %s right after topic add-partition", p.Spec.Partition, p.Status.Resolution)
		}
	}
	parts := e.ok("partition", "list", "--topic", "grow", "--sc", sc)
	if h := strings.Fields(strings.SplitN(parts, "\n", 2)[0]); len(h) < 3 || h[0] != "TOPIC" || h[1] != "PARTITION" || h[2] != "LEADER" {
		t.Fatalf("partition list header: %v", h)
	}
	testkit.Equal(t, strings.Count(parts, "grow "), 3)

	// The producer created before the change writes to the new partitions.
	testkit.WaitFor(t, 20*time.Second, func() error {
		for range 6 {
			if err := p.Send(ctx, nil, []byte("after")); err != nil {
				return err
			}
		}
		if err := p.Flush(ctx); err != nil {
			return err
		}
		for _, part := range []string{"1", "2"} {
			if got := e.ok("consume", "grow", "-p", part, "-B", "-d", "--sc", sc); !strings.Contains(got, "after") {
				return fmt.Errorf("partition %s has no record of the running producer yet", part)
			}
		}
		return nil
	})

	testkit.Contains(t, e.fails(exitNotFound, "topic", "add-partition", "nope", "--sc", sc), `topic "nope" not found`)

	testkit.Contains(t, e.fails(exitUsage, "topic", "add-partition", "grow", "-c", "0", "--sc", sc), "--count 0")
}

// TestTopicListSystem: the consumer-offset system topic (made by the SC,
// here at the first named consumer's commit) is listed by 'topic list
// --system' (table and JSON) and 'partition list --system' only, and
// cannot be deleted, created or grown; its offsets show in 'consumer list'.
func TestTopicListSystem(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	sc := cl.SCAddr()
	e := newCLIEnv(t)
	// Before any named consumer (one SPU: the SC waits a few seconds
	// before making it with fewer than 3 replicas) there may be none yet.
	out, _, code := e.run("topic", "list", "--system", "--sc", sc)
	testkit.Equal(t, code, 0)
	testkit.Contains(t, out, "NAME")
	e.ok("topic", "create", "events", "--sc", sc)
	e.ok("produce", "events", "-f", writeTemp(t, "a\nb\n"), "--sc", sc)
	e.ok("consume", "events", "--consumer", "app", "-B", "-d", "--sc", sc)

	list := e.ok("topic", "list", "--sc", sc)
	if strings.Contains(list, "consumer-offset") || !strings.Contains(list, "events") {
		t.Fatalf("topic list:\n%s", list)
	}
	sys := e.ok("topic", "list", "--system", "--sc", sc)
	if !strings.Contains(sys, "consumer-offset") || strings.Contains(sys, "events") {
		t.Fatalf("topic list --system:\n%s", sys)
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(e.ok("topic", "list", "--system", "-O", "json", "--sc", sc)), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0]["name"] != "consumer-offset" || items[0]["spec"].(map[string]any)["system"] != true {
		t.Fatalf("topic list --system -O json: %v", items)
	}
	if parts := e.ok("partition", "list", "--sc", sc); strings.Contains(parts, "consumer-offset") {
		t.Fatalf("partition list:\n%s", parts)
	}
	testkit.Contains(t, e.ok("partition", "list", "--system", "--sc", sc), "consumer-offset")
	testkit.Contains(t, e.ok("consumer", "list", "--sc", sc), "app")

	_, errs, code := e.run("topic", "delete", "consumer-offset", "--sc", sc)
	if code == 0 || !strings.Contains(errs, `topic "consumer-offset" is a system topic: it cannot be deleted`) || !strings.Contains(errs, "fluvio consumer delete") {
		t.Fatalf("topic delete consumer-offset: exit %d, stderr %q", code, errs)
	}
	_, errs, code = e.run("topic", "create", "consumer-offset", "--sc", sc)
	if code == 0 || !strings.Contains(errs, `topic name "consumer-offset" is reserved for a system topic`) {
		t.Fatalf("topic create consumer-offset: exit %d, stderr %q", code, errs)
	}
	_, errs, code = e.run("topic", "add-partition", "consumer-offset", "-c", "1", "--sc", sc)
	if code == 0 || !strings.Contains(errs, "system topic") {
		t.Fatalf("topic add-partition consumer-offset: exit %d, stderr %q", code, errs)
	}
	testkit.Contains(t, e.ok("topic", "list", "--system", "--sc", sc), "consumer-offset")
}

// writeTemp writes body to a temporary file and returns its path.
func writeTemp(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTopicCreateFluvioFlags: --max-partition-size and --segment-size
// with units, Fluvio's validation messages with the numbers,
// --replica-assignment FILE (validated), --config FILE (Fluvio's YAML)
// and its conflicts, each a clear error with a non-zero exit.
func TestTopicCreateFluvioFlags(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	sc := cl.SCAddr()
	ids := cl.SPUIDs()
	e := newCLIEnv(t)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	spec := func(topic string) map[string]any {
		var items []map[string]any
		if err := json.Unmarshal([]byte(e.ok("topic", "describe", topic, "-O", "json", "--sc", sc)), &items); err != nil {
			t.Fatal(err)
		}
		return items[0]["spec"].(map[string]any)
	}

	e.ok("topic", "create", "sized", "--max-partition-size", "10Gb", "--segment-size", "2 Ki", "--retention-time", "7d", "--sc", sc)
	s := spec("sized")
	testkit.Equal(t, s["maxPartitionBytes"], any(1e10))
	testkit.Equal(t, s["segmentBytes"], any(2048.0))
	e.ok("topic", "create", "sized-kb", "--max-partition-size", "10 KB", "--dry-run", "--sc", sc)
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "small", "--max-partition-size", "10", "--sc", sc),
		"max_partition_size 10 is less than minimum 2048")
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "small", "--max-partition-size", "4096", "--segment-size", "8192", "--sc", sc),
		"max_partition_size 4096 is less than segment size 8192")
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "small", "--segment-size", "100", "--sc", sc),
		"segment_size 100 is less than minimum 1024")

	// --replica-assignment FILE.
	good := write("assign.json", fmt.Sprintf(`[{"id":0,"replicas":[%d,%d]},{"id":1,"replicas":[%d,%d]}]`, ids[1], ids[0], ids[0], ids[1]))
	e.ok("topic", "create", "placed", "--replica-assignment", good, "--sc", sc)
	s = spec("placed")
	testkit.Equal(t, s["partitions"], any(2.0))
	testkit.Equal(t, s["replicationFactor"], any(2.0))
	parts := e.ok("partition", "list", "--topic", "placed", "-O", "json", "--sc", sc)
	testkit.Contains(t, parts, fmt.Sprintf(`"leader": %d`, ids[1]))
	for body, want := range map[string]string{
		`[{"id":0,"replicas":[1,1]}]`: "partition 0 lists SPU 1 twice",
		`[{"id":1,"replicas":[1]}]`:   "partition id 1: with 1 partitions, ids are 0..0",
		`[{"id":0,"replicas":[]}]`:    "partition 0 has no replicas",
		`{"id":0}`:                    "is not valid",
		fmt.Sprintf(`[{"id":0,"replicas":[%d]},{"id":1,"replicas":[%d,%d]}]`, ids[0], ids[0], ids[1]): "partition 1 has 2 replicas, partition 0 has 1",
	} {
		testkit.Contains(t, e.fails(exitUsage, "topic", "create", "bad", "--replica-assignment", write("bad.json", body), "--sc", sc), want)
	}
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "bad", "--replica-assignment", write("unknown.json", `[{"id":0,"replicas":[999]}]`), "--sc", sc),
		"partition 0 names SPU 999, which is not registered")
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "bad", "--replica-assignment", good, "-p", "2", "--sc", sc),
		"--replica-assignment and --partitions cannot be combined")

	// --config FILE: Fluvio's YAML topic configuration.
	cfg := write("topic.yaml", `version: 0.1.0
meta:
  name: from-file
partition:
  count: 2
  replication: 1
  max-size: 10 GB
retention:
  time: 2 days
  segment-size: 10 KB
compression:
  type: gzip
`)
	testkit.Equal(t, e.ok("topic", "create", "--config", cfg, "--sc", sc), "topic \"from-file\" created\n")
	s = spec("from-file")
	testkit.Equal(t, s["partitions"], any(2.0))
	testkit.Equal(t, s["retentionMs"], any(float64((48 * time.Hour).Milliseconds())))
	testkit.Equal(t, s["segmentBytes"], any(1e4))
	testkit.Equal(t, s["compressionType"], any("gzip"))
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "--config", cfg, "-p", "3", "--sc", sc),
		"--config and --partitions cannot be combined")
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "other", "--config", cfg, "--sc", sc),
		`--config and the topic name "other" cannot be combined`)
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "--config", write("typo.yaml", "meta:\n  name: x\npartitions:\n  count: 1\n"), "--sc", sc),
		"field partitions not found")
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "--config", write("small.yaml", "meta:\n  name: tiny\npartition:\n  max-size: 10\n"), "--sc", sc),
		"max_partition_size 10 is less than minimum 2048")
}
