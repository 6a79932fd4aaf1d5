package cli

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestProduceFluvioFlags runs Fluvio's produce flags against an
// in-process cluster: a round trip per --compression codec (and through
// topics created with --compression-type), --max-request-size with
// Fluvio's wording, --isolation and --delivery-semantic in both
// spellings, and clear errors (non-zero exit) for bad values.
func TestProduceFluvioFlags(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	sc := cl.SCAddr()
	e := newCLIEnv(t)
	produce := func(topic string, args ...string) {
		t.Helper()
		testkit.WaitFor(t, 10*time.Second, func() error { // the SPU opens a new topic
			_, errs, code := e.run(append([]string{"produce", topic, "--sc", sc}, args...)...)
			if code != 0 {
				return fmt.Errorf("exit %d: %s", code, errs)
			}
			return nil
		})
	}
	for _, codec := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		topic := "c-" + codec
		e.ok("topic", "create", topic, "--sc", sc)
		e.stdin = "a:alpha\nb:" + strings.Repeat("beta", 50) + "\nc:gamma\n"
		produce(topic, "--compression", codec, "--key-separator", ":", "--linger", "100ms", "--batch-size", "1MiB")
		out := e.ok("consume", topic, "-B", "-d", "-F", "{{key}}={{value}}", "--sc", sc)
		testkit.Equal(t, out, "a=alpha\nb="+strings.Repeat("beta", 50)+"\nc=gamma\n")
	}
	for _, ct := range []string{"gzip", "any", "ZSTD"} {
		topic := "ct-" + strings.ToLower(ct)
		e.ok("topic", "create", topic, "--compression-type", ct, "--sc", sc)
		e.stdin = "one\ntwo\n"
		produce(topic, "--compression", "lz4")
		testkit.Equal(t, e.ok("consume", topic, "-B", "-d", "--sc", sc), "one\ntwo\n")
	}
	testkit.Contains(t, e.fails(exitUsage, "topic", "create", "bad", "--compression-type", "brotli", "--sc", sc),
		`--compression-type "brotli": use any, none, gzip, snappy, lz4 or zstd`)
	testkit.Contains(t, e.fails(exitUsage, "produce", "c-none", "--compression", "brotli", "--sc", sc),
		`--compression "brotli": use none, gzip, snappy, lz4 or zstd`)

	// --max-request-size: a record that cannot fit fails, in Fluvio's words.
	e.stdin = strings.Repeat("x", 2000) + "\n"
	_, errs, code := e.run("produce", "c-none", "--max-request-size", "1000", "--sc", sc)
	if code == 0 || !strings.Contains(errs, "exceeded maximum request size (1000 bytes)") {
		t.Fatalf("a 2000-byte record with --max-request-size 1000: exit %d, stderr %q", code, errs)
	}
	e.stdin = "fits\n"
	e.ok("produce", "c-none", "--max-request-size", "1KiB", "--sc", sc)

	// --isolation and --delivery-semantic, in Fluvio's spellings.
	for _, args := range [][]string{
		{"--isolation", "read_committed"}, {"--isolation", "ReadUncommitted"},
		{"--isolation", "ReadCommitted", "--acks", "all"},
		{"--delivery-semantic", "AtLeastOnce"}, {"--delivery-semantic", "at-most-once"},
		{"--delivery-semantic", "AtMostOnce", "--isolation", "read_committed"},
	} {
		e.stdin = "v\n"
		e.ok(append([]string{"produce", "c-none", "--sc", sc}, args...)...)
	}
	testkit.WaitFor(t, 10*time.Second, func() error { // AtMostOnce does not wait: poll
		if n := strings.Count(e.ok("consume", "c-none", "--start", "4", "-d", "--sc", sc), "v\n"); n != 6 {
			return fmt.Errorf("%d of 6 records", n)
		}
		return nil
	})
	testkit.Contains(t, e.fails(exitUsage, "produce", "c-none", "--isolation", "serializable", "--sc", sc),
		`--isolation "serializable": use read_committed or read_uncommitted`)
	testkit.Contains(t, e.fails(exitUsage, "produce", "c-none", "--isolation", "read_uncommitted", "--acks", "all", "--sc", sc),
		"--isolation read_uncommitted means --acks leader: pass one of them")
	testkit.Contains(t, e.fails(exitUsage, "produce", "c-none", "--delivery-semantic", "ExactlyOnce", "--sc", sc),
		`--delivery-semantic "ExactlyOnce": use AtLeastOnce or AtMostOnce`)
	testkit.Contains(t, e.fails(exitUsage, "produce", "c-none", "--max-request-size", "lots", "--sc", sc), "--max-request-size")
}
