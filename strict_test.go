package deconflict_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

// rawPayload is a valid message payload as text, with extra members
// spliced in before its closing brace.
func rawPayload(extra string) string {
	return `{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","time":"2026-12-01T10:00:00Z","kind":"message","precedence":"routine","text":"x"` + extra + `}`
}

func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}

func TestParsePayloadStrict(t *testing.T) {
	if _, err := deconflict.ParsePayload([]byte(rawPayload(""))); err != nil {
		t.Fatalf("the valid payload is refused: %v", err)
	}
	if p, err := deconflict.ParsePayload([]byte(strings.Replace(rawPayload(""), `"text":"x"`, `"text":"\ud83d\ude00 \u00e9\\u"`, 1))); err != nil || p.Text != "\U0001F600 \u00e9\\u" {
		t.Fatalf("escaped pair, BMP escape and escaped backslash: %+v %v", p, err)
	}
	note := func(body string) string {
		return `{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","time":"2026-12-01T10:00:00Z","kind":"note","text":"x","body":` + body + `}`
	}
	if _, err := deconflict.ParsePayload([]byte(note(`{"incident":"i-1"}`))); err != nil {
		t.Fatalf("a note about an incident is refused: %v", err)
	}
	// The payload is level 1: a value nested to MaxJSONDepth levels in
	// all is the deepest accepted (here in a notification's body, which
	// the regime package reads).
	notification := func(body string) string {
		return `{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","time":"2026-12-01T10:00:00Z","kind":"notification","body":` + body + `}`
	}
	if err := deconflict.CheckJSON([]byte(notification(nested(deconflict.MaxJSONDepth-1))), nil); err != nil {
		t.Fatalf("a body at the depth limit is refused: %v", err)
	}
	if err := deconflict.CheckJSON([]byte(notification(nested(deconflict.MaxJSONDepth))), nil); err == nil {
		t.Fatalf("a body beyond the depth limit is accepted")
	}
	for _, tc := range []struct {
		name, payload, says string
	}{
		{"ErrDuplicateAuthorOtherCase", rawPayload(`,"AUTHOR":"RU"`), `"AUTHOR"`},
		{"ErrDuplicateKey", rawPayload(`,"precedence":"flash"`), `"precedence" appears twice`},
		{"ErrFieldOtherCase", strings.Replace(rawPayload(""), `"precedence"`, `"Precedence"`, 1), `the field is "precedence"`},
		{"ErrPrecedenceUpperCase", strings.Replace(rawPayload(""), `"routine"`, `"FLASH"`, 1), `precedence "FLASH"`},
		{"ErrPrecedenceTitleCase", strings.Replace(rawPayload(""), `"routine"`, `"Routine"`, 1), `precedence "Routine"`},
		{"ErrUnknownField", rawPayload(`,"extra":1`), `unknown field "extra"`},
		{"ErrDuplicateInBody", note(`{"incident":"a","incident":"b"}`), `"incident" appears twice`},
		{"ErrBodyTooDeep", note(nested(deconflict.MaxJSONDepth)), "nested deeper than"},
		{"ErrNoteBodyOtherCase", note(`{"incident":"a","INCIDENT":"b"}`), `the field is "incident"`},
		{"ErrNoteBodyUnknown", note(`{"incident":"a","extra":1}`), `unknown field "extra"`},
		{"ErrNote9000Deep", note(nested(9000)), "nested deeper than"},
		{"ErrInvalidUTF8", strings.Replace(rawPayload(""), `"text":"x"`, "\"text\":\"\xff\"", 1), "invalid UTF-8"},
		{"ErrTrailingData", rawPayload("") + `{}`, "data after"},
		{"ErrLoneSurrogate", strings.Replace(rawPayload(""), `"text":"x"`, `"text":"a\ud800b"`, 1), "surrogate"},
		{"ErrLowSurrogateFirst", strings.Replace(rawPayload(""), `"text":"x"`, `"text":"\udc00\ud800"`, 1), "surrogate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deconflict.ParsePayload([]byte(tc.payload))
			if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
				t.Fatalf("code %q (%v), want %q", got, err, want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("error %q does not say %q", err, tc.says)
			}
		})
	}
}

func TestDecodeStrictNestedStructs(t *testing.T) {
	var p deconflict.Policy
	if err := deconflict.DecodeStrict([]byte(`{"ack_deadlines":{"flash":"1m","immediate":600},"thresholds":{"Sea":{"AdvisoryM":1}}}`), &p); err != nil {
		t.Fatal(err)
	}
	if got, want := time.Duration(p.AckDeadlines[deconflict.Immediate]), 10*time.Minute; got != want {
		t.Fatalf("immediate deadline %v, want %v (600 seconds)", got, want)
	}
	for _, tc := range []struct{ name, body, says string }{
		{"ErrDuplicateDeadline", `{"ack_deadlines":{"flash":"1m","flash":"1h"}}`, "appears twice"},
		{"ErrFieldOtherCase", `{"Ack_Deadlines":{}}`, "case-sensitive"},
		{"ErrDuplicateInThresholds", `{"thresholds":{"Sea":{},"Sea":{}}}`, "appears twice"},
		{"ErrDurationTrailingText", `{"ack_deadlines":{"flash":"60xyz"}}`, "duration"},
		{"ErrDurationQuotedNumber", `{"ack_deadlines":{"flash":"60"}}`, "duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p deconflict.Policy
			err := deconflict.DecodeStrict([]byte(tc.body), &p)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err %v, want one saying %q", err, tc.says)
			}
		})
	}
	c := deconflict.Channel{ID: "c", Members: []string{"A", "B"}, Policy: deconflict.Policy{AckDeadlines: map[deconflict.Precedence]deconflict.Duration{"FLASH": deconflict.Duration(time.Minute)}}}
	if err := c.Validate(); deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Fatalf("a policy keyed FLASH validates (err %v); it would fall back to the default deadline", err)
	}
}

// TestMaxEnvelopeFitsBundle: the largest payload the node accepts makes a
// leaf that fits a C2SP entry bundle entry (a 16-bit length).
func TestMaxEnvelopeFitsBundle(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	for _, n := range []int{deconflict.MaxEnvelopeBytes - 2, deconflict.MaxEnvelopeBytes - 1, deconflict.MaxEnvelopeBytes} {
		leaf := deconflict.Sign(priv, make([]byte, n)).Leaf()
		if len(leaf) > deconflict.MaxLeafBytes || len(leaf) > 65535 {
			t.Fatalf("payload of %d bytes makes a leaf of %d bytes, over %d", n, len(leaf), 65535)
		}
	}
	// One byte more would not always fit: the limit is the largest that does.
	if leaf := deconflict.Sign(priv, make([]byte, deconflict.MaxEnvelopeBytes+1)).Leaf(); len(leaf) <= 65535 {
		t.Fatalf("payload of %d bytes still fits (%d-byte leaf): the limit is not the largest", deconflict.MaxEnvelopeBytes+1, len(leaf))
	}
}
