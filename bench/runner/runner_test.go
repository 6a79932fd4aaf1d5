package runner

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bench"
	"github.com/fluvio-go/fluvio/bench/internal/benchtest"
	"github.com/fluvio-go/fluvio/bench/jetstream"
	"github.com/fluvio-go/fluvio/bench/ours"
	"github.com/fluvio-go/fluvio/bench/report"
)

func TestMain(m *testing.M) { benchtest.Main(m) }

// TestTinyRun runs the whole pipeline in tiny mode: limits, JetStream and
// ours in separate server and worker processes. It checks the samples are
// well-formed, not how fast anything is.
func TestTinyRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes: skipped with -short")
	}
	bin, err := benchtest.Binaries(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mode := Tiny()
	work := t.TempDir()
	logs := &logCapture{}
	r := &Runner{Mode: mode, WorkerBin: filepath.Join(bin, "bench-worker"), WorkDir: work, Limits: true, Log: slog.New(logs),
		Systems: []bench.System{
			&cleanStartPeer{&cleanStart{System: &jetstream.System{ServerBin: filepath.Join(bin, "bench-nats-server")}, t: t, work: work}},
			&cleanStart{System: &ours.System{BinDir: bin}, t: t, work: work}}}
	// Every run starts alone in the work dir (cleanStart) and every
	// worker run after a settle of the page cache.
	defer func() {
		if n := logs.count("page cache settled"); n < logs.count("run")+mode.Reps {
			t.Errorf("%d settles for %d runs and %d limit probes; want one before each worker and probe", n, logs.count("run"), mode.Reps)
		}
		if n := logs.count("run"); n == 0 {
			t.Error("no run logged")
		}
	}()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	samples, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[report.Ref]report.Sample{}
	for _, s := range samples {
		got[report.Ref{System: s.System, Figure: s.Figure}] = s
		switch s.System {
		case report.Peer, report.Ours:
			if s.System == report.Peer && strings.HasPrefix(s.Figure, "produce.1024.all.r3.") {
				// Replicated: the bench runs no JetStream cluster.
				if !strings.Contains(s.NA, "JetStream cluster") {
					t.Errorf("peer %s = %v (n/a %q), want n/a for want of a JetStream cluster", s.Figure, s.Value, s.NA)
				}
			} else if s.System == report.Peer && (strings.HasSuffix(s.Figure, ".wal_fsyncs") || strings.HasSuffix(s.Figure, ".sc") || strings.HasSuffix(s.Figure, ".spu")) {
				// Only ours counts its own fsyncs and has parts.
			} else if s.NA != "" {
				t.Errorf("%s %s: n/a: %s", s.System, s.Figure, s.NA)
			} else if !strings.HasPrefix(s.Figure, "memory.") && !(s.Value > 0) {
				t.Errorf("%s %s = %v, want > 0", s.System, s.Figure, s.Value)
			}
		case report.Limits:
			if !(s.Value > 0) {
				t.Errorf("limit %s = %v", s.Figure, s.Value)
			}
		}
	}
	for _, row := range mode.Rows() {
		if _, ok := got[report.Ref{System: report.Ours, Figure: row.Figure}]; !ok && !strings.Contains(row.Figure, ".atomic.") {
			t.Errorf("row %q (%s) has no ours sample", row.Label, row.Figure)
		}
		peerFigs := []string{row.Figure}
		if len(row.PeerBest) > 0 {
			peerFigs = nil
			for _, pm := range row.PeerBest {
				peerFigs = append(peerFigs, pm.Figure)
			}
		}
		for _, fig := range peerFigs {
			if _, ok := got[report.Ref{System: report.Peer, Figure: fig}]; !ok && !strings.HasSuffix(fig, ".wal_fsyncs") && !strings.HasSuffix(fig, ".sc") && !strings.HasSuffix(fig, ".spu") {
				t.Errorf("row %q: no peer sample of %s", row.Label, fig)
			}
		}
	}
	// The durable run counted fsyncs on both sides, and ours also by the
	// SPU; the peer's atomic batches need fewer fsyncs than its default.
	for _, fig := range []report.Ref{{System: report.Ours, Figure: "produce.1024.all.wal_fsyncs"},
		{System: report.Peer, Figure: "produce.1024.all.atomic.fsyncs"}, {System: report.Peer, Figure: "produce.1024.all.fsyncs"}} {
		if s := got[fig]; s.NA != "" || !(s.Value > 0) {
			t.Errorf("%s %s = %v (n/a %q), want > 0", fig.System, fig.Figure, s.Value, s.NA)
		}
	}
	if a, d := got[report.Ref{System: report.Peer, Figure: "produce.1024.all.atomic.records_per_fsync"}], got[report.Ref{System: report.Peer, Figure: "produce.1024.all.records_per_fsync"}]; !(a.Value > d.Value) {
		t.Errorf("JetStream records per fsync: atomic %v, default %v; want atomic batches to share fsyncs", a.Value, d.Value)
	}
	if lines, est := r.Plan(); len(lines) == 0 || est <= 0 {
		t.Errorf("plan %v, estimate %v", lines, est)
	}
	for _, l := range LimitRows() {
		if _, ok := got[report.Ref{System: report.Limits, Figure: l.Figure}]; !ok {
			t.Errorf("limit %s not measured", l.Figure)
		}
	}
	entries, err := os.ReadDir(r.WorkDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("work dir not cleaned after successful runs: %v", entries)
	}
}

// cleanStart is a System whose Start fails the test if any other run's
// directory is still in the work dir: each run must start with the
// previous one's data gone.
type cleanStart struct {
	bench.System
	t    *testing.T
	work string
}

// cleanStartPeer is a cleanStart of the peer, with its batch modes.
type cleanStartPeer struct{ *cleanStart }

func (c cleanStartPeer) PublishModes() []string {
	return c.System.(bench.BatchPublisher).PublishModes()
}

func (c *cleanStart) Start(ctx context.Context, dir string, cfg bench.ServerConfig) (bench.Instance, error) {
	entries, err := os.ReadDir(c.work)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if filepath.Join(c.work, e.Name()) != dir {
			c.t.Errorf("%s starts in %s while %s is still there", c.Name(), dir, e.Name())
		}
	}
	return c.System.Start(ctx, dir, cfg)
}

// logCapture is a slog.Handler that keeps the messages.
type logCapture struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCapture) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logCapture) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCapture) WithGroup(string) slog.Handler      { return l }

func (l *logCapture) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

func TestOursAvailable(t *testing.T) {
	err := (&ours.System{BinDir: t.TempDir()}).Available(t.Context())
	if !errors.Is(err, bench.ErrNotAvailable) || !strings.Contains(err.Error(), "sc-server") {
		t.Errorf("Available without binaries = %v, want ErrNotAvailable naming sc-server", err)
	}
}

func TestModes(t *testing.T) {
	for _, name := range []string{"quick", "full", "tiny"} {
		m, err := ModeByName(name)
		if err != nil || m.Name != name || m.Reps < 1 {
			t.Errorf("ModeByName(%q) = %+v, %v", name, m.Name, err)
		}
	}
	if _, err := ModeByName("huge"); err == nil {
		t.Error("unknown mode: no error")
	}
	if m := Full(); m.Records != 1_000_000 || m.Duration != 20*time.Second || m.Partitions != 1000 || m.MaxInFlight != 1000 || m.MaxInFlightBytes != 1<<20 {
		t.Errorf("full mode does not match bench/README.md: %+v", m)
	}
	if got := Full().records(1_000_000, 1<<20); got != 4096 {
		t.Errorf("records capped by bytes budget = %d, want 4096", got)
	}
}
