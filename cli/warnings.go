package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// warningLogger returns the logger the CLI gives the client library: its
// warnings (a partition that cannot be read yet and is retried) are
// printed to w as "warning: MESSAGE" and "cause: ERR" lines, so that a user waiting on a
// retry knows why; everything below Warn is dropped. A nil w discards.
func warningLogger(w io.Writer) *slog.Logger {
	if w == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(&warningHandler{w: w, mu: new(sync.Mutex)})
}

// warningHandler is the slog.Handler behind warningLogger.
type warningHandler struct {
	w     io.Writer
	mu    *sync.Mutex // serializes writes to w; shared by WithAttrs copies
	attrs []slog.Attr
}

func (h *warningHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h *warningHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString("warning: ")
	b.WriteString(r.Message)
	var errText string
	add := func(a slog.Attr) bool {
		if a.Key == "err" {
			errText = a.Value.String()
			return true
		}
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	if errText != "" {
		b.WriteString("\ncause: ")
		b.WriteString(errText)
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *warningHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// WithGroup keeps the handler flat: the CLI's warnings have no groups.
func (h *warningHandler) WithGroup(string) slog.Handler { return h }
