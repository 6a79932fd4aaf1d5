package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"gopkg.in/yaml.v3"
)

func TestCustomSPUWorkflow(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	out := e.ok("custom-spu", "register", "--id", "200", "--public-server", "127.0.0.1:9005", "--private-server", "127.0.0.1:9006", "--sc", sc.Addr())
	testkit.Equal(t, out, "custom-spu 'custom-spu-200' registered successfully\n")

	// The same id again is refused, with the reason and a next step.
	errs := e.fails(exitConflict, "custom-spu", "register", "-i", "200", "-p", "127.0.0.1:9005", "-v", "127.0.0.1:9006", "-c", sc.Addr())
	testkit.Contains(t, errs, "error: SPU 200 already exists")
	testkit.Contains(t, errs, "next: ")

	out = e.ok("spu", "list", "--sc", sc.Addr())
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want header and one row, got:\n%s", out)
	}
	want := regexp.MustCompile(`^ID\s+NAME\s+STATUS\s+TYPE\s+RACK\s+PUBLIC\s+PRIVATE$`)
	if !want.MatchString(lines[0]) {
		t.Fatalf("header: %q", lines[0])
	}
	if got := strings.Fields(lines[1]); strings.Join(got, " ") != "200 custom-spu-200 offline custom - 127.0.0.1:9005 127.0.0.1:9006" {
		t.Fatalf("row: %q", lines[1])
	}
	sc.SetOnline(200, true)
	out = e.ok("cluster", "spu", "list", "--sc", sc.Addr())
	testkit.Contains(t, out, "custom-spu-200  online")

	// -O json is Fluvio's metadata shape.
	out = e.ok("custom-spu", "list", "--sc", sc.Addr(), "-O", "json")
	var items []map[string]any
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(items) != 1 {
		t.Fatalf("items: %v", items)
	}
	spec := items[0]["spec"].(map[string]any)
	if items[0]["name"] != "custom-spu-200" || spec["spuId"] != 200.0 || spec["spuType"] != "Custom" ||
		spec["publicEndpoint"] != "127.0.0.1:9005" || spec["privateEndpoint"] != "127.0.0.1:9006" {
		t.Fatalf("json item: %v", items[0])
	}
	if r, ok := spec["rack"]; !ok || r != nil {
		t.Fatalf("rack should be null, got %v (present %v)", r, ok)
	}
	if st := items[0]["status"].(map[string]any); st["resolution"] != "Online" {
		t.Fatalf("status: %v", st)
	}
	// -O yaml carries the same keys.
	out = e.ok("spu", "list", "--sc", sc.Addr(), "-O", "yaml")
	var yitems []map[string]any
	if err := yaml.Unmarshal([]byte(out), &yitems); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out)
	}
	testkit.Contains(t, out, "spuId: 200")
	testkit.Contains(t, out, "rack: null")
	if yitems[0]["spec"].(map[string]any)["publicEndpoint"] != "127.0.0.1:9005" {
		t.Fatalf("yaml: %s", out)
	}

	out = e.ok("custom-spu", "unregister", "--id", "200", "--sc", sc.Addr())
	testkit.Equal(t, out, "custom-spu '200' deleted unregistered\n") // seed 001's line
	errs = e.fails(exitNotFound, "custom-spu", "unregister", "--id", "200", "--sc", sc.Addr())
	testkit.Contains(t, errs, "SPU not found")

	// An empty list prints the header, and a hint on stderr.
	out, errs, code := e.run("spu", "list", "--sc", sc.Addr())
	testkit.Equal(t, code, 0)
	testkit.Equal(t, strings.Fields(out)[0], "ID")
	testkit.Contains(t, errs, "fluvio custom-spu register")
	testkit.Equal(t, strings.TrimSpace(e.ok("spu", "list", "--sc", sc.Addr(), "-O", "json")), "[]")
}

func TestCustomSPURegisterNameRack(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	out := e.ok("custom-spu", "register", "-i", "7", "-n", "edge-1", "-r", "rack-a", "-p", "10.0.0.7:9005", "-v", "10.0.0.7:9006", "-c", sc.Addr())
	testkit.Equal(t, out, "custom-spu 'edge-1' registered successfully\n")
	out = e.ok("custom-spu", "list", "-c", sc.Addr())
	testkit.Equal(t, strings.Join(strings.Fields(strings.Split(out, "\n")[1]), " "), "7 edge-1 offline custom rack-a 10.0.0.7:9005 10.0.0.7:9006")
	// A name that exists is refused even with another id.
	errs := e.fails(exitConflict, "custom-spu", "register", "-i", "8", "-n", "edge-1", "-p", "10.0.0.8:9005", "-v", "10.0.0.8:9006", "-c", sc.Addr())
	testkit.Contains(t, errs, `"edge-1" already exists`)
	testkit.Equal(t, e.ok("custom-spu", "unregister", "--name", "edge-1", "-c", sc.Addr()), "custom-spu 'edge-1' deleted unregistered\n")
}

