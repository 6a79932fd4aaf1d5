package fluvio

import (
	"context"
	"fmt"

	"github.com/fluvio-go/fluvio/bus"
)

// SPUConfig is what RegisterSPU asks for.
type SPUConfig struct {
	// ID is the SPU id, 0 to MaxSPUID; spu-server --id ID joins as it.
	ID SPUID
	// Name defaults to custom-spu-<id> (spu-<id> for a managed SPU).
	Name string
	// Rack is a label used to spread replicas across racks.
	Rack string
	// PublicEndpoint is the HOST:PORT clients connect to.
	PublicEndpoint string
	// PrivateEndpoint is the HOST:PORT other SPUs replicate from.
	PrivateEndpoint string
	// Type is SPUTypeCustom (the default when empty) or SPUTypeManaged
	// (an SPU a local cluster runs).
	Type string
	// NKey is the public nkey of the SPU's NATS credentials (the SC's
	// NATS lets only its holder speak as this SPU); required by a cluster
	// with NATS auth. 'fluvio custom-spu register' makes the key pair.
	NKey string
}

// RegisterSPU authorizes an SPU to join the cluster and returns it as the
// SC stored it. A taken id or name is an error matching ErrSPUExists;
// invalid addresses match ErrInvalidAddress.
func (c *Client) RegisterSPU(ctx context.Context, cfg SPUConfig) (SPU, error) {
	spu, _, err := c.RegisterSPUAuth(ctx, cfg)
	return spu, err
}

// RegisterSPUAuth is RegisterSPU, also saying whether the SC's NATS
// requires identities (then the spu-server needs the credentials of
// cfg.NKey).
func (c *Client) RegisterSPUAuth(ctx context.Context, cfg SPUConfig) (spu SPU, authRequired bool, err error) {
	resp, err := request[bus.SPURegisterResponse](ctx, c, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: int64(cfg.ID), Name: cfg.Name, Rack: cfg.Rack, PublicEndpoint: cfg.PublicEndpoint,
		PrivateEndpoint: cfg.PrivateEndpoint, SPUType: cfg.Type, NKey: cfg.NKey,
	})
	if err != nil {
		return SPU{}, false, fmt.Errorf("register SPU %d: %w", cfg.ID, err)
	}
	return resp.SPU, resp.AuthRequired, nil
}

// UnregisterSPU removes the authorization of the SPU with this id; a
// connected spu-server is told to stop. An unknown id is an error matching
// ErrSPUNotFound.
func (c *Client) UnregisterSPU(ctx context.Context, id SPUID) (SPU, error) {
	n := int64(id)
	resp, err := request[bus.SPUUnregisterResponse](ctx, c, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{ID: &n})
	if err != nil {
		return SPU{}, fmt.Errorf("unregister SPU %d: %w", id, err)
	}
	return resp.SPU, nil
}

// UnregisterSPUNamed is UnregisterSPU by the SPU's name.
func (c *Client) UnregisterSPUNamed(ctx context.Context, name string) (SPU, error) {
	resp, err := request[bus.SPUUnregisterResponse](ctx, c, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{Name: name})
	if err != nil {
		return SPU{}, fmt.Errorf("unregister SPU %q: %w", name, err)
	}
	return resp.SPU, nil
}

// ListSPUs lists every SPU the SC knows, custom and managed.
func (c *Client) ListSPUs(ctx context.Context) ([]SPU, error) {
	return c.listSPUs(ctx, false)
}

// ListCustomSPUs lists the custom SPUs only.
func (c *Client) ListCustomSPUs(ctx context.Context) ([]SPU, error) {
	return c.listSPUs(ctx, true)
}

func (c *Client) listSPUs(ctx context.Context, customOnly bool) ([]SPU, error) {
	resp, err := request[bus.SPUListResponse](ctx, c, bus.SubjectAdminSPUList, bus.SPUListRequest{CustomOnly: customOnly})
	if err != nil {
		return nil, fmt.Errorf("list SPUs: %w", err)
	}
	if resp.Items == nil {
		return []SPU{}, nil
	}
	return resp.Items, nil
}
