// Package bindcheck refuses unsafe listen addresses: a server binds
// loopback by default, and a listener another host can reach needs
// authentication and encryption. Nothing here encrypts yet (no TLS), so
// a non-loopback listener is refused unless the operator passes
// --insecure, and then every start logs a warning naming the address.
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
		if l.Addr == "" || Loopback(l.Addr) {
			continue
		}
		what := "without TLS: records, metadata and credentials' challenges cross the network in clear text"
		if !l.Auth {
			what = "without authentication and without TLS: anyone who reaches it can use it"
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
