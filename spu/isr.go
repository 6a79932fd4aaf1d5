package spu

import (
	"context"

	"github.com/fluvio-go/fluvio/bus"
)

// proposeISR sends a leader's ISR change to the SC on
// fluvio.spu.<id>.isr and returns once the SC stored it. It is the data
// plane's ISRProposer when the SPU runs against an SC.
func (s *Server) proposeISR(ctx context.Context, u bus.ISRUpdate) error {
	_, err := bus.Request[bus.ISRUpdateResponse](ctx, s.nc, bus.SubjectSPUISR(s.id), u)
	return err
}
