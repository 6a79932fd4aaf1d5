package batch

import "iter"

// All iterates over the concatenated batches in buf, validating each
// (as Validate). It yields each batch's bytes (aliasing buf) with a nil
// error; on the first invalid or incomplete batch it yields (nil, err) and
// stops. Trailing bytes that do not form a whole batch yield ErrTooShort.
func All(buf []byte) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for len(buf) > 0 {
			n, err := Validate(buf)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(buf[:n:n], nil) {
				return
			}
			buf = buf[n:]
		}
	}
}

// Split validates every batch in buf and returns how many there are and
// the offset span they cover (sum of LastOffsetDelta+1), without
// allocating. It stops at the first error.
func Split(buf []byte) (batches int, records int64, err error) {
	for b, err := range All(buf) {
		if err != nil {
			return batches, records, err
		}
		batches++
		records += int64(LastOffsetDelta(b)) + 1
	}
	return batches, records, nil
}
