package fluvio

import (
	"fmt"
	"testing"
)

// TestMurmur2KafkaVectors checks murmur2 against the values Kafka's
// UtilsTest expects, so keyed records land where Kafka clients put them.
func TestMurmur2KafkaVectors(t *testing.T) {
	cases := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for in, want := range cases {
		if got := murmur2([]byte(in)); got != want {
			t.Errorf("murmur2(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestPartitionerKeyed(t *testing.T) {
	p := DefaultPartitioner()
	for n := int32(1); n <= 7; n++ {
		seen := map[int32]bool{}
		for i := range 1000 {
			key := fmt.Appendf(nil, "key-%d", i)
			got := p.Partition(key, n)
			if got < 0 || got >= n {
				t.Fatalf("Partition(%q, %d) = %d: out of range", key, n, got)
			}
			if again := p.Partition(key, n); again != got {
				t.Fatalf("Partition(%q, %d) not stable: %d then %d", key, n, got, again)
			}
			seen[got] = true
		}
		if len(seen) != int(n) {
			t.Errorf("n=%d: 1000 keys hit only %d partitions", n, len(seen))
		}
	}
}

func TestPartitionerRoundRobin(t *testing.T) {
	p := DefaultPartitioner()
	counts := make([]int, 3)
	for range 300 {
		counts[p.Partition(nil, 3)]++
	}
	for i, c := range counts {
		if c != 100 {
			t.Errorf("partition %d got %d of 300 keyless records, want 100", i, c)
		}
	}
	// An empty, non-nil key is a key, not round-robin.
	first := p.Partition([]byte{}, 3)
	for range 10 {
		if got := p.Partition([]byte{}, 3); got != first {
			t.Fatalf("empty key moved from %d to %d", first, got)
		}
	}
}
