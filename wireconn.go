package fluvio

import (
	"context"
	"errors"
)

// dialWire dials an SPU's public server with the wire protocol.
func dialWire(ctx context.Context, addr string) (spuConn, error) {
	return nil, errors.New("wire client not available yet")
}
