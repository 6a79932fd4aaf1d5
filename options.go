package fluvio

import (
	"crypto/tls"
	"log/slog"
	"time"
)

// Option configures a Client (Connect). Producer and consumer options have
// their own types, ProducerOption and ConsumerOption, so an option cannot be
// passed to the wrong constructor.
type Option func(*clientConfig)

// ProducerOption configures a Producer (Client.Producer).
type ProducerOption func(*producerConfig)

// ConsumerOption configures a Consumer (Client.Consumer).
type ConsumerOption func(*consumerConfig)

// Client defaults.
const (
	// DefaultRequestTimeout bounds one admin or metadata request to the SC.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultDialTimeout bounds one TCP dial to an SPU.
	DefaultDialTimeout = 5 * time.Second
)

type clientConfig struct {
	logger         *slog.Logger
	name           string
	requestTimeout time.Duration
	dialTimeout    time.Duration
	now            func() time.Time
	// dial opens a connection to an SPU (nil: Client.dialSPU, the wire
	// protocol; tests replace it).
	dial dialFunc
	// creds is the NATS credential file (WithCredentials), "" for none.
	creds string
	// tls, when set, is used for the NATS connection and every SPU
	// connection (WithTLS).
	tls *tls.Config
}

func defaultClientConfig() clientConfig {
	return clientConfig{
		logger:         slog.New(slog.DiscardHandler),
		name:           "fluvio-go",
		requestTimeout: DefaultRequestTimeout,
		dialTimeout:    DefaultDialTimeout,
		now:            time.Now,
	}
}

// WithLogger sets the client's logger; nil (the default) discards logs.
func WithLogger(l *slog.Logger) Option {
	return func(c *clientConfig) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithName sets the NATS connection name the SC sees (default "fluvio-go").
func WithName(name string) Option {
	return func(c *clientConfig) {
		if name != "" {
			c.name = name
		}
	}
}

// WithCredentials connects to the SC's NATS as the identity in the
// credential file path: 'fluvio cluster start' writes DATA-DIR/auth/admin.creds
// (and client.creds, read-only.creds) for a local cluster. "" connects
// without an identity, which a cluster with auth refuses.
func WithCredentials(path string) Option {
	return func(c *clientConfig) { c.creds = path }
}

// WithTLS connects to the SC's NATS and to every SPU with TLS configured
// by cfg: RootCAs is the cluster's CA, Certificates the client's
// certificate when the cluster requires one (mutual TLS; its OU names
// the role: admin, client or read-only). An empty ServerName checks each
// server's certificate against the host dialed. nil (the default) means
// plaintext; a cluster that speaks TLS then fails the connection with a
// message saying so.
func WithTLS(cfg *tls.Config) Option {
	return func(c *clientConfig) { c.tls = cfg }
}

// WithRequestTimeout bounds each request to the SC (default
// DefaultRequestTimeout) when the caller's context has no earlier deadline.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *clientConfig) {
		if d > 0 {
			c.requestTimeout = d
		}
	}
}

// WithDialTimeout bounds each TCP dial to an SPU (default DefaultDialTimeout).
func WithDialTimeout(d time.Duration) Option {
	return func(c *clientConfig) {
		if d > 0 {
			c.dialTimeout = d
		}
	}
}

// Acks says when the partition leader answers a produce request.
type Acks int8

const (
	// AcksAll: after every in-sync replica has the batch in its WAL (and the
	// ISR has at least the topic's min-insync-replicas). The default.
	AcksAll Acks = iota
	// AcksLeader: after the leader has the batch in its WAL.
	AcksLeader
	// AcksNone: the leader does not answer; Send and Flush report only
	// errors seen before the request was written.
	AcksNone
)

// String returns "all", "leader" or "none".
func (a Acks) String() string {
	switch a {
	case AcksAll:
		return "all"
	case AcksLeader:
		return "leader"
	case AcksNone:
		return "none"
	}
	return "unknown"
}

