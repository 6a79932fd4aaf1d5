package cli

import (
	"encoding/json"
	"testing"

	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/version"
)

func TestVersion(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	out := e.ok("version", "--sc", sc.Addr())
	requireContains(t, out, "Fluvio CLI        : "+version.Version)
	requireContains(t, out, "SC                : 9.9.9-fake (abc123) at "+sc.Addr())
	requireContains(t, out, "NATS              : 2.x-fake")
	var v versionView
	if err := json.Unmarshal([]byte(e.ok("--version", "--sc", sc.Addr(), "-O", "json")), &v); err != nil {
		t.Fatal(err)
	}
	requireEqual(t, v.SC, "9.9.9-fake (abc123)")

	// An unreachable SC still prints the CLI version, and exits 0.
	addr := freeAddr(t)
	out, errs, code := e.run("version", "--sc", addr)
	requireEqual(t, code, 0)
	requireContains(t, out, "Fluvio CLI")
	requireContains(t, out, "unreachable at "+addr)
	requireContains(t, errs, "fluvio cluster start")
}
