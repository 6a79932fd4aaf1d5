package spu

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/wire"
	"github.com/nats-io/nkeys"
)

// Follower authentication on the private (replication) server. Without
// it anyone reaching the port could read every replica, and fetching "as
// replica 5002" at the log end put 5002 back in the ISR: acks=all then
// acknowledged records that no live follower held.
//
// There is no TLS on the data plane yet, so the proof is the SPU's nkey
// (the seed of its NATS credentials, spu-server --creds): a follower's
// first request on a leader's private server is a wire SPUAuth signed
// with it, the leader checks it against the public key the SC sent with
// the replica set (bus.PeerEndpoint.NKey), and the connection then may
// fetch only as that SPU. Replays are refused by time (authSkew) and
// nonce. An SPU without credentials (a cluster with --no-auth) neither
// proves nor asks.

// authSkew is how far a proof's time may be from the leader's clock; the
// leader remembers the nonces it saw for that long.
const authSkew = 2 * time.Minute

// maxNonces bounds the replay cache: beyond it, new proofs are refused
// until old nonces expire (a flood of valid proofs needs valid keys).
const maxNonces = 100_000

// peerAuth signs this SPU's proofs and checks its peers'.
type peerAuth struct {
	self  bus.SPUID
	creds *natsauth.Creds // nil: no identities in this cluster
	now   func() time.Time

	mu     sync.Mutex
	keys   map[bus.SPUID]string // peers' public nkeys, from replica sets
	nonces map[string]time.Time // seen within authSkew
}

func newPeerAuth(self bus.SPUID, creds *natsauth.Creds) *peerAuth {
	return &peerAuth{self: self, creds: creds, now: time.Now, keys: map[bus.SPUID]string{}, nonces: map[string]time.Time{}}
}

// required reports whether this SPU's private server demands proofs.
func (a *peerAuth) required() bool { return a.creds != nil }

// setKey records peer id's public key ("" forgets it).
func (a *peerAuth) setKey(id bus.SPUID, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if key == "" {
		delete(a.keys, id)
		return
	}
	a.keys[id] = key
}

// dial connects to leader's private server at addr and proves who we are.
func (a *peerAuth) dial(ctx context.Context, leader int32, addr string) (*wire.Conn, error) {
	c, err := wire.Dial(ctx, addr)
	if err != nil || a.creds == nil {
		return c, err
	}
	req, err := a.proof(leader)
	if err != nil {
		c.Close()
		return nil, err
	}
	if err := c.SPUAuth(ctx, req); err != nil {
		c.Close()
		return nil, fmt.Errorf("spu: leader %d at %s refused SPU %d's proof of identity: %w", leader, addr, a.self, err)
	}
	return c, nil
}

// proof makes a signed SPUAuth for leader.
func (a *peerAuth) proof(leader int32) (*wire.SPUAuthRequest, error) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce) // crypto/rand never fails on Linux
	req := &wire.SPUAuthRequest{SPU: int32(a.self), Leader: leader, UnixMs: a.now().UnixMilli(), Nonce: nonce}
	sig, err := a.creds.Sign(req.SignedBytes())
	if err != nil {
		return nil, fmt.Errorf("spu: sign the proof for leader %d: %w", leader, err)
	}
	req.Signature = sig
	return req, nil
}

// verify checks a follower's proof; nil means the connection is req.SPU's.
func (a *peerAuth) verify(req *wire.SPUAuthRequest) error {
	fail := func(format string, args ...any) error {
		return wire.SPUAuthFailed.ErrMsg(fmt.Sprintf(format, args...))
	}
	if req.Leader != int32(a.self) {
		return fail("the proof is for SPU %d, this is SPU %d", req.Leader, a.self)
	}
	now := a.now()
	if d := now.Sub(time.UnixMilli(req.UnixMs)); d > authSkew || d < -authSkew {
		return fail("the proof's time is %v away from this SPU's clock (at most %v): check the clocks", d.Round(time.Second), authSkew)
	}
	if len(req.Nonce) < 16 || len(req.Nonce) > 64 {
		return fail("nonce of %d bytes: want 16 to 64", len(req.Nonce))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key, ok := a.keys[bus.SPUID(req.SPU)]
	if !ok {
		return fail("SPU %d is not a replica of any partition this SPU holds (or not registered with credentials)", req.SPU)
	}
	pk, err := nkeys.FromPublicKey(key)
	if err != nil {
		return fail("SPU %d's registered key is not valid: %v", req.SPU, err)
	}
	if err := pk.Verify(req.SignedBytes(), req.Signature); err != nil {
		return fail("SPU %d's signature does not verify: only the holder of its credentials can fetch as it", req.SPU)
	}
	for n, t := range a.nonces {
		if now.Sub(t) > authSkew {
			delete(a.nonces, n)
		}
	}
	n := string(req.Nonce)
	if _, seen := a.nonces[n]; seen {
		return fail("replayed proof (nonce seen before)")
	}
	if len(a.nonces) >= maxNonces {
		return fail("too many proofs in the last %v; retry later", authSkew)
	}
	a.nonces[n] = now
	return nil
}

// checkPeer is the private server's gate: with auth required, a request
// other than SPUAuth needs a proven connection, and one naming a replica
// id (fetch, epoch query) must name the proven SPU.
func (a *peerAuth) checkPeer(ctx context.Context, replicaID int32) error {
	if !a.required() {
		return nil
	}
	st := wire.ConnStateOf(ctx)
	if st == nil {
		return nil // in-process calls (tests): no connection to prove
	}
	peer, ok := st.Peer()
	switch {
	case !ok:
		return wire.SPUAuthFailed.ErrMsg("this is an SPU's private (replication) port: only SPUs that proved their identity (SPUAuth) may use it; clients use the public port")
	case replicaID >= 0 && replicaID != peer:
		return wire.SPUAuthFailed.ErrMsg(fmt.Sprintf("this connection is SPU %d's: it may not fetch as replica %d", peer, replicaID))
	}
	return nil
}
