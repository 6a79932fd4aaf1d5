package testkit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// recorder is a TB that keeps the failure instead of failing the test.
type recorder struct{ failed string }

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	if r.failed == "" {
		r.failed = fmt.Sprintf(format, args...)
	}
}

func TestRequireHelpers(t *testing.T) {
	gone := errors.New("gone")
	wrapped := fmt.Errorf("read: %w", gone)
	for _, c := range []struct {
		name string
		run  func(TB)
		want string // "" = passes
	}{
		{"NoErr nil", func(r TB) { NoErr(r, nil) }, ""},
		{"NoErr err", func(r TB) { NoErr(r, gone) }, "unexpected error: gone"},
		{"ErrIs wrapped", func(r TB) { ErrIs(r, wrapped, gone) }, ""},
		{"ErrIs other", func(r TB) { ErrIs(r, errors.New("x"), gone) }, "error = x, want gone"},
		{"ErrIs nil", func(r TB) { ErrIs(r, nil, gone) }, "error = <nil>, want gone"},
		{"Equal same", func(r TB) { Equal(r, 3, 3) }, ""},
		{"Equal differs", func(r TB) { Equal(r, "a", "b") }, "got a, want b"},
		{"DeepEqual same", func(r TB) { DeepEqual(r, []int{1, 2}, []int{1, 2}) }, ""},
		{"DeepEqual differs", func(r TB) { DeepEqual(r, []int{1}, []int{2}) }, "want []int{2}"},
		{"Contains yes", func(r TB) { Contains(r, "topic created", "created") }, ""},
		{"Contains no", func(r TB) { Contains(r, "topic created", "deleted") }, `missing "deleted" in:`},
	} {
		var r recorder
		c.run(&r)
		if c.want == "" && r.failed != "" {
			t.Errorf("%s: failed with %q, want a pass", c.name, r.failed)
		}
		if c.want != "" && !strings.Contains(r.failed, c.want) {
			t.Errorf("%s: failure %q, want it to contain %q", c.name, r.failed, c.want)
		}
	}
}
