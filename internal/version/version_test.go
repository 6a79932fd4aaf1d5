package version

import "testing"

func TestSemverOf(t *testing.T) {
	for _, c := range []struct{ v, bi, want string }{
		{"v1.2.3", "", "1.2.3"},
		{"1.2.3-rc.1", "", "1.2.3-rc.1"},
		{"ada858d", "", "0.0.0-ada858d"},
		{"ada858d-dirty", "", "0.0.0-ada858d-dirty"},
		{"v1.2.3-4-gada858d-dirty", "", "1.2.3-4-gada858d-dirty"},
		{"weird/ver sion_x", "", "0.0.0-weird.ver.sion.x"},
		{"0.0.0-dev", "", "0.0.0-dev"},
		{"0.0.0-dev", "v0.3.1-0.20260101000000-ada858d12345", "0.3.1-0.20260101000000-ada858d12345"},
		{"", "", "0.0.0-dev"},
		{"///", "", "0.0.0-dev"},
	} {
		got := semverOf(c.v, c.bi)
		if got != c.want {
			t.Errorf("semverOf(%q, %q) = %q, want %q", c.v, c.bi, got, c.want)
		}
		if !semver.MatchString(got) {
			t.Errorf("semverOf(%q, %q) = %q is not semver", c.v, c.bi, got)
		}
	}
}
