package deconflict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxJSONDepth bounds the nesting of every JSON value the node decodes
// from a request or a signed payload (objects and arrays, the outermost
// counting 1), so that no stored body breaks another reader's parser.
const MaxJSONDepth = 32

// DecodeStrict decodes one JSON value from b into v so that it means the
// same to every reader. Go's encoding/json matches field names without
// regard to letter case, keeps the last of duplicate keys, replaces
// invalid UTF-8 and ignores unknown fields; DecodeStrict first checks the
// raw bytes and refuses, with EINVALID naming the place:
//   - invalid UTF-8 anywhere;
//   - an object key that appears twice, at any depth;
//   - a key of a struct's object that is not exactly one of its field
//     names (unknown, or known only in another letter case);
//   - nesting deeper than MaxJSONDepth;
//   - anything after the value.
//
// Inside values whose type decodes itself (json.RawMessage, time.Time) or
// is an interface or map, only duplicates and depth are checked: their
// own decoders check the rest.
func DecodeStrict(b []byte, v any) error {
	if !utf8.Valid(b) {
		return Errorf(EINVALID, "invalid UTF-8 at byte %d", invalidUTF8At(b))
	}
	t := reflect.TypeOf(v)
	if t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if err := CheckJSON(b, t); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(EINVALID, "%v", err)
	}
	return nil
}

// CheckJSON checks that b holds exactly one JSON value, within
// MaxJSONDepth, without duplicate keys, whose objects, where t (nil: any
// value) is a struct, use exactly its field names. See DecodeStrict.
func CheckJSON(b []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	c := &strictChecker{dec: dec}
	if err := c.value(t, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(EINVALID, "data after the JSON value at byte %d", dec.InputOffset())
	}
	return nil
}

type strictChecker struct {
	dec  *json.Decoder
	path []step // from the top to the value being read, for errors
}

// step is an object key or, when key is "" and index >= 0, an array index.
type step struct {
	key   string
	index int
}

// at returns the path of the value being read, as $.a.b[2].
func (c *strictChecker) at() string {
	var b strings.Builder
	b.WriteString("$")
	for _, s := range c.path {
		if s.index >= 0 {
			fmt.Fprintf(&b, "[%d]", s.index)
		} else {
			b.WriteString("." + s.key)
		}
	}
	return b.String()
}

func (c *strictChecker) token() (json.Token, error) {
	tok, err := c.dec.Token()
	if err == io.EOF {
		return nil, Errorf(EINVALID, "unexpected end of JSON input")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return nil, Errorf(EINVALID, "malformed JSON at byte %d: %v", se.Offset, se)
	} else if err != nil {
		return nil, Errorf(EINVALID, "malformed JSON: %v", err)
	}
	return tok, nil
}

// value reads one value of type t (nil: unchecked names).
func (c *strictChecker) value(t reflect.Type, depth int) error {
	tok, err := c.token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar: its decoder checks its type
	}
	if depth+1 > MaxJSONDepth {
		return Errorf(EINVALID, "%s: nested deeper than %d levels", c.at(), MaxJSONDepth)
	}
	t = strictType(t)
	switch d {
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = structFields(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := map[string]bool{}
		for c.dec.More() {
			kt, err := c.token()
			if err != nil {
				return err
			}
			key := kt.(string) // the decoder only yields string keys
			if seen[key] {
				return Errorf(EINVALID, "%s: key %q appears twice", c.at(), key)
			}
			seen[key] = true
			ft := elem
			if fields != nil {
				var ok bool
				if ft, ok = fields[key]; !ok {
					for name := range fields {
						if strings.EqualFold(name, key) {
							return Errorf(EINVALID, "%s: unknown field %q (the field is %q: names are case-sensitive)", c.at(), key, name)
						}
					}
					return Errorf(EINVALID, "%s: unknown field %q", c.at(), key)
				}
			}
			c.path = append(c.path, step{key: key, index: -1})
			if err := c.value(ft, depth+1); err != nil {
				return err
			}
			c.path = c.path[:len(c.path)-1]
		}
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; c.dec.More(); i++ {
			c.path = append(c.path, step{index: i})
			if err := c.value(elem, depth+1); err != nil {
				return err
			}
			c.path = c.path[:len(c.path)-1]
		}
	}
	_, err = c.token() // the closing delimiter
	return err
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// strictType returns the type whose names are checked for t: pointers
// dereferenced, nil for types that decode themselves or hold anything.
func strictType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) {
		return nil
	}
	return t
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// structFields returns the JSON names of a struct's fields as
// encoding/json sees them (tags, untagged exported names, embedded
// structs flattened), with their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addStructFields(t, m)
	fieldCache.Store(t, m)
	return m
}

func addStructFields(t reflect.Type, m map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addStructFields(ft, m)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := m[name]; !dup {
			m[name] = f.Type
		}
	}
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
