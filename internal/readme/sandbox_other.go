//go:build !linux

package readme

import (
	"context"
	"errors"
	"io"
)

// Run is one run of a script (Linux only).
type Run struct {
	Script string
	Dir    string
	Env    []string
	Out    io.Writer
	Host   bool
}

// ErrNoSandbox: the README test runs on Linux only.
var ErrNoSandbox = errors.New("the README test needs Linux")

// MaybeInit does nothing off Linux.
func MaybeInit() {}

// Start fails off Linux.
func (r Run) Start(ctx context.Context) error { return ErrNoSandbox }
