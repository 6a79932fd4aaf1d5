package security

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// The summary line: every test reports its figures with report; TestMain
// prints them in a fixed order when the package ends (and writes them to
// $SECURITY_SUMMARY, for 'make security').
var (
	reportMu sync.Mutex
	reported = map[string]string{}
)

// summaryKeys is the order of the summary line.
var summaryKeys = []string{
	"cross-spu-publish denied", "cross-spu-subscribe denied",
	"forged-replica-sets applied", "forged-isr applied", "forged-heartbeats applied",
	"anonymous-admin accepted", "unauthenticated-follower-fetch accepted",
	"unauthenticated-produce accepted", "unauthenticated-consume accepted", "plaintext-on-tls accepted",
	"rogue-route accepted",
	"idle-connections", "producer-p99-ratio",
}

func report(key, value string) {
	reportMu.Lock()
	defer reportMu.Unlock()
	reported[key] = value
}

// summary renders the line; keys no test reported show "-".
func summary() string {
	reportMu.Lock()
	defer reportMu.Unlock()
	var b strings.Builder
	b.WriteString("security:")
	for _, k := range summaryKeys {
		v, ok := reported[k]
		if !ok {
			v = "-"
		}
		name, field, _ := strings.Cut(k, " ")
		if field == "" {
			fmt.Fprintf(&b, " %s=%s", name, v)
		} else {
			fmt.Fprintf(&b, " %s %s=%s", name, field, v)
		}
	}
	return b.String()
}

func printSummary() {
	line := summary()
	fmt.Println(line)
	if p := os.Getenv("SECURITY_SUMMARY"); p != "" {
		_ = os.WriteFile(p, []byte(line+"\n"), 0o644)
	}
}

func TestSummaryFormat(t *testing.T) {
	reportMu.Lock()
	saved := reported
	reported = map[string]string{"cross-spu-publish denied": "3/3", "idle-connections": "20000"}
	reportMu.Unlock()
	got := summary()
	reportMu.Lock()
	reported = saved
	reportMu.Unlock()
	want := "security: cross-spu-publish denied=3/3 cross-spu-subscribe denied=- forged-replica-sets applied=- forged-isr applied=- forged-heartbeats applied=- anonymous-admin accepted=- unauthenticated-follower-fetch accepted=- unauthenticated-produce accepted=- unauthenticated-consume accepted=- plaintext-on-tls accepted=- rogue-route accepted=- idle-connections=20000 producer-p99-ratio=-"
	if got != want {
		t.Fatalf("summary:\n got %s\nwant %s", got, want)
	}
}
