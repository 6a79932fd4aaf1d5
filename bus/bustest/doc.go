// Package bustest starts an embedded nats-server with JetStream on a random
// loopback port for tests. It may import bus only.
package bustest
