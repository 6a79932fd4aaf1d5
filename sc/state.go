package sc

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// state is the SC's memory: a copy of the KV records (rebuilt from KV at
// start and at every resync) plus what lives only in memory: liveness,
// replica reports and replica-set epochs. All fields are guarded by mu.
type state struct {
	mu     sync.Mutex
	gen    int64 // SC generation (high 32 bits of epochs)
	spus   map[bus.SPUID]*spuEntry
	topics map[string]*topicEntry
	// clients are the client identities sent with every full replica
	// set (SPUs check clients' hellos against them); set once at Start.
	clients []bus.ClientKey
	// changed is closed, and replaced, when replica reports or topics
	// change (notifyLocked): topic creates that wait (topicwait.go) look
	// again.
	changed chan struct{}
}

// spuEntry is one registered SPU.
type spuEntry struct {
	rec spuRecord
	rev uint64

	// liveness (memory only)
	online      bool
	lastBeat    time.Time
	incarnation string
	version     string
	reports     map[bus.PartitionID]bus.ReplicaStatus

	// replica-set push (memory only)
	seq      int64     // last epoch's low 32 bits
	sent     int64     // epoch of the last set sent
	sentAt   time.Time // when it was sent
	applied  int64     // epoch the SPU says it applied
	fullSent bool      // a full set went out in this session
}

// topicEntry is one topic.
type topicEntry struct {
	rec topicRecord
	rev uint64
}

func newState() *state {
	return &state{spus: map[bus.SPUID]*spuEntry{}, topics: map[string]*topicEntry{}, changed: make(chan struct{})}
}

// notifyLocked wakes everyone waiting on changed. Caller holds mu.
func (st *state) notifyLocked() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// nextEpoch returns the next replica-set epoch for e. Epochs increase
// across SC restarts because the generation does. Caller holds mu.
func (st *state) nextEpoch(e *spuEntry) int64 {
	e.seq++
	return st.gen<<32 | e.seq
}

// replace installs a snapshot from KV, keeping memory-only fields of SPUs
// that are still registered. Caller holds mu.
func (st *state) replace(snap snapshot) {
	spus := make(map[bus.SPUID]*spuEntry, len(snap.spus))
	for id, v := range snap.spus {
		e := st.spus[id]
		if e == nil {
			e = &spuEntry{}
		}
		e.rec, e.rev = v.rec, v.rev
		spus[id] = e
	}
	st.spus = spus
	topics := make(map[string]*topicEntry, len(snap.topics))
	for name, v := range snap.topics {
		topics[name] = &topicEntry{rec: v.rec, rev: v.rev}
	}
	st.topics = topics
	st.notifyLocked()
}

// spuByName finds an SPU by name. Caller holds mu.
func (st *state) spuByName(name string) *spuEntry {
	for _, e := range st.spus {
		if e.rec.Name == name {
			return e
		}
	}
	return nil
}

