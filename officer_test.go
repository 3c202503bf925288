package deconflict_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

func TestPayloadOfficer(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		p, err := deconflict.ParsePayload([]byte(rawPayload(`,"officer":"us-officer@ops.example"`)))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Officer, "us-officer@ops.example"; got != want {
			t.Fatalf("Officer=%q, want %q", got, want)
		}
	})
	t.Run("OmittedWhenEmpty", func(t *testing.T) {
		// A payload without an officer is signed as before: envelopes
		// from before the field existed keep their bytes and signatures.
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		p := &deconflict.Payload{V: 1, ID: "00112233445566778899aabbccddeeff", Channel: "ru-us", Author: "US", Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "x"}
		s, err := deconflict.SignPayload(priv, p)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(s.Payload), rawPayload(""); got != want {
			t.Fatalf("payload %s, want %s", got, want)
		}
		p.Officer = "us-officer"
		s2, _ := deconflict.SignPayload(priv, p)
		if !bytes.Contains(s2.Payload, []byte(`"officer":"us-officer"`)) {
			t.Fatalf("payload %s names no officer", s2.Payload)
		}
		if err := s2.VerifySignature(); err != nil {
			t.Fatal(err)
		}
	})
	ack := func(officer string) string {
		return `{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US",` + officer + `"time":"2026-12-01T10:00:00Z","kind":"ack","ack":3}`
	}
	if p, err := deconflict.ParsePayload([]byte(ack(`"officer":"ru-1",`))); err != nil || p.Officer != "ru-1" {
		t.Fatalf("ack with an officer: %+v, %v", p, err)
	}
	for _, tc := range []struct{ name, payload, says string }{
		{"ErrOfficerOtherCase", rawPayload(`,"Officer":"us-officer"`), `the field is "officer"`},
		{"ErrOfficerTwice", rawPayload(`,"officer":"a","officer":"b"`), `"officer" appears twice`},
		{"ErrOfficerSpace", rawPayload(`,"officer":"us officer"`), `officer "us officer"`},
		{"ErrOfficerTooLong", rawPayload(`,"officer":"` + strings.Repeat("a", 65) + `"`), "officer"},
		{"ErrOfficerPunctuationFirst", ack(`"officer":"-x",`), `officer "-x"`},
		{"ErrOfficerOnAlert", `{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"node","officer":"x","time":"2026-12-01T10:00:00Z","kind":"alert"}`, `officer "x" on kind alert`},
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
	for _, tc := range []struct {
		s  string
		ok bool
	}{{"a", true}, {"ru-officer", true}, {"j.smith@nrrc", true}, {"", false}, {"@x", false}, {"a/b", false}, {strings.Repeat("b", 64), true}} {
		if got := deconflict.ValidOfficer(tc.s); got != tc.ok {
			t.Errorf("ValidOfficer(%q)=%v, want %v", tc.s, got, tc.ok)
		}
	}
}
