//go:build !race

package wire

import (
	"syscall"
	"unsafe"
)

// sysRead is read(2) as a raw system call (rawio.go): the runtime is not
// told, so it wakes nothing.
func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

// sysWrite is write(2) as a raw system call.
func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}

// raceDetector reports a race-detector build (see rawio_race.go).
const raceDetector = false
