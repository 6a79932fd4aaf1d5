package sc_test

import (
	"errors"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

// TestMalformedInput sends garbage on every subject the SC answers: each
// gets a bad-request reply, nothing panics, and the metadata is unchanged.
func TestMalformedInput(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	_, err := e.createTopic("t", 1, 1)
	testkit.NoErr(t, err)
	subjects := []string{
		bus.SubjectAdminSPUList, bus.SubjectAdminSPURegister, bus.SubjectAdminSPUUnregister,
		bus.SubjectAdminTopicCreate, bus.SubjectAdminTopicDelete, bus.SubjectAdminTopicList,
		bus.SubjectAdminPartitionList, bus.SubjectAdminMetadataGet, bus.SubjectAdminVersionGet,
		bus.SubjectSPURegister(1), bus.SubjectSPUHeartbeat(1), bus.SubjectSPUISR(1),
	}
	// Undecodable: a bad request, always.
	garbage := []string{
		"{", `{"type": 5`, "\xc1", "\x81\xa4type\xc1",
		"\xdf\xff\xff\xff\xff", "\x91\x01", `[1,2]`, `"str"`, "\x93", "\x81\xa4type\xdb\xff\xff\xff\xff",
	}
	for _, subj := range subjects {
		for _, body := range garbage {
			reply, err := e.nc.Request(subj, []byte(body), 5*time.Second)
			if err != nil {
				t.Fatalf("%s %q: %v", subj, body, err)
			}
			rerr := bus.ReplyError(reply)
			if !errors.Is(rerr, bus.ErrBadRequest) && !errors.Is(rerr, bus.ErrUnsupported) {
				t.Errorf("%s %q: got %v, want a bad request", subj, body, rerr)
			}
		}
	}
	// Decodable but odd (unknown fields are ignored, for compatibility):
	// never an internal error.
	odd := []string{`{"id": "x"}`, `{"name": 5}`, `{"names": 5}`, `{"topics": "x"}`, `{"id": 99, "names": {}}`,
		`{"type":"fluvio.bus.v99.other"}`, `{}`, ``}
	for _, subj := range subjects {
		for _, body := range odd {
			reply, err := e.nc.Request(subj, []byte(body), 5*time.Second)
			if err != nil {
				t.Fatalf("%s %q: %v", subj, body, err)
			}
			if rerr := bus.ReplyError(reply); errors.Is(rerr, bus.ErrInternal) {
				t.Errorf("%s %q: internal error %v", subj, body, rerr)
			}
		}
	}
	// A heartbeat subject with an id that is not a number is not ours at all.
	spus := e.spus()
	testkit.Equal(t, len(spus), 1)
	list, err := req[bus.TopicListResponse](t, e.nc, bus.SubjectAdminTopicList, bus.TopicListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(list.Items), 1)
	testkit.Equal(t, list.Items[0].Name, "t")
}
