package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/fluvio-go/fluvio/internal/version"
)

func init() {
	register("version", "print the CLI, SC and NATS versions", runVersion)
}

// versionView is what 'fluvio version -O json|yaml' prints.
type versionView struct {
	CLI       string `json:"cli" yaml:"cli"`
	Commit    string `json:"commit" yaml:"commit"`
	GoVersion string `json:"goVersion" yaml:"goVersion"`
	Platform  string `json:"platform" yaml:"platform"`
	SC        string `json:"sc,omitempty" yaml:"sc,omitempty"`
	NATS      string `json:"nats,omitempty" yaml:"nats,omitempty"`
	SCAddr    string `json:"scAddress" yaml:"scAddress"`
	// SCError says why the SC's version is missing.
	SCError string `json:"scError,omitempty" yaml:"scError,omitempty"`
	// SPUs are the versions the SPUs reported in their heartbeats.
	SPUs []spuVersion `json:"spus,omitempty" yaml:"spus,omitempty"`
}

// spuVersion is one SPU's version as the SC knows it.
type spuVersion struct {
	ID      int32  `json:"id"`
	Version string `json:"version"`
	Online  bool   `json:"online"`
}

func runVersion(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio version [-O table|yaml|json]",
		Short: `Print the versions of the CLI, and of the SC and its NATS server when the SC
can be reached (if not, the CLI's version is still printed, and the exit code is 0).`,
		Examples: `fluvio version
			fluvio version --sc 127.0.0.1:9003 -O json`,
	}, true)
	out := addOutputFlag(fs.FlagSet)
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, "version takes no arguments")
	}
	v := versionView{
		CLI:       version.Version,
		Commit:    version.Commit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	g.fillServerVersions(ctx, &v)
	if *out != outputTable {
		if err := printObject(stdout, *out, v, nil); err != nil {
			return g.fail(stderr, err)
		}
		return exitOK
	}
	kv := [][2]string{
		{"Fluvio CLI", v.CLI},
		{"Fluvio CLI commit", v.Commit},
		{"Go version", v.GoVersion},
		{"OS/Arch", v.Platform},
	}
	if v.SCError != "" {
		kv = append(kv, [2]string{"SC", "unreachable at " + v.SCAddr + ": " + v.SCError})
	} else {
		kv = append(kv, [2]string{"SC", v.SC + " at " + v.SCAddr}, [2]string{"NATS", v.NATS})
	}
	for _, s := range v.SPUs {
		state := "offline"
		if s.Online {
			state = "online"
		}
		kv = append(kv, [2]string{fmt.Sprintf("SPU %d", s.ID), dash(s.Version) + " (" + state + ")"})
	}
	if err := printObject(stdout, *out, v, kv); err != nil {
		return g.fail(stderr, err)
	}
	if v.SCError != "" {
		fmt.Fprintln(stderr, "note: start a local cluster with 'fluvio cluster start', or pass --sc HOST:PORT")
	}
	return exitOK
}
