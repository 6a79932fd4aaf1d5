package sc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/nats-io/nats.go/jetstream"
)

// KV key layout (values are JSON, readable with `nats kv get fluvio KEY`):
//
//	spu.<id>          spuRecord   an authorised SPU (custom-spu register)
//	topic.<name>      topicRecord a topic's spec and partition assignment
//	sc.generation     decimal     bumped at every SC start; the high 32 bits
//	                              of replica-set epochs
const (
	keySPUPrefix   = "spu."
	keyTopicPrefix = "topic."
	keyGeneration  = "sc.generation"
)

func spuKey(id bus.SPUID) string  { return keySPUPrefix + strconv.Itoa(int(id)) }
func topicKey(name string) string { return keyTopicPrefix + name }

// spuRecord is what KV holds for an SPU.
type spuRecord struct {
	Name      string      `json:"name"`
	Spec      bus.SPUSpec `json:"spec"`
	CreatedMs int64       `json:"createdMs"`
	// StorageID is the identity of the SPU's data directory, as it last
	// said hello (empty until then): see adoptStorage.
	StorageID string `json:"storageId,omitempty"`
}

// topicRecord is what KV holds for a topic: spec and assignment in one key,
// so that a create is atomic and an ISR or leader change is one CAS.
type topicRecord struct {
	Name       string            `json:"name"`
	Spec       bus.TopicSpec     `json:"spec"`
	CreatedMs  int64             `json:"createdMs"`
	Partitions []partitionRecord `json:"partitions"`
}

// partitionRecord is one partition's assignment.
type partitionRecord struct {
	Replicas    []bus.SPUID `json:"replicas"`
	Leader      bus.SPUID   `json:"leader"`
	LeaderEpoch int32       `json:"leaderEpoch"`
	ISR         []bus.SPUID `json:"isr"`
}

// store wraps the KV bucket. Its methods are safe for concurrent use; each
// bounds its call with the configured timeout.
type store struct {
	kv jetstream.KeyValue
}

// openStore creates or binds the bucket.
func openStore(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*store, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "fluvio cluster metadata (SPUs, topics, assignments)",
		History:     5,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("sc: open KV bucket %q: %w (does the NATS server have JetStream enabled? run it with -js)", bucket, err)
	}
	return &store{kv: kv}, nil
}

// snapshot is everything the bucket holds.
type snapshot struct {
	spus   map[bus.SPUID]versioned[spuRecord]
	topics map[string]versioned[topicRecord]
}

type versioned[T any] struct {
	rec T
	rev uint64
}

// load reads every key. Undecodable values are reported to bad and skipped,
// so one corrupt key does not stop the SC.
func (s *store) load(ctx context.Context, bad func(key string, err error)) (snapshot, error) {
	snap := snapshot{spus: map[bus.SPUID]versioned[spuRecord]{}, topics: map[string]versioned[topicRecord]{}}
	keys, err := s.kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return snap, nil
	}
	if err != nil {
		return snap, fmt.Errorf("sc: list KV keys: %w", err)
	}
	for _, key := range keys {
		switch {
		case strings.HasPrefix(key, keySPUPrefix):
			var r spuRecord
			rev, err := s.get(ctx, key, &r)
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				continue
			}
			if err == nil && key != spuKey(r.Spec.ID) {
				err = fmt.Errorf("record of SPU %d under key %s", r.Spec.ID, key)
			}
			if err != nil {
				bad(key, err)
				continue
			}
			snap.spus[r.Spec.ID] = versioned[spuRecord]{r, rev}
		case strings.HasPrefix(key, keyTopicPrefix):
			var r topicRecord
			rev, err := s.get(ctx, key, &r)
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				continue
			}
			if err == nil && key != topicKey(r.Name) {
				err = fmt.Errorf("record of topic %q under key %s", r.Name, key)
			}
			if err == nil {
				err = checkTopic(&r)
			}
			if err != nil {
				bad(key, err)
				continue
			}
			snap.topics[r.Name] = versioned[topicRecord]{r, rev}
		}
	}
	return snap, nil
}

// get reads key into v and returns its revision.
func (s *store) get(ctx context.Context, key string, v any) (uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("decode KV key %s: %w", key, err)
	}
	return e.Revision(), nil
}

// create writes key only if it does not exist (jetstream.ErrKeyExists).
func (s *store) create(ctx context.Context, key string, v any) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return s.kv.Create(ctx, key, b)
}

// update writes key only if its revision is still rev
// (jetstream.ErrKeyExists / ErrKeyRevisionMismatch otherwise).
func (s *store) update(ctx context.Context, key string, v any, rev uint64) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	return s.kv.Update(ctx, key, b, rev)
}

// delete removes key only if its revision is still rev.
func (s *store) delete(ctx context.Context, key string, rev uint64) error {
	return s.kv.Delete(ctx, key, jetstream.LastRevision(rev))
}

// bumpGeneration increments sc.generation with CAS and returns the new value.
func (s *store) bumpGeneration(ctx context.Context) (int64, error) {
	for range 10 {
		e, err := s.kv.Get(ctx, keyGeneration)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err := s.kv.Create(ctx, keyGeneration, []byte("1")); err == nil {
				return 1, nil
			} else if !isConflict(err) {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		g, err := strconv.ParseInt(string(e.Value()), 10, 64)
		if err != nil || g < 0 {
			g = 0
		}
		g++
		if _, err := s.kv.Update(ctx, keyGeneration, []byte(strconv.FormatInt(g, 10)), e.Revision()); err == nil {
			return g, nil
		} else if !isConflict(err) {
			return 0, err
		}
	}
	return 0, errors.New("sc: too many concurrent SC starts bumping sc.generation")
}

// isConflict reports whether err is a failed create or CAS.
func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// storeError turns a KV failure into a bus error for the requester.
func storeError(op string, err error) *bus.Error {
	return bus.ErrStore.With(fmt.Sprintf("%s: %v", op, err), "")
}

// checkTopic rejects a topic record the SC could not serve (edited by hand
// into something inconsistent): every partition needs replicas, a leader
// among them and an ISR within them.
func checkTopic(r *topicRecord) error {
	if len(r.Partitions) == 0 {
		return fmt.Errorf("topic %q has no partitions", r.Name)
	}
	for n, p := range r.Partitions {
		if len(p.Replicas) == 0 || !slices.Contains(p.Replicas, p.Leader) {
			return fmt.Errorf("partition %d of topic %q: leader %d is not among replicas %v", n, r.Name, p.Leader, p.Replicas)
		}
		for _, id := range p.ISR {
			if !slices.Contains(p.Replicas, id) {
				return fmt.Errorf("partition %d of topic %q: ISR member %d is not a replica", n, r.Name, id)
			}
		}
	}
	return nil
}
