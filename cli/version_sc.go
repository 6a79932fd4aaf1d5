package cli

import (
	"context"
	"errors"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/natsurl"
)

// fillServerVersions asks the SC for its version and its NATS server's. On
// failure it sets v.SCError and leaves the CLI's fields as they are.
func (g *Global) fillServerVersions(ctx context.Context, v *versionView) {
	t, err := g.resolveTarget()
	if err != nil {
		v.SCError = natsurl.Redact(err.Error())
		return
	}
	v.SCAddr = natsurl.Redact(t.Addr)
	a, err := dialAdmin(ctx, t, g.connectTimeout)
	if err != nil {
		// The cause only: the address is printed beside it.
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			err = u
		}
		v.SCError = natsurl.Redact(err.Error())
		return
	}
	defer a.Close()
	v.NATS = a.NATSServerVersion()
	resp, err := a.SCVersion(ctx)
	if err != nil {
		v.SCError = natsurl.Redact(scErrorText(err, t))
		return
	}
	v.SC = resp.Version
	if resp.Commit != "" {
		v.SC += " (" + resp.Commit + ")"
	}
	if resp.NATS != "" {
		v.NATS = resp.NATS
	}
	if spus, err := a.ListSPUs(ctx); err == nil {
		for _, s := range spus {
			v.SPUs = append(v.SPUs, spuVersion{ID: s.Spec.ID, Version: s.Status.Version, Online: s.Online()})
		}
	}
}

// scErrorText is the text of an admin call's error to the SC at t without
// the client library's "SC version: " prefix: the SC's error as it reads.
func scErrorText(err error, t target) string {
	if _, ok := errors.AsType[*fluvio.RequestError](err); ok {
		msg, _, _ := explainFor(err, &t)
		return msg
	}
	if se, ok := errors.AsType[*fluvio.SCError](err); ok {
		return se.Error()
	}
	return err.Error()
}
