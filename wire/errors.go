package wire

import (
	"errors"
	"fmt"
)

// ErrorCode is a stable numeric error in a response. Zero is success.
// Codes shared with Kafka keep Kafka's numbers.
type ErrorCode int16

// The error code table. PROTOCOL.md lists when each is returned.
const (
	None                    ErrorCode = 0
	Unknown                 ErrorCode = -1
	OffsetOutOfRange        ErrorCode = 1
	CorruptBatch            ErrorCode = 2
	UnknownTopicOrPartition ErrorCode = 3
	LeaderNotAvailable      ErrorCode = 5
	NotLeader               ErrorCode = 6
	RequestTimedOut         ErrorCode = 7
	RecordTooLarge          ErrorCode = 10
	NotEnoughReplicas       ErrorCode = 19
	NotEnoughReplicasAfter  ErrorCode = 20
	UnsupportedVersion      ErrorCode = 35
	InvalidRequest          ErrorCode = 42
	OutOfOrderSequence      ErrorCode = 45
	DuplicateSequence       ErrorCode = 46
	InvalidProducerEpoch    ErrorCode = 47
	StorageError            ErrorCode = 56
	SPUAuthFailed           ErrorCode = 58
	UnknownProducerID       ErrorCode = 59
	StaleEpoch              ErrorCode = 74
	UnknownLeaderEpoch      ErrorCode = 75
	InvalidRecord           ErrorCode = 87
	UnknownAPIKey           ErrorCode = 100
	FrameTooLarge           ErrorCode = 101
	ShuttingDown            ErrorCode = 102
	PartlyDuplicate         ErrorCode = 103
	SequenceTooOld          ErrorCode = 104
	ClientAuthFailed        ErrorCode = 105
	TLSRequired             ErrorCode = 106
	ReplicaCorrupt          ErrorCode = 107
	NotAuthorized           ErrorCode = 29
)

// Error is a failed request or partition: a code, a message and whether
// the same request may succeed if retried (after a metadata refresh for
// NotLeader). errors.Is compares codes, so
// errors.Is(err, wire.ErrNotLeader) holds for any NotLeader error.
type Error struct {
	Code      ErrorCode
	Message   string
	Retriable bool
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("wire: %s (code %d)", e.Code, int16(e.Code))
	}
	return fmt.Sprintf("wire: %s: %s", e.Code, e.Message)
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

type codeInfo struct {
	name      string
	retriable bool
	hint      string
}

var codes = map[ErrorCode]codeInfo{
	Unknown:                 {"unknown server error", false, "see the SPU's log"},
	OffsetOutOfRange:        {"offset out of range", false, "fetch from an offset inside the range (fluvio consume --beginning or --tail)"},
	CorruptBatch:            {"corrupt record batch", false, "the batch failed its CRC or length check; nothing was appended"},
	UnknownTopicOrPartition: {"unknown topic or partition", false, "check the name with 'fluvio topic list' and 'fluvio partition list'"},
	LeaderNotAvailable:      {"leader not available", true, "the partition is being elected; retry shortly"},
	NotLeader:               {"not the leader for this partition", true, "refresh metadata and send to the current leader"},
	RequestTimedOut:         {"request timed out", true, "retry; if it persists check the replicas with 'fluvio partition list'"},
	RecordTooLarge:          {"record too large", false, "send smaller records or raise the topic's max record size"},
	NotEnoughReplicas:       {"not enough in-sync replicas", true, "wait for followers to catch up, or produce with acks=leader"},
	NotEnoughReplicasAfter:  {"not enough in-sync replicas after append", true, "the record was written on the leader but not acknowledged by enough replicas; an idempotent producer's retry is recognized, another retry may duplicate it"},
	UnsupportedVersion:      {"unsupported API version", false, "upgrade the client or the SPU so their versions overlap"},
	InvalidRequest:          {"invalid request", false, "the request could not be decoded; this is a client bug"},
	OutOfOrderSequence:      {"out of order sequence", true, "an earlier batch of this producer has not been stored yet; resend the earlier batches first, in order"},
	DuplicateSequence:       {"duplicate sequence", false, "the batches were stored before; the response's base offset is where (the request stored nothing new)"},
	InvalidProducerEpoch:    {"invalid producer epoch", false, "a newer epoch of this producer id has written to the partition; this producer is fenced: close it and create a new one"},
	StorageError:            {"storage error", false, "the SPU could not write or read its log (disk full or failing): nothing of this request was acknowledged; the SPU re-opens the log by itself once the disk works again (free space, see the SPU's log), then send again"},
	SPUAuthFailed:           {"SPU authentication failed", false, "only a registered SPU may use an SPU's private port, and only as itself: start it with the --creds its registration wrote"},
	UnknownProducerID:       {"unknown producer id", true, "the leader has no state for this producer and the batch does not start at sequence 0; resend the earlier batches first, or start a new producer epoch at sequence 0"},
	StaleEpoch:              {"stale leader epoch", false, "the sender's leader epoch is older than the replica's; refresh metadata"},
	UnknownLeaderEpoch:      {"unknown leader epoch", true, "the replica has not seen this epoch yet; retry shortly"},
	InvalidRecord:           {"invalid record batch", false, "the batch passed its CRC but its records do not match its header or the format; nothing was appended: fix the producer"},
	UnknownAPIKey:           {"unknown API key", false, "the SPU does not serve this API; upgrade the SPU"},
	FrameTooLarge:           {"frame too large", false, "send smaller requests (fewer or smaller batches per request)"},
	ShuttingDown:            {"SPU shutting down", true, "retry against the new leader after a metadata refresh"},
	PartlyDuplicate:         {"partly duplicate request", true, "some batches of the request were stored before and some were not (or the stored ones are apart); resend each batch in a request of its own"},
	ClientAuthFailed:        {"client not authenticated", false, "this SPU serves only authenticated clients: connect with your profile's credentials (nats_creds, fluvio.WithCredentials) or, on a TLS cluster, a client certificate signed by the cluster's CA (the profile's tls section)"},
	ReplicaCorrupt:          {"replica corrupt", true, "the SPU's copy of the partition is damaged and serves nothing until repaired: with a healthy replica it repairs itself from the leader; with none, run 'fluvio partition repair TOPIC -p N' (a dry run first)"},
	TLSRequired:             {"TLS required", false, "this SPU port speaks TLS only: set tls in your profile (tls_policy = \"verified\") or pass --tls-ca"},
	NotAuthorized:           {"not authorized", false, "connect with the client or admin role: --creds DATA-DIR/auth/client.creds (or --tls-cert/--tls-key with a client certificate), or a profile that has them"},
	SequenceTooOld:          {"sequence too old", false, "the batch's sequences were stored before, too long ago for the leader to name their offsets; nothing was appended, do not resend them"},
}

