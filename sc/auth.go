package sc

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/natsauth"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
)

// With Config.AuthDir the embedded NATS accepts only nkey users: the
// cluster identities in AuthDir (sc, admin, client, read-only) and one user
// per registered SPU that has a key (SPUSpec.NKey), each with its role's
// permissions (natsauth.Permissions).
//
// The users change while the server runs (register, unregister, a resync
// that finds another SC's changes), so the server asks an authenticator
// (server.Options.CustomClientAuthentication) instead of a static user
// list: a reload of the server's options would also reset every client's
// allow_responses bookkeeping and drop the replies in flight, the reply to
// the register request itself included. Revoking a user closes its
// connections at once (Server.DisconnectClientByID).

// authenticator checks each NATS connection's nkey signature against the
// current users and gives it its role's permissions.
type authenticator struct {
	s  *Server
	mu sync.Mutex
	// users by public key; conns are the accepted connections per key.
	users map[string]authUser
	conns map[string]map[uint64]struct{}
}

type authUser struct {
	user  natsauth.User
	perms *server.Permissions
}

func newAuthenticator(s *Server) *authenticator {
	return &authenticator{s: s, users: map[string]authUser{}, conns: map[string]map[uint64]struct{}{}}
}

// Check implements server.Authentication: the client must present a known
// public key and a valid signature of the server's nonce.
func (a *authenticator) Check(c server.ClientAuthentication) bool {
	if c.Kind() != server.CLIENT {
		return false
	}
	opts := c.GetOpts()
	if opts == nil || opts.Nkey == "" {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(opts.Sig)
	if err != nil {
		if sig, err = base64.StdEncoding.DecodeString(opts.Sig); err != nil {
			return false
		}
	}
	pk, err := nkeys.FromPublicKey(opts.Nkey)
	if err != nil || pk.Verify(c.GetNonce(), sig) != nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[opts.Nkey]
	if !ok {
		return false
	}
	c.RegisterUser(&server.User{Username: u.user.Name, Permissions: u.perms})
	if a.conns[opts.Nkey] == nil {
		a.conns[opts.Nkey] = map[uint64]struct{}{}
	}
	a.conns[opts.Nkey][c.GetID()] = struct{}{}
	return true
}

// set replaces the users. Connections of a user that is gone, or whose
// role or SPU id changed, are closed.
func (a *authenticator) set(users []natsauth.User) error {
	next := make(map[string]authUser, len(users))
	for _, u := range users {
		if prev, dup := next[u.Public]; dup {
			// One key, two identities: keep the first, refuse the second.
			a.s.log.Error("two identities share one nkey: the second is refused; unregister it and register it again with new credentials",
				"key", u.Public, "first", prev.user.Name, "second", u.Name)
			continue
		}
		p, err := natsauth.Permissions(u.Role, u.Public, u.SPU, a.s.cfg.Bucket)
		if err != nil {
			return err
		}
		perms := &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: p.Publish},
			Subscribe: &server.SubjectPermission{Allow: p.Subscribe},
		}
		if p.AllowResponses {
			perms.Response = &server.ResponsePermission{
				MaxMsgs: server.DEFAULT_ALLOW_RESPONSE_MAX_MSGS, Expires: server.DEFAULT_ALLOW_RESPONSE_EXPIRATION,
			}
		}
		next[u.Public] = authUser{user: u, perms: perms}
	}
	var drop []uint64
	a.mu.Lock()
	for pub, old := range a.users {
		if n, ok := next[pub]; ok && n.user.Role == old.user.Role && n.user.SPU == old.user.SPU {
			next[pub] = old // keep the permissions the connections have
			continue
		}
		for cid := range a.conns[pub] {
			drop = append(drop, cid)
		}
		delete(a.conns, pub)
		a.s.log.Info("NATS identity revoked; its connections are closed", "name", old.user.Name, "key", pub, "connections", len(drop))
	}
	a.users = next
	a.mu.Unlock()
	for _, cid := range drop {
		_ = a.s.ns.DisconnectClientByID(cid) // an error: it is gone already
	}
	return nil
}

// forget drops a closed connection from the books (connections are
// checked, and so recorded, once; this keeps conns from growing).
func (a *authenticator) prune() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for pub, cids := range a.conns {
		for cid := range cids {
			if a.s.ns.GetClient(cid) == nil {
				delete(cids, cid)
			}
		}
		if len(cids) == 0 {
			delete(a.conns, pub)
		}
	}
}

