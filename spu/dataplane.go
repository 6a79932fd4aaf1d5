package spu

import (
	"context"
	"net"

	"github.com/fluvio-go/fluvio/bus"
)

// dataPlane is the SPU's data side: the replicas (a wal.Log each) and the
// public and private TCP servers. The control side (registration,
// heartbeats, replica sets from the SC) drives it through these methods.
//
// This is the contract between the control side (server.go) and the data
// side; the data side replaces this placeholder.
type dataPlane struct {
	cfg  Config
	self bus.SPUID
}

// newDataPlane opens nothing yet; replicas arrive through Apply.
func newDataPlane(cfg Config, self bus.SPUID) (*dataPlane, error) {
	return &dataPlane{cfg: cfg, self: self}, nil
}

// Serve accepts connections on the public (clients) and private (followers)
// listeners until ctx is cancelled, then closes them and waits for every
// connection goroutine to exit.
func (d *dataPlane) Serve(ctx context.Context, public, private net.Listener) error {
	<-ctx.Done()
	public.Close()
	private.Close()
	return nil
}

// Apply brings the replicas to the SC's desired set (see bus.ReplicaSet).
func (d *dataPlane) Apply(set bus.ReplicaSet) error { return nil }

// Status reports every replica, for heartbeats.
func (d *dataPlane) Status() []bus.ReplicaStatus { return nil }

// Close closes every replica's log.
func (d *dataPlane) Close() error { return nil }
