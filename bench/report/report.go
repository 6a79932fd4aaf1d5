package report

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// System names the report knows: the peer, ours, and the machine probe.
const (
	Peer   = "jetstream"
	Ours   = "ours"
	Limits = "limits"
)

// Sample is one measurement of one figure by one system in one repetition.
// A sample with NA set has no value: the system could not run it, and NA
// says why.
type Sample struct {
	Figure string
	System string
	Rep    int
	Value  float64
	NA     string
}

// Ref names a figure of a system that a row is set against: a machine limit
// (System Limits) or another figure of ours.
type Ref struct {
	System string
	Figure string
}

// Goal is a target for ours: ours Op Factor × the peer (Against == Peer)
// or × the row's Ref (Against == "ref").
type Goal struct {
	Against string
	Op      string // ">=" or "<="
	Factor  float64
}

func (g Goal) String() string {
	what := "JetStream"
	if g.Against != Peer {
		what = "ref"
	}
	return fmt.Sprintf("%s %s× %s", g.Op, strconv.FormatFloat(g.Factor, 'g', -1, 64), what)
}

// Row describes one line of the table.
type Row struct {
	Figure string // sample figure id, the same for the peer and ours
	Label  string
	Unit   string
	Ref    *Ref // set against this (the ours/limit column), if any
	Goals  []Goal
	// PeerBest, when set, fills the JetStream column with the best of
	// these figures of the peer (its publish modes; Figure itself is not
	// among them unless listed): the highest median, or the lowest with
	// Lower.
	PeerBest []PeerMode
	Lower    bool
}

// PeerMode is one of the peer's figures a PeerBest row chooses from.
type PeerMode struct {
	Figure string
	Name   string // shown with the winning figure, e.g. "atomic batch"
}

// Median is the median of a figure's samples for one system, with the
// smallest and largest sample.
type Median struct {
	Value    float64
	Min, Max float64
	N        int    // samples with a value
	NA       string // set when no sample has a value
}

// OK reports whether m has a value.
func (m Median) OK() bool { return m.N > 0 }

// MedianOf returns the median of values (the mean of the middle two for an
// even count); ok is false for no values.
func MedianOf(values []float64) (float64, bool) {
	if len(values) == 0 {
		return 0, false
	}
	v := slices.Clone(values)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2], true
	}
	return (v[n/2-1] + v[n/2]) / 2, true
}

// Medians groups samples by (system, figure) and takes each group's median.
func Medians(samples []Sample) map[Ref]Median {
	vals := map[Ref][]float64{}
	na := map[Ref]string{}
	for _, s := range samples {
		k := Ref{System: s.System, Figure: s.Figure}
		if s.NA != "" {
			na[k] = s.NA
			if _, ok := vals[k]; !ok {
				vals[k] = nil
			}
			continue
		}
		vals[k] = append(vals[k], s.Value)
	}
	out := map[Ref]Median{}
	for k, v := range vals {
		m, ok := MedianOf(v)
		if !ok {
			out[k] = Median{NA: na[k]}
			continue
		}
		out[k] = Median{Value: m, Min: slices.Min(v), Max: slices.Max(v), N: len(v)}
	}
	return out
}

// Ratio returns a/b, or false when either is missing or b is zero.
func Ratio(a, b Median) (float64, bool) {
	if !a.OK() || !b.OK() || b.Value == 0 {
		return 0, false
	}
	return a.Value / b.Value, true
}

// Line is one computed row of the table.
type Line struct {
	Row
	Peer, Ours, RefValue Median
	// PeerMode names the peer mode a PeerBest row took its figure from.
	PeerMode            string
	OursPeer, OursRef   float64
	HasOursPeer, HasRef bool
	Met                 string // "yes", "no", "n/a", or "" without goals
}

