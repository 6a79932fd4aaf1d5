package spu

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/tlsconf"
	"github.com/fluvio-go/fluvio/wire"
	"github.com/nats-io/nkeys"
)

// Client authentication on the public server. Without it anyone who
// reaches an SPU's public port could produce and consume. A connection
// authenticates in one of two ways:
//
//   - mutual TLS (--tls-ca): the TLS handshake already required a client
//     certificate signed by the cluster's CA; its OU names the role
//     (tlsconf.Role; none: client).
//   - a signed hello (wire ClientAuth, the client's first request) with
//     the nkey of its NATS credentials, checked against the client
//     identities the SC sends with every full replica set
//     (bus.ReplicaSet.Clients): the connection gets that identity's role.
//
// Roles: read-only may consume (fetch, list offsets); client and admin
// may also produce. An SPU of a cluster without identities and without
// a CA (--no-auth, for those who opted out) asks nothing.
type clientAuth struct {
	self     bus.SPUID
	required bool // the SPU has credentials or a CA
	now      func() time.Time

	mu     sync.Mutex
	keys   map[string]string // public nkey -> role, from the SC
	nonces nonceCache
}

func newClientAuth(self bus.SPUID, required bool) *clientAuth {
	return &clientAuth{self: self, required: required, now: time.Now, keys: map[string]string{}, nonces: nonceCache{}}
}

// setKeys replaces the client identities (a full replica set's).
func (a *clientAuth) setKeys(cs []bus.ClientKey) {
	keys := make(map[string]string, len(cs))
	for _, c := range cs {
		if c.Key != "" && validRole(c.Role) {
			keys[c.Key] = c.Role
		}
	}
	a.mu.Lock()
	a.keys = keys
	a.mu.Unlock()
}

func validRole(r string) bool {
	return r == tlsconf.RoleAdmin || r == tlsconf.RoleClient || r == tlsconf.RoleReadOnly
}

// verify checks a client's hello and returns the role it proves.
func (a *clientAuth) verify(req *wire.ClientAuthRequest) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", wire.ClientAuthFailed.ErrMsg(fmt.Sprintf(format, args...))
	}
	if req.SPU != int32(a.self) {
		return fail("the hello is for SPU %d, this is SPU %d", req.SPU, a.self)
	}
	now := a.now()
	if d := now.Sub(time.UnixMilli(req.UnixMs)); d > authSkew || d < -authSkew {
		return fail("the hello's time is %v away from this SPU's clock (at most %v): check the clocks", d.Round(time.Second), authSkew)
	}
	if len(req.Nonce) < 16 || len(req.Nonce) > 64 {
		return fail("nonce of %d bytes: want 16 to 64", len(req.Nonce))
	}
	pk, err := nkeys.FromPublicKey(req.PublicKey)
	if err != nil {
		return fail("%q is not an nkey user public key", req.PublicKey)
	}
	if err := pk.Verify(req.SignedBytes(), req.Signature); err != nil {
		return fail("the signature does not verify with key %s", req.PublicKey)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	role, ok := a.keys[req.PublicKey]
	if !ok {
		if len(a.keys) == 0 {
			return fail("SPU %d knows no client identities yet (the SC sends them with the replica set; with an external NATS it reads them beside its --nats-creds): retry shortly, or use a client certificate on a TLS cluster", a.self)
		}
		return fail("key %s is not a client identity of this cluster: use the credentials of your profile ('fluvio cluster start' writes DATA-DIR/auth/admin.creds, client.creds, read-only.creds)", req.PublicKey)
	}
	if msg := a.nonces.add(req.Nonce, now); msg != "" {
		return fail("%s", msg)
	}
	return role, nil
}

// check is the public server's gate for req: it returns nil when the
// connection may make it.
func (a *clientAuth) check(ctx context.Context, req wire.Request) error {
	st := wire.ConnStateOf(ctx)
	if st == nil {
		return nil // in-process calls (tests)
	}
	role := st.Role()
	if role == "" {
		if ts := st.TLS(); ts != nil && len(ts.VerifiedChains) > 0 && len(ts.PeerCertificates) > 0 {
			role = tlsconf.Role(ts.PeerCertificates[0])
			st.SetRole(role)
		}
	}
	if role == "" {
		if !a.required {
			return nil
		}
		return wire.ClientAuthFailed.ErrMsg(fmt.Sprintf(
			"SPU %d serves only authenticated clients and this connection sent no hello: connect with your profile's credentials (nats_creds in the profile, --creds, fluvio.WithCredentials) or, on a TLS cluster, a client certificate signed by the cluster's CA (the profile's tls section)", a.self))
	}
	// Named consumers' offsets: as on the admin API, clients commit and
	// read them, only admins delete them ('fluvio consumer delete').
	switch req.(type) {
	case *wire.OffsetCommitRequest:
		if role == tlsconf.RoleReadOnly {
			return wire.NotAuthorized.ErrMsg("this connection is read-only: it may read named consumers' offsets but not commit them")
		}
	case *wire.OffsetDeleteRequest:
		if role != tlsconf.RoleAdmin {
			return wire.NotAuthorized.ErrMsg("only admins delete named consumers' offsets: use the admin credentials ('fluvio consumer delete' with the admin profile)")
		}
	}
	if role == tlsconf.RoleReadOnly && !readOnlyAllowed(req) {
		return wire.NotAuthorized.ErrMsg(fmt.Sprintf("this connection is read-only: it may consume but not produce (%s)", req.APIKey()))
	}
	return nil
}

// readOnlyAllowed is what a read-only connection may ask: reads only.
// An allow-list, so that an API added later that writes is refused to
// read-only connections until it is listed here.
func readOnlyAllowed(req wire.Request) bool {
	switch req.(type) {
	case *wire.FetchRequest, *wire.ListOffsetsRequest, *wire.OffsetFetchRequest:
		return true
	}
	return false
}
