package wire

import "fmt"

// APIKey names a request type. Numbers follow Kafka's where the API is
// the same idea.
type APIKey int16

// The APIs.
const (
	KeyProduce        APIKey = 0
	KeyFetch          APIKey = 1
	KeyListOffsets    APIKey = 2
	KeyAPIVersions    APIKey = 18
	KeyEpochEndOffset APIKey = 23
	// KeySPUAuth: a follower SPU proves its identity on the private
	// server (the number of Kafka's SaslAuthenticate).
	KeySPUAuth APIKey = 36
	// The named consumers' offset APIs (offsets.go), numbered as Kafka's
	// OffsetCommit, OffsetFetch and OffsetDelete.
	KeyOffsetCommit APIKey = 8
	KeyOffsetFetch  APIKey = 9
	KeyOffsetDelete APIKey = 47
	// KeyFollowerProgress: a follower SPU reports its log ends apart from
	// its fetches (pipelined replication). Not a Kafka API: Kafka's
	// followers report progress only by their fetch offsets.
	KeyFollowerProgress APIKey = 1000
	// KeyClientAuth: a client proves its identity on the public server
	// (an API of ours, outside Kafka's numbers).
	KeyClientAuth APIKey = 1001
	// KeyMultiProduce: produce to several partitions of one leader in one
	// request (an API of ours: Kafka's Produce is multi-partition, ours is
	// not, and stays as it is for older clients and servers).
	KeyMultiProduce APIKey = 1002
)

func (k APIKey) String() string {
	switch k {
	case KeyProduce:
		return "produce"
	case KeyFetch:
		return "fetch"
	case KeyListOffsets:
		return "list-offsets"
	case KeyAPIVersions:
		return "api-versions"
	case KeyEpochEndOffset:
		return "epoch-end-offset"
	case KeySPUAuth:
		return "spu-auth"
	case KeyOffsetCommit:
		return "offset-commit"
	case KeyOffsetFetch:
		return "offset-fetch"
	case KeyOffsetDelete:
		return "offset-delete"
	case KeyFollowerProgress:
		return "follower-progress"
	case KeyClientAuth:
		return "client-auth"
	case KeyMultiProduce:
		return "multi-produce"
	}
	return fmt.Sprintf("api-%d", int16(k))
}

// Request is a decoded request of one API. The concrete types are
// *ProduceRequest, *FetchRequest, *ListOffsetsRequest,
// *APIVersionsRequest and *EpochEndOffsetRequest.
type Request interface {
	APIKey() APIKey
	encode(e *encoder)
	decode(d *decoder)
}

// Response is the response of one API, matching its Request.
type Response interface {
	APIKey() APIKey
	encode(e *encoder)
	decode(d *decoder)
}

// api describes one API for both sides.
type api struct {
	key        APIKey
	minVersion int16
	maxVersion int16
	newReq     func() Request
	newResp    func() Response
}

