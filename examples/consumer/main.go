// Command consumer prints the records of a topic with package fluvio: all
// partitions (or one), from the beginning, the end or the last N records,
// following the topic until interrupted unless --count or --once stops it.
//
//	go run ./examples/consumer --topic greetings --beginning --once
//
// The SC address comes from --sc, else $FLUVIO_SC, else 127.0.0.1:9003.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/fluvio-go/fluvio"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		if hint := fluvio.Hint(err); hint != "" {
			fmt.Fprintln(os.Stderr, "next:", hint)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("consumer", flag.ContinueOnError)
	sc := fs.String("sc", scAddr(getenv), "SC address HOST:PORT (env FLUVIO_SC)")
	creds := fs.String("creds", getenv("FLUVIO_CLIENT_CREDS"), "NATS credential file of a cluster with auth, e.g. DATA-DIR/auth/client.creds (env FLUVIO_CLIENT_CREDS)")
	tlsCA := fs.String("tls-ca", getenv("FLUVIO_TLS_CA"), "the CA certificate of a cluster with TLS, e.g. DATA-DIR/tls/ca.crt (env FLUVIO_TLS_CA)")
	tlsCert := fs.String("tls-cert", getenv("FLUVIO_TLS_CERT"), "client certificate for mutual TLS, e.g. DATA-DIR/tls/client.crt (env FLUVIO_TLS_CERT)")
	tlsKey := fs.String("tls-key", getenv("FLUVIO_TLS_KEY"), "its key, e.g. DATA-DIR/tls/client.key (env FLUVIO_TLS_KEY)")
	topic := fs.String("topic", "greetings", "topic to read")
	partition := fs.Int("partition", -1, "read only this partition (default: all)")
	beginning := fs.Bool("beginning", false, "start at the beginning (default: only new records)")
	tail := fs.Int64("tail", -1, "start this many records before the end")
	once := fs.Bool("once", false, "stop at the end of the log instead of waiting for new records")
	count := fs.Int("count", 0, "stop after this many records (0: no limit)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	copts := []fluvio.Option{fluvio.WithCredentials(*creds)}
	if *tlsCA != "" || *tlsCert != "" || *tlsKey != "" {
		cfg, err := fluvio.LoadTLS(*tlsCA, *tlsCert, *tlsKey)
		if err != nil {
			return err
		}
		copts = append(copts, fluvio.WithTLS(cfg))
	}
	client, err := fluvio.Connect(ctx, *sc, copts...)
	if err != nil {
		return err
	}
	defer client.Close()

	var opts []fluvio.ConsumerOption
	switch {
	case *beginning:
		opts = append(opts, fluvio.FromBeginning())
	case *tail >= 0:
		opts = append(opts, fluvio.FromTail(*tail))
	}
	if *partition >= 0 {
		opts = append(opts, fluvio.WithPartition(int32(*partition)))
	}
	if *once {
		opts = append(opts, fluvio.DisableContinuous())
	}
	consumer, err := client.Consumer(*topic, opts...)
	if err != nil {
		return err
	}

	// Records blocks while there is nothing new and ends at the end of
	// the log with DisableContinuous, when ctx ends, or on break.
	n := 0
	for rec, err := range consumer.Records(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return nil // interrupted
			}
			return err
		}
		fmt.Fprintf(stdout, "partition=%d offset=%d key=%q value=%q\n", rec.Partition, rec.Offset, rec.Key, rec.Value)
		if n++; *count > 0 && n >= *count {
			break
		}
	}
	return nil
}

func scAddr(getenv func(string) string) string {
	if v := getenv("FLUVIO_SC"); v != "" {
		return v
	}
	return "127.0.0.1:9003"
}
