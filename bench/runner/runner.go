package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/internal/proc"
	"github.com/fluvio-go/fluvio/bench/limits"
	"github.com/fluvio-go/fluvio/bench/report"
)

// Runner runs the workloads of a Mode against Systems.
type Runner struct {
	Mode Mode
	// Systems in the order each workload runs them (peer first).
	Systems []bench.System
	// WorkerBin is the bench-worker binary.
	WorkerBin string
	// WorkDir holds the servers' data and logs (a directory per run,
	// removed after a run that succeeded).
	WorkDir string
	// Limits says whether to probe the machine's limits.
	Limits bool
	// Workloads, when set, keeps only the workloads whose names start
	// with one of these (w1-1024, durable, latency, partitions-100, ...).
	Workloads []string
	// ProfileDir, when set, receives CPU and allocation profiles of every
	// worker and (bench.Profiled) of every server process during each
	// worker's run, named scenario-system-op-rep-process.{cpu,allocs}.
	ProfileDir string
	// inst is the instance of the run in progress (runOne), for the
	// server profiles.
	inst bench.Instance
	// settler brings the page cache to the same state before every
	// worker run (settle.go); the zero value means defaultSettler.
	settler settler
	Log     *slog.Logger
}

// Headline record sizes: produce and consume are measured at these.
var headlineSizes = []int{100, 1024}

// Figure ids. A figure id is the same for every system.
func produceFig(size int, acks bench.Acks, unit string) string {
	return fmt.Sprintf("produce.%d.%s.%s", size, acks, unit)
}

// produceModeFig is the peer's figure in one of its publish modes ("" is
// its default, produceFig).
func produceModeFig(size int, acks bench.Acks, mode, unit string) string {
	if mode == bench.PublishDefault {
		return produceFig(size, acks, unit)
	}
	return fmt.Sprintf("produce.%d.%s.%s.%s", size, acks, mode, unit)
}

// durablePeerModes are the peer's publish modes the durable run also
// measures: atomic batches, which the server stores with one fsync per
// batch under sync_interval: always. Fast batches are left out: the server
// stores each message of one on its own, one fsync per message, as the
// default publish does.
var durablePeerModes = []string{bench.PublishAtomic}

// peerModeNames label the modes in the table.
var peerModeNames = map[string]string{bench.PublishDefault: "default", bench.PublishFast: "fast batch", bench.PublishAtomic: "atomic batch"}

// Durable figure names beside rec_s and mb_s.
const (
	durFsyncs        = "fsyncs"            // fsync-family syscalls of the system's processes (perf)
	durWALFsyncs     = "wal_fsyncs"        // ours: the SPUs' own fsync count
	durRecsPerFsync  = "records_per_fsync" // records / fsyncs
	durRecords       = "records"           // records the run sent
	durBatchRecords  = "batch_records"     // the peer's atomic batch size
	memRecordsPerPar = "records_per_partition"
)

func consumeFig(size int, unit string) string { return fmt.Sprintf("consume.%d.%s", size, unit) }
func partitionsFig(k int, unit string) string {
	return fmt.Sprintf("produce.1024.partitions.%d.%s", k, unit)
}
func latencyFig(name string) string { return "latency.1024." + name }
func memFig(k int, name string) string {
	return fmt.Sprintf("memory.%d.%s", k, name)
}
func createFig(k int) string { return fmt.Sprintf("create.%d.seconds", k) }

// Memory figure names.
const (
	memEmpty   = "empty_kib_per_partition"
	memWritten = "written_kib_per_partition"
	memBase    = "baseline_mib"
	memPeak    = "peak_increase_mib_during_produce"
)

// scenario is one workload: it starts a system's servers, runs workers
// and returns the figures it measured.
type scenario struct {
	name    string
	figures []string
	// peerOnly are figures only a bench.BatchPublisher measures (its
	// publish modes); other systems record no sample for them.
	peerOnly []string
	run      func(ctx context.Context, r *Runner, sys bench.System, in bench.Instance, dir string) (map[string]float64, error)
	cfg      bench.ServerConfig
}

