package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// DefaultRequestTimeout bounds a Request whose ctx has no deadline.
const DefaultRequestTimeout = 5 * time.Second

// Error headers of a reply, as nats.go micro sets them.
const (
	HeaderServiceError     = micro.ErrorHeader
	HeaderServiceErrorCode = micro.ErrorCodeHeader
)

// Request sends req (msgpack) on subject and decodes the reply into Resp.
// It blocks until the reply arrives, ctx ends, or DefaultRequestTimeout
// passes when ctx has no deadline. It is safe for concurrent use.
//
// Errors are *Error: an error reply from the handler as sent (errors.Is
// matches the table, e.g. ErrTopicNotFound); "no responders" becomes
// ErrUnavailable naming the subject (it unwraps to nats.ErrNoResponders);
// a timeout becomes ErrTimeout; an undecodable reply ErrBadRequest.
func Request[Resp any](ctx context.Context, nc *nats.Conn, subject string, req any) (Resp, error) {
	var resp Resp
	data, err := Marshal(req, false)
	if err != nil {
		return resp, ErrBadRequest.With(err.Error(), "")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultRequestTimeout)
		defer cancel()
	}
	msg := nats.NewMsg(subject)
	msg.Data = data
	reply, err := nc.RequestMsgWithContext(ctx, msg)
	if err != nil {
		return resp, requestError(subject, nc, err)
	}
	if err := ReplyError(reply); err != nil {
		return resp, err
	}
	if err := Unmarshal(reply.Data, &resp); err != nil {
		return resp, fmt.Errorf("bus: reply on %s: %w", subject, err)
	}
	return resp, nil
}

// requestError turns a nats.go request error into an *Error with a hint.
func requestError(subject string, nc *nats.Conn, err error) error {
	who := "the SC"
	if id, _, ok := ParseSPUSubject(subject); ok && !strings.HasSuffix(subject, ".register") &&
		!strings.HasSuffix(subject, ".heartbeat") && !strings.HasSuffix(subject, ".isr") {
		who = fmt.Sprintf("SPU %d", id)
	}
	addr := nc.ConnectedUrlRedacted()
	if addr == "" {
		addr = "NATS"
	}
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return ErrUnavailable.With(fmt.Sprintf("%s does not answer on %s at %s (no responders)", who, subject, addr), "").withCause(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return ErrTimeout.With(fmt.Sprintf("%s did not answer on %s at %s in time", who, subject, addr), "").withCause(err)
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return ErrUnavailable.With(fmt.Sprintf("the NATS connection is closed (request on %s)", subject),
			"reconnect, or check that the SC is running with 'fluvio cluster status'").withCause(err)
	}
	return ErrUnavailable.With(fmt.Sprintf("request on %s at %s failed: %v", subject, addr, err), "").withCause(err)
}

// ReplyError returns the *Error carried by an error reply (one with the
// Nats-Service-Error-Code header), or nil for a normal reply.
func ReplyError(reply *nats.Msg) error {
	codeStr := reply.Header.Get(HeaderServiceErrorCode)
	if codeStr == "" {
		return nil
	}
	var e Error
	if err := Unmarshal(reply.Data, &e); err != nil || e.Code == 0 {
		code, _ := strconv.Atoi(codeStr)
		desc := reply.Header.Get(HeaderServiceError)
		if base := ErrorForCode(code); base != nil {
			return base.With(desc, "")
		}
		return &Error{Code: code, Message: desc}
	}
	e.Type = ""
	return &e
}
