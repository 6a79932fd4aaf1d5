package fluvio

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/wire"
)

// Sentinel errors of the client. Match them with errors.Is.
var (
	// ErrClosed is returned by calls on a Client, Producer or Consumer
	// after its Close.
	ErrClosed = errors.New("fluvio: closed")
	// ErrBadOption is returned for an invalid option or argument value.
	ErrBadOption = errors.New("fluvio: bad option")
	// ErrNoLeader is returned when a partition has no leader the client can
	// reach, after the retries: its SPUs may be offline.
	ErrNoLeader = errors.New("fluvio: partition has no reachable leader")
	// ErrRecordTooLarge is returned by Send for a record larger than the
	// producer's buffer (WithMaxBuffered) or refused by the SPU.
	ErrRecordTooLarge = errors.New("fluvio: record too large")
	// ErrBadBatch is yielded by a Consumer that meets a batch in the log
	// that does not decode (written before the SPU checked records, or
	// damaged). Every record before it has been yielded; the error's hint
	// names the offset to start from to read past it.
	ErrBadBatch = errors.New("a record batch in the log does not decode")
	// ErrNotAuthorized matches an SPU's refusal of what the client's role
	// may not do (the read-only role producing or committing offsets).
	ErrNotAuthorized error = wire.NotAuthorized.Err()
	// ErrNotAuthenticated matches an SPU's refusal of a client that did
	// not prove an identity (no credentials, no client certificate).
	ErrNotAuthenticated error = wire.ClientAuthFailed.Err()

	// ErrTopicNotFound matches (errors.Is) the SC's and the client's "topic
	// not found" errors; their hint is 'fluvio topic create NAME'.
	ErrTopicNotFound error = bus.ErrTopicNotFound
	// ErrConsumerNotFound matches DeleteConsumer's error when the named
	// consumer has no stored offsets (on that topic or partition).
	ErrConsumerNotFound error = bus.ErrConsumerNotFound
	// ErrNotRepairable matches RepairPartition's error when the repair
	// cannot be done now: a replica's SPU is offline (start it: nothing
	// need be dropped), or an SPU does not answer.
	ErrNotRepairable error = bus.ErrNotRepairable
	// ErrTopicExists matches CreateTopic's error for an existing topic.
	ErrTopicExists error = bus.ErrTopicExists
	// ErrTopicNotReady matches CreateTopicReady's error when the topic was
	// created but some partition could not take a produce in time (its
	// leader SPU offline, or slow to create the replica).
	ErrTopicNotReady = errors.New("fluvio: topic not ready")
	// ErrNotEnoughSPUs matches CreateTopic's error when the replication
	// factor exceeds the registered SPUs.
	ErrNotEnoughSPUs error = bus.ErrNotEnoughSPUs
	// ErrUnavailable matches errors from an SC that does not answer.
	ErrUnavailable error = bus.ErrUnavailable
	// ErrTimeout matches a request the SC did not answer in time.
	ErrTimeout error = bus.ErrTimeout
	// ErrSPUExists matches RegisterSPU's error for a taken id or name.
	ErrSPUExists error = bus.ErrSPUExists
	// ErrSPUNotFound matches UnregisterSPU's error for an unknown SPU.
	ErrSPUNotFound error = bus.ErrSPUNotFound
	// ErrSPUInvalidID matches the SC's error for an SPU id out of range.
	ErrSPUInvalidID error = bus.ErrSPUInvalidID
	// ErrInvalidName matches the SC's error for an invalid topic or SPU name.
	ErrInvalidName error = bus.ErrInvalidName
	// ErrInvalidConfig matches the SC's error for invalid topic settings.
	ErrInvalidConfig error = bus.ErrInvalidConfig
	// ErrInvalidAddress matches the SC's error for an SPU address it
	// refuses (not HOST:PORT, or not reachable such as 0.0.0.0).
	ErrInvalidAddress error = bus.ErrInvalidAddress
	// ErrBadRequest matches the SC's error for a request it cannot decode.
	ErrBadRequest error = bus.ErrBadRequest
	// ErrInternal matches the SC's error for a failure of its own (its log
	// says more).
	ErrInternal error = bus.ErrInternal
)

