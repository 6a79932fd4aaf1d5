package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio"
)

func init() {
	register("produce", "write records to a topic, one per line of stdin or a file", runProduce)
}

// maxLineBytes bounds one input line (one record) read by produce.
const maxLineBytes = 64 << 20

// produceOpts are the parsed flags of 'fluvio produce'.
type produceOpts struct {
	topic     string
	file      string
	key       string
	hasKey    bool
	separator string
	raw       bool
	acks      fluvio.Acks
	linger    time.Duration
	batchSize int
	popts     []fluvio.ProducerOption // from --compression, --max-request-size, --delivery-semantic
}

func runProduce(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio produce TOPIC [flags]",
		Short: `Write records to a topic: each line of stdin (or of --file) is one record,
without its line ending. Records with a key go to the partition the key hashes
to (murmur2, as Kafka); records without one are spread round-robin. Records
are batched and acknowledged per --acks; produce exits once every record is
acknowledged, or with an error naming the first that failed.`,
		Examples: `echo "hello" | fluvio produce greetings
			fluvio produce orders -f orders.txt --key-separator ':'   # "key:value" lines
			fluvio produce orders --key user-1 < events.txt
			fluvio produce blobs --raw -f image.png                   # the whole file is one record
			fluvio produce logs --compression zstd --linger 50ms --batch-size 1MiB
			fluvio produce metrics --delivery-semantic AtMostOnce      # fire and forget`,
	}, true)
	file := fs.StringP("file", "f", "", "read records from this file instead of stdin")
	key := fs.String("key", "", "key of every record")
	sep := fs.String("key-separator", "", "split each line at the first SEP into key and value")
	raw := fs.Bool("raw", false, "send the whole input as one record")
	acks := fs.String("acks", "all", "when the leader answers: all (every in-sync replica has it), leader, none")
	linger := fs.String("linger", "", "how long a batch waits for more records (e.g. 5ms; default 5ms)")
	batchSize := fs.String("batch-size", "", "batch size in bytes at which a batch is sent at once (e.g. 64KiB)")
	compression := fs.String("compression", "none", "compress batches: none, gzip, snappy, lz4 or zstd (consumers decompress)")
	maxRequest := fs.String("max-request-size", "", "largest produce request in bytes (default 4MiB); a larger record fails")
	isolation := fs.String("isolation", "", "read_committed (acks all: every in-sync replica has it) or read_uncommitted (acks leader)")
	semantic := fs.String("delivery-semantic", "AtLeastOnce", "AtLeastOnce (retry on errors) or AtMostOnce (send once, wait for nothing)")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return g.usageError(stderr, "produce takes one argument: the topic name")
	}
	o := produceOpts{topic: fs.Arg(0), file: *file, key: *key, hasKey: fs.Changed("key"), separator: *sep, raw: *raw}
	if o.hasKey && o.separator != "" {
		return g.usageError(stderr, "--key and --key-separator cannot be used together: pass one of them")
	}
	if o.raw && o.separator != "" {
		return g.usageError(stderr, "--raw sends the input as one record: it cannot be split with --key-separator")
	}
	if fs.Changed("key-separator") && o.separator == "" {
		return g.usageError(stderr, "--key-separator needs a non-empty separator, e.g. --key-separator ':'")
	}
	var err error
	if o.acks, err = fluvio.ParseAcks(*acks); err != nil {
		return g.usageError(stderr, fmt.Sprintf("--acks %q: use all, leader or none", *acks))
	}
	if fs.Changed("isolation") {
		a, ok := isolationAcks(*isolation)
		if !ok {
			return g.usageError(stderr, fmt.Sprintf("--isolation %q: use read_committed or read_uncommitted", *isolation))
		}
		if fs.Changed("acks") && a != o.acks {
			return g.usageError(stderr, fmt.Sprintf("--isolation %s means --acks %s: pass one of them", *isolation, a))
		}
		o.acks = a
	}
	switch normalizeEnum(*semantic) {
	case "atleastonce":
	case "atmostonce":
		o.popts = append(o.popts, fluvio.WithRetries(0, 0))
		if !fs.Changed("acks") && !fs.Changed("isolation") {
			o.acks = fluvio.AcksNone
		}
	default:
		return g.usageError(stderr, fmt.Sprintf("--delivery-semantic %q: use AtLeastOnce or AtMostOnce", *semantic))
	}
	codec, err := fluvio.ParseCompression(*compression)
	if err != nil {
		return g.usageError(stderr, fmt.Sprintf("--compression %q: use none, gzip, snappy, lz4 or zstd", *compression))
	}
	o.popts = append(o.popts, fluvio.WithCompression(codec))
	if *maxRequest != "" {
		n, err := parseSize(*maxRequest)
		if err != nil || n <= 0 || n > 1<<30 {
			return g.usageError(stderr, fmt.Sprintf("--max-request-size %q: give a size such as 1MiB or 1048576", *maxRequest))
		}
		o.popts = append(o.popts, fluvio.WithMaxRequestSize(int(n)))
	}
	if *linger != "" {
		if o.linger, err = time.ParseDuration(*linger); err != nil || o.linger < 0 {
			return g.usageError(stderr, fmt.Sprintf("--linger %q: give a duration such as 5ms or 100ms", *linger))
		}
	} else {
		o.linger = fluvio.DefaultLinger
	}
	if *batchSize != "" {
		n, err := parseSize(*batchSize)
		if err != nil || n <= 0 || n > 1<<30 {
			return g.usageError(stderr, fmt.Sprintf("--batch-size %q: give a size such as 16KiB or 1MiB", *batchSize))
		}
		o.batchSize = int(n)
	}

	in := g.stdin
	if o.file != "" {
		f, err := os.Open(o.file)
		if err != nil {
			return g.fail(stderr, withHint(fmt.Errorf("cannot read records: %w", err), exitUsage,
				"check the path given to --file, or pipe the records to stdin"))
		}
		defer f.Close()
		in = f
	}
	c, err := g.client(ctx)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer c.Close()
	popts := append([]fluvio.ProducerOption{fluvio.WithAcks(o.acks), fluvio.WithLinger(o.linger)}, o.popts...)
	if o.batchSize > 0 {
		popts = append(popts, fluvio.WithBatchSize(o.batchSize))
	}
	p, err := c.Producer(o.topic, popts...)
	if err != nil {
		return g.fail(stderr, clientError(err))
	}
	interactive := o.file == "" && isTerminal(in)
	var rate *rateMeter
	if !interactive && isTerminal(stderr) {
		rate = startRate(stderr)
	}
	n, err := produceInput(ctx, p, in, o, interactive, stdout, rate)
	if ferr := p.Flush(ctx); err == nil {
		err = ferr
	}
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	rate.stop()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return exitOK
		}
		return g.fail(stderr, clientError(fmt.Errorf("after %d records: %w", n, err)))
	}
	return exitOK
}

