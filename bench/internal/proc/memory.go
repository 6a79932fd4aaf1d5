package proc

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// PSS returns the proportional set size of pid in bytes (Pss of
// /proc/PID/smaps_rollup): resident pages, shared ones divided among the
// processes that map them, so that two processes of one binary are not
// counted twice for its text.
func PSS(pid int) (int64, error) {
	return statusField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
}

// statusField reads a "Name: N kB" line of a /proc file, in bytes.
func statusField(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("proc: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			fields := strings.Fields(v)
			if len(fields) < 1 {
				break
			}
			kb, err := strconv.ParseInt(fields[0], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("proc: %s %s: %w", path, name, err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("proc: %s: %w", path, err)
	}
	return 0, fmt.Errorf("proc: no %s line in %s", name, path)
}
