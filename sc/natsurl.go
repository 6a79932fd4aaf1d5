package sc

import (
	"errors"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
)

// redactURL hides the password of a NATS URL (nats://user:secret@host)
// for logs and error messages; other strings come back unchanged. With
// several comma-separated URLs, each is redacted.
func redactURL(s string) string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil || u.User == nil {
			continue
		}
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

// connectHint says what to do about a failed connection to an external
// NATS.
func connectHint(err error) string {
	if errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(err.Error()), "authorization") {
		return "NATS refused the credentials: put the SC's user in the URL, --nats-url nats://USER:PASSWORD@HOST:PORT (see the users in nats.conf)"
	}
	return "start it (nats-server -c nats.conf, or nats-server -js) or drop --nats-url to run the embedded one"
}