// ParseAcks parses "all" (or "-1"), "leader" (or "1") and "none" (or "0").
func ParseAcks(s string) (Acks, error) {
	switch s {
	case "all", "-1":
		return AcksAll, nil
	case "leader", "1":
		return AcksLeader, nil
	case "none", "0":
		return AcksNone, nil
	}
	return 0, badOption("parse acks", "use all, leader or none", "unknown acks %q", s)
}

// Producer defaults, checked with BenchmarkProduce (producer_bench_test.go):
// on a shared 2-core machine batch sizes from 16 to 256 KiB measured within
// the noise (roughly 80-200 MB/s of 1 KiB records with acks=all), and 4
// requests in flight beat 1 by about a third.
const (
	// DefaultLinger is how long a partition's batch waits for more records
	// before it is sent.
	DefaultLinger = 5 * time.Millisecond
	// DefaultBatchSize is the size at which a batch is sent without waiting
	// for the linger time.
	DefaultBatchSize = 64 << 10
	// DefaultMaxBufferedRecords bounds the records sent but not yet
	// acknowledged; Send blocks when it is reached.
	DefaultMaxBufferedRecords = 1000
	// DefaultMaxBufferedBytes bounds the bytes (keys plus values) sent but
	// not yet acknowledged; Send blocks when it is reached.
	DefaultMaxBufferedBytes = 1 << 20
	// DefaultMaxRetries is how many times a batch is retried on a
	// retriable error before Send's error is reported.
	DefaultMaxRetries = 10
	// DefaultRetryBackoff is the first retry's wait; it doubles up to
	// DefaultMaxRetryBackoff.
	DefaultRetryBackoff = 50 * time.Millisecond
	// DefaultMaxRetryBackoff caps the wait between retries.
	DefaultMaxRetryBackoff = time.Second
	// DefaultProduceTimeout is the time the leader may take to satisfy
	// acks before it answers "request timed out".
	DefaultProduceTimeout = 10 * time.Second
	// DefaultMaxInFlight is how many produce requests of one partition may
	// await their answer at once.
	DefaultMaxInFlight = 4
	// DefaultMaxRequestSize bounds the bytes of one produce request (its
	// batches); a record that cannot fit in one fails Send with
	// ErrRecordTooLarge ("exceeded maximum request size").
	DefaultMaxRequestSize = 4 << 20
	// DefaultPartitionRefresh is how often a producer asks the SC for its
	// topic's partition count, to write to partitions added meanwhile.
	DefaultPartitionRefresh = time.Second
	// MaxIdempotentInFlight bounds WithMaxInFlight for an idempotent
	// producer: the leader remembers the offsets of a producer's last 5
	// runs of sequences (Kafka likewise caps its in-flight requests at 5
	// with idempotence).
	MaxIdempotentInFlight = 5
)

type producerConfig struct {
	acks            Acks
	linger          time.Duration
	batchSize       int
	maxRecords      int
	maxBytes        int
	maxRetries      int
	retryBackoff    time.Duration
	maxRetryBackoff time.Duration
	produceTimeout  time.Duration
	maxInFlight     int
	partitioner     Partitioner
	idempotent      bool
	compression     Compression
	maxRequestSize  int
	// partitionRefresh is how often the producer looks for partitions
	// added to its topic (WithPartitionRefresh).
	partitionRefresh time.Duration
	now              func() time.Time
	// unsafeRefusedResendStored (tests only: the negative controls of
	// the model test and the chaos suite, WithUnsafeRefusedSendsStored)
	// completes a request that the leader refused with a sequence error
	// as stored at offset -1: the rule that lost records.
	unsafeRefusedResendStored bool
}