// sortedSPUs returns the SPU ids in order. Caller holds mu.
func (st *state) sortedSPUs() []bus.SPUID {
	ids := make([]bus.SPUID, 0, len(st.spus))
	for id := range st.spus {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// sortedTopics returns the topic names in order. Caller holds mu.
func (st *state) sortedTopics() []string {
	names := make([]string, 0, len(st.topics))
	for n := range st.topics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sortedTopicsOf lists the system topics (system) or the users' topics by
// name. Caller holds mu.
func (st *state) sortedTopicsOf(system bool) []string {
	var names []string
	for _, n := range st.sortedTopics() {
		if st.topics[n].rec.Spec.System == system {
			names = append(names, n)
		}
	}
	return names
}

// corrupt reports whether online SPU id's last heartbeat says its replica
// of pid is corrupt (its log did not open). Caller holds mu.
func (st *state) corrupt(id bus.SPUID, pid bus.PartitionID) bool {
	e := st.spus[id]
	return e != nil && e.online && e.reports[pid].Corrupt != ""
}

// online reports whether SPU id is online. Caller holds mu.
func (st *state) online(id bus.SPUID) bool {
	e := st.spus[id]
	return e != nil && e.online
}

// load counts the replicas each SPU holds. Caller holds mu.
func (st *state) load() map[int32]int {
	load := map[int32]int{}
	for _, t := range st.topics {
		for _, p := range t.rec.Partitions {
			for _, r := range p.Replicas {
				load[r]++
			}
		}
	}
	return load
}

// replicaSpec builds the desired state of one partition replica.
func replicaSpec(t *topicRecord, n int) bus.ReplicaSpec {
	p := t.Partitions[n]
	return bus.ReplicaSpec{
		PartitionID: bus.PartitionID{Topic: t.Name, Partition: int32(n)},
		Leader:      p.Leader,
		Replicas:    slices.Clone(p.Replicas),
		ISR:         slices.Clone(p.ISR),
		LeaderEpoch: p.LeaderEpoch,
		Config:      t.Spec,
	}
}

// replicasOf lists every replica SPU id should hold, ordered by topic and
// partition. Caller holds mu.
func (st *state) replicasOf(id bus.SPUID) []bus.ReplicaSpec {
	out := []bus.ReplicaSpec{}
	for _, name := range st.sortedTopics() {
		t := st.topics[name]
		for n, p := range t.rec.Partitions {
			if slices.Contains(p.Replicas, id) {
				out = append(out, replicaSpec(&t.rec, n))
			}
		}
	}
	return out
}

// fullSet builds SPU e's full replica set with a new epoch and records it
// as sent. Caller holds mu.
func (st *state) fullSet(e *spuEntry, now time.Time) bus.ReplicaSet {
	set := bus.ReplicaSet{
		Type:     bus.ReplicaSetType,
		SPU:      e.rec.Spec.ID,
		Epoch:    st.nextEpoch(e),
		Full:     true,
		Replicas: st.replicasOf(e.rec.Spec.ID),
		Clients:  st.clients,
	}
	set.Peers = st.peers(set.Replicas)
	e.sent, e.sentAt, e.fullSent = set.Epoch, now, true
	return set
}

// changeSet builds a change set for SPU e with a new epoch. Caller holds mu.
func (st *state) changeSet(e *spuEntry, now time.Time, add []bus.ReplicaSpec, removed []bus.PartitionID) bus.ReplicaSet {
	set := bus.ReplicaSet{
		Type:     bus.ReplicaSetType,
		SPU:      e.rec.Spec.ID,
		Epoch:    st.nextEpoch(e),
		Replicas: add,
		Removed:  removed,
	}
	if set.Replicas == nil {
		set.Replicas = []bus.ReplicaSpec{}
	}
	set.Peers = st.peers(set.Replicas)
	e.sent, e.sentAt = set.Epoch, now
	return set
}

// peers lists the private addresses of the SPUs named in specs. Caller
// holds mu.
func (st *state) peers(specs []bus.ReplicaSpec) []bus.PeerEndpoint {
	var ids []bus.SPUID
	for _, r := range specs {
		ids = append(ids, r.Replicas...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]bus.PeerEndpoint, 0, len(ids))
	for _, id := range ids {
		if e := st.spus[id]; e != nil {
			out = append(out, bus.PeerEndpoint{ID: id, Private: e.rec.Spec.PrivateEndpoint, NKey: e.rec.Spec.NKey})
		}
	}
	return out
}

// view renders an SPU for the admin API. Caller holds mu.
func (e *spuEntry) view() bus.SPU {
	s := bus.SPU{Name: e.rec.Name, Spec: e.rec.Spec, Status: bus.SPUStatus{Resolution: bus.SPUOffline}}
	if e.online {
		s.Status.Resolution = bus.SPUOnline
	}
	if !e.lastBeat.IsZero() {
		s.Status.LastHeartbeatMs = e.lastBeat.UnixMilli()
	}
	s.Status.Incarnation = e.incarnation
	s.Status.Version = e.version
	return s
}

// topicView renders a topic for the admin API. Caller holds mu.
func (st *state) topicView(t *topicEntry) bus.Topic {
	v := bus.Topic{Name: t.rec.Name, Spec: t.rec.Spec, Status: bus.TopicStatus{
		Resolution: bus.TopicProvisioned,
		ReplicaMap: map[int32][]bus.SPUID{},
		CreatedMs:  t.rec.CreatedMs,
		ID:         t.rec.topicID(),
	}}
	for n := range t.rec.Partitions {
		v.Status.ReplicaMap[int32(n)] = slices.Clone(t.rec.Partitions[n].Replicas)
		v.Status.Partitions = append(v.Status.Partitions, st.partitionView(&t.rec, n))
	}
	if reason := st.pendingReason(t, 0); reason != "" {
		v.Status.Resolution = bus.TopicPending
		v.Status.Reason = reason
	}
	return v
}

// pendingReason says why partitions from..end of t cannot take a produce
// yet (their leaders offline, or not yet reporting the replicas), "" when
// they all can. Caller holds mu.
func (st *state) pendingReason(t *topicEntry, from int) string {
	var offline, provisioning []bus.SPUID
	for n, p := range t.rec.Partitions {
		if n < from {
			continue
		}
		switch {
		case !st.online(p.Leader):
			if !slices.Contains(offline, p.Leader) {
				offline = append(offline, p.Leader)
			}
		case !st.leaderReady(t.rec.Name, n, p):
			if !slices.Contains(provisioning, p.Leader) {
				provisioning = append(provisioning, p.Leader)
			}
		}
	}
	switch {
	case len(offline) > 0:
		return "leader SPU offline: " + joinIDs(offline)
	case len(provisioning) > 0:
		return "leader SPU has not yet reported its replicas: " + joinIDs(provisioning)
	}
	return ""
}

// leaderReady reports whether partition n's leader SPU has reported, in
// a heartbeat, that it holds the replica as leader at the partition's
// current leader epoch without error: only then can it take produce and
// fetch requests. Before that the partition is PartitionProvisioning,
// however online the SPU is. Caller holds mu.
func (st *state) leaderReady(topic string, n int, p partitionRecord) bool {
	e := st.spus[p.Leader]
	if e == nil || !e.online {
		return false
	}
	r, ok := e.reports[bus.PartitionID{Topic: topic, Partition: int32(n)}]
	return ok && r.Role == "leader" && r.LeaderEpoch >= p.LeaderEpoch && r.Error == ""
}

// partitionView renders one partition for the admin API. Caller holds mu.
func (st *state) partitionView(t *topicRecord, n int) bus.Partition {
	p := t.Partitions[n]
	id := bus.PartitionID{Topic: t.Name, Partition: int32(n)}
	v := bus.Partition{
		Name: partitionName(t.Name, n),
		Spec: bus.PartitionSpec{Topic: t.Name, Partition: int32(n), Leader: p.Leader,
			Replicas: slices.Clone(p.Replicas), LeaderEpoch: p.LeaderEpoch},
		Status: bus.PartitionStatus{Resolution: bus.PartitionLeaderOffline, ISR: slices.Clone(p.ISR),
			HW: -1, LEO: -1, Size: -1, Replicas: []bus.ReplicaReport{}},
	}
	switch {
	case st.leaderReady(t.Name, n, p):
		v.Status.Resolution = bus.PartitionOnline
	case st.corrupt(p.Leader, id):
		v.Status.Resolution = bus.PartitionCorrupt
	case st.online(p.Leader):
		v.Status.Resolution = bus.PartitionProvisioning
	}
	for _, r := range p.Replicas {
		rep := bus.ReplicaReport{SPU: r, LEO: -1, HW: -1, Size: -1}
		if e := st.spus[r]; e != nil {
			rep.Online = e.online
			if s, ok := e.reports[id]; ok {
				rep.Role, rep.LEO, rep.HW, rep.Size, rep.Error = s.Role, s.LEO, s.HW, s.Size, s.Error
				rep.Corrupt = s.Corrupt
				rep.ReportedAt = e.lastBeat.UTC() // the heartbeat that carried it
				if r == p.Leader {
					v.Status.HW, v.Status.LEO, v.Status.Size = s.HW, s.LEO, s.Size
					v.Status.ReportedAt = rep.ReportedAt
				}
			}
		}
		v.Status.Replicas = append(v.Status.Replicas, rep)
	}
	return v
}
