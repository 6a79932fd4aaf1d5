package wire

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"sync/atomic"
)

// SPUAuthRequest proves, on an SPU's private (replication) server, that
// the connection belongs to SPU SPU: it signs Leader, SPU, UnixMs and
// Nonce with the nkey of its NATS credentials (SignedBytes). The leader
// checks the signature against the public key the SC gave it for that
// SPU (bus.PeerEndpoint.NKey), the time against its clock and the nonce
// against the ones it has seen; from then on the connection may fetch as
// that replica only. An SPU whose cluster has NATS auth refuses every
// other request on its private server before this one succeeded.
type SPUAuthRequest struct {
	SPU       int32
	Leader    int32
	UnixMs    int64
	Nonce     []byte
	Signature []byte
}

// SignedBytes is what the follower signs: a context string, the leader's
// and its own id, the time and the nonce.
func (r *SPUAuthRequest) SignedBytes() []byte {
	b := []byte("fluvio-spu-auth-v1\x00")
	b = binary.BigEndian.AppendUint32(b, uint32(r.Leader))
	b = binary.BigEndian.AppendUint32(b, uint32(r.SPU))
	b = binary.BigEndian.AppendUint64(b, uint64(r.UnixMs))
	return append(b, r.Nonce...)
}

// APIKey implements Request.
func (*SPUAuthRequest) APIKey() APIKey { return KeySPUAuth }

func (r *SPUAuthRequest) encode(e *encoder) {
	e.int32(r.SPU)
	e.int32(r.Leader)
	e.int64(r.UnixMs)
	e.bytes(r.Nonce)
	e.bytes(r.Signature)
}

func (r *SPUAuthRequest) decode(d *decoder) {
	r.SPU = d.int32()
	r.Leader = d.int32()
	r.UnixMs = d.int64()
	r.Nonce = d.bytes()
	r.Signature = d.bytes()
}

// SPUAuthResponse answers an SPUAuthRequest: ErrorCode None when the
// connection is now authenticated as the SPU.
type SPUAuthResponse struct {
	ErrorCode    ErrorCode
	ErrorMessage string
}

// Err returns the response's error as an *Error, or nil.
func (r *SPUAuthResponse) Err() error { return r.ErrorCode.ErrMsg(r.ErrorMessage) }

// APIKey implements Response.
func (*SPUAuthResponse) APIKey() APIKey { return KeySPUAuth }

func (r *SPUAuthResponse) encode(e *encoder) {
	e.int16(int16(r.ErrorCode))
	e.string(r.ErrorMessage)
}

func (r *SPUAuthResponse) decode(d *decoder) {
	r.ErrorCode = ErrorCode(d.int16())
	r.ErrorMessage = d.string()
}

// SPUAuth sends an SPUAuthRequest and returns its error, if any.
func (c *Conn) SPUAuth(ctx context.Context, req *SPUAuthRequest) error {
	resp := new(SPUAuthResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return err
	}
	return resp.Err()
}

// ConnState is what a Handler may remember about one server connection;
// ConnStateOf returns it from the ctx Handle gets.
type ConnState struct {
	peer atomic.Int64 // authenticated SPU id + 1; 0: none
	role atomic.Pointer[string]
	tls  *tls.ConnectionState // nil: plaintext
	// inlined counts the answers the connection's reader wrote (or tried
	// to write) itself (respWriter.send), for tests.
	inlined atomic.Int64
}

// TLS returns the connection's TLS state (its verified peer
// certificates), nil on a plaintext connection.
func (s *ConnState) TLS() *tls.ConnectionState { return s.tls }

// SetRole records the client role the connection authenticated as.
func (s *ConnState) SetRole(role string) { s.role.Store(&role) }

// Role returns the client role the connection authenticated as, "" if
// none.
func (s *ConnState) Role() string {
	if r := s.role.Load(); r != nil {
		return *r
	}
	return ""
}

type connStateKey struct{}

// ConnStateOf returns the state of the connection ctx belongs to (nil
// outside a server connection).
func ConnStateOf(ctx context.Context) *ConnState {
	s, _ := ctx.Value(connStateKey{}).(*ConnState)
	return s
}

// SetPeer records that the connection proved to be SPU id.
func (s *ConnState) SetPeer(id int32) { s.peer.Store(int64(id) + 1) }

// Peer returns the SPU the connection proved to be, ok false if none.
func (s *ConnState) Peer() (id int32, ok bool) {
	v := s.peer.Load()
	return int32(v - 1), v != 0
}

// ClientAuthRequest proves, on an SPU's public server, that the client
// holds the nkey of a cluster identity (its NATS credentials): it signs
// SPU, UnixMs and Nonce (SignedBytes) with that key. The SPU checks the
// key against the client identities the SC sent it with its replica set
// (bus.ReplicaSet.Clients), the time against its clock and the nonce
// against the ones it has seen; the connection then has the identity's
// role (read-only may only consume). A client with a verified
// certificate (mutual TLS) needs none.
type ClientAuthRequest struct {
	PublicKey string
	SPU       int32
	UnixMs    int64
	Nonce     []byte
	Signature []byte
}

// SignedBytes is what the client signs: a context string, the SPU's id,
// the time and the nonce.
func (r *ClientAuthRequest) SignedBytes() []byte {
	b := []byte("fluvio-client-auth-v1\x00")
	b = binary.BigEndian.AppendUint32(b, uint32(r.SPU))
	b = binary.BigEndian.AppendUint64(b, uint64(r.UnixMs))
	return append(b, r.Nonce...)
}

// APIKey implements Request.
func (*ClientAuthRequest) APIKey() APIKey { return KeyClientAuth }

func (r *ClientAuthRequest) encode(e *encoder) {
	e.string(r.PublicKey)
	e.int32(r.SPU)
	e.int64(r.UnixMs)
	e.bytes(r.Nonce)
	e.bytes(r.Signature)
}

func (r *ClientAuthRequest) decode(d *decoder) {
	r.PublicKey = d.string()
	r.SPU = d.int32()
	r.UnixMs = d.int64()
	r.Nonce = d.bytes()
	r.Signature = d.bytes()
}

// ClientAuthResponse answers a ClientAuthRequest: the role the
// connection now has.
type ClientAuthResponse struct {
	Role string
}

// APIKey implements Response.
func (*ClientAuthResponse) APIKey() APIKey { return KeyClientAuth }

func (r *ClientAuthResponse) encode(e *encoder) { e.string(r.Role) }

func (r *ClientAuthResponse) decode(d *decoder) { r.Role = d.string() }

// ClientAuth sends a ClientAuthRequest and returns the role granted.
func (c *Conn) ClientAuth(ctx context.Context, req *ClientAuthRequest) (string, error) {
	resp := new(ClientAuthResponse)
	if err := c.roundTrip(ctx, req, resp); err != nil {
		return "", err
	}
	return resp.Role, nil
}
