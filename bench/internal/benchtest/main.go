package benchtest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main is the TestMain of the benchmark packages: it runs the tests,
// removes the binaries Binaries built, and fails the test binary when
// the tests passed but left goroutines running (goleak). It does not
// return.
func Main(m *testing.M) {
	code := func() int {
		defer Cleanup()
		return m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