func defaultProducerConfig() producerConfig {
	return producerConfig{
		acks:             AcksAll,
		linger:           DefaultLinger,
		batchSize:        DefaultBatchSize,
		maxRecords:       DefaultMaxBufferedRecords,
		maxBytes:         DefaultMaxBufferedBytes,
		maxRetries:       DefaultMaxRetries,
		retryBackoff:     DefaultRetryBackoff,
		maxRetryBackoff:  DefaultMaxRetryBackoff,
		produceTimeout:   DefaultProduceTimeout,
		maxInFlight:      DefaultMaxInFlight,
		idempotent:       true,
		maxRequestSize:   DefaultMaxRequestSize,
		partitionRefresh: DefaultPartitionRefresh,
		now:              time.Now,
	}
}

// WithAcks sets when the leader acknowledges (default AcksAll).
func WithAcks(a Acks) ProducerOption { return func(c *producerConfig) { c.acks = a } }

// WithLinger sets how long a batch waits for more records (default
// DefaultLinger); 0 sends as soon as the previous request of the partition
// has been answered. A Send that finds the window (WithMaxBuffered) full
// ends the linger early when lingering cannot grow the batches: nothing
// is in flight, or the window is spread over so many partitions (at most
// two records each) that a quarter of it or more waits in batches of
// about one record.
func WithLinger(d time.Duration) ProducerOption {
	return func(c *producerConfig) {
		if d >= 0 {
			c.linger = d
		}
	}
}

// WithBatchSize sets the batch size in bytes at which a batch is sent
// without lingering (default DefaultBatchSize). A single record larger than
// this is sent in a batch of its own. Batches that are ready while the
// partition's requests in flight are at WithMaxInFlight travel together in
// the next request (up to WithMaxRequestSize), large records' batches
// too: if the leader refuses such a request as too large (one batch over
// the topic's max record size), each batch is sent again alone and only
// that one fails.
func WithBatchSize(n int) ProducerOption {
	return func(c *producerConfig) {
		if n > 0 {
			c.batchSize = n
		}
	}
}

// WithPartitionRefresh sets how often the producer asks the SC whether
// partitions were added to its topic (default DefaultPartitionRefresh);
// records sent after the answer may go to the new partitions. 0 turns
// it off: the partitions are those of when the producer was created.
func WithPartitionRefresh(d time.Duration) ProducerOption {
	return func(c *producerConfig) {
		if d >= 0 {
			c.partitionRefresh = d
		}
	}
}

// WithMaxRequestSize bounds the bytes of one produce request (default
// DefaultMaxRequestSize). A record whose batch alone is larger fails Send
// with an error wrapping ErrRecordTooLarge whose text contains "exceeded
// maximum request size", before anything is sent.
func WithMaxRequestSize(n int) ProducerOption {
	return func(c *producerConfig) {
		if n > 0 {
			c.maxRequestSize = n
		}
	}
}

// WithMaxBuffered bounds the records and bytes accepted by Send but not yet
// acknowledged (defaults DefaultMaxBufferedRecords and
// DefaultMaxBufferedBytes). Send blocks while the producer is full.
func WithMaxBuffered(records, bytes int) ProducerOption {
	return func(c *producerConfig) {
		if records > 0 {
			c.maxRecords = records
		}
		if bytes > 0 {
			c.maxBytes = bytes
		}
	}
}

// WithRetries sets how many times a batch is retried on a retriable error
// (not leader, not enough replicas, timeout, lost connection) and the first
// backoff, which doubles up to one second. Defaults DefaultMaxRetries and
// DefaultRetryBackoff; 0 retries disables retrying. An SPU that does not
// hold the partition yet (unknown topic or partition: a topic just
// created) is retried past n (n > 0), after a metadata refresh, for up to 30 s
// from the first refusal.
func WithRetries(n int, backoff time.Duration) ProducerOption {
	return func(c *producerConfig) {
		if n >= 0 {
			c.maxRetries = n
		}
		if backoff > 0 {
			c.retryBackoff = backoff
			c.maxRetryBackoff = max(c.maxRetryBackoff, backoff)
		}
	}
}

