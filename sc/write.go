package sc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The SC's metadata writes: each one fenced by the lease (fence.go). A
// failed check is told apart here: if the lease is still this SC's at
// another revision (its own renewal raced the write) the write is
// retried; if another SC holds it, this SC is deposed (errNotActive, and
// the lease loop demotes it); otherwise the key itself moved, which is
// reported as jetstream.ErrKeyExists so isConflict matches as before.

// kvCreate stores v under key only if the key does not exist (a delete
// marker counts as absent), returning the new revision.
func (s *Server) kvCreate(ctx context.Context, key string, v any) (uint64, error) {
	rev, err := s.fencedPut(ctx, key, v, 0, false)
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return rev, err
	}
	last, deleted, lerr := s.store.lastRevision(ctx, key)
	if lerr != nil || !deleted {
		return 0, err
	}
	return s.fencedPut(ctx, key, v, last, false)
}

// kvUpdate stores v under key only if its revision is still rev.
func (s *Server) kvUpdate(ctx context.Context, key string, v any, rev uint64) (uint64, error) {
	return s.fencedPut(ctx, key, v, rev, false)
}

// kvDelete writes a delete marker for key only if its revision is still
// rev.
func (s *Server) kvDelete(ctx context.Context, key string, rev uint64) error {
	_, err := s.fencedPut(ctx, key, nil, rev, true)
	return err
}

func (s *Server) fencedPut(ctx context.Context, key string, v any, rev uint64, del bool) (uint64, error) {
	var b []byte
	if !del {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return 0, err
		}
	}
	for range 3 {
		f, err := s.currentFence()
		if err != nil {
			return 0, err
		}
		s.writes.Add(1)
		newRev, err := s.store.fencedWrite(ctx, f, key, b, rev, del)
		s.writes.Add(1)
		if err == nil {
			s.logFirstWrite(key)
		}
		if !errors.Is(err, errFenced) {
			return newRev, err
		}
		lease, leaseRev, ok, lerr := s.store.readLease(ctx)
		switch {
		case lerr != nil:
			return 0, fmt.Errorf("sc: write of %s refused, and the lease cannot be read: %w", key, lerr)
		case !ok || lease.Holder != s.cfg.Name || lease.Generation != f.gen:
			s.requestDemote()
			return 0, errNotActive
		case leaseRev != f.leaseRev:
			continue // our own renewal moved the lease: try again
		}
		return 0, fmt.Errorf("sc: %s changed meanwhile: %w", key, jetstream.ErrKeyExists)
	}
	return 0, fmt.Errorf("sc: write of %s: the lease kept moving: %w", key, errNotActive)
}

// requestDemote asks the lease loop to demote this SC; it never blocks.
func (s *Server) requestDemote() {
	select {
	case s.demoteKick <- struct{}{}:
	default:
	}
}

// logFirstWrite logs the first metadata write stored after this SC became
// active: the end of a failover as writers see it.
func (s *Server) logFirstWrite(key string) {
	at := s.activeAt.Load()
	if at != 0 && s.activeAt.CompareAndSwap(at, 0) {
		s.log.Info("first metadata write as the active SC", "key", key, "after_active", time.Since(time.Unix(0, at)).Round(time.Millisecond))
	}
}
