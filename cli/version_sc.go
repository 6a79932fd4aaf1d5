package cli

import (
	"context"
	"errors"
)

// fillServerVersions asks the SC for its and its NATS server's versions.
func (g *Global) fillServerVersions(ctx context.Context, v *versionView) {
	t, err := g.resolveTarget()
	if err != nil {
		v.SCError = err.Error()
		return
	}
	v.SCAddr = t.Addr
	nc, err := dialSC(ctx, t, g.connectTimeout)
	if err != nil {
		// The cause only: the address is printed beside it.
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			err = u
		}
		v.SCError = err.Error()
		return
	}
	defer nc.Close()
	v.NATS = nc.ConnectedServerVersion()
	v.SC = "unknown (the SC does not answer version.get yet)"
}
