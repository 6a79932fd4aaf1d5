package spu

import (
	"errors"

	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// replicaErrors is the SPU's error boundary: the wire code and the next
// step the client gets for each kind of replica.Error. The hint is added
// to the replica's message ("what went wrong; what to do"); the client
// library adds the code's own hint (wire/errors.go) when it has none.
var replicaErrors = map[replica.Kind]struct {
	code wire.ErrorCode
	hint string
}{
	replica.KindNotLeader:         {wire.NotLeader, "refresh metadata and send to the current leader"},
	replica.KindNoLeader:          {wire.LeaderNotAvailable, "retry after a metadata refresh"},
	replica.KindNotEnoughReplicas: {wire.NotEnoughReplicas, "wait for the followers to catch up ('fluvio partition list' shows the ISR), or produce with --acks leader"},
	replica.KindNotReplicated:     {wire.NotEnoughReplicasAfter, ""},
	replica.KindTimedOut:          {wire.RequestTimedOut, "retry; if it persists check the replicas with 'fluvio partition list'"},
	replica.KindShuttingDown:      {wire.ShuttingDown, ""},
	replica.KindCorruptBatch:      {wire.CorruptBatch, ""},
	replica.KindInvalidBatch:      {wire.InvalidRecord, ""},
	replica.KindRecordTooLarge:    {wire.RecordTooLarge, "send smaller batches or raise the topic's max record size ('fluvio topic create --max-record-size')"},
	replica.KindDuplicate:         {wire.DuplicateSequence, ""},
	replica.KindPartlyDuplicate:   {wire.PartlyDuplicate, ""},
	replica.KindSequenceTooOld:    {wire.SequenceTooOld, ""},
	replica.KindOutOfOrder:        {wire.OutOfOrderSequence, ""},
	replica.KindUnknownProducer:   {wire.UnknownProducerID, ""},
	replica.KindFenced:            {wire.InvalidProducerEpoch, ""},
	replica.KindOutOfRange:        {wire.OffsetOutOfRange, "consume from an offset in that range ('fluvio consume --beginning', '--tail N' or '--start N')"},
	replica.KindStaleEpoch:        {wire.StaleEpoch, "refresh metadata"},
	replica.KindUnknownEpoch:      {wire.UnknownLeaderEpoch, "retry shortly"},
	replica.KindStorage:           {wire.StorageError, ""},
	replica.KindBadRequest:        {wire.InvalidRequest, ""},
}

// errFields splits an error into a response's code and message: a
// replica.Error by the table above, a *wire.Error as it is, anything else
// as Unknown with its text.
func errFields(err error) (wire.ErrorCode, string) {
	if err == nil {
		return wire.None, ""
	}
	if re, ok := errors.AsType[*replica.Error](err); ok {
		e, known := replicaErrors[re.Kind]
		if !known {
			return wire.Unknown, err.Error()
		}
		msg := err.Error()
		if e.hint != "" {
			msg += "; " + e.hint
		}
		return e.code, msg
	}
	if we, ok := errors.AsType[*wire.Error](err); ok {
		return we.Code, we.Message
	}
	return wire.CodeOf(err), err.Error()
}

// WireError is the *wire.Error the SPU answers err with (errFields): the
// client library's tests use it to answer as a leader does.
func WireError(err error) error {
	code, msg := errFields(err)
	if code == wire.None {
		return nil
	}
	return &wire.Error{Code: code, Message: msg, Retriable: code.Retriable()}
}