// authOn reports whether this SC enforces identities on its embedded NATS.
func (s *Server) authOn() bool { return s.auth != nil }

// natsUsers lists the users for the SPUs in memory. Caller holds st.mu.
func (s *Server) natsUsers() []natsauth.User {
	users := s.ids.Users()
	for _, id := range s.st.sortedSPUs() {
		e := s.st.spus[id]
		if e.rec.Spec.NKey != "" {
			users = append(users, natsauth.User{Name: e.rec.Name, Role: natsauth.RoleSPU, Public: e.rec.Spec.NKey, SPU: id})
		}
	}
	return users
}

// syncAuth gives the embedded NATS the users of the SPUs in memory: a new
// SPU may connect, an unregistered one is disconnected at once. Caller
// holds writeMu (or is Start).
func (s *Server) syncAuth() {
	if !s.authOn() {
		return
	}
	s.st.mu.Lock()
	users := s.natsUsers()
	s.st.mu.Unlock()
	if err := s.auth.set(users); err != nil {
		s.log.Error("cannot update the NATS users; keeping the previous ones", "err", err)
	}
	s.auth.prune()
}

// checkRegisterKey checks the nkey of a register request.
func (s *Server) checkRegisterKey(id bus.SPUID, key string) error {
	if key == "" {
		if s.authOn() {
			return bus.ErrBadRequest.With(fmt.Sprintf("SPU %d has no credentials: this SC's NATS requires each SPU's public nkey", id),
				"register it with 'fluvio custom-spu register', which makes the SPU's credentials file")
		}
		return nil
	}
	if !natsauth.ValidPublicKey(key) {
		return bus.ErrBadRequest.With(fmt.Sprintf("SPU %d: %q is not an nkey user public key (U...)", id, key),
			"register it with 'fluvio custom-spu register', which makes the SPU's credentials file")
	}
	if s.ids != nil && slices.ContainsFunc(s.ids.Users(), func(u natsauth.User) bool { return u.Public == key }) {
		return bus.ErrBadRequest.With(fmt.Sprintf("SPU %d: that key is a cluster identity's, not an SPU's", id), "register it with new credentials")
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, e := range s.st.spus {
		if e.rec.Spec.NKey == key {
			return bus.ErrSPUExists.With(fmt.Sprintf("SPU %d: SPU %d already uses that key", id, e.rec.Spec.ID), "give each SPU its own credentials")
		}
	}
	return nil
}

// clientKeys are the cluster's client identities for the SPUs' public
// servers (bus.ReplicaSet.Clients): the embedded NATS's admin, client
// and read-only identities, or, with an external NATS, those that
// 'fluvio cluster gen-nats-conf' wrote beside the SC's --nats-creds.
func (s *Server) clientKeys() []bus.ClientKey {
	ids := s.ids
	if ids == nil && s.cfg.Creds != "" {
		dir := filepath.Dir(s.cfg.Creds)
		var out []bus.ClientKey
		for file, role := range map[string]natsauth.Role{natsauth.FileAdmin: natsauth.RoleAdmin,
			natsauth.FileClient: natsauth.RoleClient, natsauth.FileReadOnly: natsauth.RoleReadOnly} {
			if c, err := natsauth.Load(filepath.Join(dir, file)); err == nil {
				out = append(out, bus.ClientKey{Key: c.Public, Role: string(role)})
			}
		}
		if len(out) == 0 {
			s.log.Warn("no client identities beside --nats-creds: SPUs will accept only clients with a certificate (TLS) or none if they run without credentials",
				"dir", dir, "want", []string{natsauth.FileAdmin, natsauth.FileClient, natsauth.FileReadOnly})
		}
		slices.SortFunc(out, func(a, b bus.ClientKey) int { return strings.Compare(a.Key, b.Key) })
		return out
	}
	if ids == nil {
		return nil
	}
	return []bus.ClientKey{
		{Key: ids.Admin.Public, Role: string(natsauth.RoleAdmin)},
		{Key: ids.Client.Public, Role: string(natsauth.RoleClient)},
		{Key: ids.ReadOnly.Public, Role: string(natsauth.RoleReadOnly)},
	}
}
