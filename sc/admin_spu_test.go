package sc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fluvio-go/fluvio/bus"
	"github.com/fluvio-go/fluvio/internal/testkit"
	"github.com/nats-io/nats.go"
)

func TestSPURegister(t *testing.T) {
	e := newEnv(t, nil)
	s := e.register(200, "")
	testkit.Equal(t, s.Name, "custom-spu-200")
	testkit.Equal(t, s.Spec.Type, bus.SPUTypeCustom)
	testkit.Equal(t, s.Status.Resolution, bus.SPUOffline)
	if s.Spec.Rack != nil {
		t.Fatalf("rack %v, want nil", *s.Spec.Rack)
	}

	managed, err := req[bus.SPURegisterResponse](t, e.nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: 201, Name: "edge-1", Rack: "rack-a", SPUType: "managed",
		PublicEndpoint: "10.0.0.7:9005", PrivateEndpoint: "10.0.0.7:9006",
	})
	testkit.NoErr(t, err)
	testkit.Equal(t, managed.SPU.Spec.Type, bus.SPUTypeManaged)
	testkit.Equal(t, managed.SPU.Spec.RackName(), "rack-a")

	cases := []struct {
		name   string
		req    bus.SPURegisterRequest
		target error
		parts  []string
	}{
		{"duplicate id", bus.SPURegisterRequest{ID: 200, Name: "other", PublicEndpoint: "h:1", PrivateEndpoint: "h:2"},
			bus.ErrSPUExists, []string{"SPU 200 is already registered", "custom-spu unregister"}},
		{"duplicate name", bus.SPURegisterRequest{ID: 202, Name: "edge-1", PublicEndpoint: "h:1", PrivateEndpoint: "h:2"},
			bus.ErrSPUExists, []string{`"edge-1" is already used by SPU 201`}},
		{"negative id", bus.SPURegisterRequest{ID: -1, PublicEndpoint: "h:1", PrivateEndpoint: "h:2"},
			bus.ErrSPUInvalidID, []string{"SPU id -1 is out of range", "2147483647"}},
		{"id too large", bus.SPURegisterRequest{ID: 1 << 31, PublicEndpoint: "h:1", PrivateEndpoint: "h:2"},
			bus.ErrSPUInvalidID, []string{"2147483648"}},
		{"no public", bus.SPURegisterRequest{ID: 203, PrivateEndpoint: "h:2"},
			bus.ErrInvalidAddress, []string{"public", "--public-server"}},
		{"bad private port", bus.SPURegisterRequest{ID: 203, PublicEndpoint: "h:1", PrivateEndpoint: "h:99999"},
			bus.ErrInvalidAddress, []string{"private"}},
		{"bad name", bus.SPURegisterRequest{ID: 203, Name: "Bad_Name", PublicEndpoint: "h:1", PrivateEndpoint: "h:2"},
			bus.ErrInvalidName, []string{`"Bad_Name"`}},
		{"bad type", bus.SPURegisterRequest{ID: 203, SPUType: "weird", PublicEndpoint: "h:1", PrivateEndpoint: "h:2"},
			bus.ErrBadRequest, []string{"weird"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := req[bus.SPURegisterResponse](t, e.nc, bus.SubjectAdminSPURegister, tc.req)
			requireErr(t, err, tc.target, tc.parts...)
		})
	}
	spus := e.spus()
	testkit.Equal(t, len(spus), 2)
	testkit.Equal(t, spus[200].Spec.PublicEndpoint, "127.0.0.1:9005")
}

