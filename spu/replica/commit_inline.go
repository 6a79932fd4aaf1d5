package replica

import "github.com/fluvio-go/fluvio/wire"

// CommitsInline reports whether Commit of a batch appended with acks
// neither syncs nor waits (acks below all, WAL not synced per append): the
// caller can then commit on its own goroutine and answer at once, sparing
// an idle produce->ack a goroutine start and a hand-off.
func (r *Replica) CommitsInline(acks wire.Acks) bool {
	return acks != wire.AcksAll && !r.cfg.SyncAppends
}
