package cli

import (
	"errors"
	"strings"
	"testing"
)

func TestWarningLoggerPrintsWarningsOnly(t *testing.T) {
	var b strings.Builder
	l := warningLogger(&b).With("topic", "t1")
	l.Info("not shown")
	l.Warn("t1 partition 0 cannot be read yet; retrying for up to 27s (Ctrl-C stops)", "err", errors.New("leader SPU 5001 is offline"))
	want := "warning: t1 partition 0 cannot be read yet; retrying for up to 27s (Ctrl-C stops) topic=t1\ncause: leader SPU 5001 is offline\n"
	if b.String() != want {
		t.Fatalf("got %q\nwant %q", b.String(), want)
	}
	warningLogger(nil).Warn("discarded") // a nil writer must not panic
}
