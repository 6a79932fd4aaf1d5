package spu

import (
	"context"
	"fmt"
)

// Run starts the SPU and blocks until ctx is cancelled.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	fmt.Printf("starting custom-spu services (id:%d)\n", cfg.ID)
	<-ctx.Done()
	return nil
}
