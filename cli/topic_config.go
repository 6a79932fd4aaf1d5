package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
	"gopkg.in/yaml.v3"
)

// scalar is a YAML scalar read as its text (sizes like "10 GB" or 1024).
type scalar string

func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a value, not a %s", n.Line, kindName(n.Kind))
	}
	*s = scalar(n.Value)
	return nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "node"
}

// topicFile is Fluvio's topic configuration file ('fluvio topic create
// --config FILE'), YAML:
//
//	version: 0.1.0
//	meta:
//	  name: my-topic
//	partition:
//	  count: 3
//	  replication: 2
//	  ignore-rack-assignment: true
//	  max-size: 10 GB
//	  maps: [{id: 0, replicas: [5001, 5002]}]   # instead of count/replication
//	retention:
//	  time: 7 days
//	  segment-size: 1 GB
//	compression:
//	  type: gzip
type topicFile struct {
	Version string `yaml:"version"`
	Meta    struct {
		Name string `yaml:"name"`
	} `yaml:"meta"`
	Partition struct {
		Count                *int32            `yaml:"count"`
		Replication          *int32            `yaml:"replication"`
		IgnoreRackAssignment bool              `yaml:"ignore-rack-assignment"`
		MaxSize              scalar            `yaml:"max-size"`
		Maps                 []partitionAssign `yaml:"maps"`
	} `yaml:"partition"`
	Retention struct {
		Time        scalar `yaml:"time"`
		SegmentSize scalar `yaml:"segment-size"`
	} `yaml:"retention"`
	Compression struct {
		Type string `yaml:"type"`
	} `yaml:"compression"`
	Deduplication any `yaml:"deduplication"`
}

// partitionAssign is one partition of a replica assignment (JSON file or
// the config file's partition.maps).
type partitionAssign struct {
	ID       int32   `json:"id" yaml:"id"`
	Replicas []int32 `json:"replicas" yaml:"replicas"`
}

// readTopicFile reads --config FILE into a name and a TopicConfig.
func readTopicFile(path string) (string, fluvio.TopicConfig, error) {
	var cfg fluvio.TopicConfig
	data, err := os.ReadFile(path)
	if err != nil {
		return "", cfg, fmt.Errorf("--config: %w", err)
	}
	var f topicFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return "", cfg, fmt.Errorf("--config %s is not a valid topic configuration: %v", path, err)
	}
	if f.Meta.Name == "" {
		return "", cfg, fmt.Errorf("--config %s has no meta.name: name the topic there", path)
	}
	if f.Deduplication != nil {
		return "", cfg, fmt.Errorf("--config %s: deduplication is not supported here (the idempotent producer deduplicates retries)", path)
	}
	if f.Partition.Count != nil {
		cfg.Partitions = *f.Partition.Count
	}
	if f.Partition.Replication != nil {
		cfg.Replicas = *f.Partition.Replication
	}
	cfg.IgnoreRackAssignment = f.Partition.IgnoreRackAssignment
	if len(f.Partition.Maps) > 0 {
		if f.Partition.Count != nil || f.Partition.Replication != nil {
			return "", cfg, fmt.Errorf("--config %s: partition.maps places the partitions: drop partition.count and partition.replication", path)
		}
		if cfg.ReplicaAssignment, err = assignment(f.Partition.Maps); err != nil {
			return "", cfg, fmt.Errorf("--config %s: partition.maps: %w", path, err)
		}
	}
	if f.Partition.MaxSize != "" {
		if cfg.MaxPartitionBytes, err = parseSize(string(f.Partition.MaxSize)); err != nil {
			return "", cfg, fmt.Errorf("--config %s: partition.max-size: %w", path, err)
		}
	}
	if f.Retention.SegmentSize != "" {
		if cfg.SegmentBytes, err = parseSize(string(f.Retention.SegmentSize)); err != nil {
			return "", cfg, fmt.Errorf("--config %s: retention.segment-size: %w", path, err)
		}
	}
	if f.Retention.Time != "" {
		if cfg.Retention, err = parseHumanDuration(string(f.Retention.Time)); err != nil {
			return "", cfg, fmt.Errorf("--config %s: retention.time: %w", path, err)
		}
	}
	if f.Compression.Type != "" {
		cfg.CompressionType = strings.ToLower(f.Compression.Type)
	}
	return f.Meta.Name, cfg, nil
}

// readAssignment reads --replica-assignment FILE: JSON
// [{"id":0,"replicas":[5001,5002]}, ...].
func readAssignment(path string) ([][]int32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--replica-assignment: %w", err)
	}
	var maps []partitionAssign
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&maps); err != nil {
		return nil, fmt.Errorf(`--replica-assignment %s is not valid: %v (want JSON like [{"id":0,"replicas":[5001,5002]}])`, path, err)
	}
	out, err := assignment(maps)
	if err != nil {
		return nil, fmt.Errorf("--replica-assignment %s: %w", path, err)
	}
	return out, nil
}

// assignment checks a replica assignment: partitions 0..n-1 each once,
// each with the same number (at least one) of distinct SPU ids.
func assignment(maps []partitionAssign) ([][]int32, error) {
	if len(maps) == 0 {
		return nil, fmt.Errorf("no partitions")
	}
	out := make([][]int32, len(maps))
	for _, m := range maps {
		switch {
		case m.ID < 0 || int(m.ID) >= len(maps):
			return nil, fmt.Errorf("partition id %d: with %d partitions, ids are 0..%d", m.ID, len(maps), len(maps)-1)
		case out[m.ID] != nil:
			return nil, fmt.Errorf("partition %d is listed twice", m.ID)
		case len(m.Replicas) == 0:
			return nil, fmt.Errorf("partition %d has no replicas", m.ID)
		case len(m.Replicas) != len(maps[0].Replicas):
			return nil, fmt.Errorf("partition %d has %d replicas, partition %d has %d: give every partition as many", m.ID, len(m.Replicas), maps[0].ID, len(maps[0].Replicas))
		}
		seen := map[int32]bool{}
		for _, id := range m.Replicas {
			if id < 0 {
				return nil, fmt.Errorf("partition %d: SPU id %d is negative", m.ID, id)
			}
			if seen[id] {
				return nil, fmt.Errorf("partition %d lists SPU %d twice", m.ID, id)
			}
			seen[id] = true
		}
		out[m.ID] = m.Replicas
	}
	return out, nil
}

// humanUnit matches Fluvio's humantime words ("7 days", "12 hours").
var humanUnit = regexp.MustCompile(`(\d+)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b`)

// parseHumanDuration takes our durations (7d, 1h30m) and Fluvio's
// humantime ones ("7 days", "1 hour 30 minutes").
func parseHumanDuration(s string) (time.Duration, error) {
	if d, err := parseDuration(s); err == nil {
		return d, nil
	}
	units := map[byte]string{'w': "w", 'd': "d", 'h': "h", 'm': "m", 's': "s"}
	norm := humanUnit.ReplaceAllStringFunc(s, func(m string) string {
		g := humanUnit.FindStringSubmatch(m)
		u := units[g[2][0]]
		if strings.HasPrefix(g[2], "min") {
			u = "m"
		}
		return g[1] + u
	})
	return parseDuration(strings.ReplaceAll(norm, " ", ""))
}
