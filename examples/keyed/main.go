// Command keyed shows keys and partitions with package fluvio: it creates a
// topic with several partitions, sends each user's events with the user as
// the key, and reads them back. Records with the same key always land in
// the same partition (murmur2 of the key, as Kafka), so each user's events
// come back in the order they were sent. Use a new topic for each run, or
// the output includes the events of earlier runs.
//
//	go run ./examples/keyed --topic user-events --partitions 3 --users 4 --events 5
//
// The SC address comes from --sc, else $FLUVIO_SC, else 127.0.0.1:9003.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"

	"github.com/fluvio-go/fluvio"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "keyed:", err)
		if hint := fluvio.Hint(err); hint != "" {
			fmt.Fprintln(os.Stderr, "next:", hint)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("keyed", flag.ContinueOnError)
	sc := fs.String("sc", scAddr(getenv), "SC address HOST:PORT (env FLUVIO_SC)")
	creds := fs.String("creds", getenv("FLUVIO_CLIENT_CREDS"), "NATS credential file of a cluster with auth, e.g. DATA-DIR/auth/client.creds (env FLUVIO_CLIENT_CREDS)")
	tlsCA := fs.String("tls-ca", getenv("FLUVIO_TLS_CA"), "the CA certificate of a cluster with TLS, e.g. DATA-DIR/tls/ca.crt (env FLUVIO_TLS_CA)")
	tlsCert := fs.String("tls-cert", getenv("FLUVIO_TLS_CERT"), "client certificate for mutual TLS, e.g. DATA-DIR/tls/client.crt (env FLUVIO_TLS_CERT)")
	tlsKey := fs.String("tls-key", getenv("FLUVIO_TLS_KEY"), "its key, e.g. DATA-DIR/tls/client.key (env FLUVIO_TLS_KEY)")
	topic := fs.String("topic", "user-events", "topic to use (created if missing)")
	partitions := fs.Int("partitions", 3, "partitions of the topic when it is created")
	users := fs.Int("users", 4, "number of users (keys)")
	events := fs.Int("events", 5, "events per user")
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
	err = client.CreateTopic(ctx, *topic, fluvio.TopicConfig{Partitions: int32(*partitions), Replicas: 1})
	if err != nil && !errors.Is(err, fluvio.ErrTopicExists) {
		return err
	}

	producer, err := client.Producer(*topic)
	if err != nil {
		return err
	}
	for e := range *events {
		for u := range *users {
			// The key picks the partition: every event of a user goes to
			// the same one, in order.
			key := fmt.Appendf(nil, "user-%d", u)
			if err := producer.Send(ctx, key, fmt.Appendf(nil, "event-%d", e)); err != nil {
				return err
			}
		}
	}
	if err := producer.Close(); err != nil { // Close flushes
		return err
	}

	// Read every partition from the beginning to the current end.
	consumer, err := client.Consumer(*topic, fluvio.FromBeginning(), fluvio.DisableContinuous())
	if err != nil {
		return err
	}
	perUser := map[string][]string{}
	keysByPartition := map[int32][]string{}
	for rec, err := range consumer.Records(ctx) {
		if err != nil {
			return err
		}
		k := string(rec.Key)
		perUser[k] = append(perUser[k], string(rec.Value))
		if !slices.Contains(keysByPartition[rec.Partition], k) {
			keysByPartition[rec.Partition] = append(keysByPartition[rec.Partition], k)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(keysByPartition)) {
		keys := keysByPartition[p]
		slices.Sort(keys)
		fmt.Fprintf(stdout, "partition %d: %v\n", p, keys)
	}
	for _, u := range slices.Sorted(maps.Keys(perUser)) {
		fmt.Fprintf(stdout, "%s: %v\n", u, perUser[u])
	}
	return nil
}

func scAddr(getenv func(string) string) string {
	if v := getenv("FLUVIO_SC"); v != "" {
		return v
	}
	return "127.0.0.1:9003"
}
