package sc_test

import (
	"fmt"
	"testing"

	"github.com/fluvio-go/fluvio/bus"
)

// BenchmarkAdmin measures admin round trips through NATS: reads served
// from memory, writes through KV.
func BenchmarkAdmin(b *testing.B) {
	e := newEnv(b, nil)
	for id := range 3 {
		e.register(int64(id), "")
	}
	for i := range 20 {
		if _, err := e.createTopic(fmt.Sprintf("t%d", i), 3, 2); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("spu.list", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := req[bus.SPUListResponse](b, e.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("metadata.get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := req[bus.MetadataResponse](b, e.nc, bus.SubjectAdminMetadataGet, bus.MetadataRequest{Topics: []string{"t7"}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("heartbeat", func(b *testing.B) {
		f := newFakeSPU(b, e, 1)
		if _, err := f.hello(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := f.beat(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("topic.create+delete", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			name := fmt.Sprintf("bench-%d", i)
			i++
			if _, err := e.createTopic(name, 1, 1); err != nil {
				b.Fatal(err)
			}
			if _, err := req[bus.TopicDeleteResponse](b, e.nc, bus.SubjectAdminTopicDelete, bus.TopicDeleteRequest{Name: name}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
