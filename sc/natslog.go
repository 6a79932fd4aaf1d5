package sc

import (
	"fmt"
	"log/slog"
	"strings"
)

// natsTLSLog receives the embedded NATS server's log when TLS is on
// (everything else of it stays silent, as without TLS) and turns its TLS
// handshake failures into lines that say what happened: a plaintext
// client on the TLS port, a certificate the server does not trust, a
// route that failed its handshake.
type natsTLSLog struct{ log *slog.Logger }

func (l natsTLSLog) Noticef(string, ...any) {}
func (l natsTLSLog) Warnf(string, ...any)   {}
func (l natsTLSLog) Fatalf(format string, v ...any) {
	l.log.Error("embedded NATS: " + fmt.Sprintf(format, v...))
}
func (l natsTLSLog) Errorf(format string, v ...any) { l.tls(format, v) }
func (l natsTLSLog) Debugf(format string, v ...any) { l.tls(format, v) }
func (l natsTLSLog) Tracef(string, ...any)          {}

func (l natsTLSLog) tls(format string, v []any) {
	if !strings.Contains(format, "TLS") || !strings.Contains(format, "handshake error") {
		return
	}
	msg := fmt.Sprintf(format, v...)
	// Client lines start "HOST:PORT - cid:N - ".
	remote, _, _ := strings.Cut(msg, " - ")
	switch {
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "i/o timeout"):
		// A probe or a client that gave up: nothing to configure.
		l.log.Debug("NATS TLS handshake cut short", "detail", msg)
	case strings.Contains(msg, "route"):
		l.log.Warn("NATS route TLS handshake failed: check the other SC's --tls-cert is signed by this --tls-ca", "detail", msg)
	case strings.Contains(msg, "first record does not look like a TLS handshake"), strings.HasSuffix(msg, "EOF"):
		l.log.Warn(fmt.Sprintf("plaintext connection from %s on a TLS port (the NATS client listener speaks TLS only): the client needs tls in its profile or --tls-ca", remote), "detail", msg)
	case strings.Contains(msg, "remote error"):
		l.log.Warn(fmt.Sprintf("TLS client %s did not accept this server's certificate: give it the cluster's CA (ca_cert in its profile's tls section, or --tls-ca)", remote), "detail", msg)
	case strings.Contains(msg, "certificate"):
		l.log.Warn(fmt.Sprintf("TLS client %s refused: its certificate is not signed by --tls-ca (or it sent none)", remote), "detail", msg)
	default:
		l.log.Warn(fmt.Sprintf("TLS handshake with %s failed", remote), "detail", msg)
	}
}
