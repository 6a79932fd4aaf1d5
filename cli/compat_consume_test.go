package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestConsumeFluvioFlags: -p repeatable, -A, --maxbytes, --isolation in
// Fluvio's spellings, --start past the end with -d says so, and named
// consumers: --consumer resumes, 'consumer list' (table, JSON, empty),
// 'consumer delete' with Fluvio's message, and a deleted topic takes its
// consumers with it.
func TestConsumeFluvioFlags(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	sc := cl.SCAddr()
	e := newCLIEnv(t)
	testkit.Equal(t, e.ok("consumer", "list", "--sc", sc), "No consumers found\n")
	testkit.Equal(t, strings.TrimSpace(e.ok("consumer", "list", "-O", "json", "--sc", sc)), "[]")

	e.ok("topic", "create", "parts", "-p", "3", "--sc", sc)
	// One record per partition: keys chosen by partition number.
	var lines []string
	for p := range 3 {
		for i := range 3 {
			lines = append(lines, fmt.Sprintf("p%d-%d", p, i))
		}
	}
	e.stdin = strings.Join(lines, "\n") + "\n"
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, errs, code := e.run("produce", "parts", "--sc", sc)
		if code != 0 {
			return fmt.Errorf("exit %d: %s", code, errs)
		}
		return nil
	})
	count := func(args ...string) map[string]int {
		out := e.ok(append([]string{"consume", "parts", "-B", "-d", "-F", "{{partition}}", "--sc", sc}, args...)...)
		m := map[string]int{}
		for _, l := range strings.Fields(out) {
			m[l]++
		}
		return m
	}
	all := count()
	if len(all) != 3 || all["0"]+all["1"]+all["2"] != 9 {
		t.Fatalf("all partitions: %v", all)
	}
	two := count("-p", "1", "-p", "2")
	if two["0"] != 0 || two["1"] != all["1"] || two["2"] != all["2"] {
		t.Fatalf("-p 1 -p 2: %v (all: %v)", two, all)
	}
	testkit.Equal(t, fmt.Sprint(count("-A")), fmt.Sprint(all))
	testkit.Equal(t, fmt.Sprint(count("--maxbytes", "100", "--isolation", "ReadCommitted")), fmt.Sprint(all))
	testkit.Equal(t, fmt.Sprint(count("--isolation", "read_uncommitted")), fmt.Sprint(all)) // HW = LEO here: the same records
	testkit.Contains(t, e.fails(exitUsage, "consume", "parts", "-A", "-p", "1", "--sc", sc), "--all-partitions and --partition are alternatives")
	testkit.Contains(t, e.fails(exitUsage, "consume", "parts", "--isolation", "dirty", "--sc", sc), `--isolation "dirty": use read_committed or read_uncommitted`)
	testkit.Contains(t, e.fails(exitUsage, "consume", "parts", "--maxbytes", "0", "--sc", sc), "--maxbytes 0")

	// --start past the end with -d says so.
	e.ok("topic", "create", "one", "--sc", sc)
	e.stdin = "a\nb\nc\n"
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, errs, code := e.run("produce", "one", "--sc", sc)
		if code != 0 {
			return fmt.Errorf("exit %d: %s", code, errs)
		}
		return nil
	})
	testkit.WaitFor(t, 10*time.Second, func() error { // the HW comes with the leader's next heartbeat
		out, errs, code := e.run("consume", "one", "--start", "10", "-d", "--sc", sc)
		if code != 0 || out != "" || !strings.Contains(errs, `offset 10 is past the end of partition 0 of topic "one" (its last offset is 2)`) {
			return fmt.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
		}
		return nil
	})

	// A named consumer continues where it stopped.
	testkit.Equal(t, e.ok("consume", "one", "--consumer", "reader", "-B", "--end", "0", "--sc", sc), "a\n")
	testkit.Equal(t, e.ok("consume", "one", "--consumer", "reader", "-B", "-d", "--sc", sc), "b\nc\n")
	testkit.Equal(t, e.ok("consume", "one", "--consumer", "reader", "-B", "-d", "--sc", sc), "")
	e.ok("consume", "parts", "--consumer", "reader", "-B", "-d", "--sc", sc)
	list := e.ok("consumer", "list", "--sc", sc)
	if r := row(list, "reader"); !strings.HasPrefix(r, "reader one 0 2 ") {
		t.Fatalf("consumer list row %q in:\n%s", r, list)
	}
	testkit.Contains(t, list, "CONSUMER")
	var items []map[string]any
	if err := json.Unmarshal([]byte(e.ok("consumer", "list", "-O", "json", "--sc", sc)), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 4 || items[0]["consumer_id"] != "reader" || items[0]["topic"] != "one" || items[0]["partition"] != 0.0 ||
		items[0]["offset"] != 2.0 || items[0]["modified_time"].(float64) < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Fatalf("consumer list -O json: %v", items)
	}
	testkit.Equal(t, e.ok("consumer", "delete", "reader", "--topic", "parts", "--partition", "1", "--sc", sc),
		`consumer "reader" on topic "parts" and partition "1" deleted`+"\n")
	testkit.Contains(t, e.fails(exitNotFound, "consumer", "delete", "reader", "--topic", "parts", "--partition", "1", "--sc", sc),
		`consumer "reader" on topic "parts" and partition "1" not found`)
	testkit.Contains(t, e.fails(exitUsage, "consumer", "delete", "reader", "--partition", "1", "--sc", sc), "--partition needs --topic")
	// Deleting a topic deletes its consumers; created again, it has none.
	e.ok("topic", "delete", "parts", "--sc", sc)
	e.ok("topic", "create", "parts", "--sc", sc)
	if out := e.ok("consumer", "list", "--sc", sc); strings.Contains(out, "parts") {
		t.Fatalf("consumers of a deleted topic are listed:\n%s", out)
	}
	testkit.Equal(t, e.ok("consumer", "delete", "reader", "--sc", sc), `consumer "reader" on topic "one" and partition "0" deleted`+"\n")
	testkit.Equal(t, e.ok("consumer", "list", "--sc", sc), "No consumers found\n")
	// A named consumer after delete starts from its start option again.
	testkit.Equal(t, e.ok("consume", "one", "--consumer", "reader", "-B", "-d", "--sc", sc), "a\nb\nc\n")
	testkit.Contains(t, e.fails(exitUsage, "consume", "one", "--consumer", "bad.name", "-B", "-d", "--sc", sc), `invalid consumer name "bad.name"`)
}

// row returns the whitespace-joined fields of the first line of out whose
// first field is key.
func row(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == key {
			return strings.Join(f, " ")
		}
	}
	return ""
}
