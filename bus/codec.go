package bus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/vmihailenco/msgpack/v5"
)

// Encoding. Messages are msgpack by default; a peer that sends JSON (a body
// starting with '{') or the header "Accept: application/json" gets JSON
// back. Field names are the `json` tags in both encodings (camelCase), so a
// message reads the same in `nats req … -H Accept:application/json` as in
// the Go structs. Always encode and decode bus messages with Marshal and
// Unmarshal: plain msgpack.Marshal would use other field names.

// HeaderAccept is the request header that asks for a JSON reply.
const (
	HeaderAccept = "Accept"
	MIMEJSON     = "application/json"
	// HeaderContentType marks a JSON reply.
	HeaderContentType = "Content-Type"
)

// MaxMessageBytes bounds what Unmarshal accepts (NATS' default max payload).
const MaxMessageBytes = 1 << 20

// typed is implemented by every bus message with a versioned Type field:
// typeField returns a pointer to the field and the expected value.
type typed interface {
	typeField() (field *string, want string)
}

// Marshal encodes v as msgpack, or as JSON when asJSON is set. A message
// with a Type field gets its type stamped first.
func Marshal(v any, asJSON bool) ([]byte, error) {
	v = stamp(v)
	if asJSON {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("bus: encode %T as JSON: %w", v, err)
		}
		return b, nil
	}
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetCustomStructTag("json")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("bus: encode %T as msgpack: %w", v, err)
	}
	return buf.Bytes(), nil
}

// IsJSON reports whether data looks like a JSON document (its first
// non-space byte is '{', '[' or '"'); bus messages are msgpack maps
// otherwise, whose first byte is never one of those.
func IsJSON(data []byte) bool {
	d := bytes.TrimLeft(data, " \t\r\n")
	return len(d) > 0 && (d[0] == '{' || d[0] == '[' || d[0] == '"')
}

// Unmarshal decodes data (JSON or msgpack, detected with IsJSON) into v, a
// pointer. Empty data leaves v as is (an empty request). A message with a
// Type field must carry its own type or none; another type is
// ErrUnsupported. Errors are *Error with CodeBadRequest or CodeUnsupported;
// Unmarshal never panics on any input.
func Unmarshal(data []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = ErrBadRequest.With(fmt.Sprintf("cannot decode %T: %v", v, r), "")
		}
	}()
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if len(data) > MaxMessageBytes {
		return ErrBadRequest.With(fmt.Sprintf("message of %d bytes is larger than %d", len(data), MaxMessageBytes), "")
	}
	if IsJSON(data) {
		if err := json.Unmarshal(data, v); err != nil {
			return ErrBadRequest.With(fmt.Sprintf("cannot decode %s from JSON: %v", typeName(v), err),
				"send a JSON object with the fields listed in bus/SUBJECTS.md")
		}
	} else {
		dec := msgpack.NewDecoder(bytes.NewReader(data))
		dec.SetCustomStructTag("json")
		if err := dec.Decode(v); err != nil {
			return ErrBadRequest.With(fmt.Sprintf("cannot decode %s from msgpack: %v", typeName(v), err),
				"send msgpack (or JSON) with the fields listed in bus/SUBJECTS.md")
		}
	}
	if t, ok := v.(typed); ok {
		f, want := t.typeField()
		if *f != "" && *f != want {
			return ErrUnsupported.With(fmt.Sprintf("got message type %q, want %q", *f, want), "")
		}
	}
	return nil
}

// stamp sets the Type field of a typed message; a message passed by value
// is copied so its Type can be set.
func stamp(v any) any {
	if t, ok := v.(typed); ok {
		f, want := t.typeField()
		*f = want
		return v
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() == reflect.Pointer {
		return v
	}
	p := reflect.New(rv.Type())
	p.Elem().Set(rv)
	if t, ok := p.Interface().(typed); ok {
		f, want := t.typeField()
		*f = want
		return p.Interface()
	}
	return v
}

func typeName(v any) string {
	if t, ok := v.(typed); ok {
		_, want := t.typeField()
		return want
	}
	return fmt.Sprintf("%T", v)
}
