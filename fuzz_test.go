package deconflict_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

// payloadFields are the payload's field names as docs/api.md lists them,
// written out here rather than taken from the Payload type.
var payloadFields = []string{"v", "id", "channel", "author", "officer", "time", "kind", "precedence", "text", "phrase", "params", "reply_to", "ack", "ack_from", "body", "attachments"}

// jsonDepth returns the nesting depth of valid JSON text: a scanner of its
// own, sharing nothing with DecodeStrict.
func jsonDepth(b []byte) int {
	depth, most, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			most = max(most, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}

// FuzzParsePayload: no input panics, and an accepted payload reads the
// same to a reader that matches names exactly: every key is a documented
// field, each once, and the fields the node acts on are the ones that
// reader sees.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(`{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","time":"2026-12-01T10:00:00Z","kind":"message","precedence":"flash","text":"turn north"}`))
	f.Add([]byte(`{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","time":"2026-12-01T10:00:00Z","kind":"ack","ack":3}`))
	f.Add([]byte(`{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","time":"2026-12-01T10:00:00Z","kind":"note","text":"x","body":{"incident":"a"}}`))
	f.Add([]byte(`{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","AUTHOR":"RU","time":"2026-12-01T10:00:00Z","kind":"message","precedence":"FLASH","text":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := deconflict.ParsePayload(b)
		if err != nil {
			if deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Fatalf("error code %q: %v", deconflict.ErrorCode(err), err)
			}
			return
		}
		if d := jsonDepth(b); d > deconflict.MaxJSONDepth {
			t.Fatalf("accepted a payload nested %d deep", d)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		var keys []string
		if tok, _ := dec.Token(); tok != json.Delim('{') {
			t.Fatalf("accepted a payload that is not an object: %q", b)
		}
		m := map[string]json.RawMessage{}
		for dec.More() {
			k, _ := dec.Token()
			key := k.(string)
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			if slices.Contains(keys, key) {
				t.Fatalf("accepted duplicate key %q", key)
			}
			if !slices.Contains(payloadFields, key) {
				t.Fatalf("accepted undocumented key %q", key)
			}
			keys = append(keys, key)
			m[key] = v
		}
		str := func(k string) string {
			var s string
			json.Unmarshal(m[k], &s)
			return s
		}
		if str("author") != p.Author || str("channel") != p.Channel || str("kind") != p.Kind || str("id") != p.ID || str("precedence") != string(p.Precedence) || str("officer") != p.Officer {
			t.Fatalf("an exact reader sees %s, the node %+v", b, p)
		}
		if p.Precedence != "" && !slices.Contains(deconflict.Precedences, p.Precedence) {
			t.Fatalf("accepted precedence %q", p.Precedence)
		}
	})
}

// FuzzParseLeaf: no input panics, and an accepted leaf is exactly the
// canonical form of what it parses to.
func FuzzParseLeaf(f *testing.F) {
	f.Add([]byte(`{"payload":"e30=","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","sig":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}`))
	f.Add([]byte(`{"payload":"e30=","key":"","sig":"","payload":"e30="}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := deconflict.ParseLeaf(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Leaf(), b) {
			t.Fatalf("accepted non-canonical leaf %q (canonical %q)", b, s.Leaf())
		}
	})
}

// FuzzDecodePolicy: a channel policy as PUT .../policy sends it, then the
// channel check. No input panics; an accepted body is valid JSON within
// the depth limit whose deadlines are keyed by the lowercase precedences.
func FuzzDecodePolicy(f *testing.F) {
	f.Add([]byte(`{"ack_deadlines":{"flash":"2m","immediate":"10m","priority":"1h","routine":"24h"},"webhooks":["https://ops.example/x"]}`))
	f.Add([]byte(`{"ack_deadlines":{"flash":"1m","flash":"1h"}}`))
	f.Add([]byte(`{"ack_deadlines":{"FLASH":60},"thresholds":{"Sea":{"AdvisoryM":5000}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p deconflict.Policy
		if err := deconflict.DecodeStrict(b, &p); err != nil {
			if deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Fatalf("error code %q: %v", deconflict.ErrorCode(err), err)
			}
			return
		}
		if !json.Valid(b) || jsonDepth(b) > deconflict.MaxJSONDepth {
			t.Fatalf("accepted %q", b)
		}
		c := deconflict.Channel{ID: "c", Members: []string{"A", "B"}, Policy: p}
		if c.Validate() != nil {
			return
		}
		for prec := range p.AckDeadlines {
			if !slices.Contains(deconflict.Precedences, prec) {
				t.Fatalf("valid policy with a deadline for %q", prec)
			}
		}
		if iv, w := p.LinkTestInterval(), p.LinkTestAnswerWithin(); iv < 0 || iv > 0 && iv < time.Second || w < time.Second || iv > 0 && w > iv {
			t.Fatalf("valid policy with link test interval %v, time to answer %v", iv, w)
		}
	})
}
