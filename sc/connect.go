package sc

import "github.com/fluvio-go/fluvio/internal/natsurl"

// connectHint says what to do about a failed connection to an external
// NATS.
func connectHint(err error) string {
	return natsurl.Hint(err, "the SC's user in the URL, --nats-url",
		"start it (nats-server -c nats.conf, or nats-server -js) or drop --nats-url to run the embedded one")
}
