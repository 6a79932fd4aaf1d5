package runner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// settler brings the page cache to the same state before every worker
// run of every system: it writes back the dirty pages (syncfs on the
// work directory's filesystem), then waits until the kernel's Dirty +
// Writeback (/proc/meminfo) is at most limit, for at most timeout. A run
// that begins with the previous run's dirty pages pending would be
// throttled in write (the kernel's dirty-page limits) for pages it did
// not write, and with interleaved runs the order would pick who pays.
// Together with the removal of every finished run's directory (a deleted
// file's dirty pages need no writeback) each run starts clean.
type settler struct {
	meminfo string        // the meminfo file; /proc/meminfo
	limit   int64         // Dirty + Writeback bytes that count as settled
	timeout time.Duration // bound of the wait after the syncfs
	poll    time.Duration
}

// defaultSettler: 64 MiB is what the machine's other writers (builds,
// logs) keep dirty at rest; 30 s is several times a full-mode run's 4 GiB
// at the disk's write-back rate.
var defaultSettler = settler{meminfo: "/proc/meminfo", limit: 64 << 20, timeout: 30 * time.Second, poll: 20 * time.Millisecond}

// settleResult says what a settle found and did.
type settleResult struct {
	Before, After int64 // Dirty + Writeback bytes before the syncfs and at the end
	Took          time.Duration
	TimedOut      bool // After is still above the limit
}

// settle writes back the dirty pages of dir's filesystem and waits for
// the machine's dirty pages to drain, bounded by s.timeout; a timeout is
// not an error (the result says so and the caller logs it). It fails only
// when meminfo cannot be read or ctx ends.
func (s settler) settle(ctx context.Context, dir string) (settleResult, error) {
	start := time.Now()
	var res settleResult
	var err error
	if res.Before, err = s.dirty(); err != nil {
		return res, err
	}
	if err := syncFS(dir); err != nil {
		return res, err
	}
	deadline := start.Add(s.timeout)
	for {
		if res.After, err = s.dirty(); err != nil {
			return res, err
		}
		if res.After <= s.limit {
			break
		}
		if time.Now().After(deadline) {
			res.TimedOut = true
			break
		}
		if err := sleep(ctx, s.poll); err != nil {
			return res, err
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// syncFS writes back the dirty pages of the filesystem holding dir and
// waits for them (syncfs(2)).
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("runner: settle: %w", err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("runner: settle: syncfs %s: %w", dir, err)
	}
	return nil
}

// dirty returns Dirty + Writeback of s.meminfo in bytes.
func (s settler) dirty() (int64, error) {
	text, err := os.ReadFile(s.meminfo)
	if err != nil {
		return 0, fmt.Errorf("runner: settle: %w", err)
	}
	var total int64
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(text))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 || (string(f[0]) != "Dirty:" && string(f[0]) != "Writeback:") {
			continue
		}
		kb, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("runner: settle: %s: bad %s line %q", s.meminfo, f[0], sc.Text())
		}
		total += kb << 10
		found++
	}
	if found != 2 {
		return 0, fmt.Errorf("runner: settle: %s has no Dirty and Writeback lines", s.meminfo)
	}
	return total, nil
}
