// Package cli is the fluvio command tree (pflag), its printers
// (-O table|yaml|json) and profiles. It may import fluvio and bus; it never
// imports sc, spu or wal.
package cli
