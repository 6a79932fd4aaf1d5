package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/fluviotest"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestClusterCommands runs the admin commands against the real SC and
// SPUs of fluviotest (in-process, on loopback).
func TestClusterCommands(t *testing.T) {
	c := fluviotest.Start(t, fluviotest.Options{SPUs: 2})
	e := newCLIEnv(t)
	e.env[EnvSC] = c.SCAddr()

	out := e.ok("spu", "list")
	for _, id := range []string{"5001", "5002"} {
		if r := fieldsOf(out, id); !strings.Contains(r, " online managed ") {
			t.Fatalf("spu list row %s: %q\n%s", id, r, out)
		}
	}
	// Only managed SPUs: custom-spu list is empty and says where they are.
	stdout, stderr, code := e.run("custom-spu", "list")
	testkit.Equal(t, code, exitOK)
	testkit.Equal(t, strings.TrimSpace(stdout), "ID  NAME  STATUS  TYPE  RACK  PUBLIC  PRIVATE")
	testkit.Contains(t, stderr, "no custom SPUs registered ('fluvio spu list' shows every SPU, managed ones too)")
	pub, priv := freeAddr(t), freeAddr(t)
	testkit.Equal(t, e.ok("custom-spu", "register", "--id", "300", "-p", pub, "-v", priv),
		"custom-spu 'custom-spu-300' registered successfully\n")
	e.fails(exitConflict, "custom-spu", "register", "--id", "300", "-p", pub, "-v", priv)
	out = e.ok("custom-spu", "list")
	testkit.Equal(t, fieldsOf(out, "300"), "300 custom-spu-300 offline custom - "+pub+" "+priv)
	if fieldsOf(out, "5001") != "" {
		t.Fatalf("custom-spu list shows a managed SPU:\n%s", out)
	}
	var spus []fluvio.SPU
	if err := json.Unmarshal([]byte(e.ok("spu", "list", "-O", "json")), &spus); err != nil || len(spus) != 3 {
		t.Fatalf("spu list -O json: %v %v", err, spus)
	}
	testkit.Equal(t, e.ok("custom-spu", "unregister", "--name", "custom-spu-300"), "custom-spu 'custom-spu-300' deleted unregistered\n")

	testkit.Equal(t, e.ok("topic", "create", "orders", "-p", "2", "-r", "2", "--retention-time", "1d"), "topic \"orders\" created\n")
	testkit.Contains(t, e.fails(exitConflict, "topic", "create", "orders"), "error: Topic already exists")
	errs := e.fails(exitConflict, "topic", "create", "wide", "-r", "3")
	testkit.Contains(t, errs, "SPU")
	testkit.Contains(t, errs, "next: ")
	testkit.Contains(t, e.fails(exitNotFound, "topic", "describe", "nope"), `topic "nope" not found`)
	testkit.Contains(t, e.fails(exitNotFound, "topic", "delete", "nope"), `topic "nope" not found`)

	out = e.ok("topic", "describe", "orders")
	testkit.Contains(t, out, "Partition Count        : 2")
	testkit.Contains(t, out, "Retention Time         : 1d")
	testkit.WaitFor(t, 5*time.Second, func() error {
		out = e.ok("partition", "list")
		for _, p := range []string{"0", "1"} {
			r := fieldsOf(out, "orders", p)
			if r == "" || strings.Contains(r, " none ") {
				return fmt.Errorf("partition %s: %q\n%s", p, r, out)
			}
		}
		return nil
	})
	var parts []fluvio.Partition
	if err := json.Unmarshal([]byte(e.ok("partition", "list", "-O", "json", "-t", "orders")), &parts); err != nil || len(parts) != 2 {
		t.Fatalf("partition list -O json: %v %v", err, parts)
	}
	// Sizes and offsets come from heartbeats: the list says how old they are.
	testkit.WaitFor(t, 5*time.Second, func() error {
		var parts []fluvio.Partition
		if err := json.Unmarshal([]byte(e.ok("partition", "list", "-O", "json", "-t", "orders")), &parts); err != nil {
			return err
		}
		for _, p := range parts {
			if p.Status.ReportedAt.IsZero() || time.Since(p.Status.ReportedAt) > time.Minute {
				return fmt.Errorf("partition %s reportedAt %v", p.Name, p.Status.ReportedAt)
			}
		}
		return nil
	})
	_, errs, _ = e.run("partition", "list", "-t", "orders")
	testkit.Contains(t, errs, "SIZE, LEO and HW as the leaders reported them ")
	testkit.Contains(t, errs, " ago at most")

	// An SPU that stops shows offline.
	c.StopSPU(5002)
	testkit.Contains(t, fieldsOf(e.ok("spu", "list"), "5002"), " offline ")

	// The SC rebuilds its state from KV.
	c.RestartSC()
	testkit.WaitFor(t, 10*time.Second, func() error {
		out, errs, code := e.run("topic", "list")
		if code != 0 || fieldsOf(out, "orders") == "" {
			return fmt.Errorf("topic list: exit %d %s%s", code, out, errs)
		}
		return nil
	})
	out = e.ok("version")
	testkit.Contains(t, out, "SC                : ")
	testkit.Contains(t, out, "SPU 5001          : ")
	testkit.Equal(t, e.ok("topic", "delete", "orders"), "topic \"orders\" deleted\n")
}

// fieldsOf returns the row of table out whose first fields are keys,
// with its fields joined by single spaces, or "".
func fieldsOf(out string, keys ...string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(keys) && strings.Join(f[:len(keys)], " ") == strings.Join(keys, " ") {
			return strings.Join(f, " ")
		}
	}
	return ""
}
