package wire

// APIVersionsRequest asks which APIs and versions the server speaks.
type APIVersionsRequest struct{}

// APIKey implements Request.
func (*APIVersionsRequest) APIKey() APIKey  { return KeyAPIVersions }
func (*APIVersionsRequest) encode(*encoder) {}
func (*APIVersionsRequest) decode(*decoder) {}

// APIVersion is one supported API with its version bounds.
type APIVersion struct {
	Key        APIKey
	MinVersion int16
	MaxVersion int16
}

// APIVersionsResponse lists the supported APIs, sorted by key.
type APIVersionsResponse struct {
	APIs []APIVersion
}

// APIKey implements Response.
func (*APIVersionsResponse) APIKey() APIKey { return KeyAPIVersions }

func (r *APIVersionsResponse) encode(e *encoder) {
	e.arrayLen(len(r.APIs))
	for _, a := range r.APIs {
		e.int16(int16(a.Key))
		e.int16(a.MinVersion)
		e.int16(a.MaxVersion)
	}
}

func (r *APIVersionsResponse) decode(d *decoder) {
	n := d.arrayLen(6)
	r.APIs = make([]APIVersion, n)
	for i := range r.APIs {
		r.APIs[i] = APIVersion{Key: APIKey(d.int16()), MinVersion: d.int16(), MaxVersion: d.int16()}
	}
}

// SupportedAPIs is this package's APIVersionsResponse, sorted by key.
func SupportedAPIs() *APIVersionsResponse {
	keys := knownKeys()
	r := &APIVersionsResponse{APIs: make([]APIVersion, 0, len(keys))}
	for _, k := range keys {
		a := apis[k]
		r.APIs = append(r.APIs, APIVersion{Key: k, MinVersion: a.minVersion, MaxVersion: a.maxVersion})
	}
	return r
}
