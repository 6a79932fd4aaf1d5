// Package bustest starts an embedded nats-server with JetStream on a random
// loopback port for tests:
//
//	ns := bustest.Start(t)      // stopped by t.Cleanup
//	nc := ns.Connect(t)         // closed by t.Cleanup
//	ns2 := ns.Restart()         // same port and store: clients reconnect
//
// It may import bus only.
package bustest
