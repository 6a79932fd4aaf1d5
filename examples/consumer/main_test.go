package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConsumerExample(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := fluvio.Connect(ctx, cl.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.CreateTopic(ctx, "greetings", fluvio.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	p, err := c.Producer("greetings")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"a", "b", "c"} {
		if err := p.Send(ctx, []byte("k"), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}

	getenv := func(string) string { return "" }
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--beginning", "--once"}, `partition=0 offset=0 key="k" value="a"
partition=0 offset=1 key="k" value="b"
partition=0 offset=2 key="k" value="c"
`},
		{[]string{"--tail", "1", "--once"}, `partition=0 offset=2 key="k" value="c"
`},
		{[]string{"--beginning", "--count", "2"}, `partition=0 offset=0 key="k" value="a"
partition=0 offset=1 key="k" value="b"
`},
	}
	for _, tc := range cases {
		var out bytes.Buffer
		args := append([]string{"--sc", cl.SCAddr(), "--topic", "greetings"}, tc.args...)
		if err := run(ctx, args, &out, getenv); err != nil {
			t.Fatalf("run %v: %v", tc.args, err)
		}
		if out.String() != tc.want {
			t.Errorf("run %v printed\n%s\nwant\n%s", tc.args, out.String(), tc.want)
		}
	}

	// Following: a record sent later is printed; cancelling ends the run.
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	w := &testkit.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(fctx, []string{"--sc", cl.SCAddr(), "--topic", "greetings", "--tail", "0"}, w, getenv)
	}()
	p2, err := c.Producer("greetings")
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	// The consumer may still be starting: send until one arrives.
	testkit.WaitFor(t, 10*time.Second, func() error {
		if _, err := p2.SendSync(ctx, nil, []byte("live")); err != nil {
			return err
		}
		if !strings.Contains(w.String(), `value="live"`) {
			return fmt.Errorf("the following consumer printed %q, not the new record", w.String())
		}
		return nil
	})
	fcancel()
	if err := <-done; err != nil {
		t.Fatalf("interrupted run returned %v, want nil", err)
	}
}
