package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestProfiles(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	// No profiles: the default address, and a clear message.
	out, errs, code := e.run("profile", "list")
	testkit.Equal(t, code, 0)
	testkit.Equal(t, strings.Fields(out)[1], "PROFILE")
	testkit.Contains(t, errs, "fluvio profile add")
	errs = e.fails(exitNotFound, "profile", "current")
	testkit.Contains(t, errs, "127.0.0.1:9003 (the default)")

	e.ok("profile", "add", "fake", "--sc", sc.Addr())
	e.ok("profile", "add", "other", "--sc", "10.9.9.9:1")
	testkit.Equal(t, e.ok("profile", "current"), "fake\n") // the first added became current
	out = e.ok("profile", "list")
	testkit.Contains(t, out, "*        fake")
	// The current profile is the target: no --sc needed.
	e.ok("custom-spu", "register", "--id", "1", "-p", "127.0.0.1:1", "-v", "127.0.0.1:2")
	testkit.Contains(t, e.ok("spu", "list"), "custom-spu-1")

	// Precedence: --profile and --sc > FLUVIO_SC > current profile.
	e.env[EnvSC] = "10.1.1.1:7"
	var eff target
	if err := json.Unmarshal([]byte(e.ok("profile", "current", "-O", "json")), &eff); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, eff, target{Addr: "10.1.1.1:7", Source: EnvSC})
	if err := json.Unmarshal([]byte(e.ok("profile", "current", "-O", "json", "-P", "other")), &eff); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, eff, target{Addr: "10.9.9.9:1", Profile: "other", Source: "--profile"})
	testkit.Contains(t, e.ok("spu", "list", "-P", "fake"), "custom-spu-1")
	testkit.Contains(t, e.ok("spu", "list", "--sc", sc.Addr()), "custom-spu-1")
	delete(e.env, EnvSC)
	testkit.Contains(t, e.ok("profile", "current", "-O", "yaml"), "source: current profile")

	// switch, rename, delete.
	testkit.Equal(t, e.ok("profile", "switch", "other"), "switched to profile \"other\"\n")
	testkit.Equal(t, e.ok("profile", "current"), "other\n")
	testkit.Contains(t, e.fails(exitNotFound, "profile", "switch", "nope"), `profile "nope" not found`)
	testkit.Contains(t, e.fails(exitNotFound, "spu", "list", "-P", "nope"), "fluvio profile add nope")
	e.ok("profile", "rename", "other", "remote")
	testkit.Equal(t, e.ok("profile", "current"), "remote\n")
	testkit.Contains(t, e.fails(exitConflict, "profile", "rename", "remote", "fake"), "already exists")
	_, errs, _ = e.run("profile", "delete", "remote")
	testkit.Contains(t, errs, "was the current profile")
	e.fails(exitNotFound, "profile", "current")
	var list []profileView
	if err := json.Unmarshal([]byte(e.ok("profile", "list", "-O", "json")), &list); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, len(list), 1)
	testkit.Equal(t, list[0], profileView{Name: "fake", Spec: profile{SC: sc.Addr(), Cluster: "fake"}})

	// The file is Fluvio's TOML and private to the user.
	data, err := os.ReadFile(e.env[EnvConfig])
	if err != nil {
		t.Fatal(err)
	}
	testkit.Contains(t, string(data), "[profile.fake]\n    cluster = \"fake\"")
	testkit.Contains(t, string(data), "[cluster.fake]\n    endpoint = \""+sc.Addr()+"\"")
	st, _ := os.Stat(e.env[EnvConfig])
	testkit.Equal(t, st.Mode().Perm(), os.FileMode(0o600))
}

func TestProfilesBadFile(t *testing.T) {
	e := newCLIEnv(t)
	if err := os.MkdirAll(e.env["HOME"]+"/.fluvio", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.env[EnvConfig], []byte("current: [oops"), 0o600); err != nil {
		t.Fatal(err)
	}
	errs := e.fails(exitError, "topic", "list")
	testkit.Contains(t, errs, "is not valid TOML")
	testkit.Contains(t, errs, "next: fix or remove the file")
	// --sc does not need the file.
	e.fails(exitUnavailable, "topic", "list", "--sc", freeAddr(t))
}

func TestProfileUsageErrors(t *testing.T) {
	e := newCLIEnv(t)
	testkit.Contains(t, e.fails(exitUsage, "profile", "add", "x"), "missing --sc")
	testkit.Contains(t, e.fails(exitUsage, "profile", "add", "x", "--sc", "nope"), "not HOST:PORT")
	testkit.Contains(t, e.fails(exitUsage, "profile", "add", "a b", "--sc", "h:1"), "has the character ' '")
	testkit.Contains(t, e.fails(exitUsage, "profile", "switch"), "one argument")
	testkit.Contains(t, e.fails(exitUsage, "profile", "delete"), "one argument")
	testkit.Contains(t, e.fails(exitUsage, "profile", "rename", "a"), "OLD NEW")
}

// TestProfilesRedactPasswords: a profile whose SC address holds a password
// keeps it in the file but never prints it (add, list in every format,
// current -O json).
func TestProfilesRedactPasswords(t *testing.T) {
	e := newCLIEnv(t)
	const url = "nats://client:client-secret@127.0.0.1:4222"
	outs := []string{
		e.ok("profile", "add", "p1", "--sc", url),
		e.ok("profile", "list"),
		e.ok("profile", "list", "-O", "json"),
		e.ok("profile", "list", "-O", "yaml"),
		e.ok("profile", "current", "-O", "json"),
	}
	for _, out := range outs {
		if strings.Contains(out, "client-secret") {
			t.Fatalf("a password printed:\n%s", out)
		}
		testkit.Contains(t, out, "127.0.0.1:4222")
	}
	data, err := os.ReadFile(e.env[EnvConfig])
	if err != nil || !strings.Contains(string(data), "client-secret") {
		t.Fatalf("the file lost the password: %v\n%s", err, data)
	}
}
