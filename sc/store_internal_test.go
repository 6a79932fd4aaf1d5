package sc

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus/bustest"
	"github.com/nats-io/nats.go/jetstream"
)

// TestStoreKeysWhileWriting: the key listing a resync reloads from holds
// every key even while other keys are written all the time (the lease,
// the fence, heartbeats). kv.Keys, used before, stopped after as many
// messages as were pending when it started and left out the last keys,
// so a resync dropped a topic and every SPU deleted its replicas (found
// by the chaos suite).
func TestStoreKeysWhileWriting(t *testing.T) {
	requireNoErr := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ns := bustest.Start(t)
	nc := ns.Connect(t)
	js, err := jetstream.New(nc)
	requireNoErr(err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := openStore(ctx, nc, js, "keys_test", 1)
	requireNoErr(err)
	var want []string
	for i := range 20 {
		k := fmt.Sprintf("topic.t%02d", i)
		_, err := st.kv.Put(ctx, k, []byte("{}"))
		requireNoErr(err)
		want = append(want, k)
	}
	_, err = st.kv.Put(ctx, "gone", []byte("{}"))
	requireNoErr(err)
	requireNoErr(st.kv.Delete(ctx, "gone"))
	want = append(want, "gone") // listed; its Get says not found (load skips it)
	// Writers: the busy keys, and rewrites of the listed ones.
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; wctx.Err() == nil; i++ {
				k := fmt.Sprintf("busy.%d", w)
				if i%3 == 0 {
					k = want[(i+w)%20]
				}
				if _, err := st.kv.Put(wctx, k, []byte("{}")); err != nil && wctx.Err() == nil {
					t.Errorf("put %s: %v", k, err)
					return
				}
			}
		})
	}
	for range 100 {
		got, err := st.keys(ctx)
		requireNoErr(err)
		for _, k := range want {
			if !slices.Contains(got, k) {
				stop()
				wg.Wait()
				t.Fatalf("keys %v: %s missing", got, k)
			}
		}
	}
	stop()
	wg.Wait()
}
