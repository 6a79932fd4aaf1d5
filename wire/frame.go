package wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Frame layout constants. Sizes are in bytes; the size field counts the
// bytes after itself.
const (
	// SizeLen is the length of the size prefix of every frame.
	SizeLen = 4
	// RequestHeaderLen is the request header after the size: api key
	// int16, api version int16, correlation id int32.
	RequestHeaderLen = 8
	// ResponseHeaderLen is the response header after the size:
	// correlation id int32, error code int16.
	ResponseHeaderLen = 6
	// DefaultMaxFrameSize bounds a frame's size field unless configured
	// otherwise (64 MiB).
	DefaultMaxFrameSize = 64 << 20
	// MaxStringLen is the longest string field.
	MaxStringLen = math.MaxInt16
)

// RequestHeader is the fixed part of a request frame.
type RequestHeader struct {
	Key           APIKey
	Version       int16
	CorrelationID int32
}

// frameError is a framing failure detected while reading a request frame:
// the connection cannot continue. hdr is valid when hasHeader is set, so
// the server can answer that correlation id before closing.
type frameError struct {
	code      ErrorCode
	msg       string
	hdr       RequestHeader
	hasHeader bool
}

func (e *frameError) Error() string { return fmt.Sprintf("wire: %s: %s", e.code, e.msg) }

// readRequest reads one request frame from r. The size is checked against
// maxSize before anything of that size is allocated. io.EOF means the
// peer closed cleanly between frames; a *frameError means a bad frame;
// other errors come from r (io.ErrUnexpectedEOF for a truncated frame).
func readRequest(r io.Reader, maxSize int) (RequestHeader, []byte, error) {
	return readRequestInto(r, maxSize, nil)
}

// readRequestInto is readRequest reading the payload into buf when it is
// large enough (the returned payload then aliases buf).
func readRequestInto(r io.Reader, maxSize int, buf []byte) (RequestHeader, []byte, error) {
	var size int64
	var h RequestHeader
	var err error
	if br, ok := r.(*bufio.Reader); ok {
		size, h, err = peekRequestHead(br)
	} else {
		size, h, err = readRequestHead(r)
	}
	if err != nil {
		return RequestHeader{}, nil, err
	}
	if size > int64(maxSize) {
		return h, nil, &frameError{code: FrameTooLarge, hdr: h, hasHeader: true,
			msg: fmt.Sprintf("frame of %d bytes exceeds the limit of %d", size, maxSize)}
	}
	payload := payloadBuffer(buf, int(size-RequestHeaderLen))
	if _, err := io.ReadFull(r, payload); err != nil {
		return h, nil, unexpected(err)
	}
	return h, payload, nil
}

// payloadBuffer returns a buffer of n bytes for a request's payload: buf
// when it is large enough, else a pooled large buffer or a new one.
func payloadBuffer(buf []byte, n int) []byte {
	switch {
	case cap(buf) >= n:
		return buf[:n]
	case n > maxKeptBuffer:
		return largeBuffer(n)
	default:
		return make([]byte, n)
	}
}

// readRequestHead reads a request frame's size and header from r.
func readRequestHead(r io.Reader) (int64, RequestHeader, error) {
	var head [SizeLen + RequestHeaderLen]byte
	if _, err := io.ReadFull(r, head[:SizeLen]); err != nil {
		return 0, RequestHeader{}, err
	}
	size := int64(int32(binary.BigEndian.Uint32(head[:])))
	if err := checkRequestSize(size); err != nil {
		return 0, RequestHeader{}, err
	}
	if _, err := io.ReadFull(r, head[SizeLen:]); err != nil {
		return 0, RequestHeader{}, unexpected(err)
	}
	return size, requestHeader(head[SizeLen:]), nil
}

