package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// RepTable shows chosen figures repetition by repetition, where a median
// would hide what the figures depend on (the durable runs and the fsync
// probe of the same repetition).
type RepTable struct {
	Title   string
	Columns []RepColumn
}

// RepColumn is one figure of one system.
type RepColumn struct {
	System, Figure, Label string
}

// repRows returns the header and one row per repetition found in samples.
func (t RepTable) repRows(samples []Sample) [][]string {
	var reps []int
	val := map[int]map[Ref]Sample{}
	for _, s := range samples {
		if _, ok := val[s.Rep]; !ok {
			val[s.Rep] = map[Ref]Sample{}
			reps = append(reps, s.Rep)
		}
		val[s.Rep][Ref{s.System, s.Figure}] = s
	}
	slices.Sort(reps)
	header := []string{"rep"}
	for _, c := range t.Columns {
		header = append(header, c.Label)
	}
	rows := [][]string{header}
	for _, rep := range reps {
		row := []string{strconv.Itoa(rep)}
		for _, c := range t.Columns {
			s, ok := val[rep][Ref{c.System, c.Figure}]
			switch {
			case !ok:
				row = append(row, "")
			case s.NA != "":
				row = append(row, "n/a")
			default:
				row = append(row, FormatValue(s.Value))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// WriteRepText prints t aligned for a terminal.
func WriteRepText(w io.Writer, t RepTable, samples []Sample) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\n%s\n", t.Title)
	writeAligned(bw, t.repRows(samples), nil)
	return bw.Flush()
}

// WriteRepMarkdown writes t as a Markdown table under its title.
func WriteRepMarkdown(w io.Writer, t RepTable, samples []Sample) error {
	bw := bufio.NewWriter(w)
	rows := t.repRows(samples)
	fmt.Fprintf(bw, "\n%s\n\n| %s |\n|---|%s\n", t.Title, strings.Join(rows[0], " | "), strings.Repeat("---:|", len(rows[0])-1))
	for _, r := range rows[1:] {
		fmt.Fprintf(bw, "| %s |\n", strings.Join(r, " | "))
	}
	return bw.Flush()
}
