//go:build race

package wire

import (
	"errors"
	"syscall"
)

// Under the race detector rawIO makes its reads and writes through the
// syscall package, whose Read and Write tell the detector that a write
// happens before the read that gets its bytes (raw system calls would
// not: a client and a server in one test process would then look like a
// race where the socket orders them). The rest of rawIO is the same.

// sysRead is read(2) through syscall.Read.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return errnoOf(n, err)
}

// sysWrite is write(2) through syscall.Write.
func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return errnoOf(n, err)
}

func errnoOf(n int, err error) (int, syscall.Errno) {
	if err == nil {
		return n, 0
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return 0, errno
	}
	return 0, syscall.EIO
}

// raceDetector reports a race-detector build (tests: its instrumented
// code keeps some small values on the heap, so allocation counts differ).
const raceDetector = true
