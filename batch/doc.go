// Package batch is the record-batch format (Kafka v2-like) shared by the
// WAL on disk and the wire protocol: the same bytes are stored and sent.
// It imports nothing of ours.
//
// A batch is a 61-byte big-endian header followed by its records:
//
//	offset  size  field
//	     0     8  baseOffset            first offset in the batch (set by the leader)
//	     8     4  batchLength           bytes after this field (total size - 12)
//	    12     4  partitionLeaderEpoch  set by the leader
//	    16     1  magic                 always 2
//	    17     4  crc                   CRC-32C (Castagnoli) of bytes [21, end)
//	    21     2  attributes            bits 0-2: compression (0 = none)
//	    23     4  lastOffsetDelta       offset of the last record - baseOffset
//	    27     8  firstTimestamp        ms since the Unix epoch
//	    35     8  maxTimestamp          ms since the Unix epoch
//	    43     8  producerId            -1 when not idempotent
//	    51     2  producerEpoch
//	    53     4  baseSequence
//	    57     4  recordCount
//	    61     -  records
//
// The CRC covers neither baseOffset nor leader epoch, so a leader assigns
// both in place ([SetBaseOffset], [SetLeaderEpoch]) without re-hashing.
//
// Each record is varint-framed (zigzag varints, as encoding/binary's
// AppendVarint):
//
//	length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//	keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
//	headerCount varint | headers (keyLength varint | key | valueLength varint | value)...
//
// Compression ([Codec]: none, gzip, snappy, lz4, zstd, Kafka's numbers in
// attribute bits 0-2) covers the records section only: the header stays
// readable, and the CRC covers the compressed bytes, so a compressed batch
// is validated, stored and served like any other. [Builder.SetCompression]
// compresses, [Decode] decompresses, [Recompress] converts (the SPU uses it
// for a topic's compression type).
//
// Producers build batches with a [Builder] (no allocation per record once
// its buffer has grown); the SPU checks them with [Check] before appending
// (length, magic, CRC, then every record against the header, in one pass
// without allocating; [CheckAll] checks a request's batches and returns
// them as [Checked], walked again without checks), readers with [Validate] (length, magic, CRC: no
// record decoding), and reads header fields with the raw accessors
// ([BaseOffset], [LastOffsetDelta], ...). [Decode] is the full decoder for
// consumers and tests. No function here allocates from a length it has not
// checked against the input, and none panics on malformed input except the
// raw accessors, which require len(b) >= HeaderSize (check with [Validate]
// or [Size] first).
package batch
