package batch

import (
	"math/rand/v2"
	"testing"
)

// crcCombine of two parts equals the CRC-32C of their concatenation, for
// empty, tiny and large parts and lengths with every low bit pattern.
func TestCRCCombine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 3<<20)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	lens := []int{0, 1, 2, 3, 7, 8, 61, 255, 4096, 65537, 1 << 20, 3<<20 - 5}
	for _, la := range lens {
		for _, lb := range lens {
			if la+lb > len(buf) {
				continue
			}
			a, b := buf[:la], buf[la:la+lb]
			if got, want := crcCombine(Checksum(a), Checksum(b), lb), Checksum(buf[:la+lb]); got != want {
				t.Fatalf("combine(%d, %d bytes) = %08x, want %08x", la, lb, got, want)
			}
		}
	}
	for range 200 {
		la, lb := rng.IntN(5000), rng.IntN(5000)
		a, b := buf[:la], buf[la:la+lb]
		if got, want := crcCombine(Checksum(a), Checksum(b), lb), Checksum(buf[:la+lb]); got != want {
			t.Fatalf("combine(%d, %d bytes) = %08x, want %08x", la, lb, got, want)
		}
	}
}

func BenchmarkCRCCombine(b *testing.B) {
	for b.Loop() {
		crcCombine(0x12345678, 0x9abcdef0, 1<<20+61)
	}
}
