package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// probeClient keeps no idle connection: a probe leaves no goroutine or
// socket behind once it returns.
var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// ProbeReady asks a process's /readyz at addr (HOST:PORT): "yes",
// "no: REASON", or "" when addr is "" (no HTTP address).
func ProbeReady(ctx context.Context, addr string) string {
	if addr == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	if err != nil {
		return "no: " + err.Error()
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return "no: /readyz does not answer"
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK {
		return "yes"
	}
	return "no: " + strings.TrimPrefix(strings.TrimSpace(string(body)), "not ready: ")
}

// Listening reports whether something accepts TCP connections at addr.
func Listening(ctx context.Context, addr string) bool {
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Check is one process WaitReady waits for.
type Check struct {
	// Name names the process in messages ("sc-server 2", "spu-server 5001").
	Name string
	// HTTP is the process's --http address: ready once /readyz answers
	// 200. "" skips it.
	HTTP string
	// Public is a TCP address that must accept connections (an SPU's
	// public port). "" skips it.
	Public string
	// Alive reports whether the process still runs; a process that
	// exits fails the wait at once. nil: not checked.
	Alive func() bool
	// Log is the process's log, whose end an exit error shows.
	Log string
}

// ExitedError is a process that exited while its starter waited for it.
type ExitedError struct {
	Name, Log string
	Tail      string // the end of the log
}

func (e *ExitedError) Error() string {
	if e.Log == "" {
		return e.Name + " exited while starting"
	}
	return fmt.Sprintf("%s exited while starting; the end of its log %s:\n%s", e.Name, e.Log, e.Tail)
}

// exited is the ExitedError of c.
func (c Check) exited() error {
	return &ExitedError{Name: c.Name, Log: c.Log, Tail: LogTail(c.Log, 10)}
}

// Probe checks c once: nil when ready, an *ExitedError when its process
// exited, else why it is not ready.
func (c Check) Probe(ctx context.Context) error {
	if c.Alive != nil && !c.Alive() {
		return c.exited()
	}
	if c.HTTP != "" {
		if r := ProbeReady(ctx, c.HTTP); r != "yes" {
			return fmt.Errorf("%s: /readyz %s", c.Name, strings.TrimPrefix(r, "no: "))
		}
	}
	if c.Public != "" && !Listening(ctx, c.Public) {
		return fmt.Errorf("%s: public port %s not accepting connections", c.Name, c.Public)
	}
	return nil
}

// Unready probes every check once and returns why those not ready are
// not; an *ExitedError (a process gone) comes alone.
func Unready(ctx context.Context, checks []Check) []error {
	var out []error
	for _, c := range checks {
		err := c.Probe(ctx)
		if _, ok := errors.AsType[*ExitedError](err); ok {
			return []error{err}
		}
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// ReadyInterval is the pause between two rounds of WaitReady.
const ReadyInterval = 100 * time.Millisecond

// WaitReady polls the checks until all are ready (nil), one's process
// exits (its *ExitedError), or ctx ends: then the error says which are
// not ready and why, and wraps ctx's error.
func WaitReady(ctx context.Context, checks ...Check) error {
	for {
		errs := Unready(ctx, checks)
		if len(errs) == 0 {
			return nil
		}
		if _, ok := errors.AsType[*ExitedError](errs[0]); ok {
			return errs[0]
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready: %s: %w", JoinReasons(errs), ctx.Err())
		case <-time.After(ReadyInterval):
		}
	}
}

// JoinReasons joins errors on one line, "; " between them.
func JoinReasons(errs []error) string {
	s := make([]string, len(errs))
	for i, e := range errs {
		s[i] = e.Error()
	}
	return strings.Join(s, "; ")
}
