// Package testkit holds what the tests of every package share: WaitFor,
// the poll-until that replaces sleeps in tests (a condition checked until
// it holds or a deadline passes, then the last reason it did not), and
// Poll, its form for programs (the chaos suite) with a context and
// errors that stop the wait.
package testkit
