package spu

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/spu/fetcher"
	"github.com/fluvio-go/fluvio/spu/replica"
	"github.com/fluvio-go/fluvio/wire"
)

// Data-plane tunables (no flags yet).
const (
	// maxFetchWait caps a fetch's long poll.
	maxFetchWait = 30 * time.Second
	// defaultFetchPartitionBytes is a partition's share when a fetch asks
	// for 0 bytes.
	defaultFetchPartitionBytes = 1 << 20
	// maxFetchBytes caps a whole fetch response's records.
	maxFetchBytes = 32 << 20
	// isrCheckInterval is how often leaders look for lagging followers.
	isrCheckInterval = 500 * time.Millisecond
	// hwCheckpointInterval is how often the HWs that moved are written
	// (two fsyncs per partition each time; Kafka's
	// replica.high.watermark.checkpoint.interval.ms). Close writes them
	// too.
	hwCheckpointInterval = 5 * time.Second
	// retentionInterval is how often retention runs over every replica.
	retentionInterval = time.Minute
	// followerFetchWait is the followers' long poll on their leaders.
	followerFetchWait = 500 * time.Millisecond
)

// ISRProposer sends an ISR change to the SC (fluvio.spu.<id>.isr) and
// returns once the SC has stored it (nil) or refused it.
type ISRProposer func(ctx context.Context, u bus.ISRUpdate) error

// dataPlane is the SPU's data side: the replicas (a wal.Log each), the
// public and private TCP servers, the followers' fetchers and the leaders'
// ISR checks. The control side (server.go) drives it through newDataPlane,
// Serve, Apply, Status and Close. See spu/DESIGN.md.
type dataPlane struct {
	cfg  Config
	self bus.SPUID
	log  *slog.Logger

	ctx    context.Context // cancelled by Close: stops fetchers and loops
	cancel context.CancelFunc
	wg     sync.WaitGroup // the ISR/retention loop
	// commits are the produce commit goroutines (fsync, acks wait), one
	// per produce in flight; each ends with its connection's context.
	commits sync.WaitGroup

	fetchers *fetcher.Manager
	auth     *peerAuth     // followers' proofs on the private server (peerauth.go)
	clients  *clientAuth   // clients' proofs on the public server (clientauth.go)
	tls      *tls.Config   // the servers' TLS; nil: plaintext
	isrKick  chan struct{} // buffered 1: check ISRs now
	lagMax   time.Duration // replica-lag-time-max; 0: replica.DefaultLagMax

	// applyMu serializes Apply calls (two opens of one log must not race).
	applyMu sync.Mutex
	// baseSync fsyncs LogBaseDir for the replicas created in it: their
	// directories' entries (wal.Options.SyncParent), a group commit.
	baseSync *dirSync

	// mu guards replicas, peers and propose; never held while calling
	// into a Replica method that blocks on I/O.
	mu       sync.RWMutex
	replicas map[bus.PartitionID]*partition
	// broken holds the replicas whose log did not open because of
	// corruption (reported to the SC: never elected; see applyOne).
	broken  map[bus.PartitionID]brokenReplica
	peers   map[bus.SPUID]string
	propose ISRProposer
	closed  bool

	// offsets are the consumer-offset partitions' stores (offsets.go).
	offsets offsetStores
}

// partition is one replica under its (immutable) id. A replica re-opened
// after a storage failure is a new partition value under the same id.
type partition struct {
	id bus.PartitionID
	r  *replica.Replica
	// spec is the last assignment applied and reopenAt the last re-open
	// attempt; both guarded by dataPlane.mu.
	spec     bus.ReplicaSpec
	reopenAt time.Time
	// in caches the partition's produce counters (counters).
	in atomic.Pointer[inCounters]
}

// counters returns the partition's produce counters, looked up on first
// use (nil without metrics).
func (pt *partition) counters(m *metrics) *inCounters {
	if m == nil {
		return nil
	}
	if c := pt.in.Load(); c != nil {
		return c
	}
	c := m.inCounters(pt.id.Topic, pt.id.Partition)
	pt.in.Store(c)
	return c
}

