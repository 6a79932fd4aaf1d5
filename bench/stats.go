package bench

import (
	"slices"
	"time"
)

// Percentile returns the q-quantile (0..1) of samples by the nearest-rank
// method, or 0 for no samples. samples is sorted in place.
func Percentile(samples []time.Duration, q float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	i := int(q*float64(len(samples))+0.5) - 1
	i = max(0, min(i, len(samples)-1))
	return samples[i]
}

// Micros converts d to microseconds.
func Micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
