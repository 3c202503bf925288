package console_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	dhttp "github.com/deconflict/deconflict/http"
)

// TestConsoleOfficer: what an officer sends, acknowledges, notes or files
// through the console names the signed-in user as its officer, inside the
// party's signed payload; a request naming another officer is refused and
// logs nothing; two officers of one party are told apart.
func TestConsoleOfficer(t *testing.T) {
	tn := startNode(t)
	base := tn.Server.URL()
	if err := console.AddUser(tn.Dir, "us-watch-2", "US", "second watch password"); err != nil {
		t.Fatal(err)
	}
	us, us2, ru := newBrowserless(t, base), newBrowserless(t, base), newBrowserless(t, base)
	us.login("US")
	ru.login("RU")
	if st, code := us2.do("POST", "/console/login", console.LoginRequest{Username: "us-watch-2", Password: "second watch password"}, nil); code != "" {
		t.Fatalf("login us-watch-2: %d %s", st, code)
	}
	zero := int64(0)
	steps := []struct {
		b       *browserless
		path    string
		req     any
		kind    string
		officer string
	}{
		{us, "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "flash", Text: "turn north now"}, deconflict.KindMessage, "us-officer"},
		{ru, "/v1/console/ack", console.AckRequest{Channel: "ru-us-syria", Index: &zero}, deconflict.KindAck, "ru-officer"},
		// Naming oneself is accepted, the same as naming no one.
		{us2, "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "routine", Text: "second watch", Officer: "us-watch-2"}, deconflict.KindMessage, "us-watch-2"},
		{ru, "/v1/console/note", console.NoteRequest{Channel: "ru-us-syria", Text: "turning", ReplyTo: &zero}, deconflict.KindNote, "ru-officer"},
		{ru, "/v1/console/notify", console.NotifyRequest{Channel: "ru-us-syria", Form: json.RawMessage(`{"regime":"intention","state":"RU","designation":"transit","purpose":"transit","start":"2026-12-20","end":"2026-12-21","area":{"circle":{"lat":35,"lon":36,"radius_m":5000}}}`)}, deconflict.KindNotification, "ru-officer"},
	}
	for i, s := range steps {
		var rec deconflict.Receipt
		if st, code := s.b.do("POST", s.path, s.req, &rec); st != http.StatusCreated {
			t.Fatalf("step %d %s: %d %s", i, s.path, st, code)
		}
		e, err := tn.Envelope(t.Context(), "RU", "ru-us-syria", rec.Index)
		if err != nil {
			t.Fatal(err)
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != s.kind || p.Officer != s.officer {
			t.Fatalf("step %d: logged %s by officer %q, want %s by %q", i, p.Kind, p.Officer, s.kind, s.officer)
		}
		if err := e.Signed.VerifySignature(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}

	var before []dhttp.EnvelopeView
	us.do("GET", "/v1/channels/ru-us-syria/envelopes?audit=1", nil, &before) // audit: logs no seen record
	one := int64(1)
	for _, tc := range []struct {
		name string
		b    *browserless
		path string
		req  any
	}{
		{"ErrSendAsAnother", us, "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "flash", Text: "x", Officer: "us-watch-2"}},
		{"ErrAckAsAnother", us, "/v1/console/ack", console.AckRequest{Channel: "ru-us-syria", Index: &one, Officer: "us-watch-2"}},
		{"ErrNoteAsOtherParty", us2, "/v1/console/note", console.NoteRequest{Channel: "ru-us-syria", Text: "x", ReplyTo: &zero, Officer: "ru-officer"}},
		{"ErrRespondAsAnother", us, "/v1/console/respond", console.RespondRequest{Channel: "ru-us-syria", Index: new(int64(4)), Response: "accept", Officer: "someone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, code := tc.b.do("POST", tc.path, tc.req, nil); st != http.StatusForbidden || code != deconflict.EFORBIDDEN {
				t.Fatalf("%d %s, want 403 forbidden", st, code)
			}
		})
	}
	var after []dhttp.EnvelopeView
	us.do("GET", "/v1/channels/ru-us-syria/envelopes?audit=1", nil, &after)
	if len(after) != len(before) {
		t.Fatalf("%d envelopes after refused requests, want %d", len(after), len(before))
	}
}
