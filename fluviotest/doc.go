// Package fluviotest runs an in-process cluster (embedded NATS, SC and N
// SPUs, all on 127.0.0.1:0 with temporary directories) for tests and
// examples:
//
//	c := fluviotest.Start(t, fluviotest.Options{SPUs: 3})
//	client, err := fluvio.Connect(ctx, c.SCAddr())
//	c.StopSPU(5002)  // clean stop: the SC marks it offline at once
//	c.KillSPU(5002)  // as a crash: offline after the heartbeat timeout
//	c.StartSPU(5002) // same addresses and data directory
//	c.RestartSC()    // the SC rebuilds everything from KV
//
// SPUs get ids 5001, 5002, ... (Options.FirstID), are registered as managed
// SPUs (custom with Options.Custom) and are online when Start returns.
// Heartbeats are fast (100ms, offline after 1s) unless Options say
// otherwise; FLUVIOTEST_LOG=1 sends the servers' logs to stderr.
//
// It may import every library package of the module, but nothing imports
// it except tests.
package fluviotest