// scenarios lists the workloads of the mode, in the order they run.
func (r *Runner) scenarios() []scenario {
	m := r.Mode
	var out []scenario
	sizes := slices.Clone(m.SizeCurve)
	for _, s := range headlineSizes {
		if !slices.Contains(sizes, s) {
			sizes = append(sizes, s)
		}
	}
	slices.Sort(sizes)
	for _, size := range sizes {
		headline := slices.Contains(headlineSizes, size)
		figs := []string{produceFig(size, bench.AcksLeader, "rec_s"), produceFig(size, bench.AcksLeader, "mb_s")}
		if headline {
			figs = append(figs, consumeFig(size, "rec_s"), consumeFig(size, "mb_s"))
		}
		var peerOnly []string
		if slices.Contains(m.PeerModeSizes, size) {
			for _, mode := range []string{bench.PublishFast, bench.PublishAtomic} {
				peerOnly = append(peerOnly, produceModeFig(size, bench.AcksLeader, mode, "rec_s"), produceModeFig(size, bench.AcksLeader, mode, "mb_s"))
			}
		}
		out = append(out, scenario{name: "w1-" + strconv.Itoa(size), figures: append(figs, peerOnly...), peerOnly: peerOnly,
			run: func(ctx context.Context, r *Runner, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
				return r.produceConsume(ctx, sys, in, dir, size, headline)
			}})
	}
	durFigs := []string{produceFig(1024, bench.AcksAll, "rec_s"), produceFig(1024, bench.AcksAll, "mb_s"),
		produceFig(1024, bench.AcksAll, durFsyncs), produceFig(1024, bench.AcksAll, durRecsPerFsync), produceFig(1024, bench.AcksAll, durRecords)}
	var durPeer []string
	for _, mode := range durablePeerModes {
		for _, name := range []string{"rec_s", "mb_s", durFsyncs, durRecsPerFsync, durRecords, durBatchRecords} {
			durPeer = append(durPeer, produceModeFig(1024, bench.AcksAll, mode, name))
		}
	}
	out = append(out, scenario{name: "durable-1024", cfg: bench.ServerConfig{SyncAlways: true},
		figures: append(append(durFigs, produceFig(1024, bench.AcksAll, durWALFsyncs)), durPeer...), peerOnly: durPeer,
		run: func(ctx context.Context, r *Runner, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
			return r.durable(ctx, sys, in, dir)
		}})
	out = append(out, scenario{name: "replicated-1024", cfg: bench.ServerConfig{SyncAlways: true, Replicas: replicatedReplicas},
		figures: []string{replicatedFig("rec_s"), replicatedFig("mb_s")},
		run: func(ctx context.Context, r *Runner, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
			return r.replicated(ctx, sys, in, dir)
		}})
	out = append(out, scenario{name: "latency-1024",
		figures: []string{latencyFig(bench.AckP50us), latencyFig(bench.AckP99us), latencyFig(bench.E2EP50us), latencyFig(bench.E2EP99us)},
		run: func(ctx context.Context, r *Runner, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
			return r.latency(ctx, sys, in, dir)
		}})
	ks := slices.Clone(m.PartitionCurve)
	if !slices.Contains(ks, m.Partitions) {
		ks = append(ks, m.Partitions)
	}
	slices.Sort(ks)
	for _, k := range ks {
		if k == 1 {
			continue // the 1-partition point is produce.1024.leader
		}
		figs := []string{partitionsFig(k, "rec_s"), partitionsFig(k, "mb_s")}
		if k == m.Partitions {
			figs = append(figs, memFig(k, memBase), memFig(k, memEmpty), memFig(k, memWritten), memFig(k, memPeak), memFig(k, memRecordsPerPar), createFig(k))
			for _, part := range []string{"sc", "spu"} {
				figs = append(figs, memFig(k, memBase)+"."+part, memFig(k, memEmpty)+"."+part, memFig(k, memWritten)+"."+part)
			}
		}
		out = append(out, scenario{name: "partitions-" + strconv.Itoa(k), figures: figs,
			run: func(ctx context.Context, r *Runner, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
				return r.partitions(ctx, sys, in, dir, k, k == r.Mode.Partitions)
			}})
	}
	if len(r.Workloads) > 0 {
		out = slices.DeleteFunc(out, func(sc scenario) bool {
			return !slices.ContainsFunc(r.Workloads, func(w string) bool { return strings.HasPrefix(sc.name, w) })
		})
	}
	return out
}

