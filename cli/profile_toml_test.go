package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestProfilesFluvioTOML: a Fluvio ~/.fluvio/config (TOML) is read as it
// is; writing it keeps what we do not use (tls, topic, metadata);
// FLV_PROFILE_PATH is honoured; 'profile export' prints a file that works
// as FLV_PROFILE_PATH, and -O json|yaml the cluster settings.
func TestProfilesFluvioTOML(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	data, err := os.ReadFile("testdata/fluvio-config.toml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fluvio-config")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(data), "SC_ADDR", sc.Addr())), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(e.env, EnvConfig)
	e.env[EnvProfilePath] = path

	testkit.Equal(t, e.ok("profile", "current"), "local\n")
	list := e.ok("profile", "list")
	testkit.Contains(t, list, "sandbox.xxxx.eksctl.io:9003")
	testkit.Contains(t, list, "local3")
	e.ok("custom-spu", "register", "--id", "7", "-p", "127.0.0.1:1", "-v", "127.0.0.1:2") // through the current profile
	testkit.Contains(t, e.ok("spu", "list"), "custom-spu-7")

	// Writing keeps the file Fluvio's.
	e.ok("profile", "add", "extra", "--sc", "10.0.0.9:9003")
	e.ok("profile", "switch", "cloud")
	var doc map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		t.Fatalf("the written file is not TOML: %v", err)
	}
	testkit.Equal(t, doc["current_profile"], any("cloud"))
	testkit.Equal(t, doc["version"], any("1.0"))
	profiles := doc["profile"].(map[string]any)
	clusters := doc["cluster"].(map[string]any)
	testkit.Equal(t, profiles["local3"].(map[string]any)["topic"], any("test3"))
	testkit.Equal(t, profiles["local3"].(map[string]any)["partition"], any(int64(3)))
	ec2 := clusters["ec2"].(map[string]any)
	testkit.Equal(t, ec2["tls"].(map[string]any)["domain"], any("sandbox.example.com"))
	testkit.Equal(t, clusters["local"].(map[string]any)["metadata"].(map[string]any)["installation"].(map[string]any)["type"], any("local"))
	extra := clusters["extra"].(map[string]any)
	testkit.Equal(t, extra["endpoint"], any("10.0.0.9:9003"))
	testkit.Equal(t, extra["tls"].(map[string]any)["tls_policy"], any("disabled"))

	// Export: TOML by default, usable as FLV_PROFILE_PATH.
	e.ok("profile", "switch", "local")
	exported := e.ok("profile", "export")
	testkit.Contains(t, exported, `current_profile = "local"`)
	testkit.Contains(t, exported, `endpoint = "`+sc.Addr()+`"`)
	testkit.Contains(t, exported, `tls_policy = "disabled"`)
	other := newCLIEnv(t)
	delete(other.env, EnvConfig)
	file := filepath.Join(t.TempDir(), "exported.toml")
	if err := os.WriteFile(file, []byte(exported), 0o600); err != nil {
		t.Fatal(err)
	}
	other.env[EnvProfilePath] = file
	testkit.Contains(t, other.ok("spu", "list"), "custom-spu-7")

	var cl map[string]any
	if err := json.Unmarshal([]byte(e.ok("profile", "export", "cloud", "-O", "json")), &cl); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, cl["endpoint"], any("sandbox.xxxx.eksctl.io:9003"))
	testkit.Equal(t, cl["tls"].(map[string]any)["tls_policy"], any("verified"))
	testkit.Contains(t, e.ok("profile", "export", "-O", "yaml"), "endpoint: "+sc.Addr())
	testkit.Contains(t, e.fails(exitUsage, "profile", "export", "-O", "xml"), `--output "xml": use toml, json or yaml`)
	testkit.Contains(t, e.fails(exitNotFound, "profile", "export", "nope"), `profile "nope" not found`)

	// FLUVIO_CONFIG wins over FLV_PROFILE_PATH.
	e.env[EnvConfig] = filepath.Join(t.TempDir(), "none")
	e.fails(exitNotFound, "profile", "current")
}

