// Package natsurl holds what every binary does with NATS addresses: turn a
// HOST:PORT (or a comma-separated list) into NATS URLs, redact the
// passwords of URLs anywhere in a message before it is printed or logged,
// and recognise NATS's authorization errors. The SC, the SPU, the client
// library, the CLI and the server mains share it so that no message leaks
// a credential.
package natsurl