// apis is the table of every API this package speaks.
var apis = map[APIKey]api{
	KeyProduce:        {KeyProduce, 0, 0, func() Request { return new(ProduceRequest) }, func() Response { return new(ProduceResponse) }},
	KeyFetch:          {KeyFetch, 0, 0, func() Request { return new(FetchRequest) }, func() Response { return new(FetchResponse) }},
	KeyListOffsets:    {KeyListOffsets, 0, 0, func() Request { return new(ListOffsetsRequest) }, func() Response { return new(ListOffsetsResponse) }},
	KeyAPIVersions:    {KeyAPIVersions, 0, 0, func() Request { return new(APIVersionsRequest) }, func() Response { return new(APIVersionsResponse) }},
	KeyEpochEndOffset: {KeyEpochEndOffset, 0, 0, func() Request { return new(EpochEndOffsetRequest) }, func() Response { return new(EpochEndOffsetResponse) }},
	KeySPUAuth:        {KeySPUAuth, 0, 0, func() Request { return new(SPUAuthRequest) }, func() Response { return new(SPUAuthResponse) }},
	KeyOffsetCommit:   {KeyOffsetCommit, 0, 0, func() Request { return new(OffsetCommitRequest) }, func() Response { return new(OffsetCommitResponse) }},
	KeyOffsetFetch:    {KeyOffsetFetch, 0, 0, func() Request { return new(OffsetFetchRequest) }, func() Response { return new(OffsetFetchResponse) }},
	KeyOffsetDelete:   {KeyOffsetDelete, 0, 0, func() Request { return new(OffsetDeleteRequest) }, func() Response { return new(OffsetDeleteResponse) }},
	KeyFollowerProgress: {KeyFollowerProgress, 0, 0, func() Request { return new(FollowerProgressRequest) },
		func() Response { return new(FollowerProgressResponse) }},
	KeyClientAuth: {KeyClientAuth, 0, 0, func() Request { return new(ClientAuthRequest) }, func() Response { return new(ClientAuthResponse) }},
	KeyMultiProduce: {KeyMultiProduce, 0, 0, func() Request { return new(MultiProduceRequest) },
		func() Response { return new(MultiProduceResponse) }},
}

// smallAPIs indexes apis by key for the keys below its length (the
// Kafka-numbered ones): a request's lookup is then an index, not a map
// access hashing the key.
var smallAPIs = func() (t [64]*api) {
	for k, a := range apis {
		if k >= 0 && int(k) < len(t) {
			t[k] = &a
		}
	}
	return t
}()

// apiOf returns the API of key.
func apiOf(key APIKey) (api, bool) {
	if key >= 0 && int(key) < len(smallAPIs) {
		if a := smallAPIs[key]; a != nil {
			return *a, true
		}
		return api{}, false
	}
	a, ok := apis[key]
	return a, ok
}

// DecodeRequest decodes the payload of a request frame. It returns an
// *Error with UnknownAPIKey, UnsupportedVersion or InvalidRequest when it
// cannot. Byte fields of the request alias payload.
func DecodeRequest(key APIKey, version int16, payload []byte) (Request, error) {
	return decodeRequest(new(decoder), key, version, payload)
}

// decodeRequest is DecodeRequest decoding with d (a connection's, reused:
// it keeps nothing of payload afterwards).
func decodeRequest(d *decoder, key APIKey, version int16, payload []byte) (Request, error) {
	a, ok := apiOf(key)
	if !ok {
		return nil, UnknownAPIKey.ErrMsg(fmt.Sprintf("API key %d is not served; this SPU serves %v", int16(key), knownKeys()))
	}
	if version < a.minVersion || version > a.maxVersion {
		return nil, UnsupportedVersion.ErrMsg(fmt.Sprintf("%s version %d; this SPU serves versions %d..%d",
			key, version, a.minVersion, a.maxVersion))
	}
	req := a.newReq()
	*d = decoder{p: payload}
	req.decode(d)
	err := d.done()
	*d = decoder{}
	if err != nil {
		return nil, InvalidRequest.ErrMsg(fmt.Sprintf("%s request: %v", key, err))
	}
	return req, nil
}

// DecodeResponse decodes a response payload for the API key. Byte fields
// alias payload.
func DecodeResponse(key APIKey, payload []byte) (Response, error) {
	a, ok := apiOf(key)
	if !ok {
		return nil, fmt.Errorf("wire: no API with key %d", int16(key))
	}
	resp := a.newResp()
	d := decoder{p: payload}
	resp.decode(&d)
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("%s response: %w", key, err)
	}
	return resp, nil
}

func knownKeys() []APIKey {
	return []APIKey{KeyProduce, KeyFetch, KeyListOffsets, KeyOffsetCommit, KeyOffsetFetch, KeyAPIVersions, KeyEpochEndOffset, KeyOffsetDelete, KeyFollowerProgress, KeyMultiProduce}
}
