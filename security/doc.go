// Package security is the security suite: tests that attack a real cluster
// (embedded NATS with identities, SCs and SPUs) the way a party on the
// same network would, and count what got through. 'make security' runs it
// in full and prints the summary line; 'make test' runs a short version.
//
// It has no code of its own besides the test harness.
package security
