package fetcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// Key names a partition.
type Key struct {
	Topic     string
	Partition int32
}

func (k Key) String() string { return fmt.Sprintf("%s-%d", k.Topic, k.Partition) }

// Config configures a Manager.
type Config struct {
	// Self is this SPU's id, sent as the fetch's replica id.
	Self int32
	// MaxWait is the long poll of each fetch; default 500 ms.
	MaxWait time.Duration
	// PartitionMaxBytes bounds one partition's records per fetch; default 1 MiB.
	PartitionMaxBytes int32
	// Dial opens a connection to leader's private server at addr (and
	// proves this SPU's identity there, wire SPUAuth); default wire.Dial.
	Dial func(ctx context.Context, leader int32, addr string) (*wire.Conn, error)
	// Logger receives connection and truncation events; nil discards.
	Logger *slog.Logger
	// Sequential makes every worker fetch one request at a time, its fetch
	// offsets reporting its progress, as it does with a leader that does
	// not serve FollowerProgress; false pipelines with leaders that do.
	Sequential bool
}

// Manager runs the follower side of replication: one worker goroutine per
// source (leader SPU and address) fetching every partition this SPU
// follows from it over one connection. Workers exist only while they have
// partitions. Safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger
	wg  sync.WaitGroup

	mu      sync.Mutex
	workers map[source]*worker
	parts   map[Key]*worker
	closed  bool
}

type source struct {
	leader int32
	addr   string
}

// New returns a Manager with no partitions.
func New(cfg Config) *Manager {
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 500 * time.Millisecond
	}
	if cfg.PartitionMaxBytes <= 0 {
		cfg.PartitionMaxBytes = 1 << 20
	}
	if cfg.Dial == nil {
		cfg.Dial = func(ctx context.Context, _ int32, addr string) (*wire.Conn, error) { return wire.Dial(ctx, addr) }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{cfg: cfg, log: cfg.Logger, workers: map[source]*worker{}, parts: map[Key]*worker{}}
}

// Follow makes r (a follower replica) fetch from leader at addr (its
// private server), reconciling its log by epoch first (KIP-101). Calling
// it again for the same partition (new epoch or leader) moves it and
// reconciles again. An empty addr parks the partition until a later
// Follow gives one. ctx bounds the worker (with Close).
func (m *Manager) Follow(ctx context.Context, topic string, partition int32, r *replica.Replica, leader int32, addr string) {
	k := Key{topic, partition}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	if old, ok := m.parts[k]; ok {
		old.remove(k)
		delete(m.parts, k)
	}
	if addr == "" {
		return
	}
	src := source{leader, addr}
	w, ok := m.workers[src]
	if ok && w.alive() {
		w.add(k, r)
		m.parts[k] = w
		return
	}
	w = newWorker(m, src)
	w.add(k, r) // before it runs: a worker without partitions exits
	m.workers[src] = w
	m.parts[k] = w
	wctx, cancel := context.WithCancel(ctx)
	w.cancel = cancel
	m.wg.Go(func() { w.run(wctx) })
}

// Remove stops fetching the partition.
func (m *Manager) Remove(topic string, partition int32) {
	k := Key{topic, partition}
	m.mu.Lock()
	defer m.mu.Unlock()
	if w, ok := m.parts[k]; ok {
		w.remove(k)
		delete(m.parts, k)
	}
}

// Following reports the source a partition fetches from (for tests).
func (m *Manager) Following(topic string, partition int32) (leader int32, addr string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.parts[Key{topic, partition}]
	if !ok {
		return -1, "", false
	}
	return w.src.leader, w.src.addr, true
}

// Close stops every worker and waits for them.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	for _, w := range m.workers {
		w.cancel()
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// workerDone drops a worker that stopped.
func (m *Manager) workerDone(w *worker) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.workers[w.src] == w {
		delete(m.workers, w.src)
	}
}

// fetchPart is one partition a worker fetches.
type fetchPart struct {
	r         *replica.Replica
	epoch     int32 // the epoch reconciled for; -2: needs reconciling
	backoffTo time.Time
}

const needsReconcile = -2

// worker fetches the partitions of one source over one connection.
type worker struct {
	m      *Manager
	src    source
	cancel context.CancelFunc

	mu    sync.Mutex
	parts map[Key]*fetchPart
	done  bool
}

func newWorker(m *Manager, src source) *worker {
	return &worker{m: m, src: src, parts: map[Key]*fetchPart{}}
}

func (w *worker) alive() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.done
}

func (w *worker) add(k Key, r *replica.Replica) {
	w.mu.Lock()
	w.parts[k] = &fetchPart{r: r, epoch: needsReconcile}
	w.mu.Unlock()
}

func (w *worker) remove(k Key) {
	w.mu.Lock()
	delete(w.parts, k)
	empty := len(w.parts) == 0
	if empty {
		w.done = true // a later Follow starts a new worker
	}
	w.mu.Unlock()
	if empty {
		w.cancel()
	}
}

// snapshot returns the partitions to work on now, and whether any exist.
func (w *worker) snapshot(now time.Time) (map[Key]*fetchPart, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[Key]*fetchPart, len(w.parts))
	for k, p := range w.parts {
		if now.After(p.backoffTo) {
			out[k] = p
		}
	}
	return out, len(w.parts) > 0
}

func (w *worker) setEpoch(k Key, p *fetchPart, epoch int32, backoff time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.parts[k] == p {
		p.epoch = epoch
		if backoff > 0 {
			p.backoffTo = time.Now().Add(backoff)
		}
	}
}

// run is the worker's loop: dial, reconcile, fetch, append; until ctx is
// done or it has no partitions left.
func (w *worker) run(ctx context.Context) {
	defer w.m.workerDone(w)
	defer func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	}()
	log := w.m.log.With("leader", w.src.leader, "addr", w.src.addr)
	var conn *wire.Conn
	pipelined := false
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	backoff := 50 * time.Millisecond
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	for ctx.Err() == nil {
		parts, any := w.snapshot(time.Now())
		if !any {
			return
		}
		if len(parts) == 0 {
			if !sleep(50 * time.Millisecond) {
				return
			}
			continue
		}
		if conn == nil || conn.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			c, err := w.m.cfg.Dial(dctx, w.src.leader, w.src.addr)
			cancel()
			if err != nil {
				conn = nil
				log.Warn("cannot reach the leader's private server; retrying", "err", err, "in", backoff)
				if !sleep(backoff) {
					return
				}
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			pipelined = false
			if !w.m.cfg.Sequential {
				if pipelined, err = leaderTakesProgress(ctx, c); err != nil {
					c.Close()
					log.Warn("cannot ask the leader for its API versions; retrying", "err", err, "in", backoff)
					if !sleep(backoff) {
						return
					}
					backoff = min(2*backoff, 2*time.Second)
					continue
				}
			}
			conn, backoff = c, 50*time.Millisecond
		}
		if pipelined {
			if err := w.pipeline(ctx, conn, log); err != nil && ctx.Err() == nil {
				log.Warn("fetch failed", "err", err)
				conn.Close()
				conn = nil
				sleep(backoff)
			}
			continue
		}
		if err := w.reconcile(ctx, conn, parts, log); err != nil {
			if ctx.Err() == nil {
				log.Warn("epoch query failed", "err", err)
				conn.Close()
				conn = nil
				sleep(backoff)
			}
			continue
		}
		if err := w.fetchFromLeader(ctx, conn, parts, log); err != nil {
			if ctx.Err() == nil {
				log.Warn("fetch failed", "err", err)
				conn.Close()
				conn = nil
				sleep(backoff)
			}
		}
	}
}

