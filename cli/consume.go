package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio"
)

func init() {
	register("consume", "read records from a topic", runConsume)
}

func runConsume(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio consume TOPIC [flags]",
		Short: `Read records from a topic and print them, one per line: by default the
value of each new record of every partition, following the topic until
interrupted. Records of one partition are printed in offset order.
--format placeholders: {{offset}} {{partition}} {{key}} {{value}} {{time}}
(RFC 3339) {{timestamp}} (ms) {{topic}}; a missing key prints as "null".`,
		Examples: `fluvio consume greetings -B -d                 # everything so far, then exit
			fluvio consume orders -p 0 --start 100 --end 199
			fluvio consume orders -T 5                      # the last 5 records of each partition, then follow
			fluvio consume orders -B -d -O json
			fluvio consume orders -B -F '{{partition}}:{{offset}} {{key}}={{value}}'
			fluvio consume orders -p 1 -p 2 -B -d           # partitions 1 and 2
			fluvio consume orders --consumer billing -B     # a named consumer: the next run continues where this one stopped`,
	}, true)
	partition := fs.Int32SliceP("partition", "p", nil, "read only this partition; repeat for several (-p 1 -p 2; default: all)")
	allParts := fs.BoolP("all-partitions", "A", false, "read every partition (the default)")
	maxBytes := fs.Int32P("maxbytes", "b", 0, "largest fetch response per partition, in bytes (default 4MiB)")
	isolation := fs.String("isolation", "read_committed", "read_committed: records every in-sync replica has; read_uncommitted: up to the leader's log end (a failover may lose those)")
	consumer := fs.String("consumer", "", "name the consumer: its offsets are stored, and the next run with this name continues after them")
	beginning := fs.BoolP("beginning", "B", false, "start at the beginning of each partition")
	tail := fs.Int64P("tail", "T", 0, "start this many records before the end of each partition")
	start := fs.Int64("start", -1, "start at this offset")
	end := fs.Int64("end", -1, "stop after this offset (inclusive)")
	disable := fs.BoolP("disable-continuous", "d", false, "stop at the end of the log instead of waiting for new records")
	keyValue := fs.BoolP("key-value", "k", false, "print each record as '[KEY] VALUE'")
	output := fs.StringP("output", "O", "text", "output: text (the value) or json (one object per line)")
	format := fs.StringP("format", "F", "", "print each record with this template, e.g. '{{offset}} {{key}} {{value}}'")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "consume takes one argument: the topic name")
	}
	topic := fs.Arg(0)
	starts := 0
	for _, name := range []string{"beginning", "tail", "start"} {
		if fs.Changed(name) {
			starts++
		}
	}
	if starts > 1 {
		return g.usageError(stderr, "--beginning, --tail and --start are alternatives: pass one of them")
	}
	opts := []fluvio.ConsumerOption{fluvio.FromEnd()}
	switch {
	case *beginning:
		opts = append(opts, fluvio.FromBeginning())
	case fs.Changed("tail"):
		if *tail < 0 {
			return g.usageError(stderr, fmt.Sprintf("--tail %d: give a number of records, 0 or more", *tail))
		}
		opts = append(opts, fluvio.FromTail(*tail))
	case fs.Changed("start"):
		if *start < 0 {
			return g.usageError(stderr, fmt.Sprintf("--start %d: offsets start at 0", *start))
		}
		opts = append(opts, fluvio.FromOffset(*start))
	}
	if fs.Changed("end") {
		if *end < 0 {
			return g.usageError(stderr, fmt.Sprintf("--end %d: offsets start at 0", *end))
		}
		if fs.Changed("start") && *end < *start {
			return g.usageError(stderr, fmt.Sprintf("--end %d is before --start %d", *end, *start))
		}
		opts = append(opts, fluvio.WithEnd(*end))
	}
	if fs.Changed("partition") {
		if *allParts {
			return g.usageError(stderr, "--all-partitions and --partition are alternatives: pass one of them")
		}
		for _, p := range *partition {
			if p < 0 {
				return g.usageError(stderr, fmt.Sprintf("--partition %d: partitions are numbered from 0", p))
			}
		}
		opts = append(opts, fluvio.WithPartitions(*partition...))
	}
	if fs.Changed("maxbytes") {
		if *maxBytes <= 0 {
			return g.usageError(stderr, fmt.Sprintf("--maxbytes %d: give a number of bytes, at least 1", *maxBytes))
		}
		opts = append(opts, fluvio.WithFetchMaxBytes(*maxBytes))
	}
	switch normalizeEnum(*isolation) {
	case "readcommitted":
	case "readuncommitted":
		opts = append(opts, fluvio.WithReadUncommitted())
	default:
		return g.usageError(stderr, fmt.Sprintf("--isolation %q: use read_committed or read_uncommitted", *isolation))
	}
	if *consumer != "" {
		opts = append(opts, fluvio.WithConsumer(*consumer))
	}
	if *disable {
		opts = append(opts, fluvio.DisableContinuous())
	}
	var pr recordPrinter
	switch {
	case *format != "":
		if fs.Changed("output") || *keyValue {
			return g.usageError(stderr, "--format sets the whole output: it cannot be combined with --output or --key-value")
		}
		t, err := parseRecordFormat(*format)
		if err != nil {
			return g.usageError(stderr, fmt.Sprintf("--format: %v", err))
		}
		pr = t
	case *output == "json":
		pr = jsonPrinter{}
	case *output == "text":
		pr = textPrinter{keyValue: *keyValue}
	default:
		return g.usageError(stderr, fmt.Sprintf("--output %q: use text or json", *output))
	}

	c, err := g.client(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer c.Close()
	cons, err := c.Consumer(topic, opts...)
	if err != nil {
		return g.fail(stderr, clientError(err))
	}
	// Following a topic, each record is shown at once; reading a bounded
	// range, output is buffered.
	follow := !*disable && !fs.Changed("end")
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer w.Flush()
	var buf []byte
	printed := 0
	for rec, err := range cons.Records(ctx) {
		if err != nil {
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return exitOK // interrupted
			}
			w.Flush()
			return g.fail(stderr, clientError(err))
		}
		printed++
		buf = pr.append(buf[:0], rec)
		if _, err := w.Write(buf); err != nil {
			return g.fail(stderr, fmt.Errorf("write output: %w", err))
		}
		if follow {
			if err := w.Flush(); err != nil {
				return exitOK // the reader went away (a closed pipe)
			}
		}
	}
	if printed == 0 && *disable && fs.Changed("start") {
		w.Flush()
		pastEnd(ctx, c, cons, *start, stderr)
	}
	return exitOK
}

// pastEnd says which partitions --start N -d found nothing in because N
// is at or past their end, instead of exiting silently.
func pastEnd(ctx context.Context, c *fluvio.Client, cons *fluvio.Consumer, start int64, stderr io.Writer) {
	parts, err := c.Partitions(ctx, cons.Topic())
	if err != nil {
		return
	}
	for _, p := range parts {
		if !slices.Contains(cons.Partitions(), p.Partition) || p.HighWatermark < 0 || start < p.HighWatermark {
			continue
		}
		fmt.Fprintf(stderr, "offset %d is past the end of partition %d of topic %q (its last offset is %d): nothing to read; drop -d to wait for new records\n",
			start, p.Partition, cons.Topic(), p.HighWatermark-1)
	}
}

// recordPrinter appends one record's output line to dst.
type recordPrinter interface {
	append(dst []byte, r fluvio.Record) []byte
}

// textPrinter prints the value, or "[key] value" with keyValue.
type textPrinter struct{ keyValue bool }

func (p textPrinter) append(dst []byte, r fluvio.Record) []byte {
	if p.keyValue {
		dst = append(dst, '[')
		dst = appendKey(dst, r.Key)
		dst = append(dst, "] "...)
	}
	dst = append(dst, r.Value...)
	return append(dst, '\n')
}

func appendKey(dst, key []byte) []byte {
	if key == nil {
		return append(dst, "null"...)
	}
	return append(dst, key...)
}

// jsonRecord is one line of -O json.
type jsonRecord struct {
	Partition int32   `json:"partition"`
	Offset    int64   `json:"offset"`
	Key       *string `json:"key"`
	Value     string  `json:"value"`
	Timestamp int64   `json:"timestamp"`
}

// jsonPrinter prints one JSON object per line. Keys and values are
// strings; bytes that are not UTF-8 print as U+FFFD.
type jsonPrinter struct{}

func (jsonPrinter) append(dst []byte, r fluvio.Record) []byte {
	jr := jsonRecord{Partition: r.Partition, Offset: r.Offset, Value: string(r.Value), Timestamp: r.Timestamp.UnixMilli()}
	if r.Key != nil {
		k := string(r.Key)
		jr.Key = &k
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(jr) // cannot fail: strings and numbers only
	return append(dst, b.String()...)
}

// recordFormat is a parsed --format template: literal text and
// placeholders, printed without any escaping.
type recordFormat struct {
	parts []formatPart
}

type formatPart struct {
	lit   string
	field string // "" for a literal
}

var formatFields = map[string]bool{
	"offset": true, "partition": true, "key": true, "value": true, "time": true, "timestamp": true, "topic": true,
}

// parseRecordFormat parses a template such as "{{offset}} {{value}}". An
// unknown placeholder or an unclosed "{{" is an error.
func parseRecordFormat(s string) (*recordFormat, error) {
	f := &recordFormat{}
	for s != "" {
		i := strings.Index(s, "{{")
		if i < 0 {
			f.parts = append(f.parts, formatPart{lit: s})
			break
		}
		if i > 0 {
			f.parts = append(f.parts, formatPart{lit: s[:i]})
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("%q has an unclosed {{", s)
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		if !formatFields[name] {
			return nil, fmt.Errorf("unknown placeholder {{%s}}: use {{offset}}, {{partition}}, {{key}}, {{value}}, {{time}}, {{timestamp}} or {{topic}}", name)
		}
		f.parts = append(f.parts, formatPart{field: name})
		s = s[i+j+2:]
	}
	return f, nil
}

func (f *recordFormat) append(dst []byte, r fluvio.Record) []byte {
	for _, p := range f.parts {
		switch p.field {
		case "":
			dst = append(dst, p.lit...)
		case "offset":
			dst = strconv.AppendInt(dst, r.Offset, 10)
		case "partition":
			dst = strconv.AppendInt(dst, int64(r.Partition), 10)
		case "key":
			dst = appendKey(dst, r.Key)
		case "value":
			dst = append(dst, r.Value...)
		case "time":
			dst = r.Timestamp.UTC().AppendFormat(dst, time.RFC3339Nano)
		case "timestamp":
			dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
		case "topic":
			dst = append(dst, r.Topic...)
		}
	}
	return append(dst, '\n')
}
