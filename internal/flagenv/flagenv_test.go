package flagenv

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestBind(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	dir := fs.String("data-dir", "", "")
	addr := fs.String("sc", "127.0.0.1:9003", "")
	hb := fs.Duration("heartbeat-timeout", 3*time.Second, "")
	if err := fs.Parse([]string{"--sc", "10.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"FLUVIO_SC_DATA_DIR": "/d", "FLUVIO_SC_SC": "ignored", "FLUVIO_SC_HEARTBEAT_TIMEOUT": "5s"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := Bind(fs, "FLUVIO_SC", lookup); err != nil {
		t.Fatal(err)
	}
	if *dir != "/d" || *addr != "10.0.0.1:1" || *hb != 5*time.Second {
		t.Fatalf("dir %q addr %q hb %v", *dir, *addr, *hb)
	}
	env["FLUVIO_SC_HEARTBEAT_TIMEOUT"] = "soon"
	fs2 := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs2.Duration("heartbeat-timeout", 0, "")
	err := Bind(fs2, "FLUVIO_SC", lookup)
	if err == nil || !strings.Contains(err.Error(), "FLUVIO_SC_HEARTBEAT_TIMEOUT") {
		t.Fatalf("got %v", err)
	}
}
