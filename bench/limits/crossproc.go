package limits

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/fluvio-go/fluvio/bench"
)

// ServeEcho is the far end of PingPongProcess, run in its own process
// (bench-worker --op echo): it listens on 127.0.0.1:0, writes the address
// and a newline to w, echoes 64 B messages on the first connection until
// the client closes it, and returns.
func ServeEcho(ctx context.Context, w io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("limits: echo: %w", err)
	}
	defer ln.Close()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	if _, err := fmt.Fprintln(w, ln.Addr().String()); err != nil {
		return fmt.Errorf("limits: echo: %w", err)
	}
	c, err := ln.Accept()
	if err != nil {
		return fmt.Errorf("limits: echo: %w", err)
	}
	defer c.Close()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	buf := make([]byte, 64)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("limits: echo: %w", err)
		}
		if _, err := c.Write(buf); err != nil {
			return fmt.Errorf("limits: echo: %w", err)
		}
	}
}

// PingPongProcess is PingPong with the echo in another process, started
// from echoCmd (which runs ServeEcho): the topology of a client and a
// server, as both systems run. It returns the p50 and p99 round trip.
func PingPongProcess(ctx context.Context, echoCmd []string, count int, d time.Duration) (p50, p99 time.Duration, err error) {
	if len(echoCmd) == 0 {
		return 0, 0, errors.New("limits: pingpong: no echo command")
	}
	cmd := exec.CommandContext(ctx, echoCmd[0], echoCmd[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, fmt.Errorf("limits: pingpong: %w", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("limits: pingpong: start echo: %w", err)
	}
	addr, rerr := bufio.NewReader(stdout).ReadString('\n')
	if rerr != nil {
		_ = cmd.Process.Kill()
		return 0, 0, errors.Join(fmt.Errorf("limits: pingpong: echo address: %w (stderr %q)", rerr, stderr.String()), cmd.Wait())
	}
	var d0 net.Dialer
	c, err := d0.DialContext(ctx, "tcp", strings.TrimSpace(addr))
	if err != nil {
		_ = cmd.Process.Kill()
		return 0, 0, errors.Join(fmt.Errorf("limits: pingpong dial: %w", err), cmd.Wait())
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	buf := make([]byte, 64)
	samples := make([]time.Duration, 0, count)
	deadline := time.Now().Add(d)
	var ioErr error
	for len(samples) < count && (len(samples) < 10 || time.Now().Before(deadline)) && ctx.Err() == nil {
		t := time.Now()
		if _, ioErr = c.Write(buf); ioErr != nil {
			break
		}
		if _, ioErr = io.ReadFull(c, buf); ioErr != nil {
			break
		}
		samples = append(samples, time.Since(t))
	}
	c.Close()
	werr := cmd.Wait()
	if werr != nil {
		werr = fmt.Errorf("echo process: %w (stderr %q)", werr, stderr.String())
	}
	if err := errors.Join(ioErr, werr, ctx.Err()); err != nil {
		return 0, 0, fmt.Errorf("limits: pingpong: %w", err)
	}
	return bench.Percentile(samples, 0.50), bench.Percentile(samples, 0.99), nil
}
