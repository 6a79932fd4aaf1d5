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
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// KV key layout (values are JSON, readable with `nats kv get fluvio KEY`):
//
//	spu.<id>          spuRecord   an authorised SPU (custom-spu register)
//	topic.<name>      topicRecord a topic's spec and partition assignment
//	sc.generation     decimal     the last generation before SC leases (read
//	                              once, so generations keep growing)
//	sc.lease          leaseRecord the active SC (lease.go); its generation is
//	                              the high 32 bits of replica-set epochs
//	sc.fence          decimal     written with every metadata write, in the
//	                              same atomic batch (fence.go)
const (
	keySPUPrefix   = "spu."
	keyTopicPrefix = "topic."
	keyGeneration  = "sc.generation"
	keyLease       = "sc.lease"
	keyFence       = "sc.fence"
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
	Name      string        `json:"name"`
	Spec      bus.TopicSpec `json:"spec"`
	CreatedMs int64         `json:"createdMs"`
	// ID tells this incarnation of the name from one deleted before
	// (random at create; records written before it existed use CreatedMs:
	// see topicID).
	ID         int64             `json:"id,omitempty"`
	Partitions []partitionRecord `json:"partitions"`
}

// topicID is the record's incarnation id (bus.PartitionMetadata.TopicID).
func (r *topicRecord) topicID() int64 {
	if r.ID != 0 {
		return r.ID
	}
	return r.CreatedMs
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
	kv     jetstream.KeyValue
	stream jetstream.Stream // the bucket's stream, KV_<bucket>
	nc     *nats.Conn       // for the atomic batches of fence.go
	bucket string
}

// openStore creates or binds the bucket and makes sure its stream takes
// atomic batches (fence.go) and has the wanted replica count. An existing
// bucket is only updated when it differs, so SCs starting next to an
// active one never touch its stream config.
func openStore(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, bucket string, replicas int) (*store, error) {
	hint := "(does the NATS server have JetStream enabled? run it with -js)"
	kv, err := js.KeyValue(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket:      bucket,
			Description: "fluvio cluster metadata (SPUs, topics, assignments)",
			History:     5,
			Storage:     jetstream.FileStorage,
			Replicas:    replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // another SC was faster
			kv, err = js.KeyValue(ctx, bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("sc: open KV bucket %q: %w %s", bucket, err, hint)
	}
	st, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("sc: open the stream of KV bucket %q: %w %s", bucket, err, hint)
	}
	cfg := st.CachedInfo().Config
	if !cfg.AllowAtomicPublish || cfg.Replicas != replicas {
		cfg.AllowAtomicPublish, cfg.Replicas = true, replicas
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			return nil, fmt.Errorf("sc: configure KV bucket %q (atomic batches, %d replicas): %w; does the NATS server run 2.12 or later, with %d JetStream nodes?",
				bucket, replicas, err, replicas)
		}
		if st, err = js.Stream(ctx, "KV_"+bucket); err != nil {
			return nil, fmt.Errorf("sc: open the stream of KV bucket %q: %w", bucket, err)
		}
	}
	return &store{kv: kv, stream: st, nc: nc, bucket: bucket}, nil
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
	keys, err := s.keys(ctx)
	if err != nil {
		return snap, fmt.Errorf("sc: list KV keys: %w", err)
	}
	for _, key := range keys {
		switch {
		case strings.HasPrefix(key, keySPUPrefix):
			r, rev, ok, err := loadChecked(ctx, s, key, bad, func(r *spuRecord) error { return checkSPU(key, r) })
			if err != nil {
				return snap, err
			}
			if ok {
				snap.spus[r.Spec.ID] = versioned[spuRecord]{r, rev}
			}
		case strings.HasPrefix(key, keyTopicPrefix):
			r, rev, ok, err := loadChecked(ctx, s, key, bad, func(r *topicRecord) error {
				if key != topicKey(r.Name) {
					return fmt.Errorf("record of topic %q under key %s", r.Name, key)
				}
				return checkTopic(r)
			})
			if err != nil {
				return snap, err
			}
			if ok {
				snap.topics[r.Name] = versioned[topicRecord]{r, rev}
			}
		}
	}
	for name, t := range snap.topics {
		if ids := unknownReplicas(&t.rec, snap.spus); len(ids) > 0 {
			bad(topicKey(name), fmt.Errorf("kept, but replicas %v are not registered SPUs (unregistered while holding replicas?)", ids))
		}
	}
	return snap, nil
}

