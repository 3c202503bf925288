package deconflict

import (
	"bytes"
	"encoding/json"
	"fmt"
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
//
// It is a small scanner of its own, for speed (it runs on every payload
// and request body): it finds the structure and the keys and skips
// strings, numbers and literals, leaving their validation to
// encoding/json, which DecodeStrict runs next. Its tests compare it with
// a reference built on encoding/json's Decoder tokens.
func CheckJSON(b []byte, t reflect.Type) error {
	c := &strictChecker{b: b}
	if err := c.value(t, 0); err != nil {
		return err
	}
	c.space()
	if c.i < len(c.b) {
		return Errorf(EINVALID, "data after the JSON value at byte %d", c.i)
	}
	return nil
}

type strictChecker struct {
	b    []byte
	i    int    // the next byte to read
	path []step // from the top to the value being read, for errors
}

// step is an object key or, when index >= 0, an array index.
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

func (c *strictChecker) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *strictChecker) malformed(what string) error {
	if c.i >= len(c.b) {
		return Errorf(EINVALID, "malformed JSON: unexpected end of input (%s)", what)
	}
	return Errorf(EINVALID, "malformed JSON at byte %d: %s", c.i, what)
}

// expect consumes byte d after optional space.
func (c *strictChecker) expect(d byte) error {
	c.space()
	if c.i >= len(c.b) || c.b[c.i] != d {
		return c.malformed(fmt.Sprintf("want %q", d))
	}
	c.i++
	return nil
}

// str reads a string starting at its opening quote and returns its raw
// contents (between the quotes) and whether they hold an escape.
func (c *strictChecker) str() ([]byte, bool, error) {
	start := c.i + 1
	escaped := false
	for j := start; j < len(c.b); j++ {
		switch ch := c.b[j]; {
		case ch == '"':
			c.i = j + 1
			raw := c.b[start:j]
			if escaped && loneSurrogate(raw) {
				c.i = start - 1
				return nil, false, c.malformed("a \\u escape of half a UTF-16 surrogate pair (Go would read U+FFFD, others the half)")
			}
			return raw, escaped, nil
		case ch == '\\':
			escaped = true
			j++ // the escaped byte; \uXXXX's hex digits hold no quote or backslash
		case ch < 0x20:
			c.i = j
			return nil, false, c.malformed("control character in a string")
		}
	}
	c.i = len(c.b)
	return nil, false, c.malformed("unterminated string")
}

// key reads an object key and returns it unescaped.
func (c *strictChecker) key() (string, error) {
	c.space()
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return "", c.malformed("want an object key")
	}
	at := c.i
	raw, escaped, err := c.str()
	if err != nil {
		return "", err
	}
	if !escaped {
		return string(raw), nil
	}
	var k string
	if err := json.Unmarshal(c.b[at:c.i], &k); err != nil {
		c.i = at
		return "", c.malformed("bad escape in an object key")
	}
	return k, nil
}

// value reads one value of type t (nil: unchecked names).
func (c *strictChecker) value(t reflect.Type, depth int) error {
	c.space()
	if c.i >= len(c.b) {
		return c.malformed("want a value")
	}
	switch c.b[c.i] {
	case '{', '[':
	case '"':
		_, _, err := c.str()
		return err
	default:
		// A number or literal: skip it; encoding/json checks it.
		start := c.i
		for c.i < len(c.b) {
			ch := c.b[c.i]
			if ch == ',' || ch == '}' || ch == ']' || ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == ':' || ch == '"' || ch == '{' || ch == '[' {
				break
			}
			c.i++
		}
		if c.i == start {
			return c.malformed("want a value")
		}
		return nil
	}
	if depth+1 > MaxJSONDepth {
		return Errorf(EINVALID, "%s: nested deeper than %d levels", c.at(), MaxJSONDepth)
	}
	t = strictType(t)
	if c.b[c.i] == '[' {
		c.i++
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		c.space()
		if c.i < len(c.b) && c.b[c.i] == ']' {
			c.i++
			return nil
		}
		for i := 0; ; i++ {
			c.path = append(c.path, step{index: i})
			if err := c.value(elem, depth+1); err != nil {
				return err
			}
			c.path = c.path[:len(c.path)-1]
			c.space()
			if c.i < len(c.b) && c.b[c.i] == ',' {
				c.i++
				continue
			}
			return c.expect(']')
		}
	}
	c.i++ // '{'
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
	c.space()
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return nil
	}
	// Most objects are small, where a slice beats a map; large ones get
	// a map, so that no body costs quadratic time.
	var seen []string
	var seenMap map[string]bool
	for {
		key, err := c.key()
		if err != nil {
			return err
		}
		dup := seenMap[key]
		for _, k := range seen {
			dup = dup || k == key
		}
		if dup {
			return Errorf(EINVALID, "%s: key %q appears twice", c.at(), key)
		}
		if seenMap != nil {
			seenMap[key] = true
		} else if seen = append(seen, key); len(seen) > 16 {
			seenMap = make(map[string]bool, 2*len(seen))
			for _, k := range seen {
				seenMap[k] = true
			}
			seen = nil
		}
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
		if err := c.expect(':'); err != nil {
			return err
		}
		c.path = append(c.path, step{key: key, index: -1})
		if err := c.value(ft, depth+1); err != nil {
			return err
		}
		c.path = c.path[:len(c.path)-1]
		c.space()
		if c.i < len(c.b) && c.b[c.i] == ',' {
			c.i++
			continue
		}
		return c.expect('}')
	}
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

// loneSurrogate reports whether the raw contents of a JSON string escape
// a UTF-16 surrogate that is not part of a pair.
func loneSurrogate(raw []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, h := range raw[i+2 : i+6] {
			switch {
			case '0' <= h && h <= '9':
				r = r<<4 | rune(h-'0')
			case 'a' <= h && h <= 'f':
				r = r<<4 | rune(h-'a'+10)
			case 'A' <= h && h <= 'F':
				r = r<<4 | rune(h-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // another escape: skip its letter
			continue
		}
		switch {
		case 0xD800 <= r && r < 0xDC00: // high half: a low half must follow
			lo, ok := hex4(i + 6)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		case 0xDC00 <= r && r <= 0xDFFF:
			return true
		default:
			i += 5
		}
	}
	return false
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
