package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestE2EKeyed100k runs a 3-SPU local cluster as real processes, produces
// 100,000 keyed records through the CLI and 100,000 through the library
// into a topic of 3 partitions and 3 replicas, and consumes everything back
// with the CLI: every record exactly once, byte for byte, offsets dense per
// partition, each key on one partition and in send order there.
func TestE2EKeyed100k(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 records through real processes: skipped with -short")
	}
	const n, keys = 100_000, 97
	e := newEnv(t)
	dir := filepath.Join(e.home, ".fluvio", "local")
	cleanupCluster(t, e, dir)
	scAddr := freePlanAddr(t, 3)
	e.ok("cluster", "start", "--spu", "3", "--sc-addr", scAddr, "--timeout", "60s")
	testkit.Contains(t, e.ok("topic", "create", "keyed", "-p", "3", "-r", "3"), `topic "keyed" created`)

	// Through the CLI: "key:value" lines on stdin.
	var in bytes.Buffer
	for i := range n {
		fmt.Fprintf(&in, "k%d:cli-%d\n", i%keys, i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin("fluvio"), "produce", "keyed", "--key-separator", ":")
	cmd.Env, cmd.Stdin = e.vars, &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fluvio produce: %v\n%s", err, out)
	}

	// Through the library.
	client, err := fluvio.Connect(ctx, scAddr, fluvio.WithCredentials(filepath.Join(dir, "auth", "client.creds")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	p, err := client.Producer("keyed")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := p.Send(ctx, fmt.Appendf(nil, "k%d", i%keys), fmt.Appendf(nil, "lib-%d", i)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	// Back through the CLI, from the beginning to the end.
	cmd = exec.CommandContext(ctx, bin("fluvio"), "consume", "keyed", "-B", "-d", "-O", "json")
	cmd.Env = e.vars
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fluvio consume: %v", err)
	}
	checkKeyed(t, out, n, keys)
}

// checkKeyed checks the consumed JSON lines of TestE2EKeyed100k.
func checkKeyed(t *testing.T, out []byte, n, keys int) {
	t.Helper()
	type rec struct {
		Partition int32  `json:"partition"`
		Offset    int64  `json:"offset"`
		Key       string `json:"key"`
		Value     string `json:"value"`
	}
	seen := map[string]bool{}
	nextOffset := map[int32]int64{}
	keyPartition := map[string]int32{}
	last := map[string]int{} // key/source -> last sequence read
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r rec
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("consume line %q: %v", sc.Text(), err)
		}
		if seen[r.Value] {
			t.Fatalf("duplicate %q at partition %d offset %d", r.Value, r.Partition, r.Offset)
		}
		seen[r.Value] = true
		if r.Offset != nextOffset[r.Partition] {
			t.Fatalf("partition %d: offset %d, want %d (a gap or reorder)", r.Partition, r.Offset, nextOffset[r.Partition])
		}
		nextOffset[r.Partition]++
		if p, ok := keyPartition[r.Key]; ok && p != r.Partition {
			t.Fatalf("key %q on partitions %d and %d", r.Key, p, r.Partition)
		}
		keyPartition[r.Key] = r.Partition
		src, seqText, ok := strings.Cut(r.Value, "-")
		seq, err := strconv.Atoi(seqText)
		if !ok || err != nil || (src != "cli" && src != "lib") {
			t.Fatalf("unexpected value %q", r.Value)
		}
		if want := fmt.Sprintf("k%d", seq%keys); r.Key != want {
			t.Fatalf("value %q has key %q, want %q", r.Value, r.Key, want)
		}
		id := r.Key + "/" + src
		if prev, ok := last[id]; ok && seq <= prev {
			t.Fatalf("key %s: %s-%d read after %s-%d (out of order)", r.Key, src, seq, src, prev)
		}
		last[id] = seq
	}
	if len(seen) != 2*n {
		t.Fatalf("read %d distinct records, want %d", len(seen), 2*n)
	}
	if len(nextOffset) != 3 {
		t.Fatalf("records on %d partitions, want 3", len(nextOffset))
	}
}
