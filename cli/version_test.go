package cli

import (
	"encoding/json"
	"testing"

	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/fluvio-go/fluvio/internal/version"
)

func TestVersion(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	out := e.ok("version", "--sc", sc.Addr())
	testkit.Contains(t, out, "Fluvio CLI        : "+version.Version)
	testkit.Contains(t, out, "SC                : 9.9.9-fake (abc123) at "+sc.Addr())
	testkit.Contains(t, out, "NATS              : 2.x-fake")
	var v versionView
	if err := json.Unmarshal([]byte(e.ok("--version", "--sc", sc.Addr(), "-O", "json")), &v); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, v.SC, "9.9.9-fake (abc123)")

	// An unreachable SC still prints the CLI version, and exits 0.
	addr := freeAddr(t)
	out, errs, code := e.run("version", "--sc", addr)
	testkit.Equal(t, code, 0)
	testkit.Contains(t, out, "Fluvio CLI")
	testkit.Contains(t, out, "unreachable at "+addr)
	testkit.Contains(t, errs, "fluvio cluster start")
}