// RequestError is a request to the SC that did not reach it: NATS refused
// to publish it (Denied: the connection's user may not publish on
// Subject), or nobody answers on Subject (then it matches ErrUnavailable).
type RequestError struct {
	// Subject is the NATS subject of the request.
	Subject string
	// Denied is set when NATS refused the request (permissions).
	Denied bool
	// Err is the cause: NATS's permissions violation, or the SC's
	// ErrUnavailable reply error.
	Err error
}

func (e *RequestError) Error() string {
	if e.Denied {
		return fmt.Sprintf("NATS refused the request on %s: %v", e.Subject, e.Err)
	}
	return e.Err.Error()
}

func (e *RequestError) Unwrap() error { return e.Err }

// hint is the next step for e.
func (e *RequestError) hint() string {
	if e.Denied {
		return "the NATS user of this connection may not publish there: check its permissions, or use another profile"
	}
	return "start the SC ('sc-server', or 'fluvio cluster start'), or check the address with 'fluvio profile current -O yaml'"
}

// Error is a client error with a next step for the user. Err is the cause
// (match it with errors.Is); Msg, when set, replaces Err's text in the
// message; Hint, when set, says what to do next. Error() returns
// "Op: Msg (Hint)".
type Error struct {
	Op   string
	Msg  string
	Err  error
	Hint string
}

func (e *Error) Error() string {
	s := e.Message()
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Message is Error without the hint.
func (e *Error) Message() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Err.Error()
	}
	if e.Op == "" {
		return msg
	}
	return e.Op + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }

// Hint returns the next step for the user carried by err (from a client,
// SC or SPU error), or "".
func Hint(err error) string {
	if e, ok := errors.AsType[*Error](err); ok && e.Hint != "" {
		return e.Hint
	}
	if e, ok := errors.AsType[*RequestError](err); ok {
		return e.hint()
	}
	return busHint(err)
}

