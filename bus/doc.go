// Package bus is the control-plane contract carried over NATS: subject
// constants and templates, versioned message types (msgpack, JSON on
// request), the numeric error table, and request/handle helpers.
//
// Clients call the SC with Request:
//
//	resp, err := bus.Request[bus.TopicListResponse](ctx, nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
//	if errors.Is(err, bus.ErrTopicNotFound) { ... }
//
// Servers wrap typed handlers with Micro (for a nats.go micro endpoint) or
// Msg (for a plain subscription); both decode msgpack or JSON, answer in
// the requester's encoding and send errors as *Error with the
// Nats-Service-Error(-Code) headers. Marshal and Unmarshal are the codec
// (field names are the json tags in both encodings); Unmarshal never
// panics on any input.
//
// It imports nothing of ours; sc, spu, fluvio and cli import it.
// SUBJECTS.md beside this file documents every subject.
package bus
