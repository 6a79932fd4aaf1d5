// Package batch is the record-batch format (Kafka v2-like) shared by the
// WAL on disk and the wire protocol: the same bytes are stored and sent.
// It imports nothing of ours.
package batch
