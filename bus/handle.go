package bus

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// loggerKey is the context key of WithLogger.
type loggerKey struct{}

// WithLogger returns ctx carrying log: the handlers Micro and Msg make
// with it log a recovered panic there, with its stack. Without it they
// log to slog.Default().
func WithLogger(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, log)
}

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}

// HandlerFunc handles one decoded request. subject is the subject the
// request arrived on (per-SPU handlers check its id). A returned error is
// sent to the requester: an *Error as is, anything else as ErrInternal.
type HandlerFunc[Req, Resp any] func(ctx context.Context, subject string, req Req) (Resp, error)

// wantsJSON reports whether the requester asked for JSON, by header or by
// sending JSON.
func wantsJSON(h nats.Header, data []byte) bool {
	return h.Get(HeaderAccept) == MIMEJSON || IsJSON(data)
}

// Micro adapts fn to a nats.go micro endpoint: it decodes the request
// (msgpack or JSON), calls fn with ctx, and replies in the requester's
// encoding. Errors go out with the Nats-Service-Error(-Code) headers and
// the *Error as payload. It never panics on bad input.
func Micro[Req, Resp any](ctx context.Context, fn HandlerFunc[Req, Resp]) micro.Handler {
	return micro.HandlerFunc(func(r micro.Request) {
		h := nats.Header(r.Headers())
		resp, asJSON, err := call(ctx, fn, r.Subject(), h, r.Data())
		if err != nil {
			e := AsError(err)
			body, _ := Marshal(e, asJSON)
			_ = r.Error(strconv.Itoa(e.Code), e.Message, body, micro.WithHeaders(contentType(asJSON)))
			return
		}
		_ = r.Respond(resp, micro.WithHeaders(contentType(asJSON)))
	})
}

// Msg adapts fn to a plain nats.MsgHandler (for subscriptions outside a
// micro service), with the same encoding and error rules as Micro.
func Msg[Req, Resp any](ctx context.Context, fn HandlerFunc[Req, Resp]) nats.MsgHandler {
	return func(m *nats.Msg) {
		if m.Reply == "" {
			return
		}
		resp, asJSON, err := call(ctx, fn, m.Subject, m.Header, m.Data)
		out := nats.NewMsg(m.Reply)
		for k, v := range contentType(asJSON) {
			out.Header[k] = v
		}
		if err != nil {
			e := AsError(err)
			out.Header.Set(HeaderServiceError, e.Message)
			out.Header.Set(HeaderServiceErrorCode, strconv.Itoa(e.Code))
			out.Data, _ = Marshal(e, asJSON)
		} else {
			out.Data = resp
		}
		_ = m.RespondMsg(out)
	}
}

func contentType(asJSON bool) micro.Headers {
	h := micro.Headers{}
	if asJSON {
		h[HeaderContentType] = []string{MIMEJSON}
	}
	return h
}

// call decodes, runs fn and encodes; it turns a panic in fn into
// ErrInternal so a handler bug never kills the server.
func call[Req, Resp any](ctx context.Context, fn HandlerFunc[Req, Resp], subject string, h nats.Header, data []byte) (out []byte, asJSON bool, err error) {
	asJSON = wantsJSON(h, data)
	defer func() {
		if r := recover(); r != nil {
			loggerFrom(ctx).Error("bus: handler panicked", "subject", subject, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = ErrInternal.With(fmt.Sprintf("handler for %s panicked: %v", subject, r), "")
		}
	}()
	var req Req
	if err := Unmarshal(data, &req); err != nil {
		return nil, asJSON, err
	}
	resp, err := fn(ctx, subject, req)
	if err != nil {
		return nil, asJSON, err
	}
	out, err = Marshal(resp, asJSON)
	if err != nil {
		return nil, asJSON, ErrInternal.With(err.Error(), "")
	}
	return out, asJSON, nil
}