// String returns the code's name.
func (c ErrorCode) String() string {
	if c == None {
		return "none"
	}
	if i, ok := codes[c]; ok {
		return i.name
	}
	return fmt.Sprintf("error code %d", int16(c))
}

// Retriable reports whether a request that failed with c may succeed if
// sent again.
func (c ErrorCode) Retriable() bool { return codes[c].retriable }

// Hint says what to do about c.
func (c ErrorCode) Hint() string { return codes[c].hint }

// Err returns nil for None, else an *Error with the code's standard
// message.
func (c ErrorCode) Err() error { return c.ErrMsg("") }

// ErrMsg is Err with a specific message (for example the valid offset
// range); an empty msg uses the code's hint.
func (c ErrorCode) ErrMsg(msg string) error {
	if c == None {
		return nil
	}
	if msg == "" {
		msg = c.Hint()
	}
	return &Error{Code: c, Message: msg, Retriable: c.Retriable()}
}

// Sentinels for errors.Is. They compare by code only.
var (
	ErrUnknown                 = &Error{Code: Unknown}
	ErrOffsetOutOfRange        = &Error{Code: OffsetOutOfRange}
	ErrCorruptBatch            = &Error{Code: CorruptBatch}
	ErrUnknownTopicOrPartition = &Error{Code: UnknownTopicOrPartition}
	ErrLeaderNotAvailable      = &Error{Code: LeaderNotAvailable, Retriable: true}
	ErrNotLeader               = &Error{Code: NotLeader, Retriable: true}
	ErrRequestTimedOut         = &Error{Code: RequestTimedOut, Retriable: true}
	ErrRecordTooLarge          = &Error{Code: RecordTooLarge}
	ErrNotEnoughReplicas       = &Error{Code: NotEnoughReplicas, Retriable: true}
	ErrNotEnoughReplicasAfter  = &Error{Code: NotEnoughReplicasAfter, Retriable: true}
	ErrUnsupportedVersion      = &Error{Code: UnsupportedVersion}
	ErrInvalidRequest          = &Error{Code: InvalidRequest}
	ErrOutOfOrderSequence      = &Error{Code: OutOfOrderSequence, Retriable: true}
	ErrDuplicateSequence       = &Error{Code: DuplicateSequence}
	ErrInvalidProducerEpoch    = &Error{Code: InvalidProducerEpoch}
	ErrStorage                 = &Error{Code: StorageError}
	ErrSPUAuthFailed           = &Error{Code: SPUAuthFailed}
	ErrUnknownProducerID       = &Error{Code: UnknownProducerID, Retriable: true}
	ErrPartlyDuplicate         = &Error{Code: PartlyDuplicate, Retriable: true}
	ErrSequenceTooOld          = &Error{Code: SequenceTooOld}
	ErrStaleEpoch              = &Error{Code: StaleEpoch}
	ErrUnknownLeaderEpoch      = &Error{Code: UnknownLeaderEpoch, Retriable: true}
	ErrInvalidRecord           = &Error{Code: InvalidRecord}
	ErrUnknownAPIKey           = &Error{Code: UnknownAPIKey}
	ErrFrameTooLarge           = &Error{Code: FrameTooLarge}
	ErrShuttingDown            = &Error{Code: ShuttingDown, Retriable: true}
)

// ErrConnClosed is returned by a Conn's calls after the connection has
// been closed or has failed; dial again.
var ErrConnClosed = errors.New("wire: connection closed")

// IsRetriable reports whether err is a wire *Error with the retriable
// bit, or a connection failure (which a new connection may not have).
func IsRetriable(err error) bool {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Retriable
	}
	return errors.Is(err, ErrConnClosed)
}

// CodeOf returns the code of a wire *Error in err's chain, Unknown for
// any other error, and None for nil. Servers use it to turn an error into
// a response code.
func CodeOf(err error) ErrorCode {
	if err == nil {
		return None
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Unknown
}
