package fluvio

import (
	"context"

	"github.com/fluvio-go/fluvio/wire"
)

// dialWire dials an SPU's public server with the wire protocol.
func dialWire(ctx context.Context, addr string) (spuConn, error) {
	c, err := wire.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return c, nil
}
