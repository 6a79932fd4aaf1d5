package natsurl

import (
	"errors"
	"log/slog"
	"regexp"
	"strings"

	"github.com/nats-io/nats.go"
)

// Mask replaces a password in a redacted URL (the text nats.go uses too).
const Mask = "xxxxx"

// userinfo matches the user:password@ of a URL (scheme://user:password@),
// wherever it is in a text. The password runs to the last '@' before the
// host, so a password holding an unescaped '@' is masked whole.
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s/:@,"'` + "`" + `]*):([^\s/,"'` + "`" + `]*)@`)

// Redact masks the password of every URL in s (nats://user:secret@host
// becomes nats://user:xxxxx@host): one URL, a comma-separated list, or a
// message that quotes URLs (such as a url.Parse error). A URL with a user
// and no password (a token, or an nkey user) is kept as is, as nats.go's
// ConnectedUrlRedacted does. Other text comes back unchanged.
func Redact(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfo.ReplaceAllStringFunc(s, func(m string) string {
		sub := userinfo.FindStringSubmatch(m)
		if sub[2] == Placeholder {
			return m // a hint's placeholder (nats://USER:PASSWORD@HOST:PORT), not a secret
		}
		return sub[1] + ":" + Mask + "@"
	})
}

// Placeholder is the password word that hints show in an example URL
// (nats://USER:PASSWORD@HOST:PORT); Redact keeps it, so the hint still
// tells the user where their password goes.
const Placeholder = "PASSWORD"

// Normalize turns an SC address into NATS URLs: HOST:PORT becomes
// nats://HOST:PORT; a URL (nats://, tls://, ws://) is kept; in a
// comma-separated list each entry is treated so and spaces are dropped.
// An empty address stays "".
func Normalize(addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return ""
	}
	parts := strings.Split(addr, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if !strings.Contains(p, "://") {
			p = "nats://" + p
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// IsAuthError reports whether err is NATS refusing the credentials.
func IsAuthError(err error) bool {
	return err != nil && (errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(err.Error()), "authorization"))
}

// RedactAttr is a slog.HandlerOptions.ReplaceAttr that redacts the URLs
// in string and error attribute values.
func RedactAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); strings.Contains(s, "@") {
			a.Value = slog.StringValue(Redact(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && strings.Contains(err.Error(), "@") {
			a.Value = slog.StringValue(Redact(err.Error()))
		}
	}
	return a
}

// Hint says what to do about err, a failed connection to NATS: when NATS
// refused the credentials, to put them in the address (credentials names
// whose, and the flag, e.g. "this SPU's user in the address,
// --sc-controller"); otherwise the next step given.
func Hint(err error, credentials, otherwise string) string {
	if IsAuthError(err) {
		return "NATS refused the credentials: put " + credentials + " nats://USER:PASSWORD@HOST:PORT (see the users in nats.conf)"
	}
	return otherwise
}

// RedactError is err with the URLs of its message redacted (Redact),
// keeping its chain for errors.Is and errors.As; err itself when its
// message holds no password.
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := Redact(msg); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }
