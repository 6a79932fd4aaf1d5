// Package version holds the build's version and commit, set with -ldflags
// by the Makefile (the build runs with VCS stamping off).
package version

// Version is the release version, set at build time with
// -ldflags "-X github.com/fluvio-go/fluvio/internal/version.Version=...".
var Version = "0.0.0-dev"

// Commit is the git commit the binary was built from, set at build time.
var Commit = "unknown"

// String returns "VERSION (COMMIT)".
func String() string { return Version + " (" + Commit + ")" }