// Run runs every repetition and returns all samples. It stops early only
// when ctx ends; a failed run is logged and recorded as n/a.
func (r *Runner) Run(ctx context.Context) ([]report.Sample, error) {
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var samples []report.Sample
	avail := map[string]error{}
	for _, sys := range r.Systems {
		avail[sys.Name()] = sys.Available(ctx)
		if err := avail[sys.Name()]; err != nil {
			log.Warn("system not available; its figures will be n/a", "system", sys.Name(), "reason", err)
		}
	}
	scenarios := r.scenarios()
	for rep := 1; rep <= r.Mode.Reps; rep++ {
		if r.Limits {
			s, err := r.limits(ctx, rep)
			if err != nil {
				return samples, err
			}
			samples = append(samples, s...)
		}
		for _, sc := range scenarios {
			for _, sys := range r.Systems {
				if err := ctx.Err(); err != nil {
					return samples, fmt.Errorf("runner: %w", err)
				}
				start := time.Now()
				vals, err := r.runOne(ctx, sc, sys, rep, avail[sys.Name()])
				na := ""
				switch {
				case errors.Is(err, bench.ErrNotAvailable):
					na = err.Error()
				case err != nil:
					na = "failed: " + err.Error()
					log.Error("run failed", "scenario", sc.name, "system", sys.Name(), "rep", rep, "err", err)
				default:
					log.Info("run", "scenario", sc.name, "system", sys.Name(), "rep", rep, "took", time.Since(start).Round(time.Millisecond), "figures", vals)
				}
				_, batchModes := sys.(bench.BatchPublisher)
				for _, fig := range sc.figures {
					if !batchModes && slices.Contains(sc.peerOnly, fig) {
						continue
					}
					v, ok := vals[fig]
					s := report.Sample{Figure: fig, System: sys.Name(), Rep: rep, Value: v}
					if !ok {
						s.NA = na
						if s.NA == "" {
							s.NA = "not measured"
						}
					}
					samples = append(samples, s)
				}
			}
		}
	}
	return samples, nil
}

func (r *Runner) limits(ctx context.Context, rep int) ([]report.Sample, error) {
	dir, err := os.MkdirTemp(r.WorkDir, "limits-")
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := r.settle(ctx, "limits"); err != nil {
		return nil, err
	}
	cfg := r.Mode.Limits(dir)
	if r.WorkerBin != "" {
		cfg.EchoCmd = []string{r.WorkerBin, "--op", "echo"}
	}
	f, err := limits.Probe(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("runner: limits: %w", err)
	}
	if r.Log != nil {
		r.Log.Info("limits", "rep", rep, "figures", f.Values)
	}
	var out []report.Sample
	for name, v := range f.Values {
		out = append(out, report.Sample{Figure: name, System: report.Limits, Rep: rep, Value: v})
	}
	return out, nil
}