// Lines computes the table rows from the medians.
func Lines(rows []Row, m map[Ref]Median) []Line {
	out := make([]Line, 0, len(rows))
	for _, r := range rows {
		l := Line{Row: r, Peer: m[Ref{Peer, r.Figure}], Ours: m[Ref{Ours, r.Figure}]}
		if len(r.PeerBest) > 0 {
			l.Peer = Median{NA: "no peer mode measured"}
			for _, pm := range r.PeerBest {
				c := m[Ref{Peer, pm.Figure}]
				if !c.OK() {
					continue
				}
				if !l.Peer.OK() || (!r.Lower && c.Value > l.Peer.Value) || (r.Lower && c.Value < l.Peer.Value) {
					l.Peer, l.PeerMode = c, pm.Name
				}
			}
		}
		l.OursPeer, l.HasOursPeer = Ratio(l.Ours, l.Peer)
		if r.Ref != nil {
			l.RefValue = m[*r.Ref]
			l.OursRef, l.HasRef = Ratio(l.Ours, l.RefValue)
		}
		if len(r.Goals) > 0 {
			l.Met = "yes"
			for _, g := range r.Goals {
				ratio, ok := l.OursPeer, l.HasOursPeer
				if g.Against != Peer {
					ratio, ok = l.OursRef, l.HasRef
				}
				switch {
				case !ok:
					l.Met = "n/a"
				case l.Met == "n/a":
				case g.Op == ">=" && ratio < g.Factor, g.Op == "<=" && ratio > g.Factor:
					l.Met = "no"
				}
			}
		}
		out = append(out, l)
	}
	return out
}

// Machine describes where the run happened.
type Machine struct {
	Date     time.Time
	Commit   string
	Cores    int
	MemBytes int64
	Mode     string
}

// Describe returns the machine for this process: now, the commit of the
// working tree in dir (git rev-parse --short HEAD, "unknown" without git),
// runtime.NumCPU and MemTotal of /proc/meminfo.
func Describe(ctx context.Context, dir, mode string) Machine {
	m := Machine{Date: time.Now().UTC(), Commit: "unknown", Cores: runtime.NumCPU(), Mode: mode}
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD")
	cmd.Dir = dir
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if fs := strings.Fields(v); len(fs) > 0 {
					kb, _ := strconv.ParseInt(fs[0], 10, 64)
					m.MemBytes = kb * 1024
				}
			}
		}
	}
	return m
}

// MemGiB is the memory in GiB.
func (m Machine) MemGiB() float64 { return float64(m.MemBytes) / (1 << 30) }

func (m Machine) String() string {
	return fmt.Sprintf("%s, commit %s, %d cores, %.1f GiB, mode %s",
		m.Date.Format(time.RFC3339), m.Commit, m.Cores, m.MemGiB(), m.Mode)
}

// FormatValue prints a figure with three significant digits at most for
// fractions, thousands separated for large numbers.
func FormatValue(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cell is the median, with the range of the samples when they differ:
// "612,296 (598k–640k)".
func cell(m Median) string {
	if !m.OK() {
		return "n/a"
	}
	if m.N < 2 || m.Min == m.Max {
		return FormatValue(m.Value)
	}
	return FormatValue(m.Value) + " (" + Short(m.Min) + "–" + Short(m.Max) + ")"
}

// Short prints v in at most four significant characters with k and M for
// thousands and millions: 1.13M, 612k, 45.2k, 999, 12.3, 1.23.
func Short(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e7:
		return strconv.FormatFloat(v/1e6, 'f', 0, 64) + "M"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case a >= 1e5:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	}
	return FormatValue(v)
}

func ratioCell(r float64, ok bool) string {
	if !ok {
		return "n/a"
	}
	if math.Abs(r) < 0.1 {
		return strconv.FormatFloat(r, 'f', 3, 64) + "×"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "×"
}

func refName(r *Ref) string {
	if r == nil {
		return ""
	}
	return r.System + ":" + r.Figure
}

func goals(gs []Goal) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = g.String()
	}
	return strings.Join(s, ", ")
}

var header = []string{"figure", "unit", "JetStream", "ours", "ours/JS", "ref", "ref value", "ours/ref", "goal", "met"}

func cells(l Line) []string {
	refVal := ""
	if l.Ref != nil {
		refVal = cell(l.RefValue)
	}
	ours := cell(l.Ours)
	peer := cell(l.Peer)
	if l.PeerMode != "" {
		peer += " " + l.PeerMode
	}
	return []string{l.Label, l.Unit, peer, ours, ratioCell(l.OursPeer, l.HasOursPeer),
		refName(l.Ref), refVal, refCell(l), goals(l.Goals), l.Met}
}

func refCell(l Line) string {
	if l.Ref == nil {
		return ""
	}
	return ratioCell(l.OursRef, l.HasRef)
}

// LimitLines are the machine's limits: label, unit and median.
type LimitLine struct {
	Figure, Label, Unit string
	Value               Median
}

