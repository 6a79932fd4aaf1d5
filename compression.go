package fluvio

import (
	"fmt"

	"github.com/fluvio-go/fluvio/batch"
)

// Compression is the codec a producer compresses its batches with (the
// numbers are Kafka's and Fluvio's). The leader stores a compressed batch
// as it came (or recompresses it when the topic names another codec, see
// TopicSpec.CompressionType) and consumers decompress it: a Consumer
// returns the same records whatever the codec.
type Compression int8

// The codecs.
const (
	CompressionNone   = Compression(batch.None)
	CompressionGzip   = Compression(batch.Gzip)
	CompressionSnappy = Compression(batch.Snappy)
	CompressionLZ4    = Compression(batch.LZ4)
	CompressionZstd   = Compression(batch.Zstd)
)

// String returns the codec's name: none, gzip, snappy, lz4 or zstd.
func (c Compression) String() string { return batch.Codec(c).String() }

// ParseCompression parses none, gzip, snappy, lz4 or zstd
// (case-insensitive); anything else is an error listing them.
func ParseCompression(s string) (Compression, error) {
	c, err := batch.ParseCodec(s)
	if err != nil {
		return CompressionNone, fmt.Errorf("fluvio: %w", err)
	}
	return Compression(c), nil
}

// WithCompression compresses every batch with c (default CompressionNone).
func WithCompression(c Compression) ProducerOption {
	return func(cfg *producerConfig) {
		if batch.Codec(c).Valid() {
			cfg.compression = c
		}
	}
}
