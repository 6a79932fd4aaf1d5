package cli

import (
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "90", want: 90 * time.Second},
		{in: "1h", want: time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "7d", want: 7 * 24 * time.Hour},
		{in: "2w", want: 14 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1w2d", want: 9 * 24 * time.Hour},
		{in: " 5m ", want: 5 * time.Minute},
		{in: "", bad: true},
		{in: "soon", bad: true},
		{in: "7x", bad: true},
		{in: "-1h", bad: true},
		{in: "d", bad: true},
		{in: "99999999999999999999d", bad: true},
		{in: "999999999999d", bad: true},
	}
	for _, c := range cases {
		got, err := parseDuration(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("parseDuration(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		bad  bool
	}{
		{in: "1024", want: 1024},
		{in: "1B", want: 1},
		{in: "512KB", want: 512_000},
		{in: "512KiB", want: 512 << 10},
		{in: "512MiB", want: 512 << 20},
		{in: "1GB", want: 1_000_000_000},
		{in: "1gib", want: 1 << 30},
		{in: "1.5GiB", want: 3 << 29},
		{in: "2 MB", want: 2_000_000},
		{in: "1Mi", want: 1 << 20},
		{in: "", bad: true},
		{in: "MB", bad: true},
		{in: "12 parsecs", bad: true},
		{in: "1.2.3MB", bad: true},
		{in: "99999999999TB", bad: true},
	}
	for _, c := range cases {
		got, err := parseSize(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("parseSize(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseSize(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for in, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 512 << 20: "512 MiB", 3 << 30: "3 GiB", 5 << 40: "5 TiB"} {
		testkit.Equal(t, formatSize(in), want)
	}
	for in, want := range map[time.Duration]string{0: "-", 7 * 24 * time.Hour: "7d", 36 * time.Hour: "1d12h", 90 * time.Minute: "1h30m", time.Hour: "1h", 30 * time.Second: "30s", 25*time.Hour + 30*time.Second: "1d1h30s", 1500 * time.Millisecond: "1s"} {
		testkit.Equal(t, formatDuration(in), want)
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"a", "orders", "my-topic-2", "0abc"} {
		if err := validateName(ok); err != nil {
			t.Errorf("validateName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "A", "a_b", "a.b", "a b", "é"} {
		if err := validateName(bad); err == nil {
			t.Errorf("validateName(%q) accepted", bad)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"", "1", "1.5GiB", "512 MB", "9e99", "..", "1KB1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"", "1d", "1w2d3h", "7", "9999999999999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("parseDuration(%q) = %v", s, d)
		}
	})
}