// TestProfilesMigrateYAML: a profiles file in the YAML earlier versions
// wrote is converted to TOML once, the YAML kept as .yaml.bak.
func TestProfilesMigrateYAML(t *testing.T) {
	e := newCLIEnv(t)
	path := e.env[EnvConfig]
	yml := "current: prod\nprofiles:\n  prod:\n    sc: 10.1.2.3:9003\n  local:\n    sc: 127.0.0.1:9003\n    localDir: /tmp/fluvio-local\n"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, e.ok("profile", "current"), "prod\n")
	backup, err := os.ReadFile(path + ".yaml.bak")
	if err != nil || string(backup) != yml {
		t.Fatalf("backup %q, %v", backup, err)
	}
	var doc map[string]any
	if _, err := toml.DecodeFile(path, &doc); err != nil {
		t.Fatalf("migrated file is not TOML: %v", err)
	}
	testkit.Equal(t, doc["current_profile"], any("prod"))
	local := doc["cluster"].(map[string]any)["local"].(map[string]any)
	testkit.Equal(t, local["endpoint"], any("127.0.0.1:9003"))
	testkit.Equal(t, local["metadata"].(map[string]any)["local_dir"], any("/tmp/fluvio-local"))
	var list []profileView
	if err := json.Unmarshal([]byte(e.ok("profile", "list", "-O", "json")), &list); err != nil {
		t.Fatal(err)
	}
	testkit.Equal(t, len(list), 2)
	testkit.Equal(t, list[0], profileView{Name: "local", Spec: profile{SC: "127.0.0.1:9003", LocalDir: "/tmp/fluvio-local", Cluster: "local"}})
}

// TestProfileExportKeepsCreds: the exported profile carries the NATS
// credentials file (every local cluster has auth on: without it the file
// is refused elsewhere) but not the local cluster's data dir; -O json
// shows them too.
func TestProfileExportKeepsCreds(t *testing.T) {
	e := newCLIEnv(t)
	creds := filepath.Join(t.TempDir(), "admin.creds")
	if err := os.WriteFile(creds, []byte("seed"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok("profile", "add", "prod", "--sc", "10.0.0.5:9003", "--creds", creds, "--switch")
	cfg, _, err := loadProfileFile(t, e)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Profiles["prod"]
	p.LocalDir = "/var/lib/fluvio/local"
	cfg.Profiles["prod"] = p
	if err := saveProfiles(e.env[EnvConfig], cfg); err != nil {
		t.Fatal(err)
	}

	exported := e.ok("profile", "export")
	got, _, err := decodeProfiles("exported", []byte(exported))
	if err != nil {
		t.Fatalf("exported file: %v\n%s", err, exported)
	}
	testkit.Equal(t, got.Current, "prod")
	testkit.Equal(t, got.Profiles["prod"].Creds, creds)
	testkit.Equal(t, got.Profiles["prod"].SC, "10.0.0.5:9003")
	testkit.Equal(t, got.Profiles["prod"].LocalDir, "")

	var cl map[string]any
	if err := json.Unmarshal([]byte(e.ok("profile", "export", "-O", "json")), &cl); err != nil {
		t.Fatal(err)
	}
	md, _ := cl["metadata"].(map[string]any)
	testkit.Equal(t, md["nats_creds"], any(creds))
	if _, ok := md["local_dir"]; ok {
		t.Fatalf("-O json exports local_dir: %v", cl)
	}
}

func loadProfileFile(t *testing.T, e *cliEnv) (*profileConfig, bool, error) {
	t.Helper()
	data, err := os.ReadFile(e.env[EnvConfig])
	if err != nil {
		t.Fatal(err)
	}
	return decodeProfiles(e.env[EnvConfig], data)
}
