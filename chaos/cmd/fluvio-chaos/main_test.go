package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"--duration", "--seed", "--negative", "Examples:"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, errb.String())
		}
	}
}

func TestBadFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--no-such-flag"}, &out, &errb); code != 2 {
		t.Fatalf("bad flag exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "fluvio-chaos --help") {
		t.Errorf("error does not say what to do next: %s", errb.String())
	}
}

func TestBadDuration(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--bin-dir", t.TempDir(), "--dir", t.TempDir(), "--duration", "-1s"}, &out, &errb); code != 2 {
		t.Fatalf("negative duration exit %d, want 2: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "--duration") {
		t.Errorf("error does not name the flag: %s", errb.String())
	}
}
