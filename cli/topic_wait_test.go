package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// 'topic create' returns once every partition can take a produce: the
// partition list right after it shows them all Online, without polling.
// A partition whose leader SPU is down makes it warn after --wait (the
// topic is created: exit 0); --wait 0 does not wait.
func TestTopicCreateWaits(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	e := newCLIEnv(t)
	e.env[EnvSC] = c.SCAddr()

	testkit.Equal(t, e.ok("topic", "create", "ready", "-p", "12"), "topic \"ready\" created\n")
	var parts []fluvio.Partition
	if err := json.Unmarshal([]byte(e.ok("partition", "list", "--topic", "ready", "-O", "json")), &parts); err != nil || len(parts) != 12 {
		t.Fatalf("partition list: %v, %d partitions", err, len(parts))
	}
	for _, p := range parts {
		if p.Status.Resolution != "Online" {
			t.Fatalf("partition %d is %s right after topic create", p.Spec.Partition, p.Status.Resolution)
		}
	}

	ids := c.SPUIDs()
	c.StopSPU(ids[0])
	file := filepath.Join(t.TempDir(), "assign.json")
	if err := os.WriteFile(file, fmt.Appendf(nil, `[{"id":0,"replicas":[%d]}]`, ids[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := e.run("topic", "create", "half", "--replica-assignment", file, "--wait", "1s")
	testkit.Equal(t, code, exitOK)
	testkit.Equal(t, out, "topic \"half\" created\n")
	for _, want := range []string{"warning: ", "not ready after 1s", fmt.Sprint(ids[0]), "'fluvio partition list --topic half'"} {
		testkit.Contains(t, errs, want)
	}

	out, errs, code = e.run("topic", "create", "nowait", "--replica-assignment", file, "--wait", "0")
	testkit.Equal(t, code, exitOK)
	testkit.Equal(t, out+errs, "topic \"nowait\" created\n")

	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "bad", "--wait", "soon"), "--wait")
}

// 'topic add-partition' waits like 'topic create': a new partition whose
// leader SPU is down makes it warn after --wait, naming the SPU (the
// partition is added: exit 0, and the table is printed); --wait 0 does
// not wait.
func TestTopicAddPartitionWaits(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	e := newCLIEnv(t)
	e.env[EnvSC] = c.SCAddr()
	e.ok("topic", "create", "grow")
	id := c.SPUIDs()[0]
	c.StopSPU(id)

	out, errs, code := e.run("topic", "add-partition", "grow", "--wait", "1s")
	testkit.Equal(t, code, exitOK)
	testkit.Contains(t, out, `added new partitions to topic: "grow"`)
	for _, want := range []string{"warning: ", "not ready after 1s", fmt.Sprint(id), "'fluvio partition list --topic grow'"} {
		testkit.Contains(t, errs, want)
	}

	out, errs, code = e.run("topic", "add-partition", "grow", "--wait", "0")
	testkit.Equal(t, code, exitOK)
	testkit.Contains(t, out, `added new partitions to topic: "grow"`)
	testkit.Equal(t, errs, "")

	var parts []fluvio.Partition
	if err := json.Unmarshal([]byte(e.ok("partition", "list", "--topic", "grow", "-O", "json")), &parts); err != nil || len(parts) != 3 {
		t.Fatalf("partition list after two add-partitions with the SPU down: %v, %d partitions, want 3", err, len(parts))
	}
	testkit.Contains(t, e.fails(exitUsage, "topic", "add-partition", "grow", "--wait", "soon"), "--wait")
}
