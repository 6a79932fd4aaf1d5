// Package chaos is the failure test suite: real processes on
// loopback (one sc-server with its embedded NATS, three spu-server
// processes), a topic with 3 partitions and 3 replicas written by producers
// at a steady rate, and a seeded nemesis that kill -9s partition leaders,
// SIGSTOPs them for longer than the heartbeat timeout, stalls followers,
// restarts SPUs, wipes an SPU's data directory before restarting it,
// unregisters and registers an SPU again, and flips a byte in a closed,
// indexed segment of a stopped follower before restarting it (every run
// starts with one of each of these three). Afterwards every replica of every partition is read from
// offset 0, straight from the SPUs' log directories (wal.Open, after the
// SPUs stopped), and Check compares what was acknowledged with what is
// stored.
//
// The pieces, one per file:
//
//	config.go    Config: binaries, directory, seed, duration, rate, mode
//	build.go     BuildBinaries: go build sc-server and spu-server
//	cluster.go   the SC and the SPUs, run by internal/localcluster (ports,
//	             processes, registration, readiness); the topic, leaders
//	workload.go  producers: unique values "p<producer>-<seq>", acks and failures
//	nemesis.go   the seeded faults and their log
//	replicas.go  reading every replica log from disk
//	check.go     Check: a pure function from History and replicas to Result
//	summary.go   Result.Summary: the one summary line
//	run.go       Run: the whole suite
//
// The producers are default producers (idempotent, up to 4 requests in
// flight per partition) fed with SendAsync, so requests pipeline while a
// fault hits; the new-topic fault (once at the start of every run, then
// as the seed draws) creates a topic and bursts records into it before
// its replicas exist, so the first requests are refused while later ones
// are pipelined. The summary line counts the DuplicateSequence,
// OutOfOrderSequence and UnknownProducerID answers the producers got
// (fluvio.Producer.Stats).
//
// Options beyond the default run: Config.Overlap does not wait for a full
// ISR between faults (a new leader may be hit before the old one is back),
// Config.KillSC adds kill -9 of the SC and its embedded NATS.
//
// Negative control: Config.Negative writes with acks=leader to a topic with
// sync never, and the nemesis only stalls a partition's followers (SIGSTOP)
// while the leader keeps acknowledging, then kill -9s the leader. The
// followers come back, one is elected, and the returning leader truncates
// what it acknowledged alone: Check must report lost records. The same
// fault with acks=all (the normal run) loses nothing, because the leader
// cannot acknowledge while its followers are stopped.
//
// Second negative control: Config.NegativeResend runs the normal faults
// with producers that report a refused resend as stored
// (fluvio.WithUnsafeRefusedSendsStored: the client rule that lost records):
// the new topic's burst is reported stored while it is not, and Check
// must report lost records.
//
// The package may import the client library, bus and wal (it is test
// tooling), never sc or spu: it drives the servers only as processes.
package chaos
