package spu

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/fluvio-go/fluvio/wire"
	"github.com/nats-io/nkeys"
)

// Follower authentication on the private (replication) server. Without
// it anyone reaching the port could read every replica, and fetching "as
// replica 5002" at the log end put 5002 back in the ISR: acks=all then
// acknowledged records that no live follower held.
//
// Two proofs, either or both:
//
//   - With TLS and a CA (--tls-ca), the private server requires a client
//     certificate signed by the CA, and the certificate names the SPU
//     (CN or DNS SAN spu-N, tlsconf.SPUID): the connection may fetch only
//     as that SPU.
//   - With NATS identities (spu-server --creds), a follower's first
//     request is a wire SPUAuth signed with its nkey; the leader checks
//     it against the public key the SC sent with the replica set
//     (bus.PeerEndpoint.NKey), so an unregistered SPU (its key revoked)
//     is refused even while its certificate is still valid. Replays are
//     refused by time (authSkew) and nonce.
//
// With both, the proof must name the certificate's SPU. An SPU with
// neither (a cluster with --no-auth and no TLS) neither proves nor asks.

// authSkew is how far a proof's time may be from the leader's clock; the
// leader remembers the nonces it saw for that long.
const authSkew = 2 * time.Minute

// maxNonces bounds the replay cache: beyond it, new proofs are refused
// until old nonces expire (a flood of valid proofs needs valid keys).
const maxNonces = 100_000

// peerAuth signs this SPU's proofs and checks its peers'.
type peerAuth struct {
	self   bus.SPUID
	creds  *natsauth.Creds // nil: no identities in this cluster
	mtls   bool            // the private server requires CA-signed certificates
	dialer wire.Dialer     // TLS towards the leaders when this SPU has TLS
	now    func() time.Time

	mu     sync.Mutex
	keys   map[bus.SPUID]string // peers' public nkeys, from replica sets
	nonces nonceCache
}

func newPeerAuth(self bus.SPUID, creds *natsauth.Creds) *peerAuth {
	return &peerAuth{self: self, creds: creds, now: time.Now, keys: map[bus.SPUID]string{}, nonces: nonceCache{}}
}

// required reports whether this SPU's private server demands proofs.
func (a *peerAuth) required() bool { return a.creds != nil || a.mtls }

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
	c, err := a.dialer.Dial(ctx, addr)
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
	if msg := a.nonces.add(req.Nonce, now); msg != "" {
		return fail("%s", msg)
	}
	return nil
}

// nonceCache remembers the nonces of the proofs seen within authSkew.
// Its user serializes the calls.
type nonceCache map[string]time.Time

// add records nonce, or returns why the proof must be refused.
func (c nonceCache) add(nonce []byte, now time.Time) string {
	for n, t := range c {
		if now.Sub(t) > authSkew {
			delete(c, n)
		}
	}
	n := string(nonce)
	if _, seen := c[n]; seen {
		return "replayed proof (nonce seen before)"
	}
	if len(c) >= maxNonces {
		return fmt.Sprintf("too many proofs in the last %v; retry later", authSkew)
	}
	c[n] = now
	return ""
}

// certPeer returns the SPU the connection's verified client certificate
// names; ok false on a connection without one.
func certPeer(st *wire.ConnState) (id int32, ok bool, err error) {
	ts := st.TLS()
	if ts == nil || len(ts.VerifiedChains) == 0 || len(ts.PeerCertificates) == 0 {
		return 0, false, nil
	}
	cert := ts.PeerCertificates[0]
	id, named, err := tlsconf.SPUID(cert)
	if err != nil {
		return 0, true, wire.SPUAuthFailed.ErrMsg(err.Error())
	}
	if !named {
		return 0, true, wire.SPUAuthFailed.ErrMsg(fmt.Sprintf(
			"the client certificate %q names no SPU (CN or DNS SAN spu-N): only SPUs may use an SPU's private (replication) port; clients use the public port", cert.Subject.CommonName))
	}
	return id, true, nil
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
	if a.mtls {
		certID, _, err := certPeer(st)
		if err != nil {
			return err
		}
		if replicaID >= 0 && replicaID != certID {
			return wire.SPUAuthFailed.ErrMsg(fmt.Sprintf("this connection's certificate is SPU %d's: it may not fetch as replica %d", certID, replicaID))
		}
		if a.creds == nil {
			return nil
		}
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
