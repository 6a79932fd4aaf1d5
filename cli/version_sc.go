package cli

import (
	"context"
	"errors"

	"github.com/fluvio-go/fluvio/bus"
)

// fillServerVersions asks the SC for its version and its NATS server's. On
// failure it sets v.SCError and leaves the CLI's fields as they are.
func (g *Global) fillServerVersions(ctx context.Context, v *versionView) {
	t, err := g.resolveTarget()
	if err != nil {
		v.SCError = err.Error()
		return
	}
	v.SCAddr = t.Addr
	a, err := dialAdmin(ctx, t, g.connectTimeout)
	if err != nil {
		// The cause only: the address is printed beside it.
		for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
			err = u
		}
		v.SCError = err.Error()
		return
	}
	defer a.Close()
	v.NATS = a.nc.ConnectedServerVersion()
	resp, err := adminCall[bus.VersionResponse](ctx, a, bus.SubjectAdminVersionGet, bus.VersionRequest{})
	if err != nil {
		v.SCError = err.Error()
		return
	}
	v.SC = resp.Version
	if resp.Commit != "" {
		v.SC += " (" + resp.Commit + ")"
	}
	if resp.NATS != "" {
		v.NATS = resp.NATS
	}
	if spus, err := adminCall[bus.SPUListResponse](ctx, a, bus.SubjectAdminSPUList, bus.SPUListRequest{}); err == nil {
		for _, s := range spus.Items {
			v.SPUs = append(v.SPUs, spuVersion{ID: s.Spec.ID, Version: s.Status.Version, Online: s.Online()})
		}
	}
}