// WriteText prints the limits and the table aligned for a terminal:
// labels left, numbers right.
func WriteText(w io.Writer, m Machine, limits []LimitLine, lines []Line) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "machine: %s\n\n", m)
	lim := [][]string{{"machine limit", "unit", "median (min–max)"}}
	for _, l := range limits {
		lim = append(lim, []string{l.Label, l.Unit, cell(l.Value)})
	}
	writeAligned(bw, lim, map[int]bool{0: true})
	bw.WriteString("\n")
	tab := [][]string{header}
	for _, l := range lines {
		tab = append(tab, cells(l))
	}
	writeAligned(bw, tab, map[int]bool{0: true, 5: true, 8: true, 9: true})
	return bw.Flush()
}

// writeAligned pads every column to its widest cell, left-aligned for the
// columns in left, right-aligned otherwise.
func writeAligned(w *bufio.Writer, rows [][]string, left map[int]bool) {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if left[i] {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
}

// WriteMarkdown writes the limits and the table as Markdown tables.
func WriteMarkdown(w io.Writer, m Machine, limits []LimitLine, lines []Line) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Measured %s.\n\n", m)
	fmt.Fprintf(bw, "| machine limit | unit | median (min–max) |\n|---|---|---:|\n")
	for _, l := range limits {
		fmt.Fprintf(bw, "| %s | %s | %s |\n", l.Label, l.Unit, cell(l.Value))
	}
	fmt.Fprintf(bw, "\n| %s |\n|---|---|---:|---:|---:|---|---:|---:|---|---|\n", strings.Join(header, " | "))
	for _, l := range lines {
		fmt.Fprintf(bw, "| %s |\n", strings.Join(cells(l), " | "))
	}
	return bw.Flush()
}

// CSVHeader is the first line of the CSV file.
var CSVHeader = []string{"date", "commit", "cores", "mem_gib", "mode", "figure", "label", "unit",
	"jetstream", "ours", "ours_over_jetstream", "ref", "ref_value", "ours_over_ref", "goal", "met",
	"n_jetstream", "n_ours", "na_reason",
	"jetstream_min", "jetstream_max", "ours_min", "ours_max", "jetstream_mode"}

func num(m Median) string {
	if !m.OK() {
		return ""
	}
	return strconv.FormatFloat(m.Value, 'g', 6, 64)
}

func minNum(m Median) string {
	if !m.OK() {
		return ""
	}
	return strconv.FormatFloat(m.Min, 'g', 6, 64)
}

func maxNum(m Median) string {
	if !m.OK() {
		return ""
	}
	return strconv.FormatFloat(m.Max, 'g', 6, 64)
}

func ratioNum(r float64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatFloat(r, 'f', 3, 64)
}

// WriteCSV writes one line per limit and per row; missing values are
// empty, with the reason in na_reason.
func WriteCSV(w io.Writer, m Machine, limits []LimitLine, lines []Line) error {
	cw := csv.NewWriter(w)
	stamp := []string{m.Date.Format(time.RFC3339), m.Commit, strconv.Itoa(m.Cores),
		strconv.FormatFloat(m.MemGiB(), 'f', 1, 64), m.Mode}
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	for _, l := range limits {
		rec := append(slices.Clone(stamp), l.Figure, l.Label, l.Unit, "", "", "", Limits+":"+l.Figure, num(l.Value), "", "", "", "", "", l.Value.NA,
			"", "", minNum(l.Value), maxNum(l.Value), "")
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("report: csv: %w", err)
		}
	}
	for _, l := range lines {
		refVal, oursRef := "", ""
		if l.Ref != nil {
			refVal, oursRef = num(l.RefValue), ratioNum(l.OursRef, l.HasRef)
		}
		na := l.Ours.NA
		if l.Peer.NA != "" {
			na = strings.TrimPrefix(na+"; ", "; ") + "jetstream: " + l.Peer.NA
		}
		rec := append(slices.Clone(stamp), l.Figure, l.Label, l.Unit, num(l.Peer), num(l.Ours),
			ratioNum(l.OursPeer, l.HasOursPeer), refName(l.Ref), refVal, oursRef, goals(l.Goals), l.Met,
			strconv.Itoa(l.Peer.N), strconv.Itoa(l.Ours.N), na,
			minNum(l.Peer), maxNum(l.Peer), minNum(l.Ours), maxNum(l.Ours), l.PeerMode)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("report: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}