// loadChecked reads key and checks it. A value that does not decode or
// check is reported to bad and skipped; the newest earlier revision that
// does (the bucket keeps a few) is used instead, if any. ok is false when
// the key is gone or has no good revision; err is a KV failure.
func loadChecked[T any](ctx context.Context, s *store, key string, bad func(string, error), check func(*T) error) (rec T, rev uint64, ok bool, err error) {
	// The common case: the current value is good (one direct get).
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rec, 0, false, nil
	}
	if err != nil {
		return rec, 0, false, fmt.Errorf("sc: read KV key %s: %w", key, err)
	}
	if json.Unmarshal(e.Value(), &rec) == nil && check(&rec) == nil {
		return rec, e.Revision(), true, nil
	}
	rec = *new(T)
	// A bad value: look for the last good one in the key's history.
	entries, err := s.kv.History(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return rec, 0, false, nil
	}
	if err != nil {
		return rec, 0, false, fmt.Errorf("sc: read KV key %s: %w", key, err)
	}
	if len(entries) == 0 || entries[len(entries)-1].Operation() != jetstream.KeyValuePut {
		return rec, 0, false, nil // deleted or purged
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Operation() != jetstream.KeyValuePut {
			break // never resurrect a value from before a delete
		}
		var r T
		cerr := json.Unmarshal(e.Value(), &r)
		if cerr != nil {
			cerr = fmt.Errorf("decode: %w", cerr)
		} else {
			cerr = check(&r)
		}
		if cerr == nil {
			if i != len(entries)-1 {
				bad(key, fmt.Errorf("using revision %d instead, the last good one", e.Revision()))
			}
			// The latest revision stays the CAS base: writes replace the bad value.
			return r, entries[len(entries)-1].Revision(), true, nil
		}
		bad(key, fmt.Errorf("revision %d skipped: %w", e.Revision(), cerr))
	}
	return rec, 0, false, nil
}

// keys lists the bucket's keys (deleted ones included: their Get says
// not found) from the subjects of its stream, one server-side snapshot.
// kv.Keys is not used: it stops after as many messages as were pending
// when it started, so keys written during the listing (the lease and the
// fence are written all the time) make it end early and leave out the
// last keys: a resync then dropped a topic, published full replica sets
// without it, and every SPU deleted its replicas (acknowledged records
// lost, seen by the chaos suite).
func (s *store) keys(ctx context.Context) ([]string, error) {
	prefix := "$KV." + s.bucket + "."
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		keys = append(keys, strings.TrimPrefix(subj, prefix))
	}
	slices.Sort(keys)
	return keys, nil
}

// errUndecodable marks a KV value that is not the JSON the SC wrote.
var errUndecodable = errors.New("undecodable value")

// get reads key into v and returns its revision.
func (s *store) get(ctx context.Context, key string, v any) (uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("decode KV key %s: %w: %w", key, errUndecodable, err)
	}
	return e.Revision(), nil
}

// isConflict reports whether err is a failed create or CAS.
func isConflict(err error) bool {
	return errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch)
}

// errDeposed answers a write that this SC can no longer make.
var errDeposed = bus.ErrUnavailable.With("this SC lost its lease to another SC while handling the request",
	"retry: the active SC answers it; 'fluvio cluster status' shows which SC is active")

// storeError turns a KV failure into a bus error for the requester.
func storeError(op string, err error) *bus.Error {
	if errors.Is(err, errNotActive) {
		return errDeposed
	}
	return bus.ErrStore.With(fmt.Sprintf("%s: %v", op, err), "")
}