// newDataPlane starts the data side with no replicas; they arrive through
// Apply. It starts the ISR/retention loop (stopped by Close).
func newDataPlane(cfg Config, self bus.SPUID) (*dataPlane, error) {
	if cfg.LogBaseDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("spu: no log directory (%w): pass --log-base-dir DIR", err)
		}
		cfg.LogBaseDir = filepath.Join(home, ".fluvio", "data")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	d := &dataPlane{
		cfg: cfg, self: self, log: slog.New(newRateLimited(cfg.Logger.Handler(), storageLogEvery)).With("spu", self),
		baseSync: newDirSync(cfg.metrics.timeSyncs(cfg.FS), cfg.LogBaseDir),
		replicas: make(map[bus.PartitionID]*partition),
		broken:   make(map[bus.PartitionID]brokenReplica),
		peers:    make(map[bus.SPUID]string),
		isrKick:  make(chan struct{}, 1),
	}
	var creds *natsauth.Creds
	if cfg.Creds != "" {
		c, err := natsauth.Load(cfg.Creds)
		if err != nil {
			return nil, fmt.Errorf("spu: --creds: %w", err)
		}
		creds = c
	}
	d.auth = newPeerAuth(self, creds)
	tlsServer, tlsClient, err := loadTLS(cfg)
	if err != nil {
		return nil, err
	}
	d.tls = tlsServer
	d.auth.mtls = tlsServer != nil && tlsServer.ClientCAs != nil
	d.auth.dialer = wire.Dialer{TLS: tlsClient}
	d.clients = newClientAuth(self, creds != nil || d.auth.mtls)
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.fetchers = fetcher.New(fetcher.Config{Self: self, MaxWait: followerFetchWait, Logger: d.log, Dial: d.auth.dial})
	d.wg.Go(d.loop)
	return d, nil
}

// setISRProposer sets how leaders send ISR changes to the SC. Without one
// (tests of the data side alone) ISR changes are committed locally.
func (d *dataPlane) setISRProposer(p ISRProposer) {
	d.mu.Lock()
	d.propose = p
	d.mu.Unlock()
}

// Serve accepts connections on the public (clients) and private
// (followers) listeners until ctx is cancelled, then closes them and waits
// for every connection goroutine to exit.
func (d *dataPlane) Serve(ctx context.Context, public, private net.Listener) error {
	wcfg := wire.ServerConfig{Logger: d.log, MaxConns: d.cfg.MaxConnections,
		MaxConnsPerIP: d.cfg.MaxConnectionsPerIP, IdleTimeout: d.cfg.IdleTimeout, TLS: d.tls}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = wire.Serve(ctx, public, wcfg, &handler{d: d}) })
	wg.Go(func() { errs[1] = wire.Serve(ctx, private, wcfg, &handler{d: d, private: true}) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("spu %d: %w", d.self, err)
	}
	return nil
}

// lookup returns the replica of topic/partition, or nil.
func (d *dataPlane) lookup(topic string, p int32) *replica.Replica {
	if pt := d.lookupPartition(topic, p); pt != nil {
		return pt.r
	}
	return nil
}

// lookupPartition returns the partition of topic-p, or nil.
func (d *dataPlane) lookupPartition(topic string, p int32) *partition {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.replicas[bus.PartitionID{Topic: topic, Partition: p}]
}

// Status reports every replica, for heartbeats.
func (d *dataPlane) Status() []bus.ReplicaStatus {
	d.mu.RLock()
	parts := make([]*partition, 0, len(d.replicas))
	for _, pt := range d.replicas {
		parts = append(parts, pt)
	}
	out := make([]bus.ReplicaStatus, 0, len(parts)+len(d.broken))
	for id, b := range d.broken {
		out = append(out, bus.ReplicaStatus{PartitionID: id, LEO: -1, HW: -1, Size: -1, LeaderEpoch: b.epoch,
			Error: b.err.Error(), Corrupt: b.where})
	}
	d.mu.RUnlock()
	for _, pt := range parts {
		s := pt.r.Status()
		rs := bus.ReplicaStatus{PartitionID: pt.id, Role: s.Role.String(), LEO: s.LEO, HW: s.HW,
			Size: s.Size, LeaderEpoch: s.Epoch}
		if s.Err != nil {
			rs.Error = s.Err.Error()
		}
		out = append(out, rs)
	}
	return out
}

