// Command producer sends records to a topic with package fluvio: it
// connects to the SC, creates the topic if asked, queues records with Send
// (batched in the background) and waits for their acknowledgement with
// Flush.
//
//	go run ./examples/producer --topic greetings --create --count 10
//
// The SC address comes from --sc, else $FLUVIO_SC, else 127.0.0.1:9003.
package main

import (
	"context"
	"errors"
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
		fmt.Fprintln(os.Stderr, "producer:", err)
		if hint := fluvio.Hint(err); hint != "" {
			fmt.Fprintln(os.Stderr, "next:", hint)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("producer", flag.ContinueOnError)
	sc := fs.String("sc", scAddr(getenv), "SC address HOST:PORT (env FLUVIO_SC)")
	creds := fs.String("creds", getenv("FLUVIO_CLIENT_CREDS"), "NATS credential file of a cluster with auth, e.g. DATA-DIR/auth/client.creds (env FLUVIO_CLIENT_CREDS)")
	tlsCA := fs.String("tls-ca", getenv("FLUVIO_TLS_CA"), "the CA certificate of a cluster with TLS, e.g. DATA-DIR/tls/ca.crt (env FLUVIO_TLS_CA)")
	tlsCert := fs.String("tls-cert", getenv("FLUVIO_TLS_CERT"), "client certificate for mutual TLS, e.g. DATA-DIR/tls/client.crt (env FLUVIO_TLS_CERT)")
	tlsKey := fs.String("tls-key", getenv("FLUVIO_TLS_KEY"), "its key, e.g. DATA-DIR/tls/client.key (env FLUVIO_TLS_KEY)")
	topic := fs.String("topic", "greetings", "topic to write to")
	create := fs.Bool("create", false, "create the topic (1 partition) if it does not exist")
	count := fs.Int("count", 10, "number of records to send (at least 1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *count < 1 {
		return fmt.Errorf("--count %d: send at least 1 record", *count)
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

	if *create {
		err := client.CreateTopic(ctx, *topic, fluvio.TopicConfig{Partitions: 1, Replicas: 1})
		if err != nil && !errors.Is(err, fluvio.ErrTopicExists) {
			return err
		}
	}

	producer, err := client.Producer(*topic)
	if err != nil {
		return err
	}
	defer producer.Close()

	// Send queues a record and returns at once; records are batched per
	// partition and sent in the background. All but the last go this way.
	for i := range *count - 1 {
		if err := producer.Send(ctx, nil, fmt.Appendf(nil, "hello %d", i)); err != nil {
			return err
		}
	}
	// Flush waits until every record is acknowledged by the cluster and
	// reports the first one that failed.
	if err := producer.Flush(ctx); err != nil {
		return err
	}
	// SendSync sends one record (here the last, with a key) and returns
	// its offset.
	off, err := producer.SendSync(ctx, []byte("last"), fmt.Appendf(nil, "hello %d", *count-1))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent %d records to %q; the last one is at offset %d\n", *count, *topic, off)
	return producer.Close()
}

func scAddr(getenv func(string) string) string {
	if v := getenv("FLUVIO_SC"); v != "" {
		return v
	}
	return "127.0.0.1:9003"
}
