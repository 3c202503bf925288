// Package storetest is the conformance suite every deconflict.Store
// implementation passes: SQLite always, PostgreSQL once it exists.
package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

// Run runs the suite; open returns a new, empty store for each subtest.
func Run(t *testing.T, open func(t *testing.T) deconflict.Store) {
	t.Run("Parties", func(t *testing.T) { testParties(t, open(t)) })
	t.Run("Channels", func(t *testing.T) { testChannels(t, open(t)) })
	t.Run("Append", func(t *testing.T) { testAppend(t, open(t)) })
	t.Run("Acks", func(t *testing.T) { testAcks(t, open(t)) })
	t.Run("Webhooks", func(t *testing.T) { testWebhooks(t, open(t)) })
	t.Run("Meta", func(t *testing.T) { testMeta(t, open(t)) })
	t.Run("Zones", func(t *testing.T) { testZones(t, open(t)) })
	t.Run("ZonesConcurrent", func(t *testing.T) { testZonesConcurrent(t, open(t)) })
	t.Run("Assets", func(t *testing.T) { testAssets(t, open(t)) })
	t.Run("Nonces", func(t *testing.T) { testNonces(t, open(t)) })
	t.Run("AppendPolicy", func(t *testing.T) { testAppendPolicy(t, open(t)) })
	t.Run("KeyLog", func(t *testing.T) { testKeyLog(t, open(t)) })
	t.Run("AlertOutbox", func(t *testing.T) { testAlertOutbox(t, open(t)) })
	t.Run("OpenIncidents", func(t *testing.T) { testOpenIncidents(t, open(t)) })
	t.Run("Blobs", func(t *testing.T) { testBlobs(t, open(t)) })
	t.Run("BlobsConcurrent", func(t *testing.T) { testBlobsConcurrent(t, open(t)) })
	t.Run("BlobsForget", func(t *testing.T) { testBlobsForget(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("IncidentTracks", func(t *testing.T) { testIncidentTracks(t, open(t)) })
}

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func key() ed25519.PublicKey {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	return pub
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := deconflict.ErrorCode(err); got != code {
		t.Fatalf("%s: err=%v (code %q), want code %q", what, err, got, code)
	}
}

func mustParties(t *testing.T, s deconflict.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := s.CreateParty(context.Background(), &deconflict.Party{ID: id, Created: t0, Keys: []deconflict.PartyKey{{Public: key(), Added: t0}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func testParties(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	k := key()
	if err := s.CreateParty(ctx, &deconflict.Party{ID: "RU", Name: "Russia", Created: t0, Keys: []deconflict.PartyKey{{Public: k, Added: t0}}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "duplicate party", s.CreateParty(ctx, &deconflict.Party{ID: "RU", Created: t0}), deconflict.ECONFLICT)
	wantCode(t, "invalid id", s.CreateParty(ctx, &deconflict.Party{ID: "no spaces", Created: t0}), deconflict.EINVALID)
	wantCode(t, "reserved id", s.CreateParty(ctx, &deconflict.Party{ID: deconflict.NodeAuthor, Created: t0}), deconflict.EINVALID)
	p, err := s.FindParty(ctx, "RU")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Russia" || len(p.Keys) != 1 || !p.Keys[0].Public.Equal(k) || !p.Created.Equal(t0) {
		t.Fatalf("FindParty: %+v", p)
	}
	_, err = s.FindParty(ctx, "XX")
	wantCode(t, "missing party", err, deconflict.ENOTFOUND)
	k2 := key()
	if err := s.AddPartyKey(ctx, &deconflict.PartyKey{Party: "RU", Public: k2, Added: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "duplicate key", s.AddPartyKey(ctx, &deconflict.PartyKey{Party: "RU", Public: k2, Added: t0}), deconflict.ECONFLICT)
	wantCode(t, "key of a missing party", s.AddPartyKey(ctx, &deconflict.PartyKey{Party: "XX", Public: key(), Added: t0}), deconflict.ENOTFOUND)
	if err := s.RevokePartyKey(ctx, k, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "revoke twice", s.RevokePartyKey(ctx, k, t0.Add(3*time.Hour)), deconflict.ENOTFOUND)
	got, err := s.FindKey(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.Party != "RU" || got.Revoked == nil || !got.Revoked.Equal(t0.Add(2*time.Hour)) || got.ValidAt(t0.Add(3*time.Hour)) || !got.ValidAt(t0.Add(time.Hour)) {
		t.Fatalf("FindKey after revocation: %+v", got)
	}
	_, err = s.FindKey(ctx, key())
	wantCode(t, "unknown key", err, deconflict.ENOTFOUND)
	mustParties(t, s, "US")
	ps, err := s.FindParties(ctx)
	if err != nil || len(ps) != 2 || ps[0].ID != "RU" || len(ps[0].Keys) != 2 || ps[1].ID != "US" {
		t.Fatalf("FindParties: %+v, %v", ps, err)
	}
}

func testChannels(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US", "FR")
	c := &deconflict.Channel{ID: "ru-us-syria", Members: []string{"US", "RU"}, Policy: deconflict.DefaultPolicy(), Created: t0}
	c.Policy.Webhooks = []string{"http://127.0.0.1:9/hook"}
	if err := s.CreateChannel(ctx, c); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "duplicate channel", s.CreateChannel(ctx, c), deconflict.ECONFLICT)
	wantCode(t, "unknown member", s.CreateChannel(ctx, &deconflict.Channel{ID: "ru-xx", Members: []string{"RU", "XX"}, Created: t0}), deconflict.ENOTFOUND)
	wantCode(t, "one member", s.CreateChannel(ctx, &deconflict.Channel{ID: "ru", Members: []string{"RU"}, Created: t0}), deconflict.EINVALID)
	got, err := s.FindChannel(ctx, "ru-us-syria")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Members) != "[US RU]" || got.Policy.AckDeadline(deconflict.Flash) != deconflict.DefaultAckFlash || len(got.Policy.Webhooks) != 1 {
		t.Fatalf("FindChannel: %+v", got)
	}
	if _, err := s.FindChannel(ctx, "ru-xx"); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("a failed create left channel ru-xx behind: %v", err)
	}
}

func envelope(channel string, index int64, id string) *deconflict.Envelope {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s := deconflict.Sign(priv, []byte(fmt.Sprintf(`{"v":1,"id":"%s","n":%d}`, id, index)))
	e := &deconflict.Envelope{Signed: *s, Channel: channel, Index: index, ID: id, Author: "US", Kind: deconflict.KindMessage, Received: t0.Add(time.Duration(index) * time.Second)}
	e.LeafHash = deconflict.LeafHash(e.Leaf())
	return e
}

func testAppend(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US")
	if err := s.CreateChannel(ctx, &deconflict.Channel{ID: "c", Members: []string{"RU", "US"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if cp, n, err := s.Checkpoint(ctx, "c"); cp != nil || n != 0 || err != nil {
		t.Fatalf("Checkpoint of an empty log: %q %d %v", cp, n, err)
	}
	b := &deconflict.Batch{Channel: "c", TreeSize: 3, Checkpoint: []byte("cp3")}
	for i := int64(0); i < 3; i++ {
		b.Envelopes = append(b.Envelopes, envelope("c", i, fmt.Sprintf("%032x", i)))
		b.Hashes = append(b.Hashes, deconflict.HashAt{Index: i * 10, Hash: [32]byte{byte(i + 1)}})
	}
	if err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	if n, err := s.LogSize(ctx, "c"); n != 3 || err != nil {
		t.Fatalf("LogSize=%d, %v; want 3", n, err)
	}
	wantCode(t, "append at a wrong index", s.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 5, fmt.Sprintf("%032x", 5))}}), deconflict.ECONFLICT)
	wantCode(t, "append a used id", s.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 3, fmt.Sprintf("%032x", 1))}}), deconflict.ECONFLICT)
	if n, _ := s.LogSize(ctx, "c"); n != 3 {
		t.Fatalf("a refused append changed the log size to %d", n)
	}
	e, err := s.FindEnvelope(ctx, "c", 1)
	if err != nil || e.ID != b.Envelopes[1].ID || string(e.Payload) != string(b.Envelopes[1].Payload) || e.LeafHash != b.Envelopes[1].LeafHash || !e.Received.Equal(b.Envelopes[1].Received) {
		t.Fatalf("FindEnvelope(1) = %+v, %v", e, err)
	}
	if e, err := s.FindEnvelopeByLeafHash(ctx, "c", b.Envelopes[2].LeafHash); err != nil || e.Index != 2 {
		t.Fatalf("FindEnvelopeByLeafHash: %v %v", e, err)
	}
	_, err = s.FindEnvelope(ctx, "c", 3)
	wantCode(t, "missing envelope", err, deconflict.ENOTFOUND)
	byID, err := s.FindEnvelopesByID(ctx, "c", []string{b.Envelopes[0].ID, "ffff"})
	if err != nil || len(byID) != 1 || byID[b.Envelopes[0].ID].Index != 0 {
		t.Fatalf("FindEnvelopesByID: %v %v", byID, err)
	}
	envs, err := s.FindEnvelopes(ctx, "c", 1, 10)
	if err != nil || len(envs) != 2 || envs[0].Index != 1 || envs[1].Index != 2 {
		t.Fatalf("FindEnvelopes(from 1): %d, %v", len(envs), err)
	}
	hs, err := s.ReadHashes(ctx, "c", []int64{20, 0})
	if err != nil || hs[0][0] != 3 || hs[1][0] != 1 {
		t.Fatalf("ReadHashes: %v %v", hs, err)
	}
	_, err = s.ReadHashes(ctx, "c", []int64{1})
	wantCode(t, "missing hash", err, deconflict.ENOTFOUND)
	if cp, n, err := s.Checkpoint(ctx, "c"); string(cp) != "cp3" || n != 3 || err != nil {
		t.Fatalf("Checkpoint: %q %d %v", cp, n, err)
	}
}

func testAcks(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US", "FR")
	if err := s.CreateChannel(ctx, &deconflict.Channel{ID: "c", Members: []string{"RU", "US", "FR"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	b := &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 0, fmt.Sprintf("%032x", 0)), envelope("c", 1, fmt.Sprintf("%032x", 1))}}
	b.Pending = []deconflict.PendingAck{{Channel: "c", Index: 0, Party: "RU", Deadline: t0.Add(time.Minute)}, {Channel: "c", Index: 0, Party: "FR", Deadline: t0.Add(time.Minute)}}
	b.Acked = nil
	if err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 2, fmt.Sprintf("%032x", 2))}, Acked: []deconflict.AckMark{{Index: 0, AckIndex: 2, Party: "RU"}}}); err != nil {
		t.Fatal(err)
	}
	open, err := s.PendingAcks(ctx, "c", "", true)
	if err != nil || len(open) != 1 || open[0].Party != "FR" {
		t.Fatalf("open duties: %+v %v", open, err)
	}
	ru, _ := s.PendingAcks(ctx, "c", "RU", false)
	if len(ru) != 1 || ru[0].AckIndex == nil || *ru[0].AckIndex != 2 {
		t.Fatalf("RU duties: %+v", ru)
	}
	if due, _ := s.DueAcks(ctx, t0.Add(30*time.Second)); len(due) != 0 {
		t.Fatalf("due before the deadline: %+v", due)
	}
	due, err := s.DueAcks(ctx, t0.Add(time.Minute))
	if err != nil || len(due) != 1 || due[0].Party != "FR" {
		t.Fatalf("due at the deadline: %+v %v", due, err)
	}
	if err := s.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 3, fmt.Sprintf("%032x", 3))}, Missed: due}); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueAcks(ctx, t0.Add(time.Hour)); len(due) != 0 {
		t.Fatalf("a reported duty is due again: %+v", due)
	}
	// A second missed-ack for the same duty (another replica's timer) is
	// refused whole, so a missed-ack is never written twice.
	wantCode(t, "report a duty missed twice", s.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 4, fmt.Sprintf("%032x", 4))}, Missed: due}), deconflict.ECONFLICT)
	if n, _ := s.LogSize(ctx, "c"); n != 4 {
		t.Fatalf("the refused second missed-ack changed the log size to %d, want 4", n)
	}
	st, _ := s.AckStatus(ctx, "c", 0)
	if len(st) != 2 || st[0].Party != "FR" || !st[0].Missed || st[1].Missed {
		t.Fatalf("AckStatus: %+v", st)
	}
}

