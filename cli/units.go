package cli

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxNameLen is the longest topic or SPU name (a DNS label, as in Fluvio).
const maxNameLen = 63

// validateName checks a topic or SPU name: 1 to 63 characters, lowercase
// letters, digits and '-', starting and ending with a letter or digit.
func validateName(name string) error {
	if name == "" {
		return errors.New("the name is empty")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("%q is %d characters long, the limit is %d", name, len(name), maxNameLen)
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r == '-':
			if i == 0 || i == len(name)-1 {
				return fmt.Errorf("%q must start and end with a lowercase letter or digit", name)
			}
		default:
			return fmt.Errorf("%q has the character %q: use only lowercase letters, digits and '-'", name, r)
		}
	}
	return nil
}

// validateProfileName checks a profile name: letters, digits, '-', '_' and '.'.
func validateProfileName(name string) error {
	if name == "" {
		return errors.New("the name is empty")
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("%q has the character %q: use letters, digits, '-', '_' or '.'", name, r)
		}
	}
	return nil
}

// validateAddr checks a HOST:PORT address (or a URL with a scheme, passed through).
func validateAddr(addr string) error {
	if strings.Contains(addr, "://") {
		return nil
	}
	if parts := strings.Split(addr, ","); len(parts) > 1 {
		// Several SCs (or NATS servers): the client fails over between them.
		for _, p := range parts {
			if err := validateAddr(strings.TrimSpace(p)); err != nil {
				return err
			}
		}
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not HOST:PORT", addr)
	}
	if host == "" {
		return fmt.Errorf("%q has no host: write HOST:PORT, e.g. 127.0.0.1:%s", addr, port)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q has no valid port (1-65535)", addr)
	}
	return nil
}

// validateAdvertised checks an address other hosts connect to: HOST:PORT
// with a real host, not a wildcard such as 0.0.0.0 or [::].
func validateAdvertised(addr string) error {
	if err := validateAddr(addr); err != nil {
		return err
	}
	if strings.Contains(addr, "://") || strings.Contains(addr, ",") {
		return fmt.Errorf("%q: want one HOST:PORT, not a URL or a list", addr)
	}
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("%q is a wildcard, not an address others can connect to: advertise this host's IP or name, e.g. 127.0.0.1:%s (spu-server can still bind %s with its own --public-server/--private-server)", addr, port, addr)
	}
	return nil
}

// parseDuration parses a duration: Go syntax (90s, 1h30m) plus days and
// weeks (7d, 2w, 1d12h). A bare number is seconds.
func parseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty duration")
	}
	if n, err := strconv.ParseInt(in, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/int64(time.Second) {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	var total time.Duration
	rest := in
	// Peel off leading day and week terms; the remainder is Go syntax.
	for {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i >= len(rest) || (rest[i] != 'd' && rest[i] != 'w') {
			break
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %w", s, err)
		}
		unit := 24 * time.Hour
		if rest[i] == 'w' {
			unit *= 7
		}
		if n > int64(math.MaxInt64/unit) {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("duration %q: use forms like 30s, 15m, 1h, 7d, 2w, 1d12h", s)
		}
		total += d
	}
	if total < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return total, nil
}

// sizeUnits maps size suffixes (lowercase) to bytes: SI units are powers of
// 1000, IEC units (KiB, MiB...) powers of 1024.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
	"ki": 1 << 10, "kib": 1 << 10, "mi": 1 << 20, "mib": 1 << 20, "gi": 1 << 30, "gib": 1 << 30, "ti": 1 << 40, "tib": 1 << 40,
}

// parseSize parses a byte size: 1024, 512KB, 512MiB, 1GB, 1.5GiB.
func parseSize(s string) (int64, error) {
	in := strings.TrimSpace(s)
	i := 0
	for i < len(in) && (in[i] >= '0' && in[i] <= '9' || in[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: write a number with an optional unit, e.g. 1048576, 512KB, 512MiB, 1GB", s)
	}
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(in[i:]))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)", s, in[i:])
	}
	n, err := strconv.ParseFloat(in[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	v := n * float64(mult)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// formatSize prints a byte count in IEC units: 0 B, 512 B, 1.5 KiB, 10 MiB.
func formatSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTP"[exp]) + "iB"
}

// formatDuration prints d compactly with days, dropping zero units:
// 7d, 1d12h, 1h30m, 30s; under a second it uses Go's format.
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	if d < time.Second {
		return d.String()
	}
	units := []struct {
		d      time.Duration
		suffix string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var b strings.Builder
	for _, u := range units {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.suffix)
			d -= n * u.d
		}
	}
	return b.String()
}
