package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// errMalformed is wrapped by every payload decoding error.
var errMalformed = errors.New("wire: malformed payload")

// encoder appends big-endian fields to parts. Records with a server-side
// RecordSource split the output: bytes before it, the source, bytes after.
type encoder struct {
	buf   []byte
	parts []part // completed parts before buf
}

// part is a piece of an encoded message: bytes or a record source.
type part struct {
	b   []byte
	src RecordSource
}

func (e *encoder) int16(v int16) { e.buf = binary.BigEndian.AppendUint16(e.buf, uint16(v)) }
func (e *encoder) int32(v int32) { e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(v)) }
func (e *encoder) int64(v int64) { e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v)) }

// string writes an int16 length and the bytes; strings longer than
// MaxStringLen are cut (names are validated long before reaching here).
func (e *encoder) string(s string) {
	if len(s) > MaxStringLen {
		s = s[:MaxStringLen]
	}
	e.int16(int16(len(s)))
	e.buf = append(e.buf, s...)
}

// refThreshold is the size from which bytes fields are referenced by the
// encoding instead of copied into it (records).
const refThreshold = 4 << 10

// bytes writes an int32 length (-1 for nil) and the bytes. Large fields
// become parts of their own, referenced rather than copied: the caller
// must not change them until the message has been written.
func (e *encoder) bytes(b []byte) {
	if b == nil {
		e.int32(-1)
		return
	}
	e.int32(int32(len(b)))
	if len(b) >= refThreshold {
		e.parts = append(e.parts, part{b: e.buf}, part{b: b})
		e.buf = nil
		return
	}
	e.buf = append(e.buf, b...)
}

// records writes src's length and then src itself as its own part, so the
// server can copy it from a file without reading it into memory.
func (e *encoder) records(src RecordSource) {
	e.int32(int32(src.Len()))
	if src.Len() == 0 {
		return
	}
	e.parts = append(e.parts, part{b: e.buf}, part{src: src})
	e.buf = nil
}

// arrayLen writes an array's element count.
func (e *encoder) arrayLen(n int) { e.int32(int32(n)) }

// finish returns the encoded parts and their total size.
func (e *encoder) finish() ([]part, int) {
	parts := append(e.parts, part{b: e.buf})
	n := 0
	for _, p := range parts {
		if p.src != nil {
			n += p.src.Len()
		} else {
			n += len(p.b)
		}
	}
	return parts, n
}

// bytesOf encodes m into one slice, copying any record source into it.
func bytesOf(m interface{ encode(*encoder) }) ([]byte, error) {
	var e encoder
	m.encode(&e)
	parts, n := e.finish()
	if len(parts) == 1 {
		return parts[0].b, nil
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		if p.src != nil {
			if _, err := p.src.WriteTo(appendWriter{&out}); err != nil {
				return nil, fmt.Errorf("wire: reading records: %w", err)
			}
			continue
		}
		out = append(out, p.b...)
	}
	return out, nil
}

type appendWriter struct{ p *[]byte }

func (w appendWriter) Write(b []byte) (int, error) { *w.p = append(*w.p, b...); return len(b), nil }

var _ io.Writer = appendWriter{}

// decoder reads big-endian fields from p. The first error sticks; every
// read after it returns zero values. Nothing is allocated from a length
// that has not been checked against the bytes left.
type decoder struct {
	p   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) need(n int, what string) bool {
	if d.err != nil {
		return false
	}
	if len(d.p) < n {
		d.fail("%s needs %d bytes, %d left", what, n, len(d.p))
		return false
	}
	return true
}

func (d *decoder) int16() int16 {
	if !d.need(2, "int16") {
		return 0
	}
	v := int16(binary.BigEndian.Uint16(d.p))
	d.p = d.p[2:]
	return v
}

func (d *decoder) int32() int32 {
	if !d.need(4, "int32") {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(d.p))
	d.p = d.p[4:]
	return v
}

func (d *decoder) int64() int64 {
	if !d.need(8, "int64") {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(d.p))
	d.p = d.p[8:]
	return v
}

func (d *decoder) string() string {
	n := d.int16()
	if d.err != nil {
		return ""
	}
	if n < 0 {
		d.fail("string length %d", n)
		return ""
	}
	if !d.need(int(n), "string") {
		return ""
	}
	s := string(d.p[:n])
	d.p = d.p[n:]
	return s
}

// bytes returns a slice aliasing the input; -1 is nil.
func (d *decoder) bytes() []byte {
	n := d.int32()
	if d.err != nil {
		return nil
	}
	if n == -1 {
		return nil
	}
	if n < 0 {
		d.fail("bytes length %d", n)
		return nil
	}
	if !d.need(int(n), "bytes") {
		return nil
	}
	b := d.p[:n:n]
	d.p = d.p[n:]
	return b
}

// arrayLen reads an element count and checks that that many elements of
// at least minSize bytes each fit in what is left.
func (d *decoder) arrayLen(minSize int) int {
	n := d.int32()
	if d.err != nil {
		return 0
	}
	if n < 0 {
		d.fail("array length %d", n)
		return 0
	}
	if int64(n)*int64(minSize) > int64(len(d.p)) {
		d.fail("array of %d elements cannot fit in %d bytes", n, len(d.p))
		return 0
	}
	return int(n)
}

// done reports the first error, or an error if bytes are left over.
func (d *decoder) done() error {
	if d.err == nil && len(d.p) != 0 {
		d.fail("%d bytes after the message", len(d.p))
	}
	return d.err
}