// WithProduceTimeout sets the time the leader may take to satisfy acks
// (default DefaultProduceTimeout).
func WithProduceTimeout(d time.Duration) ProducerOption {
	return func(c *producerConfig) {
		if d > 0 {
			c.produceTimeout = d
		}
	}
}

// WithMaxInFlight sets how many produce requests of one partition may
// await their answer at once (default DefaultMaxInFlight; at most
// MaxIdempotentInFlight with idempotence, the number of sequence runs the
// leader remembers per producer, so that a retry is always recognized).
// Requests are appended in the order they were written, and a retried
// request is sent again before any newer one. With idempotence (the
// default) the leader refuses a request that skips ahead of one it
// refused, so the order holds through retries too. Without it (WithIdempotence(false)), when a
// request fails with a retriable error while a later one, already
// written, succeeds (an ISR that grew back in between, for example), or
// is refused as too large for one record over the topic's max record size
// (its other batches are sent again alone, see WithBatchSize), the
// retried records land after the later ones; WithMaxInFlight(1) rules
// that out at some cost in throughput.
func WithMaxInFlight(n int) ProducerOption {
	return func(c *producerConfig) {
		if n > 0 {
			c.maxInFlight = n
		}
	}
}

// WithUnsafeRefusedSendsStored is for failure tests only (the negative
// control of the chaos suite): it restores the rule that lost
// acknowledged records before it was fixed (a resend refused as
// DuplicateSequence was reported stored), widened to the refusals the
// fixed leader gives: a request refused with a sequence error (out of
// order, unknown producer, duplicate without proof, partly duplicate, too
// old), or a resend refused before the leader appended (unknown
// partition, not enough replicas, ...), is reported as stored at offset
// -1. Never use it in an application.
func WithUnsafeRefusedSendsStored() ProducerOption {
	return func(c *producerConfig) { c.unsafeRefusedResendStored = true }
}

// WithIdempotence turns the idempotent producer on (the default) or off.
// On, every batch carries a producer id and per-partition sequence
// numbers: the leader stores a retried batch once and keeps the order of
// the requests in flight (it refuses a batch that skips ahead, which the
// producer then resends after the earlier ones). Off, a retry after a
// lost answer may store records twice, and a retried request may land
// after a later one (see WithMaxInFlight).
func WithIdempotence(on bool) ProducerOption {
	return func(c *producerConfig) { c.idempotent = on }
}

// WithPartitioner replaces the default partitioner (murmur2 of the key,
// round-robin without a key).
func WithPartitioner(p Partitioner) ProducerOption {
	return func(c *producerConfig) {
		if p != nil {
			c.partitioner = p
		}
	}
}

// Consumer defaults.
const (
	// DefaultFetchMaxBytes bounds one fetch response per partition.
	DefaultFetchMaxBytes = 4 << 20
	// DefaultFetchMaxWait is how long a fetch at the end of the log waits
	// for new records before returning empty (and being issued again).
	DefaultFetchMaxWait = 500 * time.Millisecond
)

type startKind int

const (
	startEnd startKind = iota
	startBeginning
	startOffset
	startTail
	startTimestamp
)

type consumerConfig struct {
	partition   int32   // -1: all partitions (or those of partitions)
	partitions  []int32 // WithPartitions
	start       startKind
	startValue  int64
	end         int64 // inclusive; -1: none
	continuous  bool
	maxBytes    int32
	maxWait     time.Duration
	name        string        // WithConsumer
	autoCommit  time.Duration // 0: Commit and the end of Records only
	uncommitted bool          // WithReadUncommitted
}

func defaultConsumerConfig() consumerConfig {
	return consumerConfig{
		partition:  -1,
		start:      startEnd,
		end:        -1,
		continuous: true,
		maxBytes:   DefaultFetchMaxBytes,
		maxWait:    DefaultFetchMaxWait,
		autoCommit: DefaultAutoCommitInterval,
	}
}

