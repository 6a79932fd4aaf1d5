// Package version holds the build's version and commit, set with -ldflags
// by the Makefile (the build runs with VCS stamping off).
package version

import (
	"regexp"
	"runtime/debug"
	"strings"
)

// Version is the release version, set at build time with
// -ldflags "-X github.com/fluvio-go/fluvio/internal/version.Version=...".
// The Makefile passes 'git describe --tags --always --dirty': a tag
// (v1.2.3), or a commit when there is no tag (ada858d, ada858d-dirty).
var Version = "0.0.0-dev"

// Commit is the git commit the binary was built from, set at build time.
var Commit = "unknown"

// String returns "VERSION (COMMIT)".
func String() string { return Version + " (" + Commit + ")" }

const dev = "0.0.0-dev"

var semver = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// notIdent matches what a semver pre-release identifier may not hold.
var notIdent = regexp.MustCompile(`[^0-9A-Za-z-]+`)

// Semver returns the version as semantic versioning wants it (what a NATS
// micro service must declare), without a leading v: a tag as is
// (v1.2.3 -> 1.2.3); a build from an untagged commit as a pre-release of
// 0.0.0 naming it (ada858d-dirty -> 0.0.0-ada858d-dirty); a build without
// -ldflags from its module version when the go command stamped one, else
// 0.0.0-dev.
func Semver() string { return semverOf(Version, buildInfoVersion()) }

func semverOf(v, fromBuildInfo string) string {
	if v == "" || v == dev {
		v = fromBuildInfo
	}
	if v == "" || v == dev {
		return dev
	}
	if semver.MatchString(v) {
		return strings.TrimPrefix(v, "v")
	}
	id := strings.Trim(notIdent.ReplaceAllString(v, "."), ".")
	for strings.Contains(id, "..") {
		id = strings.ReplaceAll(id, "..", ".")
	}
	if id == "" {
		return dev
	}
	return "0.0.0-" + id
}

// buildInfoVersion is the main module's version the go command recorded
// ("" when it recorded none, as for a build from a work tree).
func buildInfoVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}
