// Package report turns the samples of interleaved benchmark runs into the
// results table: the median of each figure per system, the ratio of ours
// to the peer (JetStream) and to the machine's limit, and whether each goal
// is met. It prints the table as text or Markdown and writes it as CSV,
// stamped with the date, the commit and the machine (cores, memory).
package report