func testWebhooks(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US")
	if err := s.CreateChannel(ctx, &deconflict.Channel{ID: "c", Members: []string{"RU", "US"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, &deconflict.Batch{Channel: "c", Webhooks: []deconflict.WebhookJob{{Channel: "c", URL: "http://x/1", Body: []byte(`{}`), NextTry: t0}}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := s.DueWebhooks(ctx, t0, 10)
	if err != nil || len(jobs) != 1 || jobs[0].URL != "http://x/1" {
		t.Fatalf("DueWebhooks: %+v %v", jobs, err)
	}
	j := jobs[0]
	j.Attempts, j.NextTry, j.LastErr = 1, t0.Add(time.Minute), "refused"
	if err := s.UpdateWebhook(ctx, &j); err != nil {
		t.Fatal(err)
	}
	if jobs, _ := s.DueWebhooks(ctx, t0.Add(time.Second), 10); len(jobs) != 0 {
		t.Fatalf("a job due later is due now: %+v", jobs)
	}
	j.Done = true
	s.UpdateWebhook(ctx, &j)
	if jobs, _ := s.DueWebhooks(ctx, t0.Add(time.Hour), 10); len(jobs) != 0 {
		t.Fatalf("a done job is due: %+v", jobs)
	}
}

func testMeta(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	_, err := s.Meta(ctx, "k")
	wantCode(t, "unset meta", err, deconflict.ENOTFOUND)
	s.SetMeta(ctx, "k", "1")
	s.SetMeta(ctx, "k", "2")
	if v, _ := s.Meta(ctx, "k"); v != "2" {
		t.Fatalf("meta=%q, want 2", v)
	}
}

func testNonces(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	t0 := time.Unix(1_800_000_000, 0)
	a, b := [32]byte{1}, [32]byte{2}
	if err := s.UseNonce(ctx, a, t0, t0.Add(10*time.Minute)); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := s.UseNonce(ctx, a, t0.Add(time.Minute), t0.Add(11*time.Minute)); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Fatalf("second use: %v, want conflict", err)
	}
	if err := s.UseNonce(ctx, b, t0.Add(time.Minute), t0.Add(11*time.Minute)); err != nil {
		t.Fatalf("another digest: %v", err)
	}
	// Once expired, a digest is forgotten (the request's time window has
	// closed by then, so it could not be accepted anyway).
	if err := s.UseNonce(ctx, a, t0.Add(10*time.Minute), t0.Add(20*time.Minute)); err != nil {
		t.Fatalf("use after expiry: %v", err)
	}
	if err := s.UseNonce(ctx, b, t0.Add(10*time.Minute), t0.Add(20*time.Minute)); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Fatalf("unexpired digest reused: %v, want conflict", err)
	}
}

// testAppendPolicy: a batch that carries a policy sets it in the same
// transaction; a refused batch leaves the policy as it was.
func testAppendPolicy(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US")
	if err := s.CreateChannel(ctx, &deconflict.Channel{ID: "c", Members: []string{"RU", "US"}, Policy: deconflict.DefaultPolicy(), Created: t0}); err != nil {
		t.Fatal(err)
	}
	pol := deconflict.DefaultPolicy()
	pol.AckDeadlines[deconflict.Flash] = deconflict.Duration(30 * time.Second)
	pol.Webhooks = []string{"https://ops.example/escalate"}
	b := &deconflict.Batch{Channel: "c", TreeSize: 1, Checkpoint: []byte("cp1"), Policy: &pol,
		Envelopes: []*deconflict.Envelope{envelope("c", 0, fmt.Sprintf("%032x", 0))}}
	if err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	c, err := s.FindChannel(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Policy.AckDeadline(deconflict.Flash), 30*time.Second; got != want || len(c.Policy.Webhooks) != 1 {
		t.Fatalf("policy after the batch: flash %v, webhooks %v; want %v and one webhook", got, c.Policy.Webhooks, want)
	}
	other := deconflict.DefaultPolicy()
	wantCode(t, "refused batch with a policy", s.Append(ctx, &deconflict.Batch{Channel: "c", Policy: &other,
		Envelopes: []*deconflict.Envelope{envelope("c", 0, fmt.Sprintf("%032x", 1))}}), deconflict.ECONFLICT)
	if c, _ := s.FindChannel(ctx, "c"); c.Policy.AckDeadline(deconflict.Flash) != 30*time.Second {
		t.Fatalf("a refused batch changed the policy: flash %v", c.Policy.AckDeadline(deconflict.Flash))
	}
}

// testKeyLog: the key log exists in every store, is not listed among the
// channels, and its batches change the key tables in their transaction.
func testKeyLog(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	if _, err := s.FindChannel(ctx, deconflict.KeyLog); err != nil {
		t.Fatalf("FindChannel(%s): %v", deconflict.KeyLog, err)
	}
	if cs, err := s.FindChannels(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("FindChannels of an empty store: %d channels, %v; the key log is not one", len(cs), err)
	}
	k1, _, _ := ed25519.GenerateKey(rand.Reader)
	k2, _, _ := ed25519.GenerateKey(rand.Reader)
	b := &deconflict.Batch{Channel: deconflict.KeyLog, TreeSize: 2, Checkpoint: []byte("cp2"),
		Envelopes: []*deconflict.Envelope{envelope(deconflict.KeyLog, 0, fmt.Sprintf("%032x", 0)), envelope(deconflict.KeyLog, 1, fmt.Sprintf("%032x", 1))},
		Keys: &deconflict.KeyChanges{
			Parties: []*deconflict.Party{{ID: "US", Created: t0, Keys: []deconflict.PartyKey{{Public: k1, Added: t0}}}},
			Add:     []deconflict.PartyKey{{Party: "US", Public: k2, Added: t0.Add(time.Minute)}},
		}}
	if err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	p, err := s.FindParty(ctx, "US")
	if err != nil || len(p.Keys) != 2 {
		t.Fatalf("party after the key log batch: %+v, %v; want 2 keys", p, err)
	}
	// A batch whose key change fails is refused whole.
	err = s.Append(ctx, &deconflict.Batch{Channel: deconflict.KeyLog, TreeSize: 3, Checkpoint: []byte("cp3"),
		Envelopes: []*deconflict.Envelope{envelope(deconflict.KeyLog, 2, fmt.Sprintf("%032x", 2))},
		Keys:      &deconflict.KeyChanges{Add: []deconflict.PartyKey{{Party: "US", Public: k1, Added: t0}}}})
	wantCode(t, "adding a registered key", err, deconflict.ECONFLICT)
	if n, _ := s.LogSize(ctx, deconflict.KeyLog); n != 2 {
		t.Fatalf("key log size %d after a refused batch, want 2", n)
	}
	if err := s.Append(ctx, &deconflict.Batch{Channel: deconflict.KeyLog, TreeSize: 3, Checkpoint: []byte("cp3"),
		Envelopes: []*deconflict.Envelope{envelope(deconflict.KeyLog, 2, fmt.Sprintf("%032x", 3))},
		Keys:      &deconflict.KeyChanges{Revoke: []deconflict.KeyRevocation{{Key: k2, At: t0.Add(time.Hour)}}}}); err != nil {
		t.Fatal(err)
	}
	k, err := s.FindKey(ctx, k2)
	if err != nil || k.Revoked == nil || !k.Revoked.Equal(t0.Add(time.Hour)) {
		t.Fatalf("revoked key: %+v, %v", k, err)
	}
}

func testAlertOutbox(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	var jobs []deconflict.AlertJob
	for i := 0; i < 3; i++ {
		j := deconflict.AlertJob{PartyA: "RU", PartyB: "US", Payload: []byte(fmt.Sprintf(`{"text":"%d"}`, i)), Created: t0.Add(time.Duration(i) * time.Second)}
		if err := s.QueueAlert(ctx, &j); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	if jobs[0].ID == jobs[1].ID {
		t.Fatalf("two alerts got id %d", jobs[0].ID)
	}
	if err := s.AlertPosted(ctx, jobs[1].ID); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueAlerts(ctx, 10)
	if err != nil || len(due) != 2 || due[0].ID != jobs[0].ID || due[1].ID != jobs[2].ID {
		t.Fatalf("DueAlerts: %+v, %v; want alerts 0 and 2", due, err)
	}
	if string(due[1].Payload) != `{"text":"2"}` || due[1].PartyB != "US" || !due[1].Created.Equal(jobs[2].Created) {
		t.Fatalf("DueAlerts read back %+v", due[1])
	}
	if due, _ := s.DueAlerts(ctx, 1); len(due) != 1 {
		t.Fatalf("DueAlerts(limit 1) returned %d", len(due))
	}
	wantCode(t, "posting an unknown alert", s.AlertPosted(ctx, 1<<40), deconflict.ENOTFOUND)

	// A key is queued once, posted or not; alerts without a key are never
	// refused as the same.
	keyed := deconflict.AlertJob{PartyA: "RU", PartyB: "US", Payload: []byte(`{"text":"keyed"}`), Created: t0, Key: "inc-1/opened/critical"}
	if err := s.QueueAlert(ctx, &keyed); err != nil {
		t.Fatal(err)
	}
	again := keyed
	again.ID, again.Payload = 0, []byte(`{"text":"again"}`)
	wantCode(t, "queueing a key twice", s.QueueAlert(ctx, &again), deconflict.ECONFLICT)
	due, err = s.DueAlerts(ctx, 10)
	if err != nil || len(due) != 3 || due[2].ID != keyed.ID || due[2].Key != keyed.Key || string(due[2].Payload) != `{"text":"keyed"}` || due[0].Key != "" {
		t.Fatalf("DueAlerts after a key queued twice: %+v, %v; want alerts 0, 2 and the first of the key", due, err)
	}
	if err := s.AlertPosted(ctx, keyed.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "queueing a posted key", s.QueueAlert(ctx, &again), deconflict.ECONFLICT)
	other := deconflict.AlertJob{PartyA: "RU", PartyB: "US", Payload: []byte(`{}`), Created: t0, Key: "inc-1/escalated/critical"}
	if err := s.QueueAlert(ctx, &other); err != nil {
		t.Fatalf("another key: %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := s.QueueAlert(ctx, &deconflict.AlertJob{PartyA: "RU", PartyB: "US", Payload: []byte(`{}`), Created: t0}); err != nil {
			t.Fatalf("unkeyed alert %d: %v", i, err)
		}
	}
	if due, _ := s.DueAlerts(ctx, 10); len(due) != 5 {
		t.Fatalf("%d alerts due, want 5", len(due))
	}
}

func testOpenIncidents(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	open := func(enc, inc string, at time.Time, want string) {
		t.Helper()
		got, err := s.OpenIncident(ctx, enc, inc, at)
		if err != nil || got != want {
			t.Fatalf("OpenIncident(%s, %s) = %q, %v; want %q", enc, inc, got, err, want)
		}
	}
	open("approach/a/b", "inc-1", t0, "inc-1")
	open("approach/a/b", "inc-2", t0.Add(time.Minute), "inc-1") // a later engine's opening of the same encounter
	open("approach/a/c", "inc-3", t0, "inc-3")
	if err := s.CloseIncident(ctx, "approach/a/b", "inc-2"); err != nil {
		t.Fatal(err)
	}
	open("approach/a/b", "inc-4", t0.Add(2*time.Minute), "inc-1") // closing another incident left inc-1 open
	if err := s.CloseIncident(ctx, "approach/a/b", "inc-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseIncident(ctx, "approach/a/b", "inc-1"); err != nil {
		t.Fatalf("closing a closed incident: %v", err)
	}
	open("approach/a/b", "inc-5", t0.Add(3*time.Minute), "inc-5")
	// A record older than MaxIncidentOpen is left over: a new opening replaces it.
	open("approach/a/c", "inc-6", t0.Add(deconflict.MaxIncidentOpen-time.Second), "inc-3")
	open("approach/a/c", "inc-7", t0.Add(deconflict.MaxIncidentOpen+time.Second), "inc-7")
	open("approach/a/c", "inc-8", t0.Add(deconflict.MaxIncidentOpen+time.Minute), "inc-7")
}

func testZones(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	if zs, err := s.FindZones(ctx); err != nil || len(zs) != 0 {
		t.Fatalf("FindZones of an empty store: %v, %v; want none", zs, err)
	}
	lo, hi := 0.0, 3000.0
	from, until := t0, t0.Add(48*time.Hour)
	poly := &deconflict.Zone{ID: "b-exercise", Name: "Exercise B", Kind: "exercise", Owner: "RU",
		Polygon: [][2]float64{{55, 19}, {55.5, 19}, {55.5, 20}}, MinAltM: &lo, MaxAltM: &hi, From: &from, Until: &until}
	circle := &deconflict.Zone{ID: "a-hazard", Kind: "hazard", Owner: "NATO", Center: &[2]float64{56.1, 20.2}, RadiusM: 5000}
	for _, z := range []*deconflict.Zone{poly, circle} {
		if err := s.CreateZone(ctx, z); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "zone id taken", s.CreateZone(ctx, &deconflict.Zone{ID: "a-hazard", Kind: "hazard", Owner: "RU", Center: &[2]float64{1, 1}, RadiusM: 1}), deconflict.ECONFLICT)
	wantCode(t, "zone without id", s.CreateZone(ctx, &deconflict.Zone{Kind: "hazard"}), deconflict.EINVALID)
	zs, err := s.FindZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(zs), 2; got != want {
		t.Fatalf("FindZones: %d zones, want %d", got, want)
	}
	if got, want := fmt.Sprint(zoneText(zs[0]), zoneText(zs[1])), fmt.Sprint(zoneText(circle), zoneText(poly)); got != want {
		t.Fatalf("FindZones:\n got %s\nwant %s (ordered by id, every field kept)", got, want)
	}
	if err := s.DeleteZone(ctx, "a-hazard"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "delete a deleted zone", s.DeleteZone(ctx, "a-hazard"), deconflict.ENOTFOUND)
	if zs, _ := s.FindZones(ctx); len(zs) != 1 || zs[0].ID != "b-exercise" {
		t.Fatalf("after delete: %+v, want only b-exercise", zs)
	}
}

// zoneText spells every field of z, pointers dereferenced, times in UTC.
func zoneText(z *deconflict.Zone) string {
	f := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	tm := func(p *time.Time) string {
		if p == nil {
			return "nil"
		}
		return p.UTC().Format(time.RFC3339Nano)
	}
	c := "nil"
	if z.Center != nil {
		c = fmt.Sprint(*z.Center)
	}
	return fmt.Sprintf("{%s %q %s %s poly=%v center=%s r=%g alt=%s..%s %s..%s}", z.ID, z.Name, z.Kind, z.Owner, z.Polygon, c, z.RadiusM, f(z.MinAltM), f(z.MaxAltM), tm(z.From), tm(z.Until))
}

// testZonesConcurrent declares zones from many goroutines at once: every
// one must be kept (a store that rewrote one list of all zones could
// lose one to another's write).
func testZonesConcurrent(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	const n = 32
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			errs <- s.CreateZone(ctx, &deconflict.Zone{ID: fmt.Sprintf("z%02d", i), Kind: "hazard", Owner: "RU", Center: &[2]float64{55, 19}, RadiusM: 1000})
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	zs, err := s.FindZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(zs), n; got != want {
		t.Fatalf("%d zones kept of %d declared at once", got, want)
	}
}

func testAssets(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "NATO")
	if as, err := s.FindAssets(ctx); err != nil || len(as) != 0 {
		t.Fatalf("FindAssets of an empty store: %v, %v; want none", as, err)
	}
	ru := &deconflict.Assets{MMSI: []string{"273000002", "273000001"}, ICAO: []string{"15abcd"}, Callsigns: []string{"RFF*"}}
	if err := s.SetAssets(ctx, "RU", ru); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAssets(ctx, "NATO", &deconflict.Assets{ICAO: []string{"ae1234"}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "assets of an unknown party", s.SetAssets(ctx, "XX", &deconflict.Assets{MMSI: []string{"123456789"}}), deconflict.ENOTFOUND)
	as, err := s.FindAssets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(as["RU"]), fmt.Sprint(*ru); got != want {
		t.Fatalf("RU assets %s, want %s (in the declared order)", got, want)
	}
	if got, want := len(as), 2; got != want {
		t.Fatalf("%d parties with assets, want %d", got, want)
	}
	// A declaration replaces the party's previous one.
	if err := s.SetAssets(ctx, "RU", &deconflict.Assets{Callsigns: []string{"RSD*"}}); err != nil {
		t.Fatal(err)
	}
	as, _ = s.FindAssets(ctx)
	if got, want := fmt.Sprint(as["RU"]), fmt.Sprint(deconflict.Assets{Callsigns: []string{"RSD*"}}); got != want {
		t.Fatalf("RU assets after replacing %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(as["NATO"]), fmt.Sprint(deconflict.Assets{ICAO: []string{"ae1234"}}); got != want {
		t.Fatalf("NATO assets %s, want %s (untouched)", got, want)
	}
}

// testSessions: console sessions are found by token hash until they
// expire or are revoked (one, or all of a user's), and expired ones are
// forgotten when a new one is made.
func testSessions(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mk := func(b byte, user, party string, created time.Time, ttl time.Duration) *deconflict.ConsoleSession {
		return &deconflict.ConsoleSession{TokenHash: [32]byte{b}, Username: user, Party: party, Credential: "c-" + user, Created: created, Expires: created.Add(ttl)}
	}
	a := mk(1, "us-officer", "US", t0, time.Hour)
	for _, x := range []*deconflict.ConsoleSession{a, mk(2, "us-officer", "US", t0, 2*time.Hour), mk(3, "ru-officer", "RU", t0, time.Hour)} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "CreateSession of a stored token hash", s.CreateSession(ctx, mk(1, "other", "RU", t0, time.Hour)), deconflict.ECONFLICT)
	got, err := s.FindSession(ctx, a.TokenHash, t0.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if *got != *a {
		t.Fatalf("FindSession=%+v, want %+v", got, a)
	}
	_, err = s.FindSession(ctx, a.TokenHash, t0.Add(time.Hour))
	wantCode(t, "FindSession at its expiry", err, deconflict.ENOTFOUND)
	_, err = s.FindSession(ctx, [32]byte{9}, t0)
	wantCode(t, "FindSession of an unknown token hash", err, deconflict.ENOTFOUND)

	// Revoking one session leaves the user's others.
	if err := s.DeleteSession(ctx, a.TokenHash); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DeleteSession twice", s.DeleteSession(ctx, a.TokenHash), deconflict.ENOTFOUND)
	_, err = s.FindSession(ctx, a.TokenHash, t0)
	wantCode(t, "FindSession after DeleteSession", err, deconflict.ENOTFOUND)
	if _, err := s.FindSession(ctx, [32]byte{2}, t0); err != nil {
		t.Fatalf("the user's other session: %v", err)
	}
	// Revoking a user's sessions leaves other users'.
	if n, err := s.DeleteUserSessions(ctx, "us-officer"); err != nil || n != 1 {
		t.Fatalf("DeleteUserSessions=%d, %v; want 1", n, err)
	}
	_, err = s.FindSession(ctx, [32]byte{2}, t0)
	wantCode(t, "FindSession after DeleteUserSessions", err, deconflict.ENOTFOUND)
	if _, err := s.FindSession(ctx, [32]byte{3}, t0); err != nil {
		t.Fatalf("another user's session: %v", err)
	}
	// A session made after RU's expired forgets it: deleting it finds nothing.
	if err := s.CreateSession(ctx, mk(4, "fr-officer", "FR", t0.Add(time.Hour), time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DeleteSession of a session forgotten on expiry", s.DeleteSession(ctx, [32]byte{3}), deconflict.ENOTFOUND)
	if n, err := s.DeleteUserSessions(ctx, "nobody"); err != nil || n != 0 {
		t.Fatalf("DeleteUserSessions of a user with none=%d, %v; want 0", n, err)
	}
}

func testIncidentTracks(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	if got, err := s.FindIncidentTracks(ctx, "inc-1"); err != nil || len(got) != 0 {
		t.Fatalf("FindIncidentTracks of an empty store: %v, %v; want none", got, err)
	}
	u := deconflict.Unknown
	pts := func(n int, lon float64) []deconflict.TrackPoint {
		var out []deconflict.TrackPoint
		for i := 0; i < n; i++ {
			out = append(out, deconflict.TrackPoint{Time: t0.Add(time.Duration(i) * 30 * time.Second), Lat: 55.25, Lon: lon + float64(i)*0.001,
				AltM: u, SpeedMS: 5.5, CourseDeg: 90})
		}
		return out
	}
	// Upper-case identities sort before lower-case ones in every store.
	a := &deconflict.IncidentTrack{Incident: "inc-1", Track: "mmsi:273123456", Domain: deconflict.Sea, Party: "RU", Label: "KAPITAN GOTSKY", Points: pts(3, 19)}
	b := &deconflict.IncidentTrack{Incident: "inc-1", Track: "NATO:destroyer-1", Domain: deconflict.Sea, Party: "NATO", Label: "DE RUYTER", Points: pts(2, 20)}
	other := &deconflict.IncidentTrack{Incident: "inc-2", Track: "icao:155aa1", Domain: deconflict.Air, Party: "RU", Points: []deconflict.TrackPoint{{Time: t0, Lat: 1, Lon: 2, AltM: 9000, SpeedMS: u, CourseDeg: u}}}
	for _, tr := range []*deconflict.IncidentTrack{a, b, other} {
		if err := s.SaveIncidentTrack(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	// Saving again replaces the track's points.
	a.Points = pts(5, 19)
	if err := s.SaveIncidentTrack(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindIncidentTracks(ctx, "inc-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Track != "NATO:destroyer-1" || got[1].Track != "mmsi:273123456" {
		t.Fatalf("FindIncidentTracks: %+v, want the destroyer then the tanker", got)
	}
	g := got[1]
	if g.Incident != "inc-1" || g.Domain != deconflict.Sea || g.Party != "RU" || g.Label != "KAPITAN GOTSKY" || len(g.Points) != 5 {
		t.Fatalf("read back %+v", g)
	}
	for i, p := range g.Points {
		w := a.Points[i]
		if !p.Time.Equal(w.Time) || p.Lat != w.Lat || p.Lon != w.Lon || p.SpeedMS != w.SpeedMS || p.CourseDeg != w.CourseDeg || !math.IsNaN(p.AltM) {
			t.Fatalf("point %d read back %+v, want %+v", i, p, w)
		}
	}
	got, err = s.FindIncidentTracks(ctx, "inc-2")
	if err != nil || len(got) != 1 || got[0].Points[0].AltM != 9000 || !math.IsNaN(got[0].Points[0].SpeedMS) {
		t.Fatalf("inc-2: %+v, %v", got, err)
	}
	wantCode(t, "too many points", s.SaveIncidentTrack(ctx, &deconflict.IncidentTrack{Incident: "inc-3", Track: "x", Points: pts(deconflict.MaxIncidentTrackPoints+1, 0)}), deconflict.EINVALID)
	wantCode(t, "no track identity", s.SaveIncidentTrack(ctx, &deconflict.IncidentTrack{Incident: "inc-3"}), deconflict.EINVALID)
	if got, _ := s.FindIncidentTracks(ctx, "inc-3"); len(got) != 0 {
		t.Fatalf("refused tracks were stored: %+v", got)
	}
}
