package bus

import (
	"errors"
	"fmt"
)

// Error is a control-plane error with a stable numeric Code, a Message
// saying what went wrong and a Hint saying what to do next (often the
// command to run). It travels over NATS as the payload of an error reply
// (see Handle and Request). errors.Is(err, ErrTopicNotFound) compares Code
// only, so a specific error (`topic "orders" not found`) matches the
// table entry.
type Error struct {
	Type    string `msgpack:"type" json:"type"`
	Code    int    `msgpack:"code" json:"code"`
	Message string `msgpack:"message" json:"message"`
	Hint    string `msgpack:"hint,omitempty" json:"hint,omitempty"`

	cause error // local only: the transport error behind it, for Unwrap
}

// ErrorType is the Type of an Error sent over the bus.
const ErrorType = "fluvio.bus.v1.error"

// Error returns "message (hint)" so one line carries both.
func (e *Error) Error() string {
	if e.Hint == "" {
		return e.Message
	}
	return e.Message + "; " + e.Hint
}

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap returns the transport error behind e, if any (for example
// nats.ErrNoResponders).
func (e *Error) Unwrap() error { return e.cause }

// With returns a copy of e (a table entry) with a specific message and
// hint; an empty hint keeps e's.
func (e *Error) With(message, hint string) *Error {
	c := *e
	c.Message = message
	if hint != "" {
		c.Hint = hint
	}
	c.cause = nil
	return &c
}

// Withf is With with a formatted message and e's hint.
func (e *Error) Withf(format string, args ...any) *Error {
	return e.With(fmt.Sprintf(format, args...), "")
}

func (e *Error) withCause(err error) *Error {
	c := *e
	c.cause = err
	return &c
}

func (e *Error) typeField() (*string, string) { return &e.Type, ErrorType }

// Error codes. They are stable: never renumber, only add.
const (
	CodeInternal         = 1  // a bug or an unexpected failure in the SC
	CodeBadRequest       = 2  // the request could not be decoded or is invalid
	CodeUnsupported      = 3  // unknown message type or version
	CodeUnavailable      = 4  // nobody answers on the subject (SC or SPU not running)
	CodeTimeout          = 5  // the request timed out
	CodeStore            = 6  // the metadata store (JetStream KV) failed
	CodeSPUExists        = 10 // an SPU with that id or name is registered
	CodeSPUNotFound      = 11 // no SPU with that id or name
	CodeSPUInvalidID     = 12 // the SPU id is out of range
	CodeSPUNotRegistered = 13 // an spu-server connected with an id nobody registered
	CodeSPUIDMismatch    = 14 // the id in the message is not the subject's id
	CodeInvalidAddress   = 15 // a public or private address is not HOST:PORT
	CodeSPUConflict      = 16 // another spu-server with the same id is connected
	CodeTopicExists      = 20 // a topic with that name exists
	CodeTopicNotFound    = 21 // no topic with that name
	CodeInvalidName      = 22 // a topic or SPU name breaks the naming rules
	CodeInvalidConfig    = 23 // partitions, replicas or another setting is out of range
	CodeNotEnoughSPUs    = 24 // more replicas asked for than SPUs registered
	CodeStaleEpoch       = 25 // an ISR update carries an old leader epoch
	CodeNotLeader        = 26 // an ISR update from an SPU that is not the leader
	CodeConsumerNotFound = 30 // no stored offsets for that consumer (topic, partition)
	CodeNotRepairable    = 40 // a partition repair cannot be done now (a replica offline, an SPU not answering)
)

// The error table. Handlers return these (or a With copy); callers match
// them with errors.Is.
var (
	ErrInternal = &Error{Code: CodeInternal, Message: "internal error in the SC",
		Hint: "check the sc-server log and report the bug"}
	ErrBadRequest = &Error{Code: CodeBadRequest, Message: "bad request",
		Hint: "check the request fields (see bus/SUBJECTS.md)"}
	ErrUnsupported = &Error{Code: CodeUnsupported, Message: "unsupported message type",
		Hint: "the client and the SC run different versions: check 'fluvio version'"}
	ErrUnavailable = &Error{Code: CodeUnavailable, Message: "no responders",
		Hint: "is the SC running? start a local cluster with 'fluvio cluster start' or pass --sc HOST:PORT"}
	ErrTimeout = &Error{Code: CodeTimeout, Message: "request timed out",
		Hint: "is the SC overloaded or stopped? check 'fluvio cluster status'"}
	ErrStore = &Error{Code: CodeStore, Message: "metadata store failed",
		Hint: "check the NATS JetStream server the SC uses, then retry"}
	ErrSPUExists = &Error{Code: CodeSPUExists, Message: "SPU already exists",
		Hint: "pick another id or name, or remove it first with 'fluvio custom-spu unregister --id N'"}
	ErrSPUNotFound = &Error{Code: CodeSPUNotFound, Message: "SPU not found",
		Hint: "list the SPUs with 'fluvio custom-spu list'"}
	ErrSPUInvalidID = &Error{Code: CodeSPUInvalidID, Message: "SPU id out of range",
		Hint: "pick an id between 0 and 2147483647"}
	ErrSPUNotRegistered = &Error{Code: CodeSPUNotRegistered, Message: "SPU is not registered",
		Hint: "register it first: fluvio custom-spu register --id N --public-server HOST:PORT --private-server HOST:PORT"}
	ErrSPUIDMismatch = &Error{Code: CodeSPUIDMismatch, Message: "SPU id in the message does not match the subject",
		Hint: "an SPU may only publish on its own subjects fluvio.spu.<id>.>"}
	ErrSPUConflict = &Error{Code: CodeSPUConflict, Message: "another spu-server with this id is connected",
		Hint: "stop the other spu-server, or start this one with another registered --id"}
	ErrInvalidAddress = &Error{Code: CodeInvalidAddress, Message: "invalid address",
		Hint: "give addresses as HOST:PORT, for example 127.0.0.1:9005"}
	ErrTopicExists = &Error{Code: CodeTopicExists, Message: "Topic already exists",
		Hint: "pick another name, or delete it first with 'fluvio topic delete NAME'"}
	ErrTopicNotFound = &Error{Code: CodeTopicNotFound, Message: "topic not found",
		Hint: "list the topics with 'fluvio topic list'"}
	ErrInvalidName = &Error{Code: CodeInvalidName, Message: "invalid name",
		Hint: "use lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit"}
	ErrInvalidConfig = &Error{Code: CodeInvalidConfig, Message: "invalid configuration",
		Hint: "partitions and replicas must be at least 1"}
	ErrNotEnoughSPUs = &Error{Code: CodeNotEnoughSPUs, Message: "not enough SPUs",
		Hint: "lower --replication or register more SPUs with 'fluvio custom-spu register'"}
	ErrStaleEpoch = &Error{Code: CodeStaleEpoch, Message: "stale leader epoch",
		Hint: "the partition has a newer leader; wait for the SC's replica set"}
	ErrNotLeader = &Error{Code: CodeNotLeader, Message: "not the partition leader",
		Hint: "only the leader reports the ISR; wait for the SC's replica set"}
	ErrConsumerNotFound = &Error{Code: CodeConsumerNotFound, Message: "consumer not found",
		Hint: "list the consumers with 'fluvio consumer list'"}
	ErrNotRepairable = &Error{Code: CodeNotRepairable, Message: "partition cannot be repaired now",
		Hint: "see 'fluvio partition list' and 'fluvio cluster check'"}
)

// table lists every entry, to fill in messages for codes that arrive
// without a body.
var table = []*Error{
	ErrInternal, ErrBadRequest, ErrUnsupported, ErrUnavailable, ErrTimeout, ErrStore,
	ErrSPUExists, ErrSPUNotFound, ErrSPUInvalidID, ErrSPUNotRegistered, ErrSPUIDMismatch,
	ErrSPUConflict, ErrInvalidAddress, ErrTopicExists, ErrTopicNotFound, ErrInvalidName, ErrInvalidConfig,
	ErrNotEnoughSPUs, ErrStaleEpoch, ErrNotLeader, ErrConsumerNotFound, ErrNotRepairable,
}

// ErrorForCode returns the table entry for code, or nil.
func ErrorForCode(code int) *Error {
	for _, e := range table {
		if e.Code == code {
			return e
		}
	}
	return nil
}

// AsError converts err to an *Error: a copy of the *Error in err's chain,
// or else ErrInternal carrying err's text.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok {
		c := *e
		return &c
	}
	return ErrInternal.With(err.Error(), "")
}
