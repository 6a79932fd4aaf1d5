package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestProduceConsumeCluster runs 'fluvio produce' and 'fluvio consume'
// against an in-process cluster.
func TestProduceConsumeCluster(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	sc := cl.SCAddr()
	e := newCLIEnv(t)
	e.ok("topic", "create", "words", "-p", "2", "--sc", sc)
	e.ok("topic", "create", "one", "--sc", sc)

	// Lines to one partition, keys from a separator; CRLF and an empty line.
	e.stdin = "k1:alpha\r\nk2:beta\nk1:\nk1:gamma:delta\n"
	testkit.WaitFor(t, 10*time.Second, func() error { // the SPU opens the new topic
		_, errs, code := e.run("produce", "one", "--key-separator", ":", "--sc", sc)
		if code != 0 {
			return &cliError{Err: errString(errs)}
		}
		return nil
	})
	out := e.ok("consume", "one", "-B", "-d", "--sc", sc)
	if want := "alpha\nbeta\n\ngamma:delta\n"; out != want {
		t.Fatalf("consume printed %q, want %q", out, want)
	}
	out = e.ok("consume", "one", "-B", "-d", "-k", "--sc", sc)
	if want := "[k1] alpha\n[k2] beta\n[k1] \n[k1] gamma:delta\n"; out != want {
		t.Fatalf("consume -k printed %q, want %q", out, want)
	}
	out = e.ok("consume", "one", "--start", "1", "--end", "2", "-F", "{{offset}}|{{key}}|{{value}}|{{partition}}", "--sc", sc)
	if want := "1|k2|beta|0\n2|k1||0\n"; out != want {
		t.Fatalf("consume --start 1 --end 2 -F printed %q, want %q", out, want)
	}
	out = e.ok("consume", "one", "-T", "1", "-d", "--sc", sc)
	if want := "gamma:delta\n"; out != want {
		t.Fatalf("consume -T 1 -d printed %q, want %q", out, want)
	}
	out = e.ok("consume", "one", "-B", "--end", "0", "-O", "json", "--sc", sc)
	var jr struct {
		Partition int32   `json:"partition"`
		Offset    int64   `json:"offset"`
		Key       *string `json:"key"`
		Value     string  `json:"value"`
		Timestamp int64   `json:"timestamp"`
	}
	if err := json.Unmarshal([]byte(out), &jr); err != nil {
		t.Fatalf("consume -O json printed %q: %v", out, err)
	}
	if jr.Key == nil || *jr.Key != "k1" || jr.Value != "alpha" || jr.Offset != 0 || jr.Timestamp < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("consume -O json printed %q", out)
	}

	// --acks none: nothing to wait for, the records still arrive.
	e.stdin = "fire\nforget\n"
	e.ok("produce", "one", "--acks", "none", "--sc", sc)
	testkit.WaitFor(t, 10*time.Second, func() error {
		out := e.ok("consume", "one", "--start", "4", "-d", "--sc", sc)
		if out != "fire\nforget\n" {
			return errString("consume after --acks none printed " + out)
		}
		return nil
	})

	// --raw: the whole input is one record; --key sets it.
	e.stdin = "line 1\nline 2\n"
	e.ok("produce", "one", "--raw", "--key", "blob", "--sc", sc)
	out = e.ok("consume", "one", "--start", "6", "-d", "-F", "{{key}}={{value}}", "--sc", sc)
	if want := "blob=line 1\nline 2\n\n"; out != want {
		t.Fatalf("raw record printed %q, want %q", out, want)
	}

	// Many lines into two partitions, from a file; all come back once.
	var b strings.Builder
	for i := range 1000 {
		b.WriteString("v")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\n")
	}
	file := filepath.Join(t.TempDir(), "records.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	e.stdin = "not read: --file wins\n"
	testkit.WaitFor(t, 10*time.Second, func() error {
		_, errs, code := e.run("produce", "words", "-f", file, "--acks", "leader", "--sc", sc)
		if code != 0 {
			return &cliError{Err: errString(errs)}
		}
		return nil
	})
	out = e.ok("consume", "words", "-B", "-d", "--sc", sc)
	if got := strings.Count(out, "\n"); got != 1000 {
		t.Fatalf("consume of 2 partitions printed %d lines, want 1000", got)
	}
	p0 := e.ok("consume", "words", "-p", "0", "-B", "-d", "--sc", sc)
	p1 := e.ok("consume", "words", "-p", "1", "-B", "-d", "--sc", sc)
	if strings.Count(p0, "\n")+strings.Count(p1, "\n") != 1000 || p0 == "" || p1 == "" {
		t.Fatalf("partitions hold %d and %d lines: want 1000 spread over both", strings.Count(p0, "\n"), strings.Count(p1, "\n"))
	}
	if strings.Contains(p0+p1, "not read") {
		t.Fatal("produce -f also read stdin")
	}
	errs := e.fails(exitUsage, "produce", "words", "-f", filepath.Join(t.TempDir(), "missing.txt"), "--sc", sc)
	if !strings.Contains(errs, "missing.txt") || !strings.Contains(errs, "next: ") {
		t.Errorf("produce -f of a missing file: %q", errs)
	}
	errs = e.fails(exitUsage, "consume", "words", "-p", "5", "--sc", sc)
	const hint = "next: pick a partition from 'fluvio partition list --topic words'"
	if !strings.Contains(errs, "partitions 0..1") || !strings.Contains(errs, hint) {
		t.Errorf("consume -p 5 of 2 partitions: %q", errs)
	}
	// The command the hint names runs and lists the topic's partitions.
	if out := e.ok(append(strings.Fields(strings.TrimSuffix(strings.TrimPrefix(hint, "next: pick a partition from 'fluvio "), "'")), "--sc", sc)...); !strings.Contains(out, "words  1") {
		t.Errorf("the hint's command printed %q", out)
	}

	// A following consumer prints a record produced after it started.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &testkit.Buffer{}
	done := make(chan int, 1)
	go func() {
		g := newGlobal()
		g.getenv = func(k string) string { return e.env[k] }
		done <- g.run(ctx, []string{"consume", "one", "--sc", sc}, w, w)
	}()
	c, err := fluvio.Connect(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Producer("one")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	testkit.WaitFor(t, 10*time.Second, func() error {
		if _, err := p.SendSync(ctx, nil, []byte("fresh")); err != nil {
			return err
		}
		if !strings.Contains(w.String(), "fresh\n") {
			return errString("not printed yet: " + w.String())
		}
		return nil
	})
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("interrupted consume exited %d: %s", code, w.String())
	}
}

type errString string

func (e errString) Error() string { return string(e) }
