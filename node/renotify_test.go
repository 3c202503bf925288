package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
)

// renotifies returns "message:count:waiting" of every renotify envelope.
func renotifies(t *testing.T, envs []*deconflict.Envelope) []string {
	t.Helper()
	var out []string
	for _, e := range envs {
		if e.Kind != deconflict.KindRenotify {
			continue
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var b node.RenotifyBody
		if err := json.Unmarshal(p.Body, &b); err != nil {
			t.Fatal(err)
		}
		if e.Author != deconflict.NodeAuthor || b.Message != *p.Ack {
			t.Fatalf("renotify %d: author %s, body message %d, ack %d", e.Index, e.Author, b.Message, *p.Ack)
		}
		out = append(out, fmt.Sprintf("%d:%d:%v", *p.Ack, b.Count, p.AckFrom))
	}
	return out
}

// TestRenotify: with the test's clock, a FLASH message nobody acknowledges
// is notified again at each minute after its receipt (the default), an
// IMMEDIATE one at 5 min, a ROUTINE one never; an acknowledgement stops
// them; each re-notification is a node-signed envelope and a signed call
// to the escalation webhook carrying its index; after a pause one
// re-notification says how many intervals passed; a channel's interval
// set in its policy replaces the default, and a policy of "0s" turns it off.
func TestRenotify(t *testing.T) {
	var mu sync.Mutex
	var calls []node.RenotifyBody
	var srv *httptest.Server
	var fx *fixture
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := r.Header
		if err := deconflict.VerifyWebhook(fx.n.PublicKey(), h.Get(deconflict.WebhookHeaderTime), h.Get(deconflict.WebhookHeaderSig), srv.URL, b, fx.clk.Now(), time.Minute); err != nil {
			t.Errorf("webhook signature: %v", err)
		}
		var body node.RenotifyBody
		json.Unmarshal(b, &body)
		mu.Lock()
		calls = append(calls, body)
		mu.Unlock()
	}))
	defer srv.Close()
	fx = newFixture(t, policy(2*time.Minute, srv.URL))
	ctx := context.Background()
	check := func() {
		t.Helper()
		if err := fx.n.CheckRenotify(ctx); err != nil {
			t.Fatal(err)
		}
	}
	flash := fx.send("US", deconflict.Flash, "turn away now")
	imm := fx.send("US", deconflict.Immediate, "state intentions")
	fx.send("US", deconflict.Routine, "weekly schedule")

	fx.clk.Add(time.Minute - time.Second)
	check()
	if got := renotifies(t, fx.envelopes()); len(got) != 0 {
		t.Fatalf("re-notified before a minute: %v", got)
	}
	fx.clk.Add(time.Second)
	check()
	check() // a second check at the same time adds nothing
	if got, want := fmt.Sprint(renotifies(t, fx.envelopes())), fmt.Sprintf("[%d:1:[RU]]", flash.Index); got != want {
		t.Fatalf("after 1 min: %s, want %s", got, want)
	}
	if err := fx.n.DeliverWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(calls) != 1 || calls[0].Event != "renotify" || calls[0].Message != flash.Index || calls[0].Count != 1 || calls[0].Index != flash.Index+3 {
		t.Fatalf("webhook calls %+v, want one renotify of message %d logged at %d", calls, flash.Index, flash.Index+3)
	}
	mu.Unlock()

	fx.clk.Add(time.Minute)
	check()
	// RU acknowledges the FLASH: no more re-notifications of it.
	if _, err := fx.n.Submit(ctx, fx.signed("RU", &deconflict.Payload{Kind: deconflict.KindAck, Ack: &flash.Index})); err != nil {
		t.Fatal(err)
	}
	fx.clk.Add(3 * time.Minute) // 5 min after the messages
	check()
	want := fmt.Sprintf("[%d:1:[RU] %d:2:[RU] %d:1:[RU]]", flash.Index, flash.Index, imm.Index)
	if got := fmt.Sprint(renotifies(t, fx.envelopes())); got != want {
		t.Fatalf("after 5 min: %s, want %s", got, want)
	}
	// The node paused 12 min: one re-notification, the third interval
	// passed (17 min / 5 min), not one per interval missed.
	fx.clk.Add(12 * time.Minute)
	check()
	check()
	want = fmt.Sprintf("[%d:1:[RU] %d:2:[RU] %d:1:[RU] %d:3:[RU]]", flash.Index, flash.Index, imm.Index, imm.Index)
	if got := fmt.Sprint(renotifies(t, fx.envelopes())); got != want {
		t.Fatalf("after a pause: %s, want %s", got, want)
	}

	// The channel sets FLASH to every 30 s and turns IMMEDIATE off.
	if _, err := fx.n.PatchPolicy(ctx, deconflict.NodeAuthor, "ru-us", deconflict.PolicyPatch{Renotify: map[deconflict.Precedence]deconflict.Duration{
		deconflict.Flash: deconflict.Duration(30 * time.Second), deconflict.Immediate: 0}}); err != nil {
		t.Fatal(err)
	}
	before := len(renotifies(t, fx.envelopes()))
	f2 := fx.send("US", deconflict.Flash, "second warning")
	fx.clk.Add(30 * time.Second)
	check()
	got := renotifies(t, fx.envelopes())[before:]
	if want := fmt.Sprintf("[%d:1:[RU]]", f2.Index); fmt.Sprint(got) != want {
		t.Fatalf("with a 30 s interval and immediate off, after 30 s: %v, want %s", got, want)
	}
	// At most DefaultRenotifyMax: 10 min later one more, numbered 6, then none.
	fx.clk.Add(10 * time.Minute)
	check()
	fx.clk.Add(10 * time.Minute)
	check()
	got = renotifies(t, fx.envelopes())[before:]
	if want := fmt.Sprintf("[%d:1:[RU] %d:%d:[RU]]", f2.Index, f2.Index, deconflict.DefaultRenotifyMax); fmt.Sprint(got) != want {
		t.Fatalf("after 20 min more: %v, want %s", got, want)
	}
}
