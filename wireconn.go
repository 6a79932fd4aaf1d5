package fluvio

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/wire"
)

// dialSPU dials SPU id's public server with the wire protocol, with TLS
// when the client has it (WithTLS), and, when the client has credentials
// (WithCredentials), proves its identity with a signed hello (wire
// ClientAuth) before returning: an SPU of a cluster with identities
// serves only authenticated connections.
func (c *Client) dialSPU(ctx context.Context, id bus.SPUID, addr string) (spuConn, error) {
	conn, err := wire.Dialer{TLS: c.cfg.tls}.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if c.creds == nil {
		return coalesceIfServed(ctx, conn)
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	req := &wire.ClientAuthRequest{PublicKey: c.creds.Public, SPU: int32(id), UnixMs: c.cfg.now().UnixMilli(), Nonce: nonce}
	if req.Signature, err = c.creds.Sign(req.SignedBytes()); err != nil {
		conn.Close()
		return nil, err
	}
	if _, err := conn.ClientAuth(ctx, req); err != nil {
		conn.Close()
		return nil, fmt.Errorf("SPU %d at %s refused this client's credentials (%s): %w", id, addr, c.cfg.creds, err)
	}
	return coalesceIfServed(ctx, conn)
}

// coalesceIfServed asks the SPU for its APIs and, if it serves
// MultiProduce, lets the connection send the produce requests of several
// partitions that are ready together in one frame (wire CoalesceProduce);
// an SPU of an older version gets one Produce frame per request.
func coalesceIfServed(ctx context.Context, conn *wire.Conn) (spuConn, error) {
	v, err := conn.APIVersions(ctx)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if slices.ContainsFunc(v.APIs, func(a wire.APIVersion) bool { return a.Key == wire.KeyMultiProduce }) {
		conn.CoalesceProduce()
	}
	return conn, nil
}