// Close stops the fetchers and loops and closes every replica's log.
func (d *dataPlane) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.fetchers.Close()
	d.wg.Wait()
	d.commits.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for id, pt := range d.replicas {
		if err := pt.r.Close(); err != nil {
			errs = append(errs, err)
		}
		delete(d.replicas, id)
	}
	return errors.Join(errs...)
}

// kickISR asks the loop to check ISRs now.
func (d *dataPlane) kickISR() {
	select {
	case d.isrKick <- struct{}{}:
	default:
	}
}

// loop checks leaders' ISRs every isrCheckInterval (and when kicked),
// checkpoints HWs every hwCheckpointInterval and applies retention every
// retentionInterval, until Close.
func (d *dataPlane) loop() {
	isrT := time.NewTicker(isrCheckInterval)
	defer isrT.Stop()
	hwT := time.NewTicker(hwCheckpointInterval)
	defer hwT.Stop()
	retT := time.NewTicker(retentionInterval)
	defer retT.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-isrT.C:
			d.checkISRs()
			d.reopenFailed()
		case <-hwT.C:
			d.checkpointHWs()
		case <-d.isrKick:
			d.checkISRs()
		case <-retT.C:
			d.applyRetention()
		}
	}
}

func (d *dataPlane) snapshot() []*partition {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]*partition, 0, len(d.replicas))
	for _, pt := range d.replicas {
		out = append(out, pt)
	}
	return out
}

// checkISRs proposes every leader's wanted ISR change to the SC.
func (d *dataPlane) checkISRs() {
	d.mu.RLock()
	propose := d.propose
	d.mu.RUnlock()
	for _, pt := range d.snapshot() {
		isr, epoch, ok := pt.r.NextISR()
		if !ok {
			continue
		}
		if propose == nil {
			pt.r.ISRCommitted(epoch, isr)
			continue
		}
		ctx, cancel := context.WithTimeout(d.ctx, 5*time.Second)
		err := propose(ctx, bus.ISRUpdate{ID: d.self, PartitionID: pt.id, LeaderEpoch: epoch, ISR: isr})
		cancel()
		if err != nil {
			d.log.Warn("ISR change not stored by the SC; will retry", "topic", pt.id.Topic,
				"partition", pt.id.Partition, "isr", isr, "err", err)
			if refused(err) {
				pt.r.ISRRejected()
			} else {
				pt.r.ISRUnknown() // maybe stored: keep counting its members
			}
			continue
		}
		d.log.Info("ISR changed", "topic", pt.id.Topic, "partition", pt.id.Partition, "isr", isr, "epoch", epoch)
		pt.r.ISRCommitted(epoch, isr)
	}
}

func (d *dataPlane) applyRetention() {
	now := time.Now()
	for _, pt := range d.snapshot() {
		if err := pt.r.Log().ApplyRetention(now); err != nil && d.ctx.Err() == nil {
			d.log.Warn("retention failed", "topic", pt.id.Topic, "partition", pt.id.Partition, "err", err)
		}
	}
}

// checkpointHWs saves every replica's HW that moved since the last time.
func (d *dataPlane) checkpointHWs() {
	for _, pt := range d.snapshot() {
		if err := pt.r.CheckpointHW(); err != nil && d.ctx.Err() == nil {
			d.log.Warn("HW checkpoint failed", "topic", pt.id.Topic, "partition", pt.id.Partition, "err", err)
		}
	}
}

// refused reports whether an ISR proposal's error is the SC's definite
// refusal (nothing stored), as opposed to no answer.
func refused(err error) bool {
	return errors.Is(err, bus.ErrStaleEpoch) || errors.Is(err, bus.ErrNotLeader) ||
		errors.Is(err, bus.ErrBadRequest) || errors.Is(err, bus.ErrTopicNotFound)
}
