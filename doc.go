// Package fluvio is the Go client library: Connect to a cluster through its
// Streaming Controller (SC), administer topics, and produce to and consume
// from partition leaders over the SPU data-plane protocol.
//
// It may import bus, wire and batch; it never imports the server
// packages sc or spu, nor cli.
//
// # Connecting
//
//	client, err := fluvio.Connect(ctx, "127.0.0.1:9003") // the SC's NATS address
//	defer client.Close()
//
// The admin API covers every call the SC serves, and the fluvio CLI, the
// chaos suite and the tests use nothing else: topics (CreateTopic,
// ValidateTopic, DeleteTopic, ListTopics, DescribeTopics), partitions
// (Partitions, ListPartitions), SPUs (RegisterSPU, UnregisterSPU,
// UnregisterSPUNamed, ListSPUs, ListCustomSPUs), Metadata, SCVersion, and
// the cluster checks (NATSServerVersion, NATSServerURL,
// CheckMetadataStore). They go to the SC over NATS request/reply
// (fluvio.admin.v1.<resource>.<verb>, see bus/SUBJECTS.md) and return the
// SC's own descriptions (Topic, Partition, SPU); its error replies are
// *SCError values matching this package's Err* sentinels, and a request
// NATS refuses (permissions) or nobody answers is a *RequestError, at
// once rather than after the timeout. Data goes straight to the SPUs: the
// client asks the SC where each partition's leader is (metadata.get: the
// leader's id and its public address), caches the answer, and keeps one
// pipelined TCP connection per SPU, dialed on first use and shared by every
// producer and consumer of the Client. A "not leader" answer, an unknown
// partition (an SPU that has not yet opened a new topic) or a broken
// connection drops the cached metadata (and the connection), and the
// request is retried after asking the SC again.
//
// # Producing
//
//	p, err := client.Producer("orders", fluvio.WithAcks(fluvio.AcksAll))
//	err = p.Send(ctx, key, value)         // queued; blocks only when the producer is full
//	err = p.Flush(ctx)                    // waits for every ack; first failure since the last Flush
//	off, err := p.SendSync(ctx, key, value)
//	err = p.Close()                       // flushes, then stops
//
// A record with a key goes to partition murmur2(key) % partitions (Kafka's
// partitioner: the same key lands on the same partition as with Kafka
// clients); without a key (nil) records go round-robin. Each partition
// fills a record batch (batch, the format the SPU stores and consumers
// receive, so the bytes are never re-encoded) until it reaches the batch
// size (WithBatchSize, 64 KiB) or has waited the linger time (WithLinger,
// 5 ms). Each partition pipelines up to 4 produce requests on its leader's
// connection (WithMaxInFlight); the SPU appends them in the order they
// were written, so records of a partition are stored in Send order, and
// batches that fill while the pipeline is full travel together in the next
// request. Partitions proceed in parallel. At most 1,000 records or 1 MiB
// (WithMaxBuffered) are held unacknowledged; Send blocks beyond that.
// Retriable errors (not leader, not enough replicas, timeouts, lost
// connections) are retried up to 10 times with doubling backoff
// (WithRetries); a failed request is sent again before any newer one.
//
// # Idempotence: exactly once per producer session
//
// A Producer is idempotent by default (WithIdempotence). It draws a random
// producer id; per partition, every record gets a sequence number (0, 1,
// 2, ...) under a producer epoch (0 at first), and each batch carries the
// id, the epoch and its first record's sequence in its header (covered by
// the CRC). A retry resends the same batch with the same sequence. The
// partition leader keeps, per producer, the last runs of sequences it
// stored with their offsets (rebuilt from the log when a replica opens,
// and kept by followers as they copy the log, so it survives restarts and
// failovers). It takes a producer or epoch it does not know only from
// sequence 0, and then only the next sequence: a retry of stored records
// is answered DuplicateSequence with their original offset (the send
// succeeds with that offset), and a batch that skips ahead is refused
// (OutOfOrderSequence or UnknownProducerID, retriable), so the producer
// resends the earlier batches first and the records keep Send order with
// several requests in flight. The first request of an epoch on a
// partition is answered before the next one is sent. Delivery is
// therefore exactly once per Producer for its own retries: a record Send
// accepted is stored at most once and in Send order within its partition,
// and an acknowledged one is stored exactly once (under the acks
// guarantee), at the offset reported. A send is reported successful only
// on the leader's answer that stores it or names where it was stored;
// every other outcome is an error. Records sent again by the application
// (after an error, or by a new Producer, which has a new id) are new
// records. Producer.Stats counts the leader's idempotence answers.
//
// What the application sees when a send fails, and which failures move
// the partition to the next producer epoch (from sequence 0, so that the
// gap they leave does not block the batches after them):
//   - refused by the leader for good (record too large, corrupt batch,
//     fenced epoch): the records fail with that error, were not stored,
//     and the epoch moves on. Batches sent after them are re-stamped
//     under the new epoch (and resent before any newer batch); batches
//     sent before keep their sequences. If an earlier attempt of the
//     request may have been stored (its answer was lost), the refusal
//     proves nothing about it: the records fail and the epoch stays, as
//     below;
//   - a retriable error past WithRetries (not leader, timeouts, lost
//     connections): the records fail, but may have been stored (an
//     answer lost), so the epoch stays; if they were not stored, the next
//     batch is refused as out of order and the epoch moves on once
//     nothing earlier is outstanding;
//   - refused as out of order or as an unknown producer again after every
//     earlier batch is settled (the leader lost records it had
//     acknowledged with acks=leader in a failover, or forgot the producer
//     by eviction or retention): the epoch moves on and the batch is
//     re-stamped and sent, so it does not fail;
//   - SequenceTooOld (the leader stored the sequences too long ago to name
//     their offset; cannot happen within MaxIdempotentInFlight): the
//     records fail with that error although they are stored; the epoch
//     stays.
//
// WithIdempotence(false) sends batches without a producer id: delivery is
// then at least once (a retry after a lost answer may store the records
// twice) and, with more than one request in flight, a retried batch can
// land after a newer one that had already succeeded; WithMaxInFlight(1)
// rules the latter out.
//
// # Consuming
//
//	c, err := client.Consumer("orders", fluvio.FromBeginning())
//	for rec, err := range c.Records(ctx) { ... }
//
// A Consumer reads one partition (WithPartition) or all; it starts at the
// end (default), the beginning, an offset, N records before the end
// (FromTail) or a time (FromTime), and follows the log with long-poll
// fetches until ctx ends, unless WithEnd or DisableContinuous say where to
// stop. Records of one partition arrive in offset order.
//
// # Errors
//
// Errors say what went wrong; Hint(err) says what to do next (for example
// "create it with 'fluvio topic create orders'"). Match them with
// errors.Is: ErrTopicNotFound, ErrTopicExists, ErrNotEnoughSPUs,
// ErrUnavailable (the SC does not answer), ErrNoLeader, ErrRecordTooLarge,
// ErrBadOption, ErrClosed; data-plane errors also match the wire
// sentinels (wire.ErrNotLeader, ...).
//
// # Concurrency
//
// Client, Producer and Consumer are safe for concurrent use. Besides the
// NATS connection's goroutines and one reader per SPU connection, a
// Producer runs two goroutines per partition (the sender and the
// completer) until Close, and Consumer.Records reading several partitions
// runs one per partition while the iteration lasts; each iteration's
// partition readers own their SPU connections (a long poll would hold back
// other answers on a shared one).
package fluvio
