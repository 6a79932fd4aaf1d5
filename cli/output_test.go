package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fluvio-go/fluvio"
	"github.com/fluvio-go/fluvio/internal/testkit"
)

func TestPrinters(t *testing.T) {
	rack := "r1"
	items := []fluvio.SPU{
		{Name: "custom-spu-200", Spec: fluvio.SPUSpec{ID: 200, Type: "Custom", PublicEndpoint: "h:9005", PrivateEndpoint: "h:9006"}, Status: fluvio.SPUStatus{Resolution: "Online"}},
		{Name: "spu-1", Spec: fluvio.SPUSpec{ID: 1, Type: "Managed", Rack: &rack, PublicEndpoint: "h:1", PrivateEndpoint: "h:2"}, Status: fluvio.SPUStatus{Resolution: "Offline"}},
	}
	var out, errb bytes.Buffer
	if err := printList(&out, &errb, outputTable, items, spuTable(items), "hint"); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID   NAME            STATUS   TYPE     RACK  PUBLIC  PRIVATE\n" +
		"200  custom-spu-200  online   custom   -     h:9005  h:9006\n" +
		"1    spu-1           offline  managed  r1    h:1     h:2\n"
	testkit.Equal(t, out.String(), want)
	testkit.Equal(t, errb.String(), "")

	out.Reset()
	if err := printList(&out, &errb, outputJSON, items[:1], nil, ""); err != nil {
		t.Fatal(err)
	}
	wantJSON := `[
  {
    "name": "custom-spu-200",
    "spec": {
      "spuId": 200,
      "spuType": "Custom",
      "rack": null,
      "publicEndpoint": "h:9005",
      "privateEndpoint": "h:9006"
    },
    "status": {
      "resolution": "Online"
    }
  }
]
`
	testkit.Equal(t, out.String(), wantJSON)

	out.Reset()
	if err := printList(&out, &errb, outputYAML, items, nil, ""); err != nil {
		t.Fatal(err)
	}
	wantYAML := `- name: custom-spu-200
  spec:
    spuId: 200
    spuType: Custom
    rack: null
    publicEndpoint: h:9005
    privateEndpoint: h:9006
  status:
    resolution: Online
- name: spu-1
  spec:
    spuId: 1
    spuType: Managed
    rack: r1
    publicEndpoint: h:1
    privateEndpoint: h:2
  status:
    resolution: Offline
`
	testkit.Equal(t, out.String(), wantYAML)
}

func TestYAMLQuotesAmbiguousStrings(t *testing.T) {
	var out bytes.Buffer
	v := map[string]string{"a": "123", "b": "true", "c": "null", "d": "x: y"}
	if err := writeYAML(&out, v); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`a: "123"`, `b: "true"`, `c: "null"`, `d: 'x: y'`} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("want %s in:\n%s", s, out.String())
		}
	}
}

func TestOutputFlag(t *testing.T) {
	var o outputFormat
	for _, s := range []string{"table", "JSON", "yaml"} {
		if err := o.Set(s); err != nil {
			t.Errorf("Set(%q): %v", s, err)
		}
	}
	if err := o.Set("xml"); err == nil {
		t.Error("xml accepted")
	}
}
