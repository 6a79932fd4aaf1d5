// Package e2e holds the process-level end-to-end tests (TestE2E*): they
// build fluvio, sc-server and spu-server with 'go build', run them as real
// processes on loopback with free port plans (localcluster.FreePlan: below
// the ephemeral range, so a server restarted on its address finds it
// free) and temporary directories, and drive them through the CLI as a
// user would. Run them with 'make e2e'.
//
// Every process a test starts is a localcluster.Process, stopped by its
// PID when the test ends; processes that 'fluvio cluster start' runs in
// the background are stopped through 'fluvio cluster delete --force' and,
// as a last resort, by the supervisor from the PIDs recorded in the
// cluster's state file after checking /proc/PID/cmdline.
package e2e
