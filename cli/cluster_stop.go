package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fluvio-go/fluvio/internal/localcluster"
)

func runClusterStop(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio cluster stop [--data-dir DIR]",
		Short: `Stop the local cluster's processes (the SPUs first, then the SC) and keep its
data: 'fluvio cluster start' resumes it with its topics. Only processes this CLI
started are signalled: a recorded PID is checked against /proc/PID/cmdline.`,
		Examples: `fluvio cluster stop
			fluvio cluster stop --data-dir /tmp/fluvio-dev`,
	}, false)
	cf := addClusterFlags(fs)
	grace := fs.Duration("grace", 10*time.Second, "how long to wait after SIGTERM before SIGKILL")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	dir, err := g.localDir(*cf.dataDir)
	if err != nil {
		return g.fail(stderr, err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer unlock()
	st, ok, err := loadState(dir)
	if err != nil {
		return g.fail(stderr, err)
	}
	if !ok {
		return g.fail(stderr, noCluster(dir))
	}
	n, err := stopCluster(ctx, st, stdout, *grace)
	if err != nil {
		return g.fail(stderr, err)
	}
	if n == 0 {
		fmt.Fprintf(stdout, "fluvio cluster in %s was not running\n", dir)
	} else {
		fmt.Fprintf(stdout, "fluvio cluster stopped; data kept in %s\n", dir)
	}
	fmt.Fprintln(stdout, "next: 'fluvio cluster start' resumes it; 'fluvio cluster delete' removes it")
	return exitOK
}

// noCluster is the error for a data dir without a cluster.
func noCluster(dir string) error {
	return withHint(fmt.Errorf("no local cluster in %s", dir), exitNotFound,
		"start one with 'fluvio cluster start' (or pass the --data-dir you started it with)")
}

// stopCluster stops the SPUs, then the SC, and returns how many processes
// it stopped. PIDs are forgotten once their process is gone.
func stopCluster(ctx context.Context, st *localcluster.State, stdout io.Writer, grace time.Duration) (int, error) {
	n := 0
	var errs []error
	stop := func(name string, r *localcluster.Record) {
		if r.PID <= 0 {
			return
		}
		if !r.Alive() {
			r.PID = 0
			return
		}
		stopped, err := (*r).Stop(ctx, grace)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		if stopped {
			step(stdout, "stopped %s (pid %d)", name, r.PID)
			n++
		}
		r.PID = 0
	}
	for i := range st.SPUs {
		stop(fmt.Sprintf("spu-server %d", st.SPUs[i].ID), &st.SPUs[i].Proc)
	}
	for i := range st.Peers {
		stop(fmt.Sprintf("sc-server %d", i+2), &st.Peers[i].Proc)
	}
	stop("sc-server", &st.SC)
	if err := st.Save(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return n, withHint(errors.Join(errs...), exitError, "run 'fluvio cluster status' to see what still runs")
	}
	return n, nil
}

func runClusterDelete(ctx context.Context, g *Global, args []string, stdout, stderr io.Writer) int {
	fs := g.newFlagSet(help{
		Usage: "fluvio cluster delete [--force] [--data-dir DIR]",
		Short: `Stop the local cluster and remove its directory: every topic and record, the
metadata and the logs. It asks for confirmation unless --force. The "local"
profile is removed when it points at this cluster.`,
		Examples: `fluvio cluster delete
			fluvio cluster delete --force --data-dir /tmp/fluvio-dev`,
	}, false)
	cf := addClusterFlags(fs)
	force := fs.BoolP("force", "f", false, "do not ask for confirmation")
	if code, ok := g.parse(fs, args, stdout, stderr); !ok {
		return code
	}
	if fs.NArg() != 0 {
		return g.usageError(stderr, fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	dir, from, err := g.localDirFrom(*cf.dataDir)
	if err != nil {
		return g.fail(stderr, err)
	}
	announceTarget(stdout, "deleting", dir, from)
	st, ok, err := loadState(dir)
	if err != nil && !*force {
		return g.fail(stderr, err)
	}
	if !ok && !isEmptyOrMissing(dir) && err == nil {
		return g.fail(stderr, withHint(fmt.Errorf("%s holds no fluvio cluster (no %s): not deleting it", dir, localcluster.StateFile), exitNotFound,
			"check --data-dir; 'fluvio cluster delete' only removes directories made by 'fluvio cluster start'"))
	}
	if !ok && err == nil {
		// Nothing there: an error, unless --force asked not to mind.
		if !*force {
			return g.fail(stderr, withHint(fmt.Errorf("nothing to delete: no local cluster in %s", dir), exitNotFound,
				"pass the --data-dir the cluster was started with ('fluvio cluster status' lists it); --force makes this not an error"))
		}
		_ = os.Remove(filepath.Join(dir, localcluster.LockFile))
		_ = os.Remove(dir)
		if err := g.dropLocalProfile(dir); err != nil {
			return g.fail(stderr, err)
		}
		fmt.Fprintf(stdout, "nothing to delete: no local cluster in %s\n", dir)
		return exitOK
	}
	if !*force {
		fmt.Fprintf(stdout, "Delete the local cluster in %s, with all its topics and data? [y/N] ", dir)
		answer, _ := bufio.NewReader(g.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "\nnot deleted")
			return exitError
		}
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return g.fail(stderr, err)
	}
	defer unlock()
	if st != nil {
		if _, err := stopCluster(ctx, st, stdout, 10*time.Second); err != nil {
			return g.fail(stderr, err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return g.fail(stderr, withHint(fmt.Errorf("remove %s: %w", dir, err), exitError, "remove it by hand"))
	}
	step(stdout, "removed %s", dir)
	if err := g.dropLocalProfile(dir); err != nil {
		return g.fail(stderr, err)
	}
	fmt.Fprintln(stdout, "fluvio cluster deleted; next: 'fluvio cluster start' creates a new one")
	return exitOK
}

// isEmptyOrMissing reports whether dir does not exist or is empty (save a lock file).
func isEmptyOrMissing(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	for _, e := range ents {
		if e.Name() != localcluster.LockFile {
			return false
		}
	}
	return true
}

// dropLocalProfile removes every profile whose localDir is dir.
func (g *Global) dropLocalProfile(dir string) error {
	cfg, path, err := g.loadProfiles()
	if err != nil {
		return err
	}
	changed := false
	for name, p := range cfg.Profiles {
		if p.LocalDir != "" && filepath.Clean(p.LocalDir) == filepath.Clean(dir) {
			delete(cfg.Profiles, name)
			if cfg.Current == name {
				cfg.Current = ""
			}
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return saveProfiles(path, cfg)
}
