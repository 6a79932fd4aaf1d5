package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func TestMedianOf(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
		ok   bool
	}{
		{nil, 0, false},
		{[]float64{5}, 5, true},
		{[]float64{3, 1, 2}, 2, true},
		{[]float64{4, 1, 3, 2}, 2.5, true},
		{[]float64{10, 10, 1000}, 10, true},
	} {
		got, ok := MedianOf(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("MedianOf(%v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	in := []float64{3, 1, 2}
	MedianOf(in)
	if in[0] != 3 {
		t.Error("MedianOf sorted its argument")
	}
}

func TestMediansAndNA(t *testing.T) {
	s := []Sample{
		{Figure: "f", System: Peer, Rep: 1, Value: 10},
		{Figure: "f", System: Peer, Rep: 2, Value: 30},
		{Figure: "f", System: Peer, Rep: 3, Value: 20},
		{Figure: "f", System: Ours, Rep: 1, NA: "not landed"},
		{Figure: "f", System: Ours, Rep: 2, NA: "not landed"},
		{Figure: "g", System: Ours, Rep: 1, NA: "failed"},
		{Figure: "g", System: Ours, Rep: 2, Value: 8},
	}
	m := Medians(s)
	if got := m[Ref{Peer, "f"}]; got.Value != 20 || got.N != 3 {
		t.Errorf("peer f = %+v", got)
	}
	if got := m[Ref{Ours, "f"}]; got.OK() || got.NA != "not landed" {
		t.Errorf("ours f = %+v, want n/a", got)
	}
	if got := m[Ref{Ours, "g"}]; got.Value != 8 || got.N != 1 {
		t.Errorf("ours g = %+v: the one good sample should count", got)
	}
	if _, ok := Ratio(m[Ref{Ours, "f"}], m[Ref{Peer, "f"}]); ok {
		t.Error("ratio with n/a should not be ok")
	}
	if _, ok := Ratio(Median{Value: 1, N: 1}, Median{Value: 0, N: 1}); ok {
		t.Error("ratio over zero should not be ok")
	}
	if r, ok := Ratio(Median{Value: 3, N: 1}, Median{Value: 2, N: 1}); !ok || r != 1.5 {
		t.Errorf("ratio = %v, %v", r, ok)
	}
}

func TestLinesGoals(t *testing.T) {
	m := map[Ref]Median{
		{Peer, "tput"}:  {Value: 100, N: 3},
		{Ours, "tput"}:  {Value: 350, N: 3},
		{Peer, "lat"}:   {Value: 30, N: 3},
		{Ours, "lat"}:   {Value: 40, N: 3},
		{Limits, "pp"}:  {Value: 20, N: 3},
		{Peer, "nours"}: {Value: 1, N: 3},
	}
	rows := []Row{
		{Figure: "tput", Goals: []Goal{{Against: Peer, Op: ">=", Factor: 3}}},
		{Figure: "lat", Ref: &Ref{Limits, "pp"}, Goals: []Goal{{Against: "ref", Op: "<=", Factor: 1.5}, {Against: Peer, Op: "<=", Factor: 1}}},
		{Figure: "nours", Goals: []Goal{{Against: Peer, Op: ">=", Factor: 1}}},
		{Figure: "plain"},
	}
	lines := Lines(rows, m)
	want := []string{"yes", "no", "n/a", ""}
	for i, l := range lines {
		if l.Met != want[i] {
			t.Errorf("row %s met = %q, want %q", l.Figure, l.Met, want[i])
		}
	}
	if !lines[1].HasRef || lines[1].OursRef != 2 {
		t.Errorf("lat ours/ref = %v, %v; want 2", lines[1].OursRef, lines[1].HasRef)
	}
}

func TestFormatValue(t *testing.T) {
	for in, want := range map[float64]string{
		1234567: "1,234,567", 1000: "1,000", 999.4: "999", 12.34: "12.3", 1.234: "1.23", -5000: "-5,000", 0: "0.00",
	} {
		if got := FormatValue(in); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	mach := Machine{Date: time.Date(2026, 11, 23, 19, 0, 0, 0, time.UTC), Commit: "abc1234", Cores: 2, MemBytes: 24 << 30, Mode: "quick"}
	lims := []LimitLine{{Figure: "tcp_mb_s", Label: "tcp", Unit: "MB/s", Value: Median{Value: 4000, N: 3}}}
	lines := Lines([]Row{
		{Figure: "c", Label: "consume, 1 KiB", Unit: "MB/s", Ref: &Ref{Limits, "tcp_mb_s"}, Goals: []Goal{{Against: Peer, Op: ">=", Factor: 2.5}}},
	}, map[Ref]Median{{Peer, "c"}: {Value: 360, N: 3}, {Ours, "c"}: {NA: "not available: no data plane"}, {Limits, "tcp_mb_s"}: {Value: 4000, N: 3}})
	var buf bytes.Buffer
	if err := WriteCSV(&buf, mach, lims, lines); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want header + 2", len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	row := recs[2]
	for name, want := range map[string]string{
		"date": "2026-11-23T19:00:00Z", "commit": "abc1234", "cores": "2", "mem_gib": "24.0", "mode": "quick",
		"figure": "c", "label": "consume, 1 KiB", "jetstream": "360", "ours": "", "ours_over_jetstream": "",
		"ref": "limits:tcp_mb_s", "ref_value": "4000", "met": "n/a", "n_jetstream": "3", "n_ours": "0",
		"na_reason": "not available: no data plane",
	} {
		if got := row[col[name]]; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := recs[1][col["ref_value"]]; got != "4000" {
		t.Errorf("limit row value = %q", got)
	}
	var text, md bytes.Buffer
	if err := WriteText(&text, mach, lims, lines); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, mach, lims, lines); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{text.String(), md.String()} {
		if !strings.Contains(out, "n/a") || !strings.Contains(out, "360") || !strings.Contains(out, "abc1234") {
			t.Errorf("table lacks n/a, the peer's figure or the commit:\n%s", out)
		}
	}
}

func TestDescribe(t *testing.T) {
	m := Describe(t.Context(), ".", "quick")
	if m.Cores < 1 || m.MemBytes <= 0 || m.Commit == "" || m.Mode != "quick" || m.Date.IsZero() {
		t.Errorf("Describe = %+v", m)
	}
}

// TestPeerBestAndSpread: a PeerBest row takes the peer's best mode (the
// highest, or the lowest with Lower) and names it; cells show min–max.
func TestPeerBestAndSpread(t *testing.T) {
	m := Medians([]Sample{
		{Figure: "p", System: Peer, Rep: 1, Value: 100}, {Figure: "p", System: Peer, Rep: 2, Value: 120},
		{Figure: "p.fast", System: Peer, Rep: 1, Value: 300}, {Figure: "p.fast", System: Peer, Rep: 2, Value: 200},
		{Figure: "p", System: Ours, Rep: 1, Value: 900}, {Figure: "p", System: Ours, Rep: 2, Value: 1100},
	})
	modes := []PeerMode{{Figure: "p", Name: "(default)"}, {Figure: "p.fast", Name: "(fast)"}, {Figure: "p.absent", Name: "(none)"}}
	lines := Lines([]Row{
		{Figure: "p", PeerBest: modes, Goals: []Goal{{Against: Peer, Op: ">=", Factor: 4}}},
		{Figure: "p", PeerBest: modes, Lower: true},
	}, m)
	if l := lines[0]; l.PeerMode != "(fast)" || l.Peer.Value != 250 || l.OursPeer != 4 || l.Met != "yes" {
		t.Errorf("best: mode %q peer %v ratio %v met %q; want (fast), 250, 4, yes", l.PeerMode, l.Peer.Value, l.OursPeer, l.Met)
	}
	if l := lines[1]; l.PeerMode != "(default)" || l.Peer.Value != 110 {
		t.Errorf("lower best: mode %q peer %v; want (default), 110", l.PeerMode, l.Peer.Value)
	}
	if got := cells(lines[0])[2]; got != "250 (200–300) (fast)" {
		t.Errorf("peer cell = %q", got)
	}
	if got := cell(m[Ref{Ours, "p"}]); got != "1,000 (900–1,100)" {
		t.Errorf("ours cell = %q", got)
	}
	for v, want := range map[float64]string{1234567: "1.23M", 612345: "612k", 45210: "45.2k", 999: "999", 12345678: "12M"} {
		if got := Short(v); got != want {
			t.Errorf("Short(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestRepTable prints one row per repetition, n/a for a sample without a
// value and nothing for a missing one.
func TestRepTable(t *testing.T) {
	tab := RepTable{Title: "durable", Columns: []RepColumn{{System: Limits, Figure: "f", Label: "probe"}, {System: Ours, Figure: "r", Label: "ours"}}}
	samples := []Sample{{Figure: "f", System: Limits, Rep: 2, Value: 700}, {Figure: "f", System: Limits, Rep: 1, Value: 5000},
		{Figure: "r", System: Ours, Rep: 1, Value: 19000}, {Figure: "r", System: Ours, Rep: 2, NA: "failed"}}
	var md bytes.Buffer
	if err := WriteRepMarkdown(&md, tab, samples); err != nil {
		t.Fatal(err)
	}
	want := "\ndurable\n\n| rep | probe | ours |\n|---|---:|---:|\n| 1 | 5,000 | 19,000 |\n| 2 | 700 | n/a |\n"
	if md.String() != want {
		t.Errorf("markdown:\n%q\nwant\n%q", md.String(), want)
	}
}
