package natsauth

import (
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
)

// ConnectOptions are the nats.go options to connect as the identity in the
// credential file credsPath ("" for none) to the server(s) in natsURL.
//
// With credentials, the connection authenticates with the nkey and takes
// replies on the identity's inbox prefix. Without, a user name in the URL
// (nats://client:secret@host:4222, a user of a static nats.conf) gives the
// inbox prefix _INBOX.<user>, the one the generated configs allow.
func ConnectOptions(natsURL, credsPath string) ([]nats.Option, *Creds, error) {
	if credsPath != "" {
		c, err := Load(credsPath)
		if err != nil {
			return nil, nil, err
		}
		return c.Options(), c, nil
	}
	if user := urlUser(natsURL); user != "" {
		return []nats.Option{nats.CustomInboxPrefix(InboxPrefix(user))}, nil, nil
	}
	return nil, nil, nil
}

// Options are the nats.go options to connect as c.
func (c *Creds) Options() []nats.Option {
	return []nats.Option{nats.Nkey(c.Public, c.Sign), nats.CustomInboxPrefix(c.InboxPrefix())}
}

// urlUser is the user name of the first URL of a comma-separated list.
func urlUser(natsURL string) string {
	first, _, _ := strings.Cut(natsURL, ",")
	u, err := url.Parse(strings.TrimSpace(first))
	if err != nil || u.User == nil {
		return ""
	}
	// A token (nats://TOKEN@host) has no password: never put it in a subject.
	if p, ok := u.User.Password(); !ok || p == "" {
		return ""
	}
	return u.User.Username()
}

// URLHasUser reports whether natsURL carries a user and password.
func URLHasUser(natsURL string) bool { return urlUser(natsURL) != "" }