// isolationAcks maps Fluvio's producer isolation to acks: read_committed
// waits for every in-sync replica (acks all), read_uncommitted for the
// leader only. Fluvio's spellings ReadCommitted and ReadUncommitted work.
func isolationAcks(s string) (fluvio.Acks, bool) {
	switch normalizeEnum(s) {
	case "readcommitted":
		return fluvio.AcksAll, true
	case "readuncommitted":
		return fluvio.AcksLeader, true
	}
	return 0, false
}

// normalizeEnum lowercases s and drops '_' and '-', so that Fluvio's
// spellings (AtMostOnce, at-most-once, read_committed) compare equal.
func normalizeEnum(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

// produceInput sends the records of in and returns how many were sent.
// Interactive input (a terminal) is sent one record at a time, each
// confirmed with "Ok!".
func produceInput(ctx context.Context, p *fluvio.Producer, in io.Reader, o produceOpts, interactive bool, stdout io.Writer, rate *rateMeter) (int, error) {
	var fixedKey []byte
	if o.hasKey {
		fixedKey = []byte(o.key)
	}
	if o.raw {
		data, err := io.ReadAll(in)
		if err != nil {
			return 0, fmt.Errorf("read input: %w", err)
		}
		if _, err := p.SendSync(ctx, fixedKey, data); err != nil {
			return 0, err
		}
		rate.add(1)
		return 1, nil
	}
	br := bufio.NewReaderSize(in, 64<<10)
	n := 0
	for lineNo := 1; ; lineNo++ {
		if interactive {
			fmt.Fprint(stdout, "> ")
		}
		line, err := readLine(br)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("read line %d: %w", lineNo, err)
		}
		key, value := fixedKey, line
		if o.separator != "" {
			k, v, ok := bytes.Cut(line, []byte(o.separator))
			if !ok {
				return n, &cliError{Err: fmt.Errorf("line %d has no key separator %q: %q", lineNo, o.separator, truncate(line, 60)),
					Hint: "write every line as KEY" + o.separator + "VALUE, or drop --key-separator", Code: exitUsage}
			}
			key, value = k, v
		}
		if interactive {
			if _, err := p.SendSync(ctx, key, value); err != nil {
				return n, err
			}
			fmt.Fprintln(stdout, "Ok!")
		} else if err := p.Send(ctx, key, value); err != nil {
			return n, err
		}
		n++
		rate.add(1)
	}
}

// readLine returns the next line without its "\n" or "\r\n", copied (the
// producer keeps it until sent). A last line without a newline counts.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLineBytes {
			return nil, fmt.Errorf("line longer than %d bytes: send large records with --raw", maxLineBytes)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF && len(line) > 0 {
			err = nil
		}
		if err != nil {
			return nil, err
		}
		break
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if line == nil {
		line = []byte{}
	}
	return line, nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}

// isTerminal reports whether v is an *os.File on a character device.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// rateMeter shows "N records, R records/s" on a terminal's stderr,
// rewriting one line every half second. A nil *rateMeter does nothing.
type rateMeter struct {
	w     io.Writer
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup

	mu sync.Mutex
	n  int64 // guarded by mu
}

func startRate(w io.Writer) *rateMeter {
	r := &rateMeter{w: w, start: time.Now(), done: make(chan struct{})}
	r.wg.Go(func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.print("")
			case <-r.done:
				return
			}
		}
	})
	return r
}

func (r *rateMeter) add(n int64) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.n += n
	r.mu.Unlock()
}

func (r *rateMeter) print(end string) {
	r.mu.Lock()
	n := r.n
	r.mu.Unlock()
	secs := time.Since(r.start).Seconds()
	fmt.Fprintf(r.w, "\r%d records, %.0f records/s%s", n, float64(n)/max(secs, 1e-3), end)
}

func (r *rateMeter) stop() {
	if r == nil {
		return
	}
	close(r.done)
	r.wg.Wait()
	r.print("\n")
}
