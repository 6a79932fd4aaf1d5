package localcluster

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxLogBytes is the size above which a log is rotated when its process starts.
const maxLogBytes = 16 << 20

// openLog opens logPath for appending (creating its directory, rotating
// it when larger than maxLogBytes) and writes a dated header line.
func openLog(logPath, header string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	rotateLog(logPath)
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log %s: %w", logPath, err)
	}
	fmt.Fprintf(f, "---- %s %s\n", time.Now().UTC().Format(time.RFC3339), header)
	return f, nil
}

// rotateLog renames a log larger than maxLogBytes to <log>.1 (replacing
// the previous one), so restarts do not grow it without bound.
func rotateLog(path string) {
	if st, err := os.Stat(path); err == nil && st.Size() > maxLogBytes {
		_ = os.Rename(path, path+".1")
	}
}

// LogTail returns the last n lines of the file at path, each indented
// with "  | ", for error messages; "" when it cannot be read.
func LogTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("  | " + string(l) + "\n")
	}
	return b.String()
}
