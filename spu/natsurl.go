package spu

import (
	"errors"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
)

// redactURL hides the password of a NATS URL (nats://user:secret@host)
// for logs and error messages; other strings come back unchanged.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// connectHint says what to do about a failed connection to the SC's NATS.
func connectHint(err error) string {
	if errors.Is(err, nats.ErrAuthorization) || strings.Contains(strings.ToLower(err.Error()), "authorization") {
		return "NATS refused the credentials: put this SPU's user in the address, --sc-controller nats://USER:PASSWORD@HOST:PORT (see the users in nats.conf)"
	}
	return "is it running? start a local cluster with 'fluvio cluster start', or pass --sc-controller HOST:PORT"
}
