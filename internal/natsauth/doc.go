// Package natsauth holds the control plane's identities on NATS: nkey
// credential files (one per SC, SPU and client), the subjects each role may
// publish and subscribe to, and the NATS connect options that use them.
//
// An identity is an nkey user key pair. Its credential file holds the seed
// (the private key) in the format nkeys.ParseDecoratedNKey reads, so the
// nats CLI takes it too (nats --nkey FILE --inbox-prefix _INBOX.<public key>).
// The NATS server only ever learns the public key. Every identity receives
// replies on its own inbox prefix, _INBOX.<public key>, and may subscribe
// to nothing else under _INBOX: no one reads another party's replies.
//
// Roles (see Permissions): RoleSC, RoleSPU (one identity per SPU id),
// RoleAdmin, RoleClient and RoleReadOnly. sc/DESIGN.md says why nkeys and
// not decentralized JWT.
package natsauth