// reconcile asks the leader where each unreconciled partition's latest
// epoch ended and truncates there (KIP-101).
func (w *worker) reconcile(ctx context.Context, conn *wire.Conn, parts map[Key]*fetchPart, log *slog.Logger) error {
	req := &wire.EpochEndOffsetRequest{ReplicaID: w.m.cfg.Self}
	type asked struct {
		k     Key
		p     *fetchPart
		epoch int32 // the follower's epoch when asking
		asked int32
	}
	var pending []asked
	for k, p := range parts {
		v, ok := p.r.View()
		if !ok || v.Leader != w.src.leader {
			delete(parts, k)
			continue
		}
		if p.epoch == v.Epoch {
			continue
		}
		pending = append(pending, asked{k, p, v.Epoch, v.LatestEpoch})
		req.Partitions = append(req.Partitions, wire.EpochPartition{Topic: k.Topic, Partition: k.Partition,
			LeaderEpoch: v.LatestEpoch, CurrentLeaderEpoch: v.Epoch})
	}
	if len(pending) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := conn.EpochEndOffset(ctx, req)
	if err != nil {
		return err
	}
	if len(resp.Partitions) != len(pending) {
		return fmt.Errorf("epoch answer has %d partitions, asked %d", len(resp.Partitions), len(pending))
	}
	for i, a := range pending {
		pr := resp.Partitions[i]
		if err := pr.Err(); err != nil {
			// The leader does not lead (yet) under our epoch: wait for it
			// or for a new assignment.
			log.Debug("leader refused the epoch query", "partition", a.k, "err", err)
			delete(parts, a.k)
			w.setEpoch(a.k, a.p, needsReconcile, 200*time.Millisecond)
			continue
		}
		leo, err := a.p.r.Reconcile(a.epoch, a.asked, pr.LeaderEpoch, pr.EndOffset)
		if err != nil {
			delete(parts, a.k)
			if !errors.Is(err, replica.ErrRoleChanged) {
				log.Error("truncation failed", "partition", a.k, "err", err)
				w.setEpoch(a.k, a.p, needsReconcile, time.Second)
			}
			continue
		}
		log.Debug("reconciled", "partition", a.k, "leo", leo, "epoch", a.epoch)
		w.setEpoch(a.k, a.p, a.epoch, 0)
	}
	return nil
}

// fetchFromLeader does one long-poll fetch of every reconciled partition and
// appends what comes back.
func (w *worker) fetchFromLeader(ctx context.Context, conn *wire.Conn, parts map[Key]*fetchPart, log *slog.Logger) error {
	cfg := w.m.cfg
	req := &wire.FetchRequest{ReplicaID: cfg.Self, MaxWaitMs: int32(cfg.MaxWait / time.Millisecond), MinBytes: 1,
		MaxBytes: 16 << 20}
	type want struct {
		k     Key
		p     *fetchPart
		epoch int32
		leo   int64
	}
	var wants []want
	for k, p := range parts {
		v, ok := p.r.View()
		if !ok || v.Leader != w.src.leader || p.epoch != v.Epoch {
			continue
		}
		wants = append(wants, want{k, p, v.Epoch, v.LEO})
		req.Partitions = append(req.Partitions, wire.FetchPartition{Topic: k.Topic, Partition: k.Partition,
			Offset: v.LEO, MaxBytes: cfg.PartitionMaxBytes, CurrentLeaderEpoch: v.Epoch})
	}
	if len(wants) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.MaxWait+10*time.Second)
	defer cancel()
	resp, err := conn.Fetch(ctx, req)
	if err != nil {
		return err
	}
	if len(resp.Partitions) != len(wants) {
		return fmt.Errorf("fetch answer has %d partitions, asked %d", len(resp.Partitions), len(wants))
	}
	for i, wt := range wants {
		pr := &resp.Partitions[i]
		if !w.handleFetchError(wt.k, wt.p, wt.epoch, wt.leo, pr, log) {
			continue
		}
		records, err := skipBefore(pr.Records, wt.leo)
		if err != nil {
			log.Warn("bad batches from the leader; reconciling again", "partition", wt.k, "err", err)
			w.setEpoch(wt.k, wt.p, needsReconcile, 200*time.Millisecond)
			continue
		}
		w.appendFetched(wt.k, wt.p, wt.epoch, records, pr, log)
	}
	return nil
}

