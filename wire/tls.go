package wire

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"
)

// TLS on the SPU servers. A server with ServerConfig.TLS speaks only TLS;
// one without speaks only plaintext. Each connection's first byte tells
// which the client speaks (0x16 starts a TLS handshake record; a request
// frame starts with its big-endian size, and a size starting with 0x16 is
// over 300 MiB, far above any frame limit), so a mismatch is
// answered clearly instead of with a confusing framing or handshake
// error: a plaintext client on a TLS port gets a TLSRequired error frame
// (and the server logs "plaintext connection from X on a TLS port"); a
// TLS client on a plaintext port is logged and closed, and the Dialer
// turns its handshake failure into "does not speak TLS".

// ErrTLSHandshake is wrapped by every error of a failed client TLS
// handshake (Dialer with TLS): settings that do not match the server's,
// which a retry does not fix.
var ErrTLSHandshake = errors.New("TLS handshake failed")

// tlsHandshakeByte is the first byte of a TLS handshake record.
const tlsHandshakeByte = 0x16

// bufferedConn is a net.Conn whose reads go through r (which holds the
// peeked bytes).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// ReadFrom keeps the socket's own ReadFrom (sendfile, splice) reachable
// through the wrapper.
func (c *bufferedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// tlsRequiredMessage is the error a plaintext client gets on a TLS port.
const tlsRequiredMessage = "this SPU port speaks TLS only: connect with TLS (tls_policy = \"verified\" in the profile's [cluster.NAME.tls], 'fluvio profile add --tls-ca', or fluvio.WithTLS)"

// accept runs on a new server connection before any request: it peeks the
// first byte and returns the connection to serve (a *tls.Conn after a
// successful handshake with cfg.TLS), or nil when the connection was
// refused (the caller closes it).
func accept(ctx context.Context, nc net.Conn, cfg ServerConfig, log *slog.Logger) (net.Conn, *tls.ConnectionState) {
	br := bufio.NewReaderSize(nc, 4096)
	_ = nc.SetReadDeadline(time.Now().Add(min(cfg.IdleTimeout, cfg.FirstRequestTimeout)))
	first, err := br.Peek(1)
	if err != nil {
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			log.Debug("wire: connection closed before its first byte", "err", err)
		}
		return nil, nil
	}
	bc := &bufferedConn{Conn: nc, r: br}
	isTLS := first[0] == tlsHandshakeByte
	switch {
	case cfg.TLS == nil && !isTLS:
		_ = nc.SetReadDeadline(time.Time{})
		return bc, nil
	case cfg.TLS == nil:
		log.Warn("wire: TLS connection from " + nc.RemoteAddr().String() + " on a plaintext port: closed (this server has no --tls-cert; the client's profile has TLS on)")
		return nil, nil
	case !isTLS:
		log.Warn("wire: plaintext connection from " + nc.RemoteAddr().String() + " on a TLS port: answered with a TLS-required error and closed (the client has no TLS settings: tls in its profile or --tls-ca)")
		refusePlaintext(bc, cfg)
		return nil, nil
	}
	tc := tls.Server(bc, cfg.TLS)
	hctx, cancel := context.WithTimeout(ctx, cfg.FirstRequestTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		log.Warn("wire: TLS handshake failed", "err", err)
		return nil, nil
	}
	_ = nc.SetReadDeadline(time.Time{})
	st := tc.ConnectionState()
	return tc, &st
}

// refusePlaintext reads the plaintext client's first request header (if
// it sends one soon) and answers it with a TLSRequired error frame.
func refusePlaintext(nc net.Conn, cfg ServerConfig) {
	_ = nc.SetDeadline(time.Now().Add(min(cfg.FirstRequestTimeout, 2*time.Second)))
	br := bufio.NewReader(nc)
	hdr, _, err := readRequestInto(br, 1<<20, nil)
	corr := int32(-1)
	if fe, ok := errors.AsType[*frameError](err); ok && fe.hasHeader {
		corr = fe.hdr.CorrelationID
	} else if err == nil {
		corr = hdr.CorrelationID
	}
	bw := bufio.NewWriter(nc)
	if werr := writeResponse(bw, new(encoder), corr, nil, TLSRequired.ErrMsg(tlsRequiredMessage)); werr == nil {
		_ = bw.Flush()
	}
}

// dialTLS runs the client side of the handshake on nc.
func dialTLS(ctx context.Context, nc net.Conn, addr string, cfg *tls.Config) (net.Conn, error) {
	c := cfg.Clone()
	if c.ServerName == "" && !c.InsecureSkipVerify {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		c.ServerName = host
	}
	tc := tls.Client(nc, c)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		return nil, tlsDialError(addr, err)
	}
	return tc, nil
}

// tlsDialError explains a failed client handshake.
func tlsDialError(addr string, err error) error {
	var rh tls.RecordHeaderError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &rh), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("wire: %w: the SPU at %s does not speak TLS (it closed or answered the TLS handshake in plaintext): %w; remove tls from your profile (tls_policy = \"disabled\") or start the SPU with --tls-cert and --tls-key", ErrTLSHandshake, addr, err)
	case errors.As(err, &ua), errors.As(err, &he), errors.As(err, &ci):
		return fmt.Errorf("wire: %w: the SPU at %s has a certificate this client does not trust: %w; use the cluster's CA (ca_cert in the profile's tls section, or --tls-ca) and the domain its certificates name", ErrTLSHandshake, addr, err)
	}
	return fmt.Errorf("wire: %w with the SPU at %s: %w; the SPU requires a client certificate signed by the cluster's CA (cert and key in the profile's tls section, or --tls-cert and --tls-key)", ErrTLSHandshake, addr, err)
}

// tlsRequiredError is what a plaintext client reports when the SPU
// answered that its port speaks TLS only.
func tlsRequiredError(addr string, e error) error {
	return fmt.Errorf("the SPU at %s speaks TLS; set tls in your profile (tls_policy = \"verified\" with the cluster's ca_cert) or pass --tls-ca: %w", addr, e)
}