func TestCustomSPUUsageErrors(t *testing.T) {
	e := newCLIEnv(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"custom-spu", "register", "-p", "h:1", "-v", "h:2"}, "missing --id"},
		{[]string{"custom-spu", "register", "--id", "1", "-v", "h:2"}, "missing --public-server"},
		{[]string{"custom-spu", "register", "--id", "1", "-p", "h:1"}, "missing --private-server"},
		{[]string{"custom-spu", "register", "--id", "-3", "-p", "h:1", "-v", "h:2"}, "out of range"},
		{[]string{"custom-spu", "register", "--id", "1", "-p", "nohost", "-v", "h:2"}, `--public-server: "nohost" is not HOST:PORT`},
		{[]string{"custom-spu", "register", "--id", "1", "-p", "h:1", "-v", "h:99999"}, "no valid port"},
		{[]string{"custom-spu", "register", "--id", "1", "-p", "0.0.0.0:9005", "-v", "h:2"}, `"0.0.0.0:9005" is a wildcard`},
		{[]string{"custom-spu", "register", "--id", "1", "-p", "h:1", "-v", "[::]:9006"}, "e.g. 127.0.0.1:9006"},
		{[]string{"custom-spu", "register", "--id", "x"}, `invalid argument "x"`},
		{[]string{"custom-spu", "register", "--id", "1", "-p", "h:1", "-v", "h:2", "--sc", "a:1", "--profile", "p"}, "cannot be used together"},
		{[]string{"custom-spu", "unregister"}, "exactly one of --id and --name"},
		{[]string{"custom-spu", "unregister", "--id", "1", "--name", "x"}, "exactly one of --id and --name"},
		{[]string{"custom-spu", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"spu", "list", "extra"}, "unexpected argument"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			errs := e.fails(exitUsage, c.args...)
			testkit.Contains(t, errs, c.want)
			testkit.Contains(t, errs, "next: run 'fluvio ")
		})
	}
}

func TestSCUnreachable(t *testing.T) {
	e := newCLIEnv(t)
	addr := freeAddr(t)
	errs := e.fails(exitUnavailable, "spu", "list", "--sc", addr)
	testkit.Contains(t, errs, "cannot reach the SC at "+addr)
	testkit.Contains(t, errs, "fluvio cluster start")
	// The default address is named as such.
	e.env[EnvSC] = addr
	errs = e.fails(exitUnavailable, "topic", "list")
	testkit.Contains(t, errs, addr+" (from FLUVIO_SC)")
}

func TestTargetFlagsBeforeCommand(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	e.ok("--sc", sc.Addr(), "custom-spu", "register", "--id", "9", "-p", "127.0.0.1:1", "-v", "127.0.0.1:2")
	testkit.Contains(t, e.ok("--sc="+sc.Addr(), "spu", "list"), "custom-spu-9")
	testkit.Contains(t, e.ok("-c", sc.Addr(), "spu", "list", "-O", "json"), `"spuId": 9`)
	testkit.Contains(t, e.fails(exitUsage, "--sc"), `unknown command "--sc"`)
	testkit.Equal(t, strings.Join(moveLeadingTargetFlags([]string{"-P", "p", "topic", "list"}), " "), "topic list -P p")
	testkit.Equal(t, strings.Join(moveLeadingTargetFlags([]string{"topic", "list"}), " "), "topic list")
}

// TestSCUnreachableRedacts: the error for an unreachable SC shows no
// password of the URLs it names (the second of a list included), nor of
// one NATS cannot parse.
func TestSCUnreachableRedacts(t *testing.T) {
	e := newCLIEnv(t)
	addr := freeAddr(t)
	for _, sc := range []string{
		"nats://a:secret1@" + addr + ",nats://b:secret2@" + addr,
		"nats://a:secret1@127.0.0.1:bad",
	} {
		for _, args := range [][]string{{"topic", "list", "--sc", sc}, {"produce", "x", "--sc", sc}} {
			errs := e.fails(exitUnavailable, args...)
			testkit.Contains(t, errs, "cannot reach the SC at nats://a:xxxxx@")
			if strings.Contains(errs, "secret") {
				t.Fatalf("fluvio %v printed a password:\n%s", args, errs)
			}
		}
	}
}