// appendFetched appends records fetched for partition k under epoch,
// with the leader's HW, and follows the leader's log start. A failed
// append (other than a role change) sends the partition back to
// reconciling.
func (w *worker) appendFetched(k Key, p *fetchPart, epoch int32, records []byte, pr *wire.FetchPartitionResponse, log *slog.Logger) {
	if err := p.r.AppendFromLeader(epoch, records, pr.HighWatermark); err != nil {
		if !errors.Is(err, replica.ErrRoleChanged) {
			log.Warn("appending from the leader failed; reconciling again", "partition", k, "err", err)
			w.setEpoch(k, p, needsReconcile, 200*time.Millisecond)
		}
		return
	}
	followLogStart(k, p, pr.LogStartOffset, log)
}

// followLogStart follows the leader's log start (Kafka's follower log
// start offset): the follower's whole segments below it and below its own
// HW go, so a leader that frees its log with snapshots (the
// consumer-offset topic, spu/offsets.go) frees its followers' too. Cheap
// when there is nothing to delete.
func followLogStart(k Key, p *fetchPart, leaderStart int64, log *slog.Logger) {
	l := p.r.Log()
	if leaderStart <= l.StartOffset() {
		return
	}
	if _, err := l.DeleteBefore(min(leaderStart, p.r.Offsets().HW)); err != nil {
		log.Warn("cannot delete the segments below the leader's log start", "partition", k, "err", err)
	}
}

// handleFetchError acts on a partition's fetch error (offset: where the
// fetch read from) and reports whether the answer holds records to
// append: out of range below the leader's log start restarts the log
// there; any other error sends the partition back to reconciling.
func (w *worker) handleFetchError(k Key, p *fetchPart, epoch int32, offset int64, pr *wire.FetchPartitionResponse, log *slog.Logger) bool {
	switch pr.ErrorCode {
	case wire.None:
		return true
	case wire.OffsetOutOfRange:
		if pr.LogStartOffset > offset {
			// Retention on the leader passed this follower's end: the
			// log restarts empty at the leader's start (Kafka's
			// truncate-fully-and-start-at) and fetches on from there.
			if err := p.r.ResetTo(epoch, pr.LogStartOffset); err != nil && !errors.Is(err, replica.ErrRoleChanged) {
				log.Warn("follower below the leader's log start: cannot restart its log there; retrying", "partition", k,
					"follower_end", offset, "leader_start", pr.LogStartOffset, "err", err)
				w.setEpoch(k, p, needsReconcile, time.Second)
			}
			return false
		}
		log.Info("fetch offset out of range; reconciling again", "partition", k, "offset", offset, "err", pr.Err())
		w.setEpoch(k, p, needsReconcile, 100*time.Millisecond)
	case wire.CorruptBatch:
		w.setEpoch(k, p, needsReconcile, 200*time.Millisecond)
	default:
		log.Debug("leader refused the fetch", "partition", k, "err", pr.Err())
		w.setEpoch(k, p, needsReconcile, 200*time.Millisecond)
	}
	return false
}

// skipBefore drops whole batches that end before offset (a read may start
// with the batch holding it); a batch straddling offset is an error.
func skipBefore(records []byte, offset int64) ([]byte, error) {
	for len(records) > 0 {
		n, err := batch.Validate(records)
		if err != nil {
			return nil, err
		}
		if batch.NextOffset(records) > offset {
			if batch.BaseOffset(records) != offset {
				return nil, fmt.Errorf("batch [%d, %d] straddles the fetch offset %d",
					batch.BaseOffset(records), batch.LastOffset(records), offset)
			}
			return records, nil
		}
		records = records[n:]
	}
	return records, nil
}
