package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec is a compression codec, stored in bits 0-2 of a batch's
// attributes. The numbers are Kafka's and Fluvio's.
//
// A compressed batch keeps its 61-byte header as is (offsets, timestamps,
// producer fields and record count stay readable without decompressing);
// only the records section after it is compressed, as one block. The CRC
// covers the compressed bytes, so the SPU checks a compressed batch like
// any other and stores and serves it unchanged; [Decode] decompresses.
type Codec int8

// The codecs.
const (
	None   Codec = 0
	Gzip   Codec = 1
	Snappy Codec = 2 // the Snappy block format (no xerial framing)
	LZ4    Codec = 3 // the LZ4 frame format
	Zstd   Codec = 4
)

var codecNames = [...]string{"none", "gzip", "snappy", "lz4", "zstd"}

// String returns the codec's name as ParseCodec takes it.
func (c Codec) String() string {
	if c >= 0 && int(c) < len(codecNames) {
		return codecNames[c]
	}
	return fmt.Sprintf("codec(%d)", int(c))
}

// Valid reports whether c is a codec this package knows.
func (c Codec) Valid() bool { return c >= 0 && int(c) < len(codecNames) }

// ParseCodec parses none, gzip, snappy, lz4 or zstd (case-insensitive).
// An unknown name gets an error listing the valid ones.
func ParseCodec(s string) (Codec, error) {
	for i, n := range codecNames {
		if strings.EqualFold(s, n) {
			return Codec(i), nil
		}
	}
	return None, fmt.Errorf("unknown compression %q: use none, gzip, snappy, lz4 or zstd", s)
}

// CodecOf returns the codec of the encoded batch b (len(b) >= HeaderSize).
func CodecOf(b []byte) Codec { return Codec(Attributes(b) & CompressionMask) }

// Recompress appends to dst the whole batch b (one valid batch, as
// checked by Validate) with its records compressed with c (None:
// uncompressed). Length, attributes and CRC are rewritten; every other
// header field is kept. Decompressing stops with ErrTooLarge past
// maxSize bytes of records (0: MaxSize). Errors wrap ErrCorrupt (data
// that does not decompress), ErrCompressed (an unknown codec) or
// ErrTooLarge.
func Recompress(dst, b []byte, c Codec, maxSize int) ([]byte, error) {
	if !c.Valid() {
		return dst, fmt.Errorf("%w: codec %d", ErrCompressed, c)
	}
	records, err := decompressed(b, maxSize)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, b[:RecordsOffset]...)
	if dst, err = compress(dst, c, records); err != nil {
		return dst[:start], err
	}
	out := dst[start:]
	attrs := uint16(Attributes(b))&^CompressionMask | uint16(c)
	binary.BigEndian.PutUint16(out[AttributesOffset:], attrs)
	binary.BigEndian.PutUint32(out[LengthOffset:], uint32(len(out)-LogOverhead))
	binary.BigEndian.PutUint32(out[CRCOffset:], Checksum(out[AttributesOffset:]))
	return dst, nil
}

// decompressed returns the uncompressed records section of batch b
// (aliasing b when it is not compressed).
func decompressed(b []byte, maxSize int) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = MaxSize
	}
	c := CodecOf(b)
	p := b[RecordsOffset:]
	if c == None {
		return p, nil
	}
	if !c.Valid() {
		return nil, fmt.Errorf("%w: codec %d", ErrCompressed, c)
	}
	out, err := decompress(c, p, maxSize)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func compress(dst []byte, c Codec, p []byte) ([]byte, error) {
	switch c {
	case None:
		return append(dst, p...), nil
	case Gzip:
		buf := bytes.NewBuffer(dst)
		w := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(w)
		w.Reset(buf)
		if _, err := w.Write(p); err != nil {
			return dst, fmt.Errorf("batch: gzip: %w", err)
		}
		if err := w.Close(); err != nil {
			return dst, fmt.Errorf("batch: gzip: %w", err)
		}
		return buf.Bytes(), nil
	case Snappy:
		return append(dst, s2.EncodeSnappy(nil, p)...), nil
	case LZ4:
		buf := bytes.NewBuffer(dst)
		w := lz4Writers.Get().(*lz4.Writer)
		defer lz4Writers.Put(w)
		w.Reset(buf)
		if _, err := w.Write(p); err != nil {
			return dst, fmt.Errorf("batch: lz4: %w", err)
		}
		if err := w.Close(); err != nil {
			return dst, fmt.Errorf("batch: lz4: %w", err)
		}
		return buf.Bytes(), nil
	case Zstd:
		return zstdCodec().enc.EncodeAll(p, dst), nil
	}
	return dst, fmt.Errorf("%w: codec %d", ErrCompressed, c)
}

// decompress returns p decompressed with c, failing past limit bytes.
func decompress(c Codec, p []byte, limit int) ([]byte, error) {
	corrupt := func(err error) error { return fmt.Errorf("%w: %s records do not decompress: %v", ErrCorrupt, c, err) }
	tooLarge := func() error {
		return fmt.Errorf("%w: %s records decompress to more than %d bytes", ErrTooLarge, c, limit)
	}
	var r io.Reader
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(bytes.NewReader(p))
		if err != nil {
			return nil, corrupt(err)
		}
		defer zr.Close()
		r = zr
	case Snappy:
		n, err := s2.DecodedLen(p)
		if err != nil {
			return nil, corrupt(err)
		}
		if n > limit {
			return nil, tooLarge()
		}
		out, err := s2.Decode(make([]byte, n), p)
		if err != nil {
			return nil, corrupt(err)
		}
		return out, nil
	case LZ4:
		r = lz4.NewReader(bytes.NewReader(p))
	case Zstd:
		zr := zstdCodec().dec
		out, err := zr.DecodeAll(p, nil)
		if err != nil {
			if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
				return nil, tooLarge()
			}
			return nil, corrupt(err)
		}
		if len(out) > limit {
			return nil, tooLarge()
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%w: codec %d", ErrCompressed, c)
	}
	var out bytes.Buffer
	n, err := out.ReadFrom(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, corrupt(err)
	}
	if n > int64(limit) {
		return nil, tooLarge()
	}
	return out.Bytes(), nil
}

var (
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	lz4Writers  = sync.Pool{New: func() any { return lz4.NewWriter(nil) }}
)

type zstdPair struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// zstdCodec returns the shared zstd encoder and decoder (EncodeAll and
// DecodeAll are safe for concurrent use and start no goroutines).
var zstdCodec = sync.OnceValue(func() zstdPair {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(fmt.Sprintf("batch: zstd encoder with constant options: %v", err))
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxSize))
	if err != nil {
		panic(fmt.Sprintf("batch: zstd decoder with constant options: %v", err))
	}
	return zstdPair{enc: enc, dec: dec}
})
