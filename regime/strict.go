package regime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

// maxFormBytes bounds a form, a calendar or a measure: the envelopes that
// carry them are smaller still (deconflict.MaxEnvelopeBytes).
const maxFormBytes = 64 << 10

// object is one JSON object decoded strictly: every key once, in its one
// spelling, each read at most once by the decoder of its owner, which then
// refuses the keys it did not read. path names the object in messages
// ("entries[2].area").
type object struct {
	path   string
	fields map[string]json.RawMessage
	order  []string
	used   map[string]bool
}

func invalid(format string, args ...any) error {
	return deconflict.Errorf(deconflict.EINVALID, format, args...)
}

// parseObject decodes b as one JSON object with no duplicate keys and
// nothing after it. Nested values stay raw until read.
func parseObject(path string, b []byte) (*object, error) {
	if len(b) > maxFormBytes {
		return nil, invalid("%s: %d bytes, at most %d", name(path), len(b), maxFormBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, invalid("%s: %v", name(path), syntaxError(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalid("%s: not a JSON object", name(path))
	}
	o := &object{path: path, fields: map[string]json.RawMessage{}, used: map[string]bool{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalid("%s: %v", name(path), syntaxError(err))
		}
		k, _ := tok.(string)
		if _, dup := o.fields[k]; dup {
			return nil, invalid("%s: field %q appears twice", name(path), k)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, invalid("%s.%s: %v", name(path), k, syntaxError(err))
		}
		o.fields[k] = raw
		o.order = append(o.order, k)
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalid("%s: %v", name(path), syntaxError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalid("%s: data after the JSON object", name(path))
	}
	return o, nil
}

func syntaxError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("unexpected end of JSON")
	}
	return err
}

func name(path string) string {
	if path == "" {
		return "form"
	}
	return path
}

func (o *object) at(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// raw returns the value of k and whether it is present (null counts as absent).
func (o *object) raw(k string) (json.RawMessage, bool) {
	o.used[k] = true
	v, ok := o.fields[k]
	if !ok || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// done refuses the fields nobody read.
func (o *object) done() error {
	for _, k := range o.order {
		if !o.used[k] {
			return invalid("%s: unknown field %q", name(o.path), k)
		}
	}
	return nil
}

func (o *object) missing(k string) error {
	return invalid("%s: missing required field %q", name(o.path), k)
}

func (o *object) str(k string, required bool) (string, error) {
	v, ok := o.raw(k)
	if !ok {
		if required {
			return "", o.missing(k)
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", invalid("%s: want a string", o.at(k))
	}
	if len(s) > 1000 {
		return "", invalid("%s: %d characters, at most 1000", o.at(k), len(s))
	}
	if required && strings.TrimSpace(s) == "" {
		return "", invalid("%s: empty", o.at(k))
	}
	return s, nil
}

func (o *object) strs(k string, required bool) ([]string, error) {
	v, ok := o.raw(k)
	if !ok {
		if required {
			return nil, o.missing(k)
		}
		return nil, nil
	}
	var ss []string
	if err := json.Unmarshal(v, &ss); err != nil {
		return nil, invalid("%s: want a list of strings", o.at(k))
	}
	if len(ss) > 100 {
		return nil, invalid("%s: %d items, at most 100", o.at(k), len(ss))
	}
	for i, s := range ss {
		if strings.TrimSpace(s) == "" || len(s) > 100 {
			return nil, invalid("%s[%d]: want a name of 1 to 100 characters", o.at(k), i)
		}
	}
	if required && len(ss) == 0 {
		return nil, invalid("%s: empty", o.at(k))
	}
	return ss, nil
}

func (o *object) boolean(k string) (bool, error) {
	v, ok := o.raw(k)
	if !ok {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return false, invalid("%s: want true or false", o.at(k))
	}
	return b, nil
}

// count reads a non-negative integer of at most max.
func (o *object) count(k string, max int64) (int64, error) {
	v, ok := o.raw(k)
	if !ok {
		return 0, nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err != nil {
		return 0, invalid("%s: want a whole number", o.at(k))
	}
	i, err := n.Int64()
	if err != nil || i < 0 || i > max {
		return 0, invalid("%s: %s, want a whole number from 0 to %d", o.at(k), n, max)
	}
	return i, nil
}

// number reads a finite number in [lo, hi].
func (o *object) number(k string, required bool, lo, hi float64) (float64, bool, error) {
	v, ok := o.raw(k)
	if !ok {
		if required {
			return 0, false, o.missing(k)
		}
		return 0, false, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return 0, false, invalid("%s: want a number", o.at(k))
	}
	if math.IsNaN(f) || f < lo || f > hi {
		return 0, false, invalid("%s: %g, want %g to %g", o.at(k), f, lo, hi)
	}
	return f, true, nil
}

func (o *object) child(k string, required bool) (*object, error) {
	v, ok := o.raw(k)
	if !ok {
		if required {
			return nil, o.missing(k)
		}
		return nil, nil
	}
	return parseObject(o.at(k), v)
}

func (o *object) list(k string, required bool, max int) ([]json.RawMessage, error) {
	v, ok := o.raw(k)
	if !ok {
		if required {
			return nil, o.missing(k)
		}
		return nil, nil
	}
	var l []json.RawMessage
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, invalid("%s: want a list", o.at(k))
	}
	if len(l) > max {
		return nil, invalid("%s: %d items, at most %d", o.at(k), len(l), max)
	}
	if required && len(l) == 0 {
		return nil, invalid("%s: empty", o.at(k))
	}
	return l, nil
}

// time reads an RFC 3339 time or a YYYY-MM-DD date (00:00 UTC).
func (o *object) time(k string, required bool) (time.Time, error) {
	s, err := o.str(k, required)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, invalid("%s: %v", o.at(k), err)
	}
	return t, nil
}

// ParseTime accepts RFC 3339 or YYYY-MM-DD (00:00 UTC), years 1900 to 9999.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		var err2 error
		t, err2 = time.Parse(time.DateOnly, s)
		if err2 != nil {
			return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
		}
	}
	if t.Year() < 1900 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%q: year out of range", s)
	}
	return t.UTC(), nil
}
