package ours

import (
	"errors"
	"testing"

	"github.com/fluvio-go/fluvio/bench"
)

func TestDriverNotAvailable(t *testing.T) {
	var d Driver
	for name, op := range map[string]func() (bench.Figures, error){
		"produce": func() (bench.Figures, error) { return d.Produce(t.Context(), bench.Spec{}) },
		"consume": func() (bench.Figures, error) { return d.Consume(t.Context(), bench.Spec{}) },
		"latency": func() (bench.Figures, error) { return d.Latency(t.Context(), bench.Spec{}) },
	} {
		f, err := op()
		if !errors.Is(err, bench.ErrNotAvailable) {
			t.Errorf("%s: err = %v, want ErrNotAvailable", name, err)
		}
		if len(f.Values) != 0 {
			t.Errorf("%s returned figures %v without a data plane", name, f.Values)
		}
	}
}
