// Package bindcheck refuses unsafe listen addresses: a server binds
// loopback by default, and a listener another host can reach needs
// authentication and encryption (TLS). A non-loopback listener without
// both is refused unless the operator passes --insecure, and then every
// start logs a warning naming the address.
package bindcheck

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
)

// Listener is one address a server is about to bind.
type Listener struct {
	// Flag is the flag that sets it ("--sc", "--public-server").
	Flag string
	// Addr is HOST:PORT; an empty host means every interface.
	Addr string
	// Auth says whether the listener authenticates its peers.
	Auth bool
	// TLS says whether the listener speaks TLS only.
	TLS bool
}

// Loopback reports whether addr binds only loopback interfaces.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Check returns an error for the first non-loopback listener unless
// insecure; with insecure it logs a warning for each of them.
func Check(server string, ls []Listener, insecure bool, log *slog.Logger) error {
	for _, l := range ls {
		if l.Addr == "" || Loopback(l.Addr) || (l.Auth && l.TLS) {
			continue
		}
		what := "without TLS: records, metadata and credentials' challenges cross the network in clear text"
		switch {
		case !l.Auth && !l.TLS:
			what = "without authentication and without TLS: anyone who reaches it can use it"
		case !l.Auth:
			what = "with TLS but without authentication: anyone who reaches it can use it (pass --tls-ca to require client certificates, or turn auth on)"
		}
		if !insecure {
			return fmt.Errorf("%s: refusing to listen on %s (%s) %s; bind a loopback address (127.0.0.1), or pass --insecure to accept the risk (README \"Security\")",
				server, l.Addr, l.Flag, what)
		}
		if log != nil {
			log.Warn("INSECURE: listening on a non-loopback address "+what, "addr", l.Addr, "flag", l.Flag)
		}
	}
	return nil
}
