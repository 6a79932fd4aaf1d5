package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/fluviotest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestKeyedExample(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	args := []string{"--sc", cl.SCAddr(), "--topic", "user-events", "--partitions", "3", "--users", "4", "--events", "3"}
	if err := run(ctx, args, &out, func(string) string { return "" }); err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// Every user's events, in order; and each user in exactly one partition.
	for _, u := range []string{"user-0", "user-1", "user-2", "user-3"} {
		want := u + ": [event-0 event-1 event-2]"
		found, partitions := false, 0
		for _, l := range lines {
			if l == want {
				found = true
			}
			if rest, ok := strings.CutPrefix(l, "partition "); ok {
				_, list, _ := strings.Cut(rest, "[")
				for _, k := range strings.Fields(strings.TrimSuffix(list, "]")) {
					if k == u {
						partitions++
					}
				}
			}
		}
		if !found {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
		if partitions != 1 {
			t.Errorf("%s listed in %d partitions:\n%s", u, partitions, out.String())
		}
	}
}
