package e2e

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// k8sObject is the part of a Kubernetes object docs/k8s promises.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Replicas    int    `yaml:"replicas"`
		ServiceName string `yaml:"serviceName"`
		ClusterIP   string `yaml:"clusterIP"`
		Selector    struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				InitContainers []k8sContainer `yaml:"initContainers"`
				Containers     []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata struct {
				Name string `yaml:"name"`
			} `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name         string   `yaml:"name"`
	Command      []string `yaml:"command"`
	Args         []string `yaml:"args"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	ReadinessProbe *struct {
		HTTPGet struct {
			Path string `yaml:"path"`
		} `yaml:"httpGet"`
	} `yaml:"readinessProbe"`
	LivenessProbe *struct {
		HTTPGet struct {
			Path string `yaml:"path"`
		} `yaml:"httpGet"`
	} `yaml:"livenessProbe"`
}

// TestK8sExample checks docs/k8s against what docs/deploy.md promises and
// against the binaries: every YAML document parses; the SCs are a
// Deployment of 3 with --ha and the bucket at 3 replicas, probed on
// /readyz and /livez; the SPUs are a StatefulSet behind a headless Service
// with a stable id (5001 + ordinal), registered by an init container, and
// a volume per pod holding --log-base-dir; selectors match their pods;
// the NATS chart's values make a 3-node cluster with JetStream on
// volumes; and every flag the example passes exists in that program's
// --help. (kubectl apply --dry-run=client needs an API server's
// discovery, which CI has not: docs/deploy.md says what was run.)
func TestK8sExample(t *testing.T) {
	needBinaries(t)
	objs := map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(readRepoFile(t, "docs/k8s/fluvio.yaml")))
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("docs/k8s/fluvio.yaml: %v", err)
		}
		objs[o.Kind+"/"+o.Metadata.Name] = o
	}
	for _, want := range []string{"ConfigMap/fluvio", "Deployment/fluvio-sc", "Service/fluvio-spu", "StatefulSet/fluvio-spu"} {
		if _, ok := objs[want]; !ok {
			t.Fatalf("docs/k8s/fluvio.yaml has no %s (has %v)", want, keys(objs))
		}
	}
	for name, o := range objs {
		if o.Kind != "Deployment" && o.Kind != "StatefulSet" {
			continue
		}
		for k, v := range o.Spec.Selector.MatchLabels {
			if o.Spec.Template.Metadata.Labels[k] != v {
				t.Errorf("%s: selector %s=%s does not match its pods' labels %v", name, k, v, o.Spec.Template.Metadata.Labels)
			}
		}
	}

	sc := objs["Deployment/fluvio-sc"]
	if sc.Spec.Replicas < 3 {
		t.Errorf("fluvio-sc: %d replicas, want 3 SCs (one active, two standbys)", sc.Spec.Replicas)
	}
	scc := sc.Spec.Template.Spec.Containers[0]
	for _, want := range []string{"--ha", "--kv-replicas=3"} {
		if !slices.Contains(scc.Args, want) {
			t.Errorf("fluvio-sc args %v lack %s", scc.Args, want)
		}
	}
	if scc.ReadinessProbe == nil || scc.ReadinessProbe.HTTPGet.Path != "/readyz" || scc.LivenessProbe == nil || scc.LivenessProbe.HTTPGet.Path != "/livez" {
		t.Errorf("fluvio-sc: want readiness /readyz and liveness /livez probes")
	}
	checkFlags(t, "sc-server", strings.Join(scc.Args, " "))

	svc := objs["Service/fluvio-spu"]
	spu := objs["StatefulSet/fluvio-spu"]
	if svc.Spec.ClusterIP != "None" || spu.Spec.ServiceName != svc.Metadata.Name {
		t.Errorf("fluvio-spu: want a headless Service (clusterIP None, got %q) named by the StatefulSet's serviceName (%q): stable DNS names",
			svc.Spec.ClusterIP, spu.Spec.ServiceName)
	}
	if len(spu.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("fluvio-spu: %d volumeClaimTemplates, want one volume per pod", len(spu.Spec.VolumeClaimTemplates))
	}
	vol := spu.Spec.VolumeClaimTemplates[0].Metadata.Name
	spuc := spu.Spec.Template.Spec.Containers[0]
	script := strings.Join(spuc.Args, " ")
	mounted := ""
	for _, m := range spuc.VolumeMounts {
		if m.Name == vol {
			mounted = m.MountPath
		}
	}
	if mounted == "" || !strings.Contains(script, "--log-base-dir "+mounted) {
		t.Errorf("fluvio-spu: the volume %q (mounted at %q) must hold --log-base-dir: %s", vol, mounted, script)
	}
	idFromOrdinal := "--id $((5001 + ${POD_NAME##*-}))"
	if !strings.Contains(script, idFromOrdinal) {
		t.Errorf("fluvio-spu: want the stable id %q, got %s", idFromOrdinal, script)
	}
	checkFlags(t, "spu-server", script)
	if len(spu.Spec.Template.Spec.InitContainers) == 0 {
		t.Fatal("fluvio-spu: no init container registers the SPU id")
	}
	reg := strings.Join(spu.Spec.Template.Spec.InitContainers[0].Args, " ")
	if !strings.Contains(reg, "fluvio custom-spu register --id $ID") || !strings.Contains(reg, "ID=$((5001 + ${POD_NAME##*-}))") {
		t.Errorf("fluvio-spu: the init container must register the same id: %s", reg)
	}
	checkFlags(t, "fluvio custom-spu register", reg)

	var values struct {
		Config struct {
			Cluster struct {
				Enabled  bool `yaml:"enabled"`
				Replicas int  `yaml:"replicas"`
			} `yaml:"cluster"`
			JetStream struct {
				Enabled   bool `yaml:"enabled"`
				FileStore struct {
					PVC struct {
						Size string `yaml:"size"`
					} `yaml:"pvc"`
				} `yaml:"fileStore"`
			} `yaml:"jetstream"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(readRepoFile(t, "docs/k8s/nats-values.yaml"), &values); err != nil {
		t.Fatalf("docs/k8s/nats-values.yaml: %v", err)
	}
	c := values.Config
	if !c.Cluster.Enabled || c.Cluster.Replicas != 3 || !c.JetStream.Enabled || c.JetStream.FileStore.PVC.Size == "" {
		t.Errorf("docs/k8s/nats-values.yaml: want a 3-node cluster with JetStream on volumes, got %+v", c)
	}
}

var longFlag = regexp.MustCompile(`(?:^|\s)(--[a-z][a-z0-9-]*)`)

// checkFlags fails for every --flag in args that program's --help does
// not list ("fluvio custom-spu register": a CLI subcommand).
func checkFlags(t *testing.T, program, args string) {
	t.Helper()
	argv := strings.Fields(program)
	out, err := exec.Command(bin(argv[0]), append(argv[1:], "--help")...).CombinedOutput()
	if err != nil && len(out) == 0 {
		t.Fatalf("%s --help: %v", program, err)
	}
	help := string(out)
	// Only the flags passed to this program: the text after its name.
	if i := strings.Index(args, argv[len(argv)-1]+" "); i >= 0 && len(argv) > 1 {
		args = args[i:]
	}
	if i := strings.Index(args, argv[0]+" "); i >= 0 && len(argv) == 1 {
		args = args[i:]
	}
	seen := 0
	for _, m := range longFlag.FindAllStringSubmatch(args, -1) {
		seen++
		if !strings.Contains(help, m[1]+" ") && !strings.Contains(help, m[1]+"[") && !strings.Contains(help, m[1]+"=") {
			t.Errorf("docs/k8s passes %s to %s, which has no such flag", m[1], program)
		}
	}
	if seen == 0 {
		t.Errorf("no flag of %s found in %q", program, args)
	}
}

func readRepoFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
