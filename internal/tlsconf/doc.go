// Package tlsconf builds the TLS configurations of every link (the NATS
// listener and its routes, the SPUs' public and private servers, clients)
// from PEM files or inline PEM, issues a local certificate authority and
// its certificates ('fluvio cluster start --tls', 'fluvio custom-spu
// register --certs-out'), and reads who a verified peer certificate names:
// an SPU id (CN or DNS SAN "spu-N") or a client role (OU).
package tlsconf
