package deconflict_test

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
)

// refCheck is a reference for deconflict.CheckJSON built on encoding/json's
// Decoder tokens instead of a scanner: it reports whether b is one JSON
// value within the depth limit, without duplicate keys, whose objects use
// exactly the JSON field names of t where t is a struct.
func refCheck(b []byte, t reflect.Type) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if !refValue(dec, t, 0) {
		return false
	}
	_, err := dec.Token()
	return err == io.EOF
}

var surrogateEscape = regexp.MustCompile(`\\u[dD][89a-fA-F][0-9a-fA-F]{2}`)

func refNames(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}

func refValue(dec *json.Decoder, t reflect.Type, depth int) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return true
	}
	if depth+1 > deconflict.MaxJSONDepth {
		return false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(reflect.TypeFor[json.Unmarshaler]())) {
		t = nil
	}
	var elem reflect.Type
	var names map[string]reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			names = refNames(t)
		case reflect.Map, reflect.Slice, reflect.Array:
			elem = t.Elem()
		}
	}
	seen := map[string]bool{}
	for dec.More() {
		next := elem
		if d == '{' {
			k, err := dec.Token()
			if err != nil {
				return false
			}
			key := k.(string)
			if seen[key] {
				return false
			}
			seen[key] = true
			if names != nil {
				if next, ok = names[key]; !ok {
					return false
				}
			}
		}
		if !refValue(dec, next, depth+1) {
			return false
		}
	}
	_, err = dec.Token()
	return err == nil
}

// FuzzCheckJSON: on valid JSON the scanner and the token-based reference
// agree, for an untyped value, a payload and a policy. (On invalid JSON
// either may refuse: DecodeStrict's encoding/json pass refuses it anyway.)
func FuzzCheckJSON(f *testing.F) {
	f.Add([]byte(`{"v":1,"id":"x","kind":"note","body":{"a":[1,{"b":"\"}"}],"a\u0062":null}}`))
	f.Add([]byte(`{"author":"US","\u0061uthor":"RU"}`))
	f.Add([]byte(`{"ack_deadlines":{"flash":"1m","flash":"2m"}}`))
	f.Add([]byte(`[1, "two", {"three": [true, false, null, -4.5e+3]}]`))
	f.Add([]byte(" {\"Author\" : \"x\" } "))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		for _, typ := range []reflect.Type{nil, reflect.TypeFor[deconflict.Payload](), reflect.TypeFor[deconflict.Policy]()} {
			err := deconflict.CheckJSON(b, typ)
			if err != nil && strings.Contains(err.Error(), "surrogate") {
				// The reference cannot see escapes (the decoder has
				// replaced them); the input must hold a surrogate escape.
				if !surrogateEscape.Match(b) {
					t.Fatalf("CheckJSON(%q) reports a surrogate where there is none: %v", b, err)
				}
				return
			}
			got := err == nil
			if want := refCheck(b, typ); got != want {
				t.Fatalf("CheckJSON(%q, %v) accepts=%v, the reference %v (%v)", b, typ, got, want, deconflict.CheckJSON(b, typ))
			}
		}
	})
}