// peekRequestHead is readRequestHead reading through br's buffer (no
// header array to allocate: the server's reader is a *bufio.Reader).
func peekRequestHead(br *bufio.Reader) (int64, RequestHeader, error) {
	p, err := br.Peek(SizeLen)
	if err != nil {
		_, _ = br.Discard(len(p))
		if len(p) > 0 {
			err = unexpected(err)
		}
		return 0, RequestHeader{}, err
	}
	size := int64(int32(binary.BigEndian.Uint32(p)))
	if err := checkRequestSize(size); err != nil {
		_, _ = br.Discard(SizeLen)
		return 0, RequestHeader{}, err
	}
	p, err = br.Peek(SizeLen + RequestHeaderLen)
	if err != nil {
		_, _ = br.Discard(len(p))
		return 0, RequestHeader{}, unexpected(err)
	}
	h := requestHeader(p[SizeLen:])
	_, _ = br.Discard(SizeLen + RequestHeaderLen)
	return size, h, nil
}

// checkRequestSize refuses a request frame too small for its header.
func checkRequestSize(size int64) error {
	if size < RequestHeaderLen {
		return &frameError{code: InvalidRequest,
			msg: fmt.Sprintf("frame size %d is below the %d-byte request header", size, RequestHeaderLen)}
	}
	return nil
}

// requestHeader decodes a request header (after the size).
func requestHeader(p []byte) RequestHeader {
	return RequestHeader{
		Key:           APIKey(binary.BigEndian.Uint16(p[0:])),
		Version:       int16(binary.BigEndian.Uint16(p[2:])),
		CorrelationID: int32(binary.BigEndian.Uint32(p[4:])),
	}
}

// unexpected turns io.EOF inside a frame into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// appendRequestHeader appends a request frame's size and header for a
// payload of n bytes.
func appendRequestHeader(dst []byte, h RequestHeader, n int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(RequestHeaderLen+n))
	dst = binary.BigEndian.AppendUint16(dst, uint16(h.Key))
	dst = binary.BigEndian.AppendUint16(dst, uint16(h.Version))
	return binary.BigEndian.AppendUint32(dst, uint32(h.CorrelationID))
}

// appendResponseHeader appends a response frame's size and header for a
// payload of n bytes.
func appendResponseHeader(dst []byte, corr int32, code ErrorCode, n int) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(ResponseHeaderLen+n))
	dst = binary.BigEndian.AppendUint32(dst, uint32(corr))
	return binary.BigEndian.AppendUint16(dst, uint16(code))
}

// responseFrame is a read response frame.
type responseFrame struct {
	corr    int32
	code    ErrorCode
	payload []byte
}

// readResponse reads one response frame, checking its size against
// maxSize before allocating.
func readResponse(r io.Reader, maxSize int) (responseFrame, error) {
	var head [SizeLen + ResponseHeaderLen]byte
	if _, err := io.ReadFull(r, head[:SizeLen]); err != nil {
		return responseFrame{}, err
	}
	size := int64(int32(binary.BigEndian.Uint32(head[:])))
	if size < ResponseHeaderLen || size > int64(maxSize) {
		return responseFrame{}, fmt.Errorf("wire: response frame size %d outside [%d, %d]", size, ResponseHeaderLen, maxSize)
	}
	if _, err := io.ReadFull(r, head[SizeLen:]); err != nil {
		return responseFrame{}, unexpected(err)
	}
	f := responseFrame{
		corr: int32(binary.BigEndian.Uint32(head[4:])),
		code: ErrorCode(binary.BigEndian.Uint16(head[8:])),
	}
	f.payload = make([]byte, size-ResponseHeaderLen)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return responseFrame{}, unexpected(err)
	}
	return f, nil
}

// errorPayload encodes the message of a request-level error response.
func errorPayload(msg string) []byte {
	var e encoder
	e.string(msg)
	return e.buf
}

// decodeErrorPayload decodes a request-level error response's message.
func decodeErrorPayload(p []byte) string {
	d := decoder{p: p}
	s := d.string()
	if d.err != nil {
		return ""
	}
	return s
}
