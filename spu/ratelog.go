package spu

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio/wal"
)

// storageLogEvery is how often one kind of storage error is logged.
const storageLogEvery = time.Minute

// rateLimited is a slog.Handler that lets through one storage warning or
// error per kind per interval: a kind is the message and the class of its
// "err" attribute (no space, I/O error, read-only, failed log). A full or
// failing disk makes every append, checkpoint and re-open attempt fail;
// the log gets one line per kind per minute with how many were
// suppressed, instead of one per attempt. Other records pass.
type rateLimited struct {
	h     slog.Handler
	every time.Duration
	st    *rateState
	errs  []error // "err" attributes added by WithAttrs
}

type rateState struct {
	mu   sync.Mutex
	last map[string]time.Time // guarded by mu
	supp map[string]int       // guarded by mu
}

func newRateLimited(h slog.Handler, every time.Duration) *rateLimited {
	return &rateLimited{h: h, every: every, st: &rateState{last: map[string]time.Time{}, supp: map[string]int{}}}
}

func (r *rateLimited) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r *rateLimited) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level < slog.LevelWarn {
		return r.h.Handle(ctx, rec)
	}
	var err error
	if len(r.errs) > 0 {
		err = r.errs[0]
	}
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			if e, ok := a.Value.Any().(error); ok {
				err = e
			}
			return false
		}
		return true
	})
	class := errClass(err)
	if class == "" {
		return r.h.Handle(ctx, rec)
	}
	key := rec.Message + "\x00" + class
	now := rec.Time
	if now.IsZero() {
		now = time.Now()
	}
	r.st.mu.Lock()
	last, seen := r.st.last[key]
	if seen && now.Sub(last) < r.every {
		r.st.supp[key]++
		r.st.mu.Unlock()
		return nil
	}
	n := r.st.supp[key]
	r.st.last[key], r.st.supp[key] = now, 0
	r.st.mu.Unlock()
	if n > 0 {
		rec = rec.Clone()
		rec.AddAttrs(slog.Int("suppressed", n), slog.Duration("suppressed_over", now.Sub(last).Round(time.Second)))
	}
	return r.h.Handle(ctx, rec)
}

func (r *rateLimited) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *r
	c.h = r.h.WithAttrs(attrs)
	for _, a := range attrs {
		if e, ok := a.Value.Any().(error); ok && a.Key == "err" {
			c.errs = append(append([]error(nil), r.errs...), e)
		}
	}
	return &c
}

func (r *rateLimited) WithGroup(name string) slog.Handler {
	c := *r
	c.h = r.h.WithGroup(name)
	return &c
}

// errClass names the kind of a storage error for rate limiting; "" for
// nil and for errors that are not about storage.
func errClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "no space"
	case errors.Is(err, syscall.EIO):
		return "i/o error"
	case errors.Is(err, syscall.EROFS):
		return "read-only"
	case errors.Is(err, wal.ErrFailed):
		return "failed log"
	}
	return ""
}
