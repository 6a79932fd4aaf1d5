package cli

import (
	"errors"

	"github.com/fluvio-go/fluvio/bus"
)

// explainBus maps a *bus.Error (an error reply from the SC) to the message,
// hint and exit code the CLI prints. ok is false for other errors.
func explainBus(err error) (msg, hint string, code int, ok bool) {
	be, ok := errors.AsType[*bus.Error](err)
	if !ok {
		return "", "", 0, false
	}
	return be.Message, be.Hint, busExitCode(be.Code), true
}

// busExitCode maps a bus error code to an exit code.
func busExitCode(code int) int {
	switch code {
	case bus.CodeTopicNotFound, bus.CodeSPUNotFound:
		return exitNotFound
	case bus.CodeTopicExists, bus.CodeSPUExists, bus.CodeNotEnoughSPUs:
		return exitConflict
	case bus.CodeUnavailable, bus.CodeTimeout:
		return exitUnavailable
	case bus.CodeBadRequest, bus.CodeInvalidName, bus.CodeInvalidConfig, bus.CodeInvalidAddress, bus.CodeSPUInvalidID:
		return exitUsage
	}
	return exitError
}
