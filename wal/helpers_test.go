package wal

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/fluvio-go/fluvio/batch"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestMain(m *testing.M) {
	if os.Getenv(killChildEnv) != "" {
		killChildMain()
		return
	}
	goleak.VerifyTestMain(m)
}

// tester is what the helpers need of *testing.T, *testing.B and *rapid.T.
type tester interface {
	Helper()
	Fatalf(format string, args ...any)
}

// value is the deterministic payload of record i of batch id.
func value(id, i int) []byte { return fmt.Appendf(nil, "batch-%d-record-%d", id, i) }

// makeBatch builds a batch of n records with payloads value(id, i),
// leader epoch epoch and timestamps ts.
func makeBatch(id, n int, epoch int32, ts int64) []byte {
	var b batch.Builder
	b.Reset(ts)
	for i := range n {
		b.Add(nil, value(id, i), nil, ts)
	}
	out := bytes.Clone(b.Bytes())
	batch.SetLeaderEpoch(out, epoch)
	return out
}

// readAll reads every batch from offset from to the end.
func readAll(t tester, l *Log, from int64) [][]byte {
	t.Helper()
	var out [][]byte
	for off := from; off < l.EndOffset(); {
		c, err := l.Read(off, 64<<10)
		testkit.NoErr(t, err)
		p, _ := c.Bytes()
		if len(p) == 0 {
			t.Fatalf("empty read at %d, end %d", off, l.EndOffset())
		}
		for b, err := range batch.All(p) {
			testkit.NoErr(t, err)
			out = append(out, bytes.Clone(b))
		}
		off = c.NextOffset()
		testkit.NoErr(t, c.Close())
	}
	return out
}
