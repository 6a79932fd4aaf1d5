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
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestProducerExample(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	env := map[string]string{"FLUVIO_SC": cl.SCAddr()} // the address from the environment
	err := run(ctx, []string{"--topic", "greetings", "--create", "--count", "5"}, &out, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if want := `sent 5 records to "greetings"; the last one is at offset 4`; !strings.Contains(out.String(), want) {
		t.Fatalf("output %q, want %q", out.String(), want)
	}

	// The records are there, in order.
	c, err := fluvio.Connect(ctx, cl.SCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cons, err := c.Consumer("greetings", fluvio.FromBeginning(), fluvio.DisableContinuous())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rec, err := range cons.Records(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(rec.Value))
	}
	if want := "[hello 0 hello 1 hello 2 hello 3 hello 4]"; fmt.Sprint(got) != want {
		t.Fatalf("topic holds %v, want %v", got, want)
	}
}

func TestProducerExampleUnknownTopic(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, []string{"--sc", cl.SCAddr(), "--topic", "missing"}, &out, func(string) string { return "" })
	if err == nil || !strings.Contains(fluvio.Hint(err), "fluvio topic create missing") {
		t.Fatalf("run = %v (hint %q): want topic not found with a hint", err, fluvio.Hint(err))
	}
}
