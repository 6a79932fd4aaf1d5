package fluvio

import "time"

// Offset is a record's position in its partition: 0 for the first record
// ever written, increasing by one per record.
type Offset = int64

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record read by a Consumer.
//
// Key and Value alias the fetch response they came from, which the client
// reuses only once nothing refers to it any more (the garbage collector
// tells): a Record may be kept after the iteration moves on, and its bytes
// never change. A nil
// Key or Value was produced as nil (null); an empty one as empty.
type Record struct {
	Topic     string
	Partition int32
	Offset    Offset
	Key       []byte
	Value     []byte
	// Timestamp is the producer's timestamp, with millisecond precision.
	Timestamp time.Time
	Headers   []Header
}