// DefaultAutoCommitInterval is how often a named consumer (WithConsumer)
// stores the offsets it has read while Records runs.
const DefaultAutoCommitInterval = 5 * time.Second

// WithConsumer names the consumer: the last offset it read per partition
// is stored durably (in the replicated consumer-offset system topic, with
// acks=all; see CommitOffsets), and a consumer of
// the same name and topic starts after it, in each partition that has one
// (the start option applies to the others). Offsets are stored every
// DefaultAutoCommitInterval while Records runs (WithAutoCommit), when
// Records returns, and on Commit. Names take letters, digits, '-' and '_'.
func WithConsumer(name string) ConsumerOption { return func(c *consumerConfig) { c.name = name } }

// WithAutoCommit sets how often a named consumer stores its offsets while
// Records runs; 0 stores them only on Commit and when Records returns.
func WithAutoCommit(d time.Duration) ConsumerOption {
	return func(c *consumerConfig) {
		if d >= 0 {
			c.autoCommit = d
		}
	}
}

// WithPartitions reads only the given partitions (default: all). It
// replaces WithPartition.
func WithPartitions(parts ...int32) ConsumerOption {
	return func(c *consumerConfig) { c.partitions = append([]int32(nil), parts...); c.partition = -1 }
}

// WithPartition reads only partition n (default: every partition).
func WithPartition(n int32) ConsumerOption {
	return func(c *consumerConfig) { c.partition, c.partitions = n, nil }
}

// FromBeginning starts at the first offset still in the log.
func FromBeginning() ConsumerOption { return func(c *consumerConfig) { c.start = startBeginning } }

// FromEnd starts after the last record: only new records are read. The
// default.
func FromEnd() ConsumerOption { return func(c *consumerConfig) { c.start = startEnd } }

// FromOffset starts at offset n in every partition read (clamped to the
// log's start; an offset beyond the end waits for it).
func FromOffset(n int64) ConsumerOption {
	return func(c *consumerConfig) { c.start, c.startValue = startOffset, n }
}

// FromTail starts n records before the end of each partition read.
func FromTail(n int64) ConsumerOption {
	return func(c *consumerConfig) { c.start, c.startValue = startTail, max(n, 0) }
}

// FromTime starts at the first record whose timestamp is at or after t.
func FromTime(t time.Time) ConsumerOption {
	return func(c *consumerConfig) { c.start, c.startValue = startTimestamp, t.UnixMilli() }
}

// WithEnd stops each partition after the record at offset end (inclusive).
func WithEnd(end int64) ConsumerOption { return func(c *consumerConfig) { c.end = end } }

// DisableContinuous stops each partition at the end of its log as it is
// when the partition's reading starts, instead of following it.
func DisableContinuous() ConsumerOption { return func(c *consumerConfig) { c.continuous = false } }

// WithReadUncommitted reads up to each leader's log end instead of its
// high watermark (Fluvio's read_uncommitted isolation): records appear as
// soon as the leader has them, before every in-sync replica does, and a
// record read so may be lost by a failover. The default reads committed
// records only.
func WithReadUncommitted() ConsumerOption {
	return func(c *consumerConfig) { c.uncommitted = true }
}

// WithFetchMaxBytes bounds one fetch response per partition (default
// DefaultFetchMaxBytes). A batch larger than this is still returned whole.
func WithFetchMaxBytes(n int32) ConsumerOption {
	return func(c *consumerConfig) {
		if n > 0 {
			c.maxBytes = n
		}
	}
}

// WithFetchMaxWait sets how long a fetch at the end of the log waits for new
// records (default DefaultFetchMaxWait).
func WithFetchMaxWait(d time.Duration) ConsumerOption {
	return func(c *consumerConfig) {
		if d > 0 {
			c.maxWait = d
		}
	}
}
