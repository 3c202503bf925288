package node_test

import (
	"context"
	"testing"

	"github.com/deconflict/deconflict"
)

// TestSubmitOfficer: through a front end that authenticated an officer
// (the console), an envelope must name exactly that officer; through the
// API (Submit) the officer is the party's word, and an envelope may name
// none.
func TestSubmitOfficer(t *testing.T) {
	fx := newFixture(t, nil)
	ctx := context.Background()
	msg := func(officer string) *deconflict.Signed {
		return fx.signed("US", &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "x", Officer: officer})
	}
	t.Run("OK", func(t *testing.T) {
		r, err := fx.n.SubmitOfficer(ctx, "us-officer", msg("us-officer"))
		if err != nil {
			t.Fatal(err)
		}
		e, err := fx.n.Envelope(ctx, "RU", "ru-us", r.Index)
		if err != nil {
			t.Fatal(err)
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Officer, "us-officer"; got != want {
			t.Fatalf("logged officer %q, want %q", got, want)
		}
	})
	for _, tc := range []struct{ name, session, named, code string }{
		{"ErrOtherOfficer", "us-officer", "us-other", deconflict.EFORBIDDEN},
		{"ErrNoOfficerNamed", "us-officer", "", deconflict.EFORBIDDEN},
		{"ErrBadSessionName", "us officer", "us officer", deconflict.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fx.envelopes())
			_, err := fx.n.SubmitOfficer(ctx, tc.session, msg(tc.named))
			if got := deconflict.ErrorCode(err); got != tc.code {
				t.Fatalf("code %q (%v), want %q", got, err, tc.code)
			}
			if got := len(fx.envelopes()); got != before {
				t.Fatalf("%d envelopes after a refused one, want %d", got, before)
			}
		})
	}
	t.Run("APIPartysWord", func(t *testing.T) {
		for _, officer := range []string{"anyone-US-names", ""} {
			if _, err := fx.n.Submit(ctx, msg(officer)); err != nil {
				t.Fatalf("Submit naming officer %q: %v", officer, err)
			}
		}
	})
	t.Run("ErrMalformedOfficer", func(t *testing.T) {
		_, err := fx.n.Submit(ctx, msg("two words"))
		if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
			t.Fatalf("code %q (%v), want %q", got, err, want)
		}
	})
}
