package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// outputFormat is the value of -O/--output: table, yaml or json.
type outputFormat string

const (
	outputTable outputFormat = "table"
	outputYAML  outputFormat = "yaml"
	outputJSON  outputFormat = "json"
)

// Set implements pflag.Value; it refuses unknown formats.
func (o *outputFormat) Set(s string) error {
	switch f := outputFormat(strings.ToLower(s)); f {
	case outputTable, outputYAML, outputJSON:
		*o = f
		return nil
	}
	return fmt.Errorf("unknown output format %q: use table, yaml or json", s)
}

func (o *outputFormat) String() string { return string(*o) }

// Type implements pflag.Value.
func (o *outputFormat) Type() string { return "table|yaml|json" }

// addOutputFlag binds -O/--output (default table) to fs.
func addOutputFlag(fs *pflag.FlagSet) *outputFormat {
	o := outputTable
	fs.VarP(&o, "output", "O", "output `FORMAT`: table, yaml or json")
	return &o
}

// table is rows of cells printed as aligned columns under a header.
type table struct {
	header []string
	rows   [][]string
}

func newTable(header ...string) *table { return &table{header: header} }

// add appends a row; an empty cell prints as "-".
func (t *table) add(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	t.rows = append(t.rows, cells)
}

// write prints the table with two spaces between columns.
func (t *table) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// writeJSON prints v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeYAML prints v as YAML with the same keys, in the same order, as
// writeJSON: v is encoded to JSON (its json tags apply), read back as a
// YAML node tree (JSON is YAML), and printed in block style.
func writeYAML(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	blockStyle(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode YAML: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// blockStyle clears the flow and quoting styles the JSON input gave the
// nodes; the encoder quotes strings that need it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// printList prints items (a slice, never nil) in format f: the table t for
// table output, the items themselves for yaml and json. emptyHint, when
// the table has no rows, is printed to stderr so scripts reading stdout
// see only the header.
func printList(stdout, stderr io.Writer, f outputFormat, items any, t *table, emptyHint string) error {
	switch f {
	case outputJSON:
		return writeJSON(stdout, items)
	case outputYAML:
		return writeYAML(stdout, items)
	}
	if err := t.write(stdout); err != nil {
		return err
	}
	if len(t.rows) == 0 && emptyHint != "" {
		fmt.Fprintln(stderr, emptyHint)
	}
	return nil
}

// printObject prints one object: kv pairs for table output, v for yaml and json.
func printObject(stdout io.Writer, f outputFormat, v any, kv [][2]string) error {
	switch f {
	case outputJSON:
		return writeJSON(stdout, v)
	case outputYAML:
		return writeYAML(stdout, v)
	}
	w := 0
	for _, p := range kv {
		w = max(w, len(p[0]))
	}
	var b strings.Builder
	for _, p := range kv {
		if p[0] == "" {
			b.WriteString(p[1] + "\n")
			continue
		}
		fmt.Fprintf(&b, "%-*s : %s\n", w, p[0], p[1])
	}
	_, err := io.WriteString(stdout, b.String())
	return err
}
