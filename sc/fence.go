package sc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// Fenced writes. Every metadata write of the active SC is a two-message
// JetStream atomic batch on the bucket's stream:
//
//  1. sc.fence  = the SC's generation, expected: the last message on
//     sc.lease is the revision this SC holds the lease at;
//  2. the key   = the new value (or a delete marker), expected: the key's
//     last revision is the one the SC read (0 for a create).
//
// The server applies both or neither. An SC whose lease was taken over
// (a new holder wrote sc.lease) can therefore not store anything, however
// late its request arrives: the deposed SC's writes fail the first check.

// Headers of JetStream publishes (nats-server's JS* constants).
const (
	hdrBatchID         = "Nats-Batch-Id"
	hdrBatchSeq        = "Nats-Batch-Sequence"
	hdrBatchCommit     = "Nats-Batch-Commit"
	hdrExpectedSubjSeq = "Nats-Expected-Last-Subject-Sequence"
	hdrExpectedSubject = "Nats-Expected-Last-Subject-Sequence-Subject"
	hdrKVOperation     = "KV-Operation"
)

// fence is what a write is conditioned on: the lease revision (and the
// generation it carries, stored in sc.fence for the record).
type fence struct {
	leaseRev uint64
	gen      int64
}

// errFenced is returned by fenced writes that failed a check: either the
// key moved (a data conflict: isConflict) or the lease did (see
// Server.write, which tells the two apart).
var errFenced = errors.New("sc: fenced write refused: the key or the SC lease changed")

// subject is the stream subject of a key.
func (s *store) subject(key string) string { return "$KV." + s.bucket + "." + key }

// pubAck is a JetStream publish acknowledgement.
type pubAck struct {
	Stream   string `json:"stream"`
	Sequence uint64 `json:"seq"`
	Error    *struct {
		Code    int    `json:"code"`
		ErrCode int    `json:"err_code"`
		Desc    string `json:"description"`
	} `json:"error"`
}

// JetStream error code of a failed expected-last-sequence check.
const jsErrWrongLastSequence = 10071

// fencedWrite stores value under key if the key's last revision is rev
// (0: the key has no message at all) and the lease is still at f.leaseRev.
// A nil value with del writes a delete marker. It returns the key's new
// revision. A failed check is errFenced.
func (s *store) fencedWrite(ctx context.Context, f fence, key string, value []byte, rev uint64, del bool) (uint64, error) {
	id := nuid.Next()
	m1 := nats.NewMsg(s.subject(keyFence))
	m1.Data = []byte(strconv.FormatInt(f.gen, 10))
	m1.Header.Set(hdrBatchID, id)
	m1.Header.Set(hdrBatchSeq, "1")
	m1.Header.Set(hdrExpectedSubjSeq, strconv.FormatUint(f.leaseRev, 10))
	m1.Header.Set(hdrExpectedSubject, s.subject(keyLease))
	m2 := nats.NewMsg(s.subject(key))
	m2.Data = value
	m2.Header.Set(hdrBatchID, id)
	m2.Header.Set(hdrBatchSeq, "2")
	m2.Header.Set(hdrBatchCommit, "1")
	m2.Header.Set(hdrExpectedSubjSeq, strconv.FormatUint(rev, 10))
	if del {
		m2.Header.Set(hdrKVOperation, "DEL")
	}
	if err := s.nc.PublishMsg(m1); err != nil {
		return 0, fmt.Errorf("sc: fenced write of %s: %w", key, err)
	}
	reply, err := s.nc.RequestMsgWithContext(ctx, m2)
	if err != nil {
		return 0, fmt.Errorf("sc: fenced write of %s: %w", key, err)
	}
	var ack pubAck
	if err := json.Unmarshal(reply.Data, &ack); err != nil {
		return 0, fmt.Errorf("sc: fenced write of %s: bad ack %q: %w", key, reply.Data, err)
	}
	if ack.Error != nil {
		if ack.Error.ErrCode == jsErrWrongLastSequence {
			return 0, errFenced
		}
		return 0, fmt.Errorf("sc: fenced write of %s: %s (code %d)", key, ack.Error.Desc, ack.Error.ErrCode)
	}
	return ack.Sequence, nil
}

// lastRevision is the revision of key's last message, including delete
// markers, and whether that message is a delete marker; 0 when the key
// never had one (or it was purged away).
func (s *store) lastRevision(ctx context.Context, key string) (uint64, bool, error) {
	m, err := s.stream.GetLastMsgForSubject(ctx, s.subject(key))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	op := m.Header.Get(hdrKVOperation)
	return m.Sequence, op == "DEL" || op == "PURGE", nil
}
