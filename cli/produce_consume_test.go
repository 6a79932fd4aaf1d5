package cli

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest/fakesc"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestReadLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	in := "a\r\nb\n\n" + long + "\nlast"
	br := bufio.NewReaderSize(strings.NewReader(in), 64<<10)
	want := []string{"a", "b", "", long, "last"}
	for i, w := range want {
		got, err := readLine(br)
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if string(got) != w {
			t.Fatalf("line %d = %q (len %d), want len %d", i, truncate(got, 20), len(got), len(w))
		}
	}
	if _, err := readLine(br); err == nil {
		t.Fatal("no EOF after the last line")
	}
}

func testRecord() fluvio.Record {
	return fluvio.Record{Topic: "t", Partition: 2, Offset: 41, Key: []byte("k<1>"), Value: []byte(`v & "<b>"`),
		Timestamp: time.UnixMilli(1700000000123)}
}

func TestRecordFormat(t *testing.T) {
	cases := []struct {
		tmpl, want string
	}{
		{"{{offset}} {{partition}} {{key}} {{value}} {{time}}", `41 2 k<1> v & "<b>" 2023-11-14T22:13:20.123Z` + "\n"},
		{"{{topic}}/{{ partition }}@{{timestamp}}", "t/2@1700000000123\n"},
		{"plain", "plain\n"},
	}
	for _, tc := range cases {
		f, err := parseRecordFormat(tc.tmpl)
		if err != nil {
			t.Fatalf("%q: %v", tc.tmpl, err)
		}
		if got := string(f.append(nil, testRecord())); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.tmpl, got, tc.want)
		}
	}
	nilKey := testRecord()
	nilKey.Key = nil
	f, _ := parseRecordFormat("{{key}}")
	if got := string(f.append(nil, nilKey)); got != "null\n" {
		t.Errorf("nil key printed %q, want null", got)
	}
	for _, bad := range []string{"{{bogus}}", "{{offset", "{{}}"} {
		if _, err := parseRecordFormat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRecordPrinters(t *testing.T) {
	r := testRecord()
	if got, want := string(jsonPrinter{}.append(nil, r)), `{"partition":2,"offset":41,"key":"k<1>","value":"v & \"<b>\"","timestamp":1700000000123}`+"\n"; got != want {
		t.Errorf("json: got %s want %s", got, want)
	}
	r.Key = nil
	if got := string(jsonPrinter{}.append(nil, r)); !strings.Contains(got, `"key":null`) {
		t.Errorf("json with nil key: %s", got)
	}
	if got := string(textPrinter{}.append(nil, r)); got != "v & \"<b>\"\n" {
		t.Errorf("text: %q", got)
	}
	if got := string(textPrinter{keyValue: true}.append(nil, r)); got != "[null] v & \"<b>\"\n" {
		t.Errorf("key-value: %q", got)
	}
}

func TestProduceConsumeUsageErrors(t *testing.T) {
	e := newCLIEnv(t)
	cases := [][]string{
		{"produce"},
		{"produce", "t", "--key", "a", "--key-separator", ":"},
		{"produce", "t", "--raw", "--key-separator", ":"},
		{"produce", "t", "--acks", "some"},
		{"produce", "t", "--linger", "soon"},
		{"consume"},
		{"consume", "t", "-B", "--start", "3"},
		{"consume", "t", "--start", "5", "--end", "2"},
		{"consume", "t", "-F", "{{bogus}}"},
		{"consume", "t", "-O", "yaml"},
		{"consume", "t", "-p", "-1"},
	}
	for _, args := range cases {
		errs := e.fails(exitUsage, args...)
		if !strings.Contains(errs, "error: ") || !strings.Contains(errs, "next: ") {
			t.Errorf("fluvio %s: stderr %q lacks error/next lines", strings.Join(args, " "), errs)
		}
	}
}

// TestProduceConsumeUnknownTopic checks the error for a topic the SC does
// not know: the message names it and the next step creates it.
func TestProduceConsumeUnknownTopic(t *testing.T) {
	sc := fakesc.Start(t)
	e := newCLIEnv(t)
	for _, cmd := range []string{"produce", "consume"} {
		errs := e.fails(exitNotFound, cmd, "nope", "--sc", sc.Addr())
		if !strings.Contains(errs, `topic "nope" not found`) || !strings.Contains(errs, "fluvio topic create nope") {
			t.Errorf("%s: stderr %q: want the topic name and 'fluvio topic create nope'", cmd, errs)
		}
	}
}

func TestProduceConsumeSCDown(t *testing.T) {
	e := newCLIEnv(t)
	// A port nobody listens on: bind one, then close it.
	addr := freeAddr(t)
	errs := e.fails(exitUnavailable, "consume", "t", "--sc", addr)
	if !strings.Contains(errs, addr) || !strings.Contains(errs, "fluvio cluster start") {
		t.Errorf("stderr %q: want the address and 'fluvio cluster start'", errs)
	}
}

func TestRateMeter(t *testing.T) {
	var nilMeter *rateMeter
	nilMeter.add(1) // a nil meter (stderr not a terminal) does nothing
	nilMeter.stop()
	var b testkit.Buffer
	r := startRate(&b)
	r.add(41)
	r.add(1)
	r.stop()
	out := b.String()
	if !strings.HasPrefix(out, "\r") || !strings.Contains(out, "42 records, ") || !strings.HasSuffix(out, "records/s\n") {
		t.Fatalf("rate meter printed %q", out)
	}
	if isTerminal(&b) {
		t.Fatal("a buffer is not a terminal")
	}
}

// FuzzRecordFormat: any --format either parses or is refused; a parsed
// one prints every literal byte and never panics.
func FuzzRecordFormat(f *testing.F) {
	for _, s := range []string{"", "{{offset}} {{value}}", "{{", "}}", "{{key", "a{{time}}b{{ topic }}c", "{{{{value}}}}", strings.Repeat("{{partition}}", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rf, err := parseRecordFormat(s)
		if err != nil {
			return
		}
		out := string(rf.append(nil, testRecord()))
		if !strings.HasSuffix(out, "\n") {
			t.Fatalf("%q printed %q without a newline", s, out)
		}
		if !strings.Contains(s, "{{") && out != s+"\n" {
			t.Fatalf("literal %q printed %q", s, out)
		}
	})
}
