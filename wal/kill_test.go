package wal

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// killChildEnv switches the test binary into the child of TestKill9: it
// appends to the log in that directory and prints "<id> <base>" for every
// batch once it is durable, until it is killed: with SyncAlways once
// Append has returned; with SyncNever (WAL_KILL_CHILD_SYNC=never, rolls
// deferred to the background) once a Sync after the Append has returned.
const killChildEnv = "WAL_KILL_CHILD_DIR"

func killBatch(id int) []byte { return makeBatch(id, 1+id%5, 1, int64(id)) }

func killOpts(policy SyncPolicy) Options {
	return Options{SegmentBytes: 16 << 10, IndexIntervalBytes: 512, Sync: policy}
}

func killChildMain() {
	dir := os.Getenv(killChildEnv)
	start, _ := strconv.Atoi(os.Getenv("WAL_KILL_CHILD_ID"))
	policy := SyncAlways
	if os.Getenv("WAL_KILL_CHILD_SYNC") == "never" {
		policy = SyncNever
	}
	l, err := Open(dir, killOpts(policy))
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for seq := 0; ; seq++ {
				id := start + w*1_000_000 + seq
				base, err := l.Append(killBatch(id))
				if err == nil && policy == SyncNever {
					err = l.Sync()
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "%d %d\n", id, base)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// TestKill9 runs the log in a child process, kills it with SIGKILL at a
// random point, reopens the log and checks that every batch the child
// reported durable is present at its offset with its content. The same
// log directory lives through 100 trials in a row. 100 trials by default
// (WAL_KILL_TRIALS to change) under SyncAlways, a third as many under
// SyncNever (rolls deferred: sealed segments fsynced in the background).
func TestKill9(t *testing.T) {
	trials := 100
	if s := os.Getenv("WAL_KILL_TRIALS"); s != "" {
		var err error
		trials, err = strconv.Atoi(s)
		testkit.NoErr(t, err)
	}
	if testing.Short() {
		trials = min(trials, 10)
	}
	t.Run("always", func(t *testing.T) { kill9(t, SyncAlways, trials) })
	t.Run("never", func(t *testing.T) { kill9(t, SyncNever, max(trials/3, 1)) })
}

func kill9(t *testing.T, policy SyncPolicy, trials int) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("WAL_KILL_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (WAL_KILL_SEED to replay the kill points)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	var dir string
	var acked map[int]int64 // id -> base offset
	totalAcked, maxLines, deferred := 0, 0, 0
	for trial := range trials {
		if trial%100 == 0 {
			// A fresh log every 100 trials keeps each check linear.
			dir, acked = t.TempDir(), map[int]int64{}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir, fmt.Sprintf("WAL_KILL_CHILD_ID=%d", (trial+1)*10_000_000),
			"WAL_KILL_CHILD_SYNC="+policy.String())
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		testkit.NoErr(t, err)
		testkit.NoErr(t, cmd.Start())
		// Kill after a random number of acknowledged appends (0 = as soon
		// as it started), bounded in time.
		want := rng.IntN(150)
		sc := bufio.NewScanner(out)
		lines := 0
		var reported []string
		deadline := time.Now().Add(5 * time.Second)
		for lines < want && time.Now().Before(deadline) && sc.Scan() {
			reported = append(reported, sc.Text())
			lines++
		}
		testkit.NoErr(t, cmd.Process.Kill()) // SIGKILL, by PID
		for sc.Scan() {                      // lines written before the kill
			reported = append(reported, sc.Text())
		}
		_ = cmd.Wait()
		if strings.Contains(stderr.String(), "append:") || strings.Contains(stderr.String(), "open:") {
			t.Fatalf("trial %d: child failed: %s", trial, stderr.String())
		}
		for _, line := range reported {
			var id int
			var base int64
			if _, err := fmt.Sscanf(line, "%d %d", &id, &base); err != nil {
				t.Fatalf("trial %d: bad line %q", trial, line)
			}
			acked[id] = base
		}
		totalAcked += len(reported)
		maxLines = max(maxLines, len(reported))
		verifyKilledLog(t, dir, policy, acked, trial)
		if _, err := os.Stat(filepath.Join(dir, recoveryPointFile)); err == nil {
			deferred++
		}
	}
	t.Logf("figures: %s: kill -9 trials %d, acknowledged batches %d (max %d in one trial), lost 0; trials after which the log had a recovery point (rolls deferred) %d", policy, trials, totalAcked, maxLines, deferred)
	if policy == SyncNever && trials >= 10 && deferred == 0 {
		t.Fatal("rolls were never deferred: the test did not reach the background fsync of sealed segments")
	}
}

func verifyKilledLog(t *testing.T, dir string, policy SyncPolicy, acked map[int]int64, trial int) {
	t.Helper()
	l, err := Open(dir, killOpts(policy))
	if err != nil {
		t.Fatalf("trial %d: reopen: %v", trial, err)
	}
	defer l.Close()
	byOffset := map[int64][]byte{}
	next := int64(0)
	for _, b := range readAll(t, l, 0) {
		if batch.BaseOffset(b) != next {
			t.Fatalf("trial %d: hole or overlap at %d (batch at %d)", trial, next, batch.BaseOffset(b))
		}
		byOffset[next] = b
		next = batch.NextOffset(b)
	}
	for id, base := range acked {
		got, ok := byOffset[base]
		if !ok {
			t.Fatalf("trial %d: acknowledged batch %d at offset %d lost (log ends at %d)", trial, id, base, l.EndOffset())
		}
		want := killBatch(id)
		batch.SetBaseOffset(want, base)
		if !bytes.Equal(got, want) {
			t.Fatalf("trial %d: batch at offset %d is not batch %d", trial, base, id)
		}
	}
}
