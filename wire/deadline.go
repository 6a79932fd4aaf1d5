package wire

import (
	"encoding/binary"
	"time"
)

// deadline is a read or write deadline armed on a connection, re-armed
// only when the new one would move it by more than a slack: a request of
// an idle round trip otherwise re-arms the socket's deadlines three or
// four times (each a clock read and a runtime timer update on the
// request's critical path). A deadline kept within its slack expires at
// most slack sooner than asked.
type deadline struct {
	at time.Time // armed; zero: none yet
}

// arm sets the deadline to at with set (a conn's SetReadDeadline or
// SetWriteDeadline), unless the armed one is no later than at and no more
// than slack earlier.
func (d *deadline) arm(set func(time.Time) error, at time.Time, slack time.Duration) {
	if !d.at.IsZero() && !d.at.After(at) && at.Sub(d.at) <= slack {
		return
	}
	d.at = at
	_ = set(at)
}

// deadlineSlack is the slack of a timeout: 1/64 of it (~0.9 s of the 60 s
// idle timeout, ~0.5 s of the 30 s write timeout).
func deadlineSlack(timeout time.Duration) time.Duration { return timeout / 64 }

// frameBuffered reports whether a whole request frame is in br's buffer
// already, so reading it needs no read from the socket (and no deadline).
func frameBuffered(br interface {
	Buffered() int
	Peek(int) ([]byte, error)
}) bool {
	n := br.Buffered()
	if n < SizeLen {
		return false
	}
	h, err := br.Peek(SizeLen)
	if err != nil {
		return false
	}
	size := int64(int32(binary.BigEndian.Uint32(h)))
	return size >= 0 && int64(n) >= SizeLen+size
}
