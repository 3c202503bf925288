package http_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// TestPolicyChangeLogged: a policy change is a node-signed envelope in the
// channel's own log, with the policy before and after; a patch changes
// only what it names; messages after it fall under the new deadlines.
func TestPolicyChangeLogged(t *testing.T) {
	ctx := context.Background()
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US")
	pol := deconflict.DefaultPolicy()
	pol.AckDeadlines[deconflict.Flash] = deconflict.Duration(5 * time.Minute)
	pol.Webhooks = []string{"http://127.0.0.1:1/escalate"}
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, &pol)
	tn.Send(t, "US", "ru-us", deconflict.Routine, "before")

	// The operator shortens the flash deadline; nothing else.
	ch, err := tn.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{AckDeadlines: map[deconflict.Precedence]deconflict.Duration{deconflict.Flash: deconflict.Duration(30 * time.Second)}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ch.Policy.AckDeadline(deconflict.Flash), 30*time.Second; got != want {
		t.Fatalf("flash deadline %v, want %v", got, want)
	}
	if got, want := ch.Policy.AckDeadline(deconflict.Immediate), deconflict.DefaultAckImmediate; got != want {
		t.Fatalf("immediate deadline %v after a flash-only patch, want %v", got, want)
	}
	if !slices.Equal(ch.Policy.Webhooks, pol.Webhooks) {
		t.Fatalf("webhooks %v after a deadline-only patch, want %v", ch.Policy.Webhooks, pol.Webhooks)
	}

	// RU, a member, sees the change in the log: node-signed, before and after.
	envs, err := tn.Client("RU").Envelopes(ctx, "ru-us", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(envs), 2; got != want {
		t.Fatalf("%d envelopes, want %d (message, policy)", got, want)
	}
	e := envs[1]
	if e.Kind != deconflict.KindPolicy || e.Author != deconflict.NodeAuthor || e.Key != deconflict.EncodeKey(tn.Node.PublicKey()) {
		t.Fatalf("envelope 1: kind %s author %s key %s, want a node-signed policy envelope", e.Kind, e.Author, e.Key)
	}
	var p struct {
		Body deconflict.PolicyChange `json:"body"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatal(err)
	}
	if got, want := time.Duration(p.Body.From.AckDeadlines[deconflict.Flash]), 5*time.Minute; got != want {
		t.Fatalf("policy envelope: from flash %v, want %v", got, want)
	}
	if got, want := time.Duration(p.Body.To.AckDeadlines[deconflict.Flash]), 30*time.Second; got != want {
		t.Fatalf("policy envelope: to flash %v, want %v", got, want)
	}
	if !slices.Equal(p.Body.Changed, []string{"ack_deadlines.flash"}) || !slices.Equal(p.Body.To.Webhooks, pol.Webhooks) {
		t.Fatalf("policy envelope: changed %v, webhooks %v", p.Body.Changed, p.Body.To.Webhooks)
	}

	// A message after the change falls under the new deadline.
	m := tn.Send(t, "US", "ru-us", deconflict.Flash, "after")
	duties, err := tn.Client("RU").Acks(ctx, "ru-us")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range duties {
		if d.Index == m.Index {
			if got, want := d.Deadline.Sub(m.Received), 30*time.Second; got != want {
				t.Fatalf("deadline %v after receipt, want %v", got, want)
			}
		}
	}

	// A patch that changes nothing logs nothing; a party cannot write a
	// policy envelope; a non-operator cannot patch.
	if _, err := tn.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{AckDeadlines: map[deconflict.Precedence]deconflict.Duration{deconflict.Flash: deconflict.Duration(30 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Client("US").Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindPolicy, Body: json.RawMessage(`{}`)}); code(err) != deconflict.EFORBIDDEN {
		t.Fatalf("party policy envelope: %v, want forbidden", err)
	}
	if _, err := tn.Client("US").PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{Webhooks: &[]string{}}); code(err) != deconflict.EFORBIDDEN {
		t.Fatalf("party patch: %v, want forbidden", err)
	}
	// message, policy, RU's seen of the message (its fetch above), message
	if got, err := tn.DB.LogSize(ctx, "ru-us"); err != nil || got != 4 {
		t.Fatalf("log size %d (%v), want 4", got, err)
	}
	// Removing the webhooks is a change of its own.
	ch, err = tn.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{Webhooks: &[]string{}})
	if err != nil || len(ch.Policy.Webhooks) != 0 || ch.Policy.AckDeadline(deconflict.Flash) != 30*time.Second {
		t.Fatalf("webhooks removed: %+v, %v", ch, err)
	}
}