// runOne starts sys fresh in its own directory, runs sc and stops sys.
func (r *Runner) runOne(ctx context.Context, sc scenario, sys bench.System, rep int, avail error) (vals map[string]float64, err error) {
	if avail != nil {
		return nil, avail
	}
	// The previous run's directory is gone (removed when it ended) and
	// every worker run first settles the page cache (r.worker).
	dir, err := os.MkdirTemp(r.WorkDir, fmt.Sprintf("%s-%s-%d-", sc.name, sys.Name(), rep))
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	in, err := sys.Start(ctx, dir, sc.cfg)
	if errors.Is(err, bench.ErrNotAvailable) {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	if err != nil {
		return nil, fmt.Errorf("runner: start %s: %w (logs in %s)", sys.Name(), err, dir)
	}
	r.inst = in
	defer func() {
		r.inst = nil
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
		defer cancel()
		if serr := in.Stop(stopCtx); serr != nil {
			err = errors.Join(err, fmt.Errorf("runner: stop %s: %w", sys.Name(), serr))
		}
		if err == nil {
			err = os.RemoveAll(dir)
		} else {
			err = fmt.Errorf("%w (logs in %s)", err, dir)
		}
	}()
	return sc.run(ctx, r, sys, in, dir)
}

// settle writes back the page cache's dirty pages and waits for them to
// drain (settler), so that every run of every system starts from the same
// state; what it found is logged ("page cache settled").
func (r *Runner) settle(ctx context.Context, what string) error {
	s := r.settler
	if s.meminfo == "" {
		s = defaultSettler
	}
	res, err := s.settle(ctx, r.WorkDir)
	if err != nil {
		return err
	}
	if r.Log != nil {
		lvl := slog.LevelDebug
		if res.TimedOut {
			lvl = slog.LevelWarn
		}
		r.Log.Log(ctx, lvl, "page cache settled", "before", what, "dirty_mib_before", res.Before>>20,
			"dirty_mib_after", res.After>>20, "took", res.Took.Round(time.Millisecond), "timed_out", res.TimedOut)
	}
	return nil
}

// worker runs one bench-worker process and decodes its figures.
func (r *Runner) worker(ctx context.Context, sys bench.System, op string, spec bench.Spec, dir string) (bench.Figures, error) {
	var f bench.Figures
	text, err := bench.MarshalSpec(spec)
	if err != nil {
		return f, err
	}
	if err := r.settle(ctx, filepath.Base(dir)+" "+op); err != nil {
		return f, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*spec.Duration+60*time.Second)
	defer cancel()
	args := []string{"--system", sys.Name(), "--op", op, "--spec", text}
	var stopProfiles func()
	if r.ProfileDir != "" {
		base := filepath.Join(r.ProfileDir, fmt.Sprintf("%s-%s-%s-%d", filepath.Base(dir), op, spec.PublishMode, time.Now().UnixMilli()%100000))
		args = append(args, "--cpuprofile", base+"-worker.cpu", "--memprofile", base+"-worker.allocs")
		stopProfiles = r.serverProfiles(ctx, base, spec.Duration)
	}
	out, err := proc.Output(ctx, r.WorkerBin, args, filepath.Join(dir, "worker-"+op+".log"))
	if stopProfiles != nil {
		stopProfiles()
	}
	if err != nil {
		return f, fmt.Errorf("runner: worker %s: %w", op, err)
	}
	if err := json.Unmarshal(out, &f); err != nil {
		return f, fmt.Errorf("runner: worker %s output %q: %w", op, out, err)
	}
	if f.Unavailable != "" {
		return f, bench.NotAvailable(f.Unavailable)
	}
	return f, nil
}

func (r *Runner) spec(in bench.Instance, l bench.Layout, size, records int, acks bench.Acks) bench.Spec {
	return bench.Spec{Addr: in.Addr(), Layout: l, RecordSize: size, Records: records,
		Duration: r.Mode.Duration, MaxInFlight: r.Mode.MaxInFlight, MaxInFlightBytes: r.Mode.MaxInFlightBytes, Acks: acks,
		BatchBytes: fluvio.DefaultBatchSize}
}

func (r *Runner) produceConsume(ctx context.Context, sys bench.System, in bench.Instance, dir string, size int, consume bool) (map[string]float64, error) {
	l := bench.Layout{Topic: "w1", Partitions: 1}
	if err := in.Create(ctx, l); err != nil {
		return nil, err
	}
	spec := r.spec(in, l, size, r.Mode.records(r.Mode.Records, size), bench.AcksLeader)
	p, err := r.worker(ctx, sys, "produce", spec, dir)
	if err != nil {
		return nil, err
	}
	vals := map[string]float64{
		produceFig(size, bench.AcksLeader, "rec_s"): p.Values["rec_s"],
		produceFig(size, bench.AcksLeader, "mb_s"):  p.Values["mb_s"],
	}
	if bp, ok := sys.(bench.BatchPublisher); ok && slices.Contains(r.Mode.PeerModeSizes, size) {
		for _, mode := range bp.PublishModes() {
			ml := bench.Layout{Topic: "w1" + mode, Partitions: 1}
			if err := in.Create(ctx, ml); err != nil {
				return vals, err
			}
			ms := r.spec(in, ml, size, spec.Records, bench.AcksLeader)
			ms.PublishMode = mode
			mp, err := r.worker(ctx, sys, "produce", ms, dir)
			if errors.Is(err, bench.ErrNotAvailable) {
				continue // this mode cannot take this record size: n/a
			}
			if err != nil {
				return vals, err
			}
			vals[produceModeFig(size, bench.AcksLeader, mode, "rec_s")] = mp.Values["rec_s"]
			vals[produceModeFig(size, bench.AcksLeader, mode, "mb_s")] = mp.Values["mb_s"]
		}
	}
	if !consume {
		return vals, nil
	}
	spec.Records = int(p.Records)
	c, err := r.worker(ctx, sys, "consume", spec, dir)
	if err != nil {
		return vals, err
	}
	if c.Records < p.Records && r.Log != nil {
		// Bounded by time like every run: the rate over what arrived stands.
		r.Log.Warn("consumer stopped at the time bound", "system", sys.Name(), "consumed", c.Records, "of", p.Records, "bound", spec.Duration)
	}
	vals[consumeFig(size, "rec_s")] = c.Values["rec_s"]
	vals[consumeFig(size, "mb_s")] = c.Values["mb_s"]
	return vals, nil
}

// durable runs the acks=all / sync always produce of 1 KiB records (and
// the peer's durablePeerModes, each into its own stream of the same
// server), bounded by records and a minimum duration, and counts the
// system's fsyncs during each run (syncCount).
func (r *Runner) durable(ctx context.Context, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
	vals := map[string]float64{}
	modes := []string{bench.PublishDefault}
	if _, ok := sys.(bench.BatchPublisher); ok {
		modes = append(modes, durablePeerModes...)
	}
	for _, mode := range modes {
		l := bench.Layout{Topic: "durable" + mode, Partitions: 1}
		if err := in.Create(ctx, l); err != nil {
			return vals, err
		}
		spec := r.spec(in, l, 1024, r.Mode.DurableRecords, bench.AcksAll)
		spec.MinDuration, spec.Duration, spec.PublishMode = r.Mode.DurableMinDuration, r.Mode.DurableMaxDuration, mode
		var p bench.Figures
		syncs, wal, err := r.syncCount(ctx, in, dir, func() error {
			var err error
			p, err = r.worker(ctx, sys, "produce", spec, dir)
			return err
		})
		if err != nil {
			return vals, err
		}
		fig := func(name string) string { return produceModeFig(1024, bench.AcksAll, mode, name) }
		vals[fig("rec_s")], vals[fig("mb_s")], vals[fig(durRecords)] = p.Values["rec_s"], p.Values["mb_s"], float64(p.Records)
		if syncs >= 0 {
			vals[fig(durFsyncs)] = float64(syncs)
			if syncs > 0 {
				vals[fig(durRecsPerFsync)] = float64(p.Records) / float64(syncs)
			}
		}
		if wal >= 0 {
			vals[fig(durWALFsyncs)] = float64(wal)
		}
		if b, ok := p.Values[durBatchRecords]; ok {
			vals[fig(durBatchRecords)] = b
		}
	}
	return vals, nil
}

// syncCount runs run while counting the fsync-family system calls of the
// instance's processes (proc.CountSyncs, the same method for every
// system), and the instance's own count when it keeps one
// (bench.WALFsyncer). A count that could not be taken is -1, logged.
func (r *Runner) syncCount(ctx context.Context, in bench.Instance, dir string, run func() error) (syncs, wal int64, err error) {
	syncs, wal = -1, -1
	w, hasWAL := in.(bench.WALFsyncer)
	var walBefore int64
	if hasWAL {
		if walBefore, err = w.WALFsyncs(ctx); err != nil {
			return syncs, wal, err
		}
	}
	counter, cerr := proc.CountSyncs(ctx, dir, in.DataPIDs())
	if cerr != nil && r.Log != nil {
		r.Log.Warn("fsyncs not counted", "err", cerr)
	}
	err = run()
	if counter != nil {
		n, serr := counter.Stop()
		if serr != nil && r.Log != nil {
			r.Log.Warn("fsyncs not counted", "err", serr)
		} else if serr == nil {
			syncs = n
		}
	}
	if err != nil {
		return syncs, wal, err
	}
	if hasWAL {
		after, werr := w.WALFsyncs(ctx)
		if werr != nil {
			return syncs, wal, werr
		}
		wal = after - walBefore
	}
	return syncs, wal, nil
}

// replicatedReplicas is the replication factor of the replicated workload.
const replicatedReplicas = 3

// replicatedFig names the replicated figures: 1 KiB records, 3 replicas,
// acks=all, WAL sync always.
func replicatedFig(unit string) string {
	return fmt.Sprintf("produce.1024.all.r%d.%s", replicatedReplicas, unit)
}

// replicated is the replicated workload: the W1 produce of 1 KiB records with
// the W1 bounds, to a topic of 3 replicas (3 SPUs), acks=all, sync always.
// Only a System that replicates runs it (JetStream: n/a, no cluster).
func (r *Runner) replicated(ctx context.Context, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
	l := bench.Layout{Topic: "replicated", Partitions: 1}
	if err := in.Create(ctx, l); err != nil {
		return nil, err
	}
	p, err := r.worker(ctx, sys, "produce", r.spec(in, l, 1024, r.Mode.records(r.Mode.Records, 1024), bench.AcksAll), dir)
	if err != nil {
		return nil, err
	}
	return map[string]float64{replicatedFig("rec_s"): p.Values["rec_s"], replicatedFig("mb_s"): p.Values["mb_s"]}, nil
}

func (r *Runner) latency(ctx context.Context, sys bench.System, in bench.Instance, dir string) (map[string]float64, error) {
	l := bench.Layout{Topic: "latency", Partitions: 1}
	if err := in.Create(ctx, l); err != nil {
		return nil, err
	}
	spec := r.spec(in, l, 1024, r.Mode.LatencySamples, bench.AcksLeader)
	spec.Duration = r.Mode.LatencyDuration
	f, err := r.worker(ctx, sys, "latency", spec, dir)
	if err != nil {
		return nil, err
	}
	vals := map[string]float64{}
	for _, name := range []string{bench.AckP50us, bench.AckP99us, bench.E2EP50us, bench.E2EP99us} {
		v, ok := f.Values[name]
		if !ok {
			return nil, fmt.Errorf("runner: latency: worker returned no %s", name)
		}
		vals[latencyFig(name)] = v
	}
	return vals, nil
}

// pss sums the proportional set size (PSS, proc.PSS) of the instance's
// processes: for ours the SC and the SPUs, for the peer its nats-server.
func pss(in bench.Instance) (int64, error) {
	var total int64
	for _, pid := range in.DataPIDs() {
		n, err := proc.PSS(pid)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// idlePSS lets the instance idle for wait, has every process collect its
// garbage, and returns the summed PSS, and by part for a bench.Parted.
func idlePSS(ctx context.Context, in bench.Instance, wait time.Duration) (int64, map[string]int64, error) {
	if err := sleep(ctx, wait); err != nil {
		return 0, nil, err
	}
	if err := in.GC(ctx); err != nil {
		return 0, nil, fmt.Errorf("runner: gc before reading memory: %w", err)
	}
	total, err := pss(in)
	if err != nil {
		return 0, nil, err
	}
	parted, ok := in.(bench.Parted)
	if !ok {
		return total, nil, nil
	}
	parts := map[string]int64{}
	for name, pids := range parted.Parts() {
		for _, pid := range pids {
			n, err := proc.PSS(pid)
			if err != nil {
				return 0, nil, err
			}
			parts[name] += n
		}
	}
	return total, parts, nil
}

// settle is how long a server idles before its memory is read, when the
// mode asks for no longer wait.
const settle = 300 * time.Millisecond

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("runner: %w", ctx.Err())
	}
}

// partitions produces 1 KiB records round-robin over k partitions (k
// streams). With memory it also reads the system's memory (PSS after a GC,
// SC and SPUs for ours): before the partitions exist, once they are
// created, its peak during the produce, and after the traffic and
// Mode.IdleWait of idling; that produce is bounded by records, not time, so
// both systems write the same bytes per partition.
func (r *Runner) partitions(ctx context.Context, sys bench.System, in bench.Instance, dir string, k int, memory bool) (map[string]float64, error) {
	vals := map[string]float64{}
	var base int64
	var baseParts map[string]int64
	if memory {
		var err error
		if base, baseParts, err = idlePSS(ctx, in, settle); err != nil {
			return nil, err
		}
		vals[memFig(k, memBase)] = float64(base) / (1 << 20)
		for part, n := range baseParts {
			vals[memFig(k, memBase)+"."+part] = float64(n) / (1 << 20)
		}
	}
	perPartition := func(name string, n int64, parts map[string]int64) {
		vals[memFig(k, name)] = float64(n-base) / 1024 / float64(k)
		for part, v := range parts {
			vals[memFig(k, name)+"."+part] = float64(v-baseParts[part]) / 1024 / float64(k)
		}
	}
	l := bench.Layout{Topic: "many", Partitions: k}
	start := time.Now()
	if err := in.Create(ctx, l); err != nil {
		return nil, err
	}
	if memory {
		vals[createFig(k)] = time.Since(start).Seconds()
		n, parts, err := idlePSS(ctx, in, settle)
		if err != nil {
			return nil, err
		}
		perPartition(memEmpty, n, parts)
	}
	var peak int64
	stopPoll := func() {}
	spec := r.spec(in, l, 1024, r.Mode.records(r.Mode.Records, 1024), bench.AcksLeader)
	if memory {
		stopPoll = pollPeak(in, &peak)
		spec.Duration = max(spec.Duration, r.Mode.MemoryMaxDuration)
	}
	p, err := r.worker(ctx, sys, "produce", spec, dir)
	stopPoll()
	if err != nil {
		return nil, err
	}
	vals[partitionsFig(k, "rec_s")] = p.Values["rec_s"]
	vals[partitionsFig(k, "mb_s")] = p.Values["mb_s"]
	if memory {
		vals[memFig(k, memPeak)] = float64(peak-base) / (1 << 20)
		vals[memFig(k, memRecordsPerPar)] = float64(p.Records) / float64(k)
		n, parts, err := idlePSS(ctx, in, max(settle, r.Mode.IdleWait))
		if err != nil {
			return nil, err
		}
		perPartition(memWritten, n, parts)
	}
	return vals, nil
}

// pollPeak samples the system's PSS every 50 ms into *peak until the
// returned stop is called; stop waits for the sampler to end.
func pollPeak(in bench.Instance, peak *int64) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if n, err := pss(in); err == nil && n > *peak {
				*peak = n
			}
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// serverProfiles starts a CPU profile of d (at least 1 s) in every server
// process of the run in progress (bench.Profiled), written to
// base-NAME.cpu; stop waits for them and writes each process's allocation
// profile to base-NAME.allocs. Failures are logged: profiles never fail a
// run.
func (r *Runner) serverProfiles(ctx context.Context, base string, d time.Duration) (stop func()) {
	p, ok := r.inst.(bench.Profiled)
	if !ok {
		return func() {}
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	var wg sync.WaitGroup
	save := func(name, path, suffix string) {
		body, err := proc.Get(ctx, p.PprofAddrs()[name], path)
		if err == nil {
			err = os.WriteFile(base+"-"+name+suffix, body, 0o644)
		}
		if err != nil && r.Log != nil {
			r.Log.Warn("profile not saved", "process", name, "err", err)
		}
	}
	for name := range p.PprofAddrs() {
		wg.Go(func() { save(name, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), ".cpu") })
	}
	return func() {
		wg.Wait()
		for name := range p.PprofAddrs() {
			save(name, "/debug/pprof/allocs", ".allocs")
		}
	}
}