func TestSPUListFilters(t *testing.T) {
	e := newEnv(t, nil)
	e.register(1, "")
	_, err := req[bus.SPURegisterResponse](t, e.nc, bus.SubjectAdminSPURegister, bus.SPURegisterRequest{
		ID: 2, SPUType: "managed", PublicEndpoint: "h:1", PrivateEndpoint: "h:2"})
	testkit.NoErr(t, err)
	all, err := req[bus.SPUListResponse](t, e.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(all.Items), 2)
	testkit.Equal(t, all.Items[0].Spec.ID, bus.SPUID(1))
	custom, err := req[bus.SPUListResponse](t, e.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{CustomOnly: true})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(custom.Items), 1)
	byName, err := req[bus.SPUListResponse](t, e.nc, bus.SubjectAdminSPUList, bus.SPUListRequest{Names: []string{"custom-spu-2"}})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(byName.Items), 1)
	testkit.Equal(t, byName.Items[0].Spec.ID, bus.SPUID(2))
}

// TestSPUListJSON checks the shape `nats req fluvio.admin.v1.spu.list '{}'
// -H Accept:application/json` shows.
func TestSPUListJSON(t *testing.T) {
	e := newEnv(t, nil)
	e.register(200, "")
	m := nats.NewMsg(bus.SubjectAdminSPUList)
	m.Data = []byte("{}")
	m.Header.Set("Accept", "application/json")
	reply, err := e.nc.RequestMsg(m, 5*time.Second)
	testkit.NoErr(t, err)
	var out struct {
		Type  string            `json:"type"`
		Items []json.RawMessage `json:"items"`
	}
	testkit.NoErr(t, json.Unmarshal(reply.Data, &out))
	testkit.Equal(t, out.Type, bus.SPUListResponseType)
	testkit.Equal(t, len(out.Items), 1)
	want := `{"name":"custom-spu-200","spec":{"spuId":200,"spuType":"Custom","rack":null,"publicEndpoint":"127.0.0.1:9005","privateEndpoint":"127.0.0.1:9006"},"status":{"resolution":"Offline"}}`
	testkit.Equal(t, string(out.Items[0]), want)
}

func TestSPUUnregister(t *testing.T) {
	e := newEnv(t, nil)
	e.register(200, "")
	e.register(201, "edge")
	f := newFakeSPU(t, e, 200)
	_, err := f.hello()
	testkit.NoErr(t, err)

	id := int64(200)
	resp, err := req[bus.SPUUnregisterResponse](t, e.nc, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{ID: &id})
	testkit.NoErr(t, err)
	testkit.Equal(t, resp.SPU.Name, "custom-spu-200")
	testkit.WaitFor(t, 2*time.Second, func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.controls) != 1 || f.controls[0].Command != bus.ControlStop {
			return fmt.Errorf("controls %+v, want one stop", f.controls)
		}
		return nil
	})
	// The unregistered SPU is refused from then on.
	requireErr(t, f.beat(), bus.ErrSPUNotRegistered, "fluvio custom-spu register --id 200")
	_, err = f.hello()
	requireErr(t, err, bus.ErrSPUNotRegistered)

	_, err = req[bus.SPUUnregisterResponse](t, e.nc, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{Name: "edge"})
	testkit.NoErr(t, err)
	testkit.Equal(t, len(e.spus()), 0)

	_, err = req[bus.SPUUnregisterResponse](t, e.nc, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{ID: &id})
	requireErr(t, err, bus.ErrSPUNotFound, "SPU 200 not found")
	_, err = req[bus.SPUUnregisterResponse](t, e.nc, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{Name: "nope"})
	requireErr(t, err, bus.ErrSPUNotFound, `SPU "nope" not found`)
	_, err = req[bus.SPUUnregisterResponse](t, e.nc, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{})
	requireErr(t, err, bus.ErrBadRequest, "--id")
	_, err = req[bus.SPUUnregisterResponse](t, e.nc, bus.SubjectAdminSPUUnregister, bus.SPUUnregisterRequest{ID: &id, Name: "x"})
	requireErr(t, err, bus.ErrBadRequest)

	// Registering the id again is allowed and it can come back.
	e.register(200, "")
	_, err = f.hello()
	testkit.NoErr(t, err)
	if !strings.EqualFold(e.spus()[200].Status.Resolution, bus.SPUOnline) {
		t.Fatal("re-registered SPU not online after hello")
	}
}
