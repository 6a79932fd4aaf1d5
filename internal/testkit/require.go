package testkit

import (
	"errors"
	"reflect"
	"strings"
)

// NoErr fails t when err is not nil.
func NoErr(t TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// ErrIs fails t unless errors.Is(err, target).
func ErrIs(t TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// Equal fails t unless got == want.
func Equal[T comparable](t TB, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// DeepEqual fails t unless reflect.DeepEqual(got, want).
func DeepEqual(t TB, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

// Contains fails t unless s contains sub, showing s.
func Contains(t TB, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Fatalf("missing %q in:\n%s", sub, s)
	}
}
