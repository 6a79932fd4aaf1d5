package sc_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestAdminDurableAcrossRestarts: admins create and delete topics while
// the SC restarts under them. Every acknowledged operation survives: at
// the end each topic exists exactly when its last acknowledged operation
// was a create (names whose last operation got no answer are skipped).
func TestAdminDurableAcrossRestarts(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	const workers, names = 4, 5
	type state struct {
		exists  bool
		unknown bool
	}
	final := make([]map[string]*state, workers)
	// Cancelled at the end: a request the SC dropped while restarting gets
	// no answer, and its outcome is unknown at once instead of after the
	// request timeout.
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var internal sync.Map
	for w := range workers {
		final[w] = map[string]*state{}
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for {
				if ctx.Err() != nil {
					return
				}
				name := fmt.Sprintf("w%d-t%d", w, r.IntN(names))
				st := final[w][name]
				if st == nil {
					st = &state{}
					final[w][name] = st
				}
				var err error
				rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				create := r.IntN(2) == 0
				if create {
					_, err = bus.Request[bus.TopicCreateResponse](rctx, e.nc, bus.SubjectAdminTopicCreate, bus.TopicCreateRequest{
						Name: name, Spec: bus.TopicSpec{Partitions: 1, ReplicationFactor: 1}})
				} else {
					_, err = bus.Request[bus.TopicDeleteResponse](rctx, e.nc, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: name})
				}
				cancel()
				switch {
				case err == nil:
					st.exists, st.unknown = create, false
				case errors.Is(err, bus.ErrTopicExists):
					st.exists, st.unknown = true, false
				case errors.Is(err, bus.ErrTopicNotFound):
					st.exists, st.unknown = false, false
				case errors.Is(err, bus.ErrInternal):
					internal.Store(name, err)
				default: // no answer (SC restarting): outcome unknown
					st.unknown = true
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		e.restart()
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	wg.Wait()
	internal.Range(func(k, v any) bool {
		t.Errorf("%s: internal error %v", k, v)
		return true
	})
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	have := map[string]bool{}
	for _, tp := range list.Items {
		have[tp.Name] = true
	}
	checked := 0
	for w := range workers {
		for name, st := range final[w] {
			if st.unknown {
				continue
			}
			checked++
			if have[name] != st.exists {
				t.Errorf("%s: exists=%v after the restarts, but the last acknowledged operation left exists=%v", name, have[name], st.exists)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no operation was acknowledged")
	}
	t.Logf("checked %d names", checked)
}
