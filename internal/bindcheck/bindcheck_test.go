package bindcheck

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for addr, loop := range map[string]bool{
		"127.0.0.1:9003": true, "localhost:1": true, "[::1]:9": true, "127.1.2.3:5": true,
		"0.0.0.0:9003": false, ":9003": false, "10.0.0.7:9005": false, "[::]:1": false, "example.com:9": false,
	} {
		if got := Loopback(addr); got != loop {
			t.Errorf("Loopback(%q) = %v", addr, got)
		}
		err := Check("sc-server", []Listener{{Flag: "--sc", Addr: addr}}, false, nil)
		if loop != (err == nil) {
			t.Errorf("Check(%q) = %v", addr, err)
		}
		if err != nil && !strings.Contains(err.Error(), "--insecure") {
			t.Errorf("Check(%q): no way out named: %v", addr, err)
		}
		if err := Check("sc-server", []Listener{{Flag: "--sc", Addr: addr}}, true, nil); err != nil {
			t.Errorf("Check(%q, insecure) = %v", addr, err)
		}
	}
}
