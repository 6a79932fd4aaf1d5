package sc

import (
	"fmt"
	"slices"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
)

// Everything the SC reads from KV is checked before it is used: a value
// that fails is skipped with an error naming the key (Server.badKey), and
// the last good revision of the key is used instead when KV still has one
// (store.load). Only the SC may write the bucket when NATS auth is on, so
// a bad value means a bug, a damaged disk or an edit with 'nats kv put'.

// checkSPU rejects an SPU record the SC could not serve.
func checkSPU(key string, r *spuRecord) error {
	s := r.Spec
	switch {
	case s.ID < 0 || int64(s.ID) > bus.MaxSPUID:
		return fmt.Errorf("SPU id %d is out of range 0..%d", s.ID, int64(bus.MaxSPUID))
	case key != spuKey(s.ID):
		return fmt.Errorf("record of SPU %d under key %s", s.ID, key)
	case s.Type != bus.SPUTypeCustom && s.Type != bus.SPUTypeManaged:
		return fmt.Errorf("SPU %d: unknown type %q", s.ID, s.Type)
	case s.NKey != "" && !natsauth.ValidPublicKey(s.NKey):
		return fmt.Errorf("SPU %d: nkey %q is not an nkey user public key", s.ID, s.NKey)
	}
	if err := validateName("SPU", r.Name); err != nil {
		return fmt.Errorf("SPU %d: %s", s.ID, err.Message)
	}
	if err := validateAddr("public", s.PublicEndpoint); err != nil {
		return fmt.Errorf("SPU %d: %s", s.ID, err.Message)
	}
	if err := validateAddr("private", s.PrivateEndpoint); err != nil {
		return fmt.Errorf("SPU %d: %s", s.ID, err.Message)
	}
	return nil
}

// checkTopic rejects a topic record the SC could not serve (edited by hand
// into something inconsistent): a valid name and spec, a partition count
// and replica lists within the limits, valid distinct SPU ids, a leader
// among the replicas and an ISR within them.
func checkTopic(r *topicRecord) error {
	if err := validateName("topic", r.Name); err != nil {
		return fmt.Errorf("topic %q: %s", r.Name, err.Message)
	}
	spec := r.Spec
	if err := validateSpec(&spec); err != nil {
		return fmt.Errorf("topic %q: %s", r.Name, err.Message)
	}
	if len(r.Partitions) == 0 {
		return fmt.Errorf("topic %q has no partitions", r.Name)
	}
	if len(r.Partitions) > MaxPartitions {
		return fmt.Errorf("topic %q has %d partitions, more than %d", r.Name, len(r.Partitions), MaxPartitions)
	}
	for n, p := range r.Partitions {
		if len(p.Replicas) == 0 || len(p.Replicas) > MaxReplicas {
			return fmt.Errorf("partition %d of topic %q has %d replicas: want 1..%d", n, r.Name, len(p.Replicas), MaxReplicas)
		}
		for i, id := range p.Replicas {
			if id < 0 || int64(id) > bus.MaxSPUID {
				return fmt.Errorf("partition %d of topic %q: replica %d is not an SPU id", n, r.Name, id)
			}
			if slices.Contains(p.Replicas[:i], id) {
				return fmt.Errorf("partition %d of topic %q: SPU %d is listed twice in replicas %v", n, r.Name, id, p.Replicas)
			}
		}
		if !slices.Contains(p.Replicas, p.Leader) {
			return fmt.Errorf("partition %d of topic %q: leader %d is not among replicas %v", n, r.Name, p.Leader, p.Replicas)
		}
		if p.LeaderEpoch < 0 {
			return fmt.Errorf("partition %d of topic %q: negative leader epoch %d", n, r.Name, p.LeaderEpoch)
		}
		for _, id := range p.ISR {
			if !slices.Contains(p.Replicas, id) {
				return fmt.Errorf("partition %d of topic %q: ISR member %d is not a replica", n, r.Name, id)
			}
		}
	}
	return nil
}

// unknownReplicas lists the replicas of r that are not registered SPUs
// (nil when all are). An SPU unregistered while it held replicas leaves
// such topics behind: they are kept (the other replicas still serve) and
// logged, not dropped.
func unknownReplicas(r *topicRecord, spus map[bus.SPUID]versioned[spuRecord]) []bus.SPUID {
	var out []bus.SPUID
	for _, p := range r.Partitions {
		for _, id := range p.Replicas {
			if _, ok := spus[id]; !ok && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}