// badOption is an ErrBadOption with a message and a hint.
func badOption(op, hint, format string, args ...any) error {
	return &Error{Op: op, Err: ErrBadOption, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// busHint returns the hint of a *bus.Error in err's chain, else the hint
// of a *wire.Error's code.
func busHint(err error) string {
	if e, ok := errors.AsType[*bus.Error](err); ok {
		return e.Hint
	}
	if e, ok := errors.AsType[*wire.Error](err); ok {
		return e.Code.Hint()
	}
	return ""
}

// Classification of failed requests: what is worth retrying, and what a
// failure says about whether the records were stored. The producer's
// pipeline (producer_pipeline.go) and the consumer's reads decide with
// these; Client.classify marks the SPUs' answers.

// errRetriable marks an error worth retrying after a metadata refresh.
type errRetriable struct{ err error }

func (e *errRetriable) Error() string { return e.err.Error() }
func (e *errRetriable) Unwrap() error { return e.err }

// markRetriable wraps err so that retriable(err) is true.
func markRetriable(err error) error {
	if err == nil {
		return nil
	}
	return &errRetriable{err: err}
}

// retriable reports whether err was marked by markRetriable.
func retriable(err error) bool {
	var r *errRetriable
	return errors.As(err, &r)
}

// errNotSent marks a request that never left the client (no leader known,
// no connection): it stored nothing.
type errNotSent struct{ err error }

func (e *errNotSent) Error() string { return e.err.Error() }
func (e *errNotSent) Unwrap() error { return e.err }

// notSent wraps err as errNotSent (retriable(err) is kept).
func notSent(err error) error { return &errNotSent{err: err} }

// definitelyNotStored reports whether a failed attempt surely stored
// nothing: it was not sent, or the leader refused it before appending.
// Anything else (a lost connection, a timeout, not leader or not enough
// replicas after the append, an SPU shutting down) may have been stored.
func definitelyNotStored(err error) bool {
	if _, ok := errors.AsType[*errNotSent](err); ok {
		return true
	}
	we, ok := errors.AsType[*wire.Error](err)
	if !ok {
		return false
	}
	switch we.Code {
	case wire.NotEnoughReplicas, wire.UnknownTopicOrPartition, wire.ReplicaCorrupt, wire.OutOfOrderSequence, wire.UnknownProducerID,
		wire.PartlyDuplicate, wire.CorruptBatch, wire.InvalidRecord, wire.RecordTooLarge, wire.InvalidProducerEpoch,
		wire.InvalidRequest, wire.UnsupportedVersion, wire.FrameTooLarge, wire.UnknownAPIKey:
		return true
	}
	return false
}

// isDuplicate reports whether an answer is the leader's DuplicateSequence
// with the original offset of the batches: they were stored before.
func isDuplicate(base int64, err error) bool {
	return base >= 0 && errors.Is(err, wire.ErrDuplicateSequence)
}

// storedBefore reports whether a refusal says that the batch's sequences
// were stored before, without their offset (SequenceTooOld, or an older
// leader's DuplicateSequence): the records fail, but the epoch stays, so
// the next batches follow them.
func storedBefore(err error) bool {
	return errors.Is(err, wire.ErrSequenceTooOld) || errors.Is(err, wire.ErrDuplicateSequence)
}

// sequenceRefusal reports whether err is one of the leader's idempotence
// refusals.
func sequenceRefusal(err error) bool {
	for _, e := range []error{wire.ErrDuplicateSequence, wire.ErrOutOfOrderSequence, wire.ErrUnknownProducerID, wire.ErrPartlyDuplicate, wire.ErrSequenceTooOld} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// classify turns a failed data-plane call into the error its caller sees,
// marking what is worth retrying and dropping what is stale: the
// connection after a transport failure, the topic's metadata after an
// answer that says the leader moved.
func (c *Client) classify(ctx context.Context, topic string, partition int32, l leader, conn spuConn, err error) error {
	where := fmt.Sprintf("%s partition %d at SPU %d (%s)", topic, partition, l.id, l.addr)
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return err
	}
	we, ok := errors.AsType[*wire.Error](err)
	if !ok {
		// The connection failed: dial again, maybe elsewhere.
		c.pool.drop(l.id, conn)
		c.meta.invalidate(topic)
		if c.ctx.Err() != nil {
			return fmt.Errorf("%s: %w", where, ErrClosed)
		}
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	}
	if leaderMoved(we.Code) {
		c.meta.invalidate(topic)
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	}
	if we.Code == wire.RecordTooLarge {
		return &Error{Op: where, Err: errors.Join(ErrRecordTooLarge, err),
			Hint: "send smaller records, or create the topic with a larger max record size"}
	}
	if we.Retriable {
		return markRetriable(fmt.Errorf("%s: %w", where, err))
	}
	return fmt.Errorf("%s: %w", where, err)
}

// leaderMoved reports whether an SPU's answer says that the partition's
// leader moved, or that the SPU has not applied the SC's replica set yet
// (a new topic): ask the SC again, then retry.
func leaderMoved(code wire.ErrorCode) bool {
	switch code {
	case wire.NotLeader, wire.LeaderNotAvailable, wire.ShuttingDown, wire.StaleEpoch, wire.UnknownLeaderEpoch,
		wire.UnknownTopicOrPartition, wire.ReplicaCorrupt:
		return true
	}
	return false
}

// firstError keeps the first failure of a Producer's records sent without
// a waiter (Send), for the next Flush or Close to report.
type firstError struct {
	mu  sync.Mutex
	err error // guarded by mu
}

// record keeps err unless an earlier failure is kept.
func (f *firstError) record(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

// take returns the kept failure and forgets it.
func (f *firstError) take() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.err
	f.err = nil
	return err
}
