package wire

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

func TestDeadlineArmsOnlyBeyondItsSlack(t *testing.T) {
	var set []time.Time
	record := func(at time.Time) error { set = append(set, at); return nil }
	var d deadline
	t0 := time.Unix(1000, 0)
	const slack = time.Second
	steps := []struct {
		at   time.Time
		sets bool
	}{
		{t0, true},                                  // nothing armed yet
		{t0.Add(slack / 2), false},                  // within the slack: kept
		{t0.Add(slack), false},                      // at the slack's edge: kept
		{t0.Add(slack + time.Millisecond), true},    // beyond it: re-armed
		{t0, true},                                  // earlier than armed: always re-armed
		{t0.Add(10 * time.Millisecond), false},      // within the slack of the new one
		{t0.Add(time.Hour), true},                   // much later
		{t0.Add(time.Hour - time.Nanosecond), true}, // a nanosecond earlier: re-armed
	}
	for i, s := range steps {
		before := len(set)
		d.arm(record, s.at, slack)
		if got := len(set) > before; got != s.sets {
			t.Fatalf("step %d (at %v): set=%v, want %v", i, s.at.Sub(t0), got, s.sets)
		}
		if s.sets && !set[len(set)-1].Equal(s.at) {
			t.Fatalf("step %d: armed %v, want %v", i, set[len(set)-1], s.at)
		}
		if d.at.After(s.at) {
			t.Fatalf("step %d: armed deadline %v is later than asked (%v)", i, d.at, s.at)
		}
		if s.at.Sub(d.at) > slack {
			t.Fatalf("step %d: armed deadline %v is more than the slack before %v", i, d.at, s.at)
		}
	}
}

func TestFrameBuffered(t *testing.T) {
	frame := func(payload int) []byte {
		b := make([]byte, SizeLen+payload)
		binary.BigEndian.PutUint32(b, uint32(payload))
		return b
	}
	whole := frame(RequestHeaderLen + 100)
	for _, c := range []struct {
		name string
		in   []byte
		want bool
	}{
		{"size field cut", whole[:2], false},
		{"header only", whole[:SizeLen+RequestHeaderLen], false},
		{"one byte short", whole[:len(whole)-1], false},
		{"whole frame", whole, true},
		{"whole frame and the next one's start", append(append([]byte(nil), whole...), 0, 0), true},
		{"negative size", []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			br := bufio.NewReaderSize(bytes.NewReader(c.in), 4096)
			if _, err := br.Peek(1); err != nil {
				t.Fatal(err)
			}
			if got := frameBuffered(br); got != c.want {
				t.Fatalf("frameBuffered = %v, want %v (buffered %d)", got, c.want, br.Buffered())
			}
		})
	}
}
