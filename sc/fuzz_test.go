package sc_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
)

// FuzzSCRequests sends arbitrary payloads to the SC's endpoints (the first
// byte picks the subject): every request gets an answer, never an internal
// error, and the SC keeps serving.
func FuzzSCRequests(f *testing.F) {
	subjects := []string{
		bus.SubjectAdminSPURegister, bus.SubjectAdminSPUUnregister, bus.SubjectAdminSPUList,
		bus.SubjectAdminTopicCreate, bus.SubjectAdminTopicDelete, bus.SubjectAdminTopicList,
		bus.SubjectAdminPartitionList, bus.SubjectAdminMetadataGet,
		bus.SubjectSPURegister(1), bus.SubjectSPUHeartbeat(1), bus.SubjectSPUISR(1),
	}
	f.Add(byte(0), []byte(`{"id":1,"publicEndpoint":"h:1","privateEndpoint":"h:2"}`))
	f.Add(byte(0), []byte(`{"id":-5,"publicEndpoint":"h:1","privateEndpoint":"h:2","spuType":"managed"}`))
	f.Add(byte(1), []byte(`{"id":1}`))
	f.Add(byte(3), []byte(`{"name":"t","spec":{"partitions":2,"replicationFactor":1}}`))
	f.Add(byte(3), []byte(`{"name":"t","spec":{"partitions":100000}}`))
	f.Add(byte(4), []byte(`{"name":"t"}`))
	f.Add(byte(8), []byte(`{"id":1,"incarnation":"x"}`))
	f.Add(byte(9), []byte(`{"id":1,"incarnation":"x","appliedEpoch":-1,"replicas":[{"topic":"t","partition":0}]}`))
	f.Add(byte(10), []byte(`{"id":1,"topic":"t","partition":0,"leaderEpoch":0,"isr":[1]}`))
	f.Add(byte(2), []byte{})
	f.Add(byte(5), []byte{0xdd, 0xff, 0xff, 0xff, 0xff})

	e := newEnv(f, nil)
	f.Fuzz(func(t *testing.T, which byte, data []byte) {
		subject := subjects[int(which)%len(subjects)]
		reply, err := e.nc.Request(subject, data, 10*time.Second)
		if err != nil {
			t.Fatalf("%s %q: no answer: %v", subject, data, err)
		}
		if rerr := bus.ReplyError(reply); errors.Is(rerr, bus.ErrInternal) {
			t.Fatalf("%s %q: internal error: %v", subject, data, rerr)
		}
	})
	if _, err := req[bus.SPUListResponse](f, e.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{}); err != nil {
		f.Fatalf("SC stopped answering: %v", err)
	}
}
