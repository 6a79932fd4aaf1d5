package sc

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/fluvio-go/fluvio/bus"
)

// MaxNameLen bounds topic and SPU names (a DNS label, as in Fluvio).
const MaxNameLen = 63

// validateName checks a topic or SPU name: lowercase letters, digits and
// '-', 1 to 63 characters, starting and ending with a letter or digit.
func validateName(kind, name string) *bus.Error {
	bad := func(why string) *bus.Error {
		return bus.ErrInvalidName.With(fmt.Sprintf("invalid %s name %q: %s", kind, name, why), "")
	}
	switch {
	case name == "":
		return bad("it is empty")
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("it is %d characters long, the limit is %d", len(name), MaxNameLen))
	}
	for i, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(name)-1 {
				return bad("it may not start or end with '-'")
			}
		default:
			return bad(fmt.Sprintf("character %q is not allowed", c))
		}
	}
	return nil
}

// validateAddr checks a HOST:PORT endpoint.
func validateAddr(which, addr string) *bus.Error {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && host != "" {
		if p, perr := strconv.Atoi(port); perr == nil && p > 0 && p < 65536 {
			return nil
		}
	}
	return bus.ErrInvalidAddress.With(fmt.Sprintf("invalid %s address %q: want HOST:PORT with a port 1-65535", which, addr),
		fmt.Sprintf("pass --%s-server HOST:PORT, for example 127.0.0.1:9005", which))
}

// partitionName is "<topic>-<n>", the name partitions are listed under.
func partitionName(topic string, n int) string { return topic + "-" + strconv.Itoa(n) }

// joinIDs renders SPU ids as "1, 2, 3".
func joinIDs(ids []bus.SPUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ", ")
}
