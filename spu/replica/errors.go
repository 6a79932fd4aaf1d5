package replica

// Kind says what kind of refusal or failure an *Error is. Package spu
// maps each kind to the wire error code and the next step it answers with
// (spu/errors.go); the replica does not speak the wire protocol's errors.
type Kind uint8

// The kinds of Error.
const (
	KindNotLeader         Kind = iota + 1 // this SPU does not lead the partition (or the replica is closed)
	KindNoLeader                          // the partition has no leader yet
	KindNotEnoughReplicas                 // acks=all with an ISR below min-insync-replicas: nothing appended
	KindNotReplicated                     // appended on the leader, but the ISR shrank below the minimum before it committed
	KindTimedOut                          // appended, not replicated to the ISR in time
	KindShuttingDown                      // the connection or the SPU closed before the commit
	KindCorruptBatch                      // a batch failed its length or CRC check: nothing appended
	KindInvalidBatch                      // a batch passed its CRC but does not follow the format: nothing appended
	KindRecordTooLarge                    // a batch over the topic's max record size: nothing appended
	KindDuplicate                         // an idempotent retry of stored batches (Append also returns where)
	KindPartlyDuplicate                   // some batches of the request were stored before, some not
	KindSequenceTooOld                    // stored before, too long ago to name the offsets
	KindOutOfOrder                        // a gap in a producer's sequences
	KindUnknownProducer                   // no state for the producer and a sequence other than 0
	KindFenced                            // a newer epoch of the producer id wrote here
	KindOutOfRange                        // an offset outside the log
	KindStaleEpoch                        // a leader epoch older than the replica's
	KindUnknownEpoch                      // a leader epoch newer than the replica's
	KindStorage                           // the log could not be read or written
	KindBadRequest                        // the request is invalid (a bad timestamp, a bad follower fetch)
)

// Error is a refusal or failure of a replica operation. Msg says what went
// wrong and where (topic-partition, offsets, producer); the next step for
// the client is package spu's, by Kind. errors.Is(err, replica.ErrNotLeader...)
// compares kinds.
type Error struct {
	Kind Kind
	Msg  string
	// Err is the cause, when there is one (a wal or batch error).
	Err error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error of the same kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

// newError returns an *Error of kind with message msg.
func newError(kind Kind, msg string) *Error { return &Error{Kind: kind, Msg: msg} }

// Sentinels for errors.Is, one per kind: errors.Is(err, ErrNotLeader)
// holds for any *Error of KindNotLeader, wrapped or not.
var (
	// ErrNotLeader is returned for leader-only operations on a follower
	// (or a closed replica).
	ErrNotLeader = &Error{Kind: KindNotLeader, Msg: "replica: not the leader"}
	// ErrNoLeader is returned while the partition has no leader.
	ErrNoLeader = &Error{Kind: KindNoLeader, Msg: "replica: no leader"}
	// ErrNotEnoughReplicas is returned when the ISR is smaller than
	// min-insync-replicas for an acks=all produce.
	ErrNotEnoughReplicas = &Error{Kind: KindNotEnoughReplicas, Msg: "replica: not enough in-sync replicas"}
	// ErrNotReplicated is returned when the ISR shrank below the minimum
	// after an acks=all append.
	ErrNotReplicated = &Error{Kind: KindNotReplicated, Msg: "replica: not enough in-sync replicas after append"}
	// ErrTimedOut is returned when an append is not replicated in time.
	ErrTimedOut = &Error{Kind: KindTimedOut, Msg: "replica: not replicated in time"}
	// ErrShuttingDown is returned when the commit is abandoned.
	ErrShuttingDown = &Error{Kind: KindShuttingDown, Msg: "replica: shutting down"}
	// ErrCorruptBatch, ErrInvalidBatch and ErrRecordTooLarge refuse a
	// produce's batches; nothing is appended.
	ErrCorruptBatch   = &Error{Kind: KindCorruptBatch, Msg: "replica: corrupt record batch"}
	ErrInvalidBatch   = &Error{Kind: KindInvalidBatch, Msg: "replica: invalid record batch"}
	ErrRecordTooLarge = &Error{Kind: KindRecordTooLarge, Msg: "replica: record too large"}
	// ErrDuplicate, ErrPartlyDuplicate, ErrSequenceTooOld, ErrOutOfOrder,
	// ErrUnknownProducer and ErrFenced are the idempotent producers'
	// verdicts (Producers.Check).
	ErrDuplicate       = &Error{Kind: KindDuplicate, Msg: "replica: stored before"}
	ErrPartlyDuplicate = &Error{Kind: KindPartlyDuplicate, Msg: "replica: partly stored before"}
	ErrSequenceTooOld  = &Error{Kind: KindSequenceTooOld, Msg: "replica: sequence too old"}
	ErrOutOfOrder      = &Error{Kind: KindOutOfOrder, Msg: "replica: out of order sequence"}
	ErrUnknownProducer = &Error{Kind: KindUnknownProducer, Msg: "replica: unknown producer"}
	ErrFenced          = &Error{Kind: KindFenced, Msg: "replica: producer fenced by a newer epoch"}
	// ErrOutOfRange is returned for an offset outside the log.
	ErrOutOfRange = &Error{Kind: KindOutOfRange, Msg: "replica: offset out of range"}
	// ErrStaleEpoch is returned for a request or assignment whose leader
	// epoch is older than the replica's.
	ErrStaleEpoch = &Error{Kind: KindStaleEpoch, Msg: "replica: stale leader epoch"}
	// ErrUnknownEpoch is returned for a request whose leader epoch is newer
	// than the replica's (it has not heard of the new leader yet).
	ErrUnknownEpoch = &Error{Kind: KindUnknownEpoch, Msg: "replica: unknown leader epoch"}
	// ErrStorage is returned when the log cannot be read or written.
	ErrStorage = &Error{Kind: KindStorage, Msg: "replica: storage error"}
	// ErrBadRequest is returned for an invalid request.
	ErrBadRequest = &Error{Kind: KindBadRequest, Msg: "replica: bad request"}
	// ErrNotReplica is returned when an SPU that holds no replica of the
	// partition fetches as a follower.
	ErrNotReplica = &Error{Kind: KindBadRequest, Msg: "replica: not a replica"}
)

var kindNames = [...]string{
	KindNotLeader: "not leader", KindNoLeader: "no leader", KindNotEnoughReplicas: "not enough replicas",
	KindNotReplicated: "not replicated", KindTimedOut: "timed out", KindShuttingDown: "shutting down",
	KindCorruptBatch: "corrupt batch", KindInvalidBatch: "invalid batch", KindRecordTooLarge: "record too large",
	KindDuplicate: "duplicate", KindPartlyDuplicate: "partly duplicate", KindSequenceTooOld: "sequence too old",
	KindOutOfOrder: "out of order", KindUnknownProducer: "unknown producer", KindFenced: "fenced",
	KindOutOfRange: "out of range", KindStaleEpoch: "stale epoch", KindUnknownEpoch: "unknown epoch",
	KindStorage: "storage", KindBadRequest: "bad request",
}

// String names the kind; "" for a value that is not a kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return ""
}
