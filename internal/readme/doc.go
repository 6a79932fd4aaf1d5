// Package readme runs the shell blocks of README.md and then
// examples/README.md as a newcomer would: in order, in one shell, from the
// repository's root in a fresh copy of it, with an empty HOME. `make readme` runs it (TestREADME, FLUVIO_README=1); CI calls that
// target.
//
// A block is a fenced code block whose info string is "sh". A block that
// is illustrative only (a command that needs another machine, never ends,
// or is run by CI on its own) is preceded by the marker line
//
//	<!-- readme-test: skip REASON -->
//
// and is not run. Other fences (```go, ```, ```text) are never run. A line
// "#   TEXT" under a command is output the command must print (blanks
// collapsed; not checked for a command run in the background with &).
//
// The blocks use the fixed ports the README shows (127.0.0.1:9003 and
// others). So that they collide with nothing else on the machine, the
// script runs in private network, PID and mount namespaces (Linux user
// namespaces): its loopback is its own, and every process it started dies
// with it. Where user namespaces are not allowed, FLUVIO_README_HOST=1 runs
// it on the host's loopback instead, after checking that the README's ports
// are free, and stops the processes it started by PID afterwards (they
// carry a marker in their environment); FLUVIO_README_FALLBACK=host (set by
// CI, which runs nothing else meanwhile) does so only when the namespaces
// cannot be created.
package readme
