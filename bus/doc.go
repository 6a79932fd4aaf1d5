// Package bus is the control-plane contract carried over NATS: subject
// constants and templates, versioned message types (msgpack, JSON on
// request), the numeric error table, and request/handle helpers.
//
// It imports nothing of ours; sc, spu, fluvio and cli import it.
// SUBJECTS.md beside this file documents every subject.
package bus
