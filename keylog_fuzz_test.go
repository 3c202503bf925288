package deconflict_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"

	"github.com/deconflict/deconflict"
)

// FuzzParseKeyEvent: no body panics; an accepted one names a valid party
// and, for key-add and key-revoke, exactly one well-formed key, and reads
// the same to an exact-name reader.
func FuzzParseKeyEvent(f *testing.F) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	f.Add("party", []byte(`{"party":"US","name":"United States","keys":["`+key+`"]}`))
	f.Add("key-add", []byte(`{"party":"US","key":"`+key+`"}`))
	f.Add("key-revoke", []byte(`{"party":"US","key":"`+key+`","reason":"lost"}`))
	f.Add("key-add", []byte(`{"party":"US","key":"`+key+`","Key":"`+key+`"}`))
	f.Add("key-revoke", []byte(`{"party":"node","key":"`+key+`"}`))
	f.Add("party", []byte(`{"party":"FR","keys":[],"since":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, kind string, b []byte) {
		ev, err := deconflict.ParseKeyEvent(kind, b)
		if err != nil {
			if deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Fatalf("error code %q: %v", deconflict.ErrorCode(err), err)
			}
			return
		}
		if !deconflict.IsKeyEvent(kind) || !deconflict.ValidPartyID(ev.Party) {
			t.Fatalf("accepted kind %q party %q", kind, ev.Party)
		}
		if kind != deconflict.KindParty {
			if k, err := base64.StdEncoding.DecodeString(ev.Key); err != nil || len(k) != 32 || len(ev.Keys) != 0 {
				t.Fatalf("accepted %s with key %q, keys %v", kind, ev.Key, ev.Keys)
			}
		}
		// An exact reader sees the same party and key.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("accepted %q, which is not a JSON object: %v", b, err)
		}
		var party string
		json.Unmarshal(m["party"], &party)
		if party != ev.Party {
			t.Fatalf("party %q, an exact reader reads %q", ev.Party, party)
		}
		for k := range m {
			if !slices.Contains([]string{"party", "name", "keys", "key", "reason", "since", "revoked_at"}, k) {
				t.Fatalf("accepted undocumented field %q", k)
			}
		}
	})
}

// FuzzPolicyPatch: no patch panics; applying an accepted one changes only
// the deadlines it names, and keeps the webhooks unless it names them.
func FuzzPolicyPatch(f *testing.F) {
	f.Add([]byte(`{"ack_deadlines":{"flash":"1m"}}`))
	f.Add([]byte(`{"webhooks":[]}`))
	f.Add([]byte(`{"webhooks":["https://ops.example/x"],"thresholds":null}`))
	f.Add([]byte(`{"ack_deadlines":{"flash":"1m","flash":"2m"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var pt deconflict.PolicyPatch
		if err := deconflict.DecodeStrict(b, &pt); err != nil {
			if deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Fatalf("error code %q: %v", deconflict.ErrorCode(err), err)
			}
			return
		}
		base := deconflict.DefaultPolicy()
		base.Webhooks = []string{"https://base.example/hook"}
		got := pt.Apply(base)
		for _, prec := range deconflict.Precedences {
			if _, named := pt.AckDeadlines[prec]; !named && got.AckDeadline(prec) != base.AckDeadline(prec) {
				t.Fatalf("patch %q changed the %s deadline it does not name", b, prec)
			}
		}
		if pt.Webhooks == nil && !slices.Equal(got.Webhooks, base.Webhooks) {
			t.Fatalf("patch %q changed the webhooks it does not name", b)
		}
		if len(base.AckDeadlines) != 4 || base.AckDeadline(deconflict.Flash) != deconflict.DefaultAckFlash {
			t.Fatalf("Apply modified its argument")
		}
	})
}
