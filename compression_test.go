package fluvio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/wire"
)

// storedCodecs fetches partition 0 of topic raw from the SPU and returns
// the codec of each stored batch.
func storedCodecs(t *testing.T, cl *fluviotest.Cluster, topic string) []batch.Codec {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := wire.Dial(ctx, cl.SPUPublicAddr(cl.SPUIDs()[0]))
	testkit.NoErr(t, err)
	defer conn.Close()
	resp, err := conn.Fetch(ctx, &wire.FetchRequest{ReplicaID: -1, MaxBytes: 1 << 20,
		Partitions: []wire.FetchPartition{{Topic: topic, MaxBytes: 1 << 20, CurrentLeaderEpoch: -1}}})
	testkit.NoErr(t, err)
	var out []batch.Codec
	for b, err := range batch.All(resp.Partitions[0].Records) {
		testkit.NoErr(t, err)
		out = append(out, batch.CodecOf(b))
	}
	return out
}

// TestClusterCompressionRoundTrip: per codec, a producer's batches are
// stored and served compressed with it, and a consumer reads the records
// back byte for byte. A topic with a compression type recompresses what
// producers send; "any" keeps it.
func TestClusterCompressionRoundTrip(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	value := func(i int) []byte { return fmt.Appendf(nil, "record %d %s", i, strings.Repeat("z", i%40)) }
	roundTrip := func(topic string, cfg TopicConfig, codec Compression, want batch.Codec) {
		t.Helper()
		createTopic(t, c, topic, cfg)
		p, err := c.Producer(topic, WithCompression(codec), WithLinger(time.Hour))
		testkit.NoErr(t, err)
		for i := range 100 {
			testkit.NoErr(t, p.Send(ctx, fmt.Appendf(nil, "k%d", i), value(i)))
		}
		testkit.NoErr(t, p.Flush(ctx))
		testkit.NoErr(t, p.Close())
		for _, got := range storedCodecs(t, cl, topic) {
			if got != want {
				t.Fatalf("topic %s (compression type %q), producer %v: a batch stored as %v, want %v", topic, cfg.CompressionType, codec, got, want)
			}
		}
		cons, err := c.Consumer(topic, FromBeginning(), DisableContinuous())
		testkit.NoErr(t, err)
		i := 0
		for r, err := range cons.Records(ctx) {
			testkit.NoErr(t, err)
			if r.Offset != int64(i) || string(r.Key) != fmt.Sprintf("k%d", i) || string(r.Value) != string(value(i)) {
				t.Fatalf("topic %s record %d: offset %d %q=%q", topic, i, r.Offset, r.Key, r.Value)
			}
			i++
		}
		if i != 100 {
			t.Fatalf("topic %s: read %d records, want 100", topic, i)
		}
	}
	for _, codec := range []Compression{CompressionNone, CompressionGzip, CompressionSnappy, CompressionLZ4, CompressionZstd} {
		roundTrip("codec-"+codec.String(), TopicConfig{}, codec, batch.Codec(codec))
	}
	roundTrip("topic-gzip", TopicConfig{CompressionType: "gzip"}, CompressionLZ4, batch.Gzip)
	roundTrip("topic-zstd", TopicConfig{CompressionType: "zstd"}, CompressionNone, batch.Zstd)
	roundTrip("topic-none", TopicConfig{CompressionType: "none"}, CompressionSnappy, batch.None)
	roundTrip("topic-any", TopicConfig{CompressionType: "any"}, CompressionLZ4, batch.LZ4)

	err := c.CreateTopic(ctx, "bad-codec", TopicConfig{CompressionType: "brotli"})
	if err == nil || !strings.Contains(err.Error(), `unknown compression type "brotli"`) {
		t.Fatalf("CreateTopic with compression type brotli: %v", err)
	}
	if _, err := ParseCompression("brotli"); err == nil || !strings.Contains(err.Error(), "none, gzip, snappy, lz4 or zstd") {
		t.Fatalf("ParseCompression(brotli): %v", err)
	}
}

// TestClusterMaxRequestSize: a record that cannot fit in a request fails
// Send with ErrRecordTooLarge and Fluvio's wording; smaller ones pass.
func TestClusterMaxRequestSize(t *testing.T) {
	cl := fluviotest.Start(t, fluviotest.Options{SPUs: 1})
	c := connectCluster(t, cl)
	createTopic(t, c, "small", TopicConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := c.Producer("small", WithMaxRequestSize(1000))
	testkit.NoErr(t, err)
	defer p.Close()
	err = p.Send(ctx, nil, make([]byte, 1000))
	if !errors.Is(err, ErrRecordTooLarge) || !strings.Contains(err.Error(), "exceeded maximum request size (1000 bytes)") {
		t.Fatalf("Send of 1000 bytes with a 1000-byte max request size: %v", err)
	}
	if _, err := p.SendSync(ctx, nil, make([]byte, 500)); err != nil {
		t.Fatal(err)
	}
}
