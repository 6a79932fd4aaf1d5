package spu

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/vfs"
	"github.com/fluvio-go/fluvio/vfs/vfstest"
	"github.com/fluvio-go/fluvio/wire"
)

// warnLog records the warnings and errors an SPU logs.
type warnLog struct {
	mu    sync.Mutex
	lines map[string]int // guarded by mu: storage-error lines by message
	all   int            // guarded by mu
}

func (w *warnLog) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnLog) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *warnLog) WithGroup(string) slog.Handler            { return w }
func (w *warnLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all++
	r.Attrs(func(a slog.Attr) bool {
		if e, ok := a.Value.Any().(error); ok && a.Key == "err" && errClass(e) != "" {
			w.lines[r.Message]++
		}
		return true
	})
	return nil
}

// startSPUOn starts a data plane whose logs live on fs.
func startSPUOn(t *testing.T, fs vfs.FS, logger *slog.Logger) *testSPU {
	t.Helper()
	dir := t.TempDir()
	dp, err := newDataPlane(Config{ID: 1, LogBaseDir: dir, Logger: logger, FS: fs}, 1)
	testkit.NoErr(t, err)
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	priv, err := net.Listen("tcp", "127.0.0.1:0")
	testkit.NoErr(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dp.Serve(ctx, pub, priv) }()
	s := &testSPU{id: 1, dp: dp, dir: dir, public: pub.Addr().String(), private: priv.Addr().String()}
	s.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		_ = dp.Close()
	}
	t.Cleanup(s.stop)
	return s
}

// TestSPUStorageFailureRecovers: while the disk is full (ENOSPC on every
// write) or failing (EIO on every fsync), each produce gets a storage
// error at once, not after its timeout; the SPU logs each kind of error
// once, not once per attempt (before: 426 lines of "HW checkpoint
// failed"); once the disk works again the replica takes writes by itself
// within seconds (it used to need an SPU restart), and every acknowledged
// record is there.
func TestSPUStorageFailureRecovers(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  vfstest.Op
		err  error
		text string
	}{
		{"disk full", vfstest.OpWrite | vfstest.OpCreate, syscall.ENOSPC, "no space left on device"},
		{"fsync fails", vfstest.OpSync, syscall.EIO, "input/output error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inj := vfstest.NewInjector()
			logs := &warnLog{lines: map[string]int{}}
			s := startSPUOn(t, vfstest.WithErrors(vfs.Default, inj), slog.New(logs))
			s.apply(t, true, nil, spec("t", 0, 1, 0))
			c := dial(t, s.public)
			ctx := context.Background()
			_, err := produce(ctx, c, "t", 0, wire.AcksAll, "acked-1")
			testkit.NoErr(t, err)

			inj.FailEvery(tc.ops, tc.err)
			attempts := 0
			for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); attempts++ {
				start := time.Now()
				_, err := produce(ctx, c, "t", 0, wire.AcksAll, "refused")
				if !errors.Is(err, wire.ErrStorage) && !errors.Is(err, wire.ErrNotLeader) {
					t.Fatalf("attempt %d: %v, want a storage error", attempts, err)
				}
				if errors.Is(err, wire.ErrStorage) && !strings.Contains(err.Error(), tc.text) && !strings.Contains(err.Error(), "wal: failed") {
					t.Errorf("attempt %d: %q does not say what failed", attempts, err)
				}
				if d := time.Since(start); d > time.Second {
					t.Fatalf("attempt %d took %v: the producer must learn at once", attempts, d)
				}
				time.Sleep(50 * time.Millisecond)
			}
			inj.Heal()
			testkit.WaitFor(t, 10*time.Second, func() error {
				_, err := produce(ctx, c, "t", 0, wire.AcksAll, "acked-2")
				return err
			})
			got, _ := consume(t, c, "t", 0, 0)
			testkit.NoErr(t, eq(got, []string{"acked-1", "acked-2"}))

			logs.mu.Lock()
			defer logs.mu.Unlock()
			for msg, n := range logs.lines {
				if n > 1 {
					t.Errorf("%q logged %d times in %d attempts over 2.5s; want once a minute", msg, n, attempts)
				}
			}
			if len(logs.lines) == 0 {
				t.Error("the storage failure was not logged")
			}
		})
	}
}
