package spu

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// TestReplicaErrorTable: every kind of replica error has its wire code,
// wrapped errors keep it, and the hints name real flags.
func TestReplicaErrorTable(t *testing.T) {
	n := 0
	for k := replica.Kind(1); k.String() != ""; k++ {
		n++
		e, ok := replicaErrors[k]
		if !ok || e.code == wire.None || e.code == wire.Unknown {
			t.Errorf("replica kind %q has no wire code in replicaErrors", k)
		}
	}
	if n != len(replicaErrors) || n < 20 {
		t.Errorf("%d kinds, %d table entries", n, len(replicaErrors))
	}
	for _, c := range []struct {
		err       error
		code      wire.ErrorCode
		retriable bool
		msg       string
	}{
		{&replica.Error{Kind: replica.KindOutOfRange, Msg: "offset 9 of t-0 is outside the log [0, 5]"}, wire.OffsetOutOfRange, false, "outside the log [0, 5]; consume from an offset in that range ('fluvio consume --beginning', '--tail N' or '--start N')"},
		{fmt.Errorf("fetch: %w", replica.ErrStaleEpoch), wire.StaleEpoch, false, "fetch: replica: stale leader epoch; refresh metadata"},
		{replica.ErrUnknownProducer, wire.UnknownProducerID, true, "replica: unknown producer"},
		{replica.ErrPartlyDuplicate, wire.PartlyDuplicate, true, ""},
		{replica.ErrOutOfOrder, wire.OutOfOrderSequence, true, ""},
		{replica.ErrSequenceTooOld, wire.SequenceTooOld, false, ""},
		{replica.ErrStorage, wire.StorageError, false, "replica: storage error"},
		{replica.ErrNoLeader, wire.LeaderNotAvailable, true, ""},
		{wire.NotLeader.ErrMsg("from the wire"), wire.NotLeader, true, "from the wire"},
		{errors.New("boom"), wire.Unknown, false, "boom"},
	} {
		code, msg := errFields(c.err)
		we := WireError(c.err)
		if code != c.code || !strings.Contains(msg, c.msg) || !errors.Is(we, &wire.Error{Code: c.code}) || wire.IsRetriable(we) != c.retriable {
			t.Errorf("errFields(%v) = %v %q, WireError retriable %v; want %v %q retriable %v", c.err, code, msg, wire.IsRetriable(we), c.code, c.msg, c.retriable)
		}
	}
	for k, e := range replicaErrors {
		if strings.Contains(e.hint, "--offset") {
			t.Errorf("hint of %q names --offset: the consume flag is --start", k)
		}
	}
	if code, msg := errFields(nil); code != wire.None || msg != "" || WireError(nil) != nil {
		t.Errorf("errFields(nil) = %v %q", code, msg)
	}
}
