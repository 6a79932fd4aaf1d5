package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/BurntSushi/toml"
	"gopkg.in/yaml.v3"

	"github.com/fluvio-go/fluvio/internal/atomicfile"
)

// The profiles file is Fluvio's ~/.fluvio/config, TOML:
//
//	version = "2.0"
//	current_profile = "local"
//
//	[profile.local]
//	cluster = "local"
//
//	[cluster.local]
//	endpoint = "127.0.0.1:9003"
//	use_spu_local_address = false
//
//	[cluster.local.tls]
//	tls_policy = "disabled"    # or "verified" with tls_source and a certs table (profile_tls.go)
//
//	[cluster.local.metadata]
//	local_dir = "/home/me/.fluvio/local"   # ours: 'fluvio cluster start' data dir
//	nats_creds = "/home/me/.fluvio/local/auth/admin.creds"  # ours: the NATS identity
//
// A Fluvio file is read as it is: a profile's SC is its cluster's
// endpoint and its TLS the cluster's tls table. Writing keeps every table
// and key we do not use (a profile's topic and partition, metadata), so
// the file stays Fluvio's. Earlier versions of this CLI wrote YAML ("current:",
// "profiles:"); such a file is converted once, and the YAML kept beside
// it as <path>.yaml.bak.

// profilesVersion is the version written to a new file (Fluvio's).
const profilesVersion = "2.0"

// decodeProfiles parses a profiles file: TOML, or the old YAML (then
// migrated reports true).
func decodeProfiles(path string, data []byte) (cfg *profileConfig, migrated bool, err error) {
	cfg = &profileConfig{Profiles: map[string]profile{}, raw: map[string]any{}}
	terr := toml.Unmarshal(data, &cfg.raw)
	if terr == nil {
		cfg.fromRaw()
		return cfg, false, nil
	}
	var old profileConfig
	if yerr := yaml.Unmarshal(data, &old); yerr != nil || (old.Current == "" && len(old.Profiles) == 0) {
		return nil, false, withHint(fmt.Errorf("profiles file %s is not valid TOML: %w", path, terr), exitError,
			"fix or remove the file (Fluvio's format: version, current_profile, [profile.NAME], [cluster.NAME]), then add profiles with 'fluvio profile add NAME --sc HOST:PORT'")
	}
	cfg.raw = map[string]any{}
	cfg.Current = old.Current
	for n, p := range old.Profiles {
		cfg.Profiles[n] = p
	}
	return cfg, true, nil
}

// fromRaw fills Current and Profiles from the TOML document.
func (c *profileConfig) fromRaw() {
	c.Current, _ = c.raw["current_profile"].(string)
	profiles, _ := c.raw["profile"].(map[string]any)
	clusters, _ := c.raw["cluster"].(map[string]any)
	for name, v := range profiles {
		pm, _ := v.(map[string]any)
		cluster, _ := pm["cluster"].(string)
		p := profile{Cluster: cluster}
		if cm, ok := clusters[cluster].(map[string]any); ok {
			p.SC, _ = cm["endpoint"].(string)
			p.TLS = parseTLSTable(cm["tls"])
			if md, ok := cm["metadata"].(map[string]any); ok {
				p.LocalDir, _ = md["local_dir"].(string)
				p.Creds, _ = md["nats_creds"].(string)
			}
		}
		c.Profiles[name] = p
	}
}

// subTable returns m[key] as a table, creating it.
func subTable(m map[string]any, key string) map[string]any {
	t, ok := m[key].(map[string]any)
	if !ok {
		t = map[string]any{}
		m[key] = t
	}
	return t
}

