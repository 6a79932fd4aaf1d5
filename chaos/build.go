package chaos

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
)

// binaries are the programs a run starts, by output name.
var binaries = map[string]string{
	"sc-server":  "github.com/fluvio-go/fluvio/sc/cmd/sc-server",
	"spu-server": "github.com/fluvio-go/fluvio/spu/cmd/spu-server",
}

// BuildBinaries builds sc-server and spu-server into dir with go build (the
// module must be the current one: run it from inside the repository). race
// adds -race.
func BuildBinaries(ctx context.Context, dir string, race bool) error {
	for name, pkg := range binaries {
		args := []string{"build", "-o", filepath.Join(dir, name)}
		if race {
			args = append(args, "-race")
		}
		cmd := exec.CommandContext(ctx, "go", append(args, pkg)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("chaos: go build %s: %w\n%s(run it from inside the fluvio-go repository, or pass --bin-dir with binaries from 'make build')", pkg, err, out)
		}
	}
	return nil
}
