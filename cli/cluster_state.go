package cli

import (
	"errors"
	"fmt"

	"github.com/fluvio-go/fluvio/internal/localcluster"
)

// The local cluster's files and processes are internal/localcluster's
// (its State is cluster.json); these wrappers add the CLI's hints.

// loadState reads dir's cluster.json; ok is false when there is none.
func loadState(dir string) (*localcluster.State, bool, error) {
	st, ok, err := localcluster.LoadState(dir)
	if _, damaged := errors.AsType[*localcluster.DamagedStateError](err); damaged {
		return nil, false, withHint(err, exitError,
			"stop any sc-server/spu-server left running, then remove the cluster with 'fluvio cluster delete --force --data-dir "+dir+"'")
	}
	return st, ok, err
}

// lockDir takes an exclusive lock on dir's .lock so two cluster commands
// do not start or stop the same cluster at once. unlock releases it.
func lockDir(dir string) (unlock func(), err error) {
	unlock, err = localcluster.Lock(dir)
	switch {
	case errors.Is(err, localcluster.ErrLocked):
		return nil, withHint(fmt.Errorf("another 'fluvio cluster' command is working on %s", dir), exitConflict,
			"wait for it to finish, then run the command again")
	case err != nil:
		return nil, withHint(err, exitError, "pick a writable directory with --data-dir DIR")
	}
	return unlock, nil
}

// stateTarget is the cluster's SCs as the admin sees them.
func stateTarget(st *localcluster.State, source string) target {
	return target{Addr: st.SCList(), Source: source, Creds: st.AdminCreds(), TLS: stateTLS(st)}
}

// stateTLS is the admin's TLS settings for a local cluster with --tls
// (nil without): its certificate and the cluster's CA.
func stateTLS(st *localcluster.State) *profileTLS {
	if !st.TLS {
		return nil
	}
	f := st.TLSFiles("admin")
	return &profileTLS{Policy: tlsVerified, Source: tlsFiles, Cert: f.Cert, Key: f.Key, CA: f.CA}
}

// localProfileOf is the profile 'fluvio cluster start' writes for st.
func localProfileOf(st *localcluster.State, dir string) profile {
	return profile{SC: st.SCList(), LocalDir: dir, Creds: st.AdminCreds(), TLS: stateTLS(st)}
}