// encodeProfiles renders c as TOML, keeping what it does not use.
func encodeProfiles(c *profileConfig) ([]byte, error) {
	raw := c.raw
	if raw == nil {
		raw = map[string]any{}
	}
	if _, ok := raw["version"]; !ok {
		raw["version"] = profilesVersion
	}
	if c.Current == "" {
		delete(raw, "current_profile")
	} else {
		raw["current_profile"] = c.Current
	}
	profiles, clusters := subTable(raw, "profile"), subTable(raw, "cluster")
	for name := range profiles {
		if _, ok := c.Profiles[name]; !ok {
			delete(profiles, name) // deleted or renamed; its cluster stays, as in Fluvio
		}
	}
	for name, p := range c.Profiles {
		pm := subTable(profiles, name)
		cluster := p.Cluster
		if cluster == "" {
			cluster = name
		}
		pm["cluster"] = cluster
		cm := subTable(clusters, cluster)
		cm["endpoint"] = p.SC
		if _, ok := cm["use_spu_local_address"]; !ok {
			cm["use_spu_local_address"] = false
		}
		if p.TLS != nil {
			cm["tls"] = p.TLS.table()
		} else if tls, ok := cm["tls"].(map[string]any); !ok || len(tls) == 0 {
			cm["tls"] = map[string]any{"tls_policy": tlsDisabled}
		}
		if p.LocalDir != "" {
			subTable(cm, "metadata")["local_dir"] = p.LocalDir
		} else if md, ok := cm["metadata"].(map[string]any); ok {
			delete(md, "local_dir")
		}
		if p.Creds != "" {
			subTable(cm, "metadata")["nats_creds"] = p.Creds
		} else if md, ok := cm["metadata"].(map[string]any); ok {
			delete(md, "nats_creds")
		}
	}
	var b bytes.Buffer
	b.WriteString("# fluvio CLI profiles (Fluvio's format): edit with 'fluvio profile add|switch|delete'\n")
	if err := toml.NewEncoder(&b).Encode(raw); err != nil {
		return nil, fmt.Errorf("encode profiles: %w", err)
	}
	return b.Bytes(), nil
}

// migrateProfiles writes the TOML form of a YAML profiles file, keeping
// the YAML as path.yaml.bak (once: an existing backup is kept).
func migrateProfiles(path string, data []byte, cfg *profileConfig) error {
	backup := path + ".yaml.bak"
	if _, err := os.Stat(backup); errors.Is(err, os.ErrNotExist) {
		if err := atomicfile.Write(backup, data, 0o600); err != nil {
			return withHint(fmt.Errorf("back up the YAML profiles file: %w", err), exitError, "check that the directory of "+path+" is writable")
		}
	}
	return saveProfiles(path, cfg)
}

// exportProfile is 'fluvio profile export' in TOML: a whole profiles file
// with just the profile's cluster, current, as Fluvio exports it (usable
// as FLV_PROFILE_PATH).
func exportProfile(c *profileConfig, name string) ([]byte, error) {
	p := c.Profiles[name]
	cluster := p.Cluster
	if cluster == "" {
		cluster = name
	}
	// The NATS credentials go with the profile: without them a cluster
	// with auth (every local one) refuses the exported file.
	out := &profileConfig{Current: cluster, Profiles: map[string]profile{cluster: {SC: p.SC, Cluster: cluster, Creds: p.Creds}}, raw: map[string]any{}}
	if cm, ok := subTable(c.raw, "cluster")[cluster].(map[string]any); ok {
		subTable(out.raw, "cluster")[cluster] = exportedCluster(cm)
	}
	return encodeProfiles(out)
}

// exportedCluster copies a cluster table for export: every setting (tls,
// metadata such as nats_creds) but our local_dir, which names this
// machine's 'fluvio cluster start' data dir.
func exportedCluster(cm map[string]any) map[string]any {
	cp := map[string]any{}
	for k, v := range cm {
		if k != "metadata" {
			cp[k] = v
			continue
		}
		md, _ := v.(map[string]any)
		kept := map[string]any{}
		for mk, mv := range md {
			if mk != "local_dir" {
				kept[mk] = mv
			}
		}
		if len(kept) > 0 {
			cp[k] = kept
		}
	}
	return cp
}

// clusterExport is the cluster settings 'fluvio profile export -O
// json|yaml' prints (Fluvio's FluvioClusterConfig fields).
func clusterExport(c *profileConfig, name string) map[string]any {
	p := c.Profiles[name]
	cluster := p.Cluster
	if cluster == "" {
		cluster = name
	}
	out := map[string]any{"endpoint": p.SC, "use_spu_local_address": false, "tls": map[string]any{"tls_policy": "disabled"}}
	if cm, ok := subTable(c.raw, "cluster")[cluster].(map[string]any); ok {
		for k, v := range exportedCluster(cm) {
			out[k] = v
		}
	}
	return out
}
