package spu

import "github.com/fluvio-go/fluvio/internal/natsurl"

// connectHint says what to do about a failed connection to the SC's NATS.
func connectHint(err error) string {
	return natsurl.Hint(err, "this SPU's user in the address, --sc-controller",
		"is it running? start a local cluster with 'fluvio cluster start', or pass --sc-controller HOST:PORT")
}
