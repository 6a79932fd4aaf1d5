package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

// mountTmpfs mounts a tmpfs of size bytes at a new directory and unmounts
// it when the test ends (after the processes it started are killed). It
// skips the test, saying why, where mounting is not permitted.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs (needs root and CAP_SYS_ADMIN): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file in dir until the filesystem is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for range 1 << 14 {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
	t.Fatal("the tmpfs never filled up")
	return ""
}

// TestE2EDiskFull is the disk-full scenario with real processes:
// the SPU's data directory on a small tmpfs that fills up. A producer
// gets a storage error at once and the CLI says so in one line (it used
// to print nothing and end after 209 s); the SPU logs each kind of error
// about once (it logged "HW checkpoint failed" every 500 ms); once space
// is freed the replica takes writes again by itself within seconds (it
// refused them until an SPU restart), with every acknowledged record
// kept.
func TestE2EDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the process-level disk-full test")
	}
	mnt := mountTmpfs(t, 8<<20)
	e := newEnv(t)
	plan := freePlan(t, 0)
	sc := plan.SCAddr()
	pub, priv := plan.CustomSPU()
	scDir := filepath.Join(t.TempDir(), "sc")
	e.start("sc-server", "--sc", sc, "--data-dir", scDir)
	// NATS auth is on: the CLI speaks as the admin, the SPU with the
	// credentials register wrote.
	e.vars = append(e.vars, "FLUVIO_CLIENT_CREDS="+filepath.Join(scDir, "auth", "admin.creds"),
		"FLUVIO_SPU_CREDS="+filepath.Join(e.home, ".fluvio", "creds", "spu-300.creds"))
	testkit.WaitFor(t, 20*time.Second, func() error {
		if out, errs, code := e.fluvio("spu", "list", "--sc", sc); code != 0 {
			return fmt.Errorf("spu list: exit %d: %s%s", code, out, errs)
		}
		return nil
	})
	e.ok("custom-spu", "register", "--id", "300", "--public-server", pub, "--private-server", priv, "--sc", sc)
	spu := e.start("spu-server", "--id", "300", "--sc-controller", sc, "--log-base-dir", filepath.Join(mnt, "spu"))
	e.ok("topic", "create", "full", "--sc", sc)

	input := filepath.Join(t.TempDir(), "in")
	write := func(prefix string, n, size int) {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%s-%d-%s\n", prefix, i, strings.Repeat("x", size))
		}
		if err := os.WriteFile(input, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("acked", 100, 10)
	testkit.WaitFor(t, 20*time.Second, func() error {
		if _, errs, code := e.fluvio("produce", "full", "--file", input, "--sc", sc); code != 0 {
			return fmt.Errorf("produce: exit %d: %s", code, errs)
		}
		return nil
	})

	filler := fill(t, mnt)
	write("refused", 2000, 1000)
	start := time.Now()
	_, errs, code := e.fluvio("produce", "full", "--file", input, "--sc", sc)
	took := time.Since(start)
	if code == 0 {
		t.Fatal("produce to a full disk succeeded")
	}
	if took > 15*time.Second {
		t.Errorf("produce to a full disk took %v to fail; want at once", took.Round(time.Millisecond))
	}
	if !strings.Contains(errs, "storage error") || !strings.Contains(errs, "no space left on device") {
		t.Errorf("produce to a full disk printed %q; want the storage error", errs)
	}
	t.Logf("produce to a full disk failed after %v: %s", took.Round(time.Millisecond), strings.TrimSpace(errs))
	time.Sleep(2 * time.Second) // the SPU keeps failing for a while: its log must stay quiet

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	write("after", 3, 10)
	testkit.WaitFor(t, 20*time.Second, func() error {
		if _, errs, code := e.fluvio("produce", "full", "--file", input, "--sc", sc); code != 0 {
			return fmt.Errorf("produce after freeing space: exit %d: %s", code, errs)
		}
		return nil
	})
	t.Logf("writes accepted again %v after space was freed", time.Since(freed).Round(time.Millisecond))

	var acked, after int
	for _, line := range strings.Split(strings.TrimSpace(e.ok("consume", "full", "-B", "-d", "--sc", sc)), "\n") {
		switch {
		case strings.HasPrefix(line, fmt.Sprintf("acked-%d-", acked)):
			acked++
		case strings.HasPrefix(line, fmt.Sprintf("after-%d-", after)):
			after++
		case strings.HasPrefix(line, "refused-"):
			// records acknowledged before the disk filled up
		default:
			t.Fatalf("unexpected record %q (after %d acked, %d after)", line, acked, after)
		}
	}
	if acked != 100 || after != 3 {
		t.Fatalf("read %d of 100 records acknowledged before and %d of 3 after the disk was full", acked, after)
	}
	logs := spu.out.String()
	if n := strings.Count(logs, "HW checkpoint failed"); n > 1 {
		t.Errorf("the SPU logged %q %d times; want once a minute", "HW checkpoint failed", n)
	}
	if n := strings.Count(logs, "no space left on device"); n > 8 {
		t.Errorf("the SPU logged %d lines about the full disk; want one per kind:\n%s", n, logs)
	}
}
