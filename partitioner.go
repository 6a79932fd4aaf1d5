package fluvio

import "sync/atomic"

// Partitioner chooses a record's partition among n (n >= 1). It must be
// safe for concurrent use.
type Partitioner interface {
	Partition(key []byte, n int32) int32
}

// PartitionerFunc adapts a function to a Partitioner.
type PartitionerFunc func(key []byte, n int32) int32

// Partition calls f.
func (f PartitionerFunc) Partition(key []byte, n int32) int32 { return f(key, n) }

// DefaultPartitioner returns the default partitioner: a record with a key
// goes to partition (murmur2(key) & 0x7fffffff) % n, the same choice as
// Kafka's and franz-go's default partitioners, so equal keys land on the
// same partition across these clients; a record without a key (nil) goes
// round-robin.
func DefaultPartitioner() Partitioner { return &keyHashPartitioner{} }

type keyHashPartitioner struct {
	next atomic.Uint32
}

func (p *keyHashPartitioner) Partition(key []byte, n int32) int32 {
	if n <= 1 {
		return 0
	}
	if key == nil {
		return int32((p.next.Add(1) - 1) % uint32(n))
	}
	return (murmur2(key) & 0x7fffffff) % n
}

// murmur2 is Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2),
// seed 0x9747b28c.
func murmur2(data []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(data)
	h := seed ^ uint32(n)
	i := 0
	for ; i+4 <= n; i += 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	switch n - i {
	case 3:
		h ^= uint32(data[i+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[i+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[i])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}
