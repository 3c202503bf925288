package http_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/sqlite"
)

// TestKeyChain: the operator cannot add a key for a party (only the party
// can, signed by a current key of its own, or the operator as a flagged
// emergency re-keying); every key event is an envelope of the key log,
// which every party reads.
func TestKeyChain(t *testing.T) {
	ctx := context.Background()
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	evil, evilPriv, _ := ed25519.GenerateKey(rand.Reader)

	// The operator adds a key for US: refused, and nothing is logged.
	if err := tn.Operator().Do(ctx, "POST", "/v1/parties/US/keys", &dhttp.KeyRequest{Key: deconflict.EncodeKey(evil)}, nil); code(err) != deconflict.EFORBIDDEN {
		t.Fatalf("operator adds a key for US: %v, want forbidden", err)
	}
	if _, err := dhttp.NewClient(tn.Server.URL(), evilPriv).Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Text: "as US"}); code(err) != deconflict.EUNAUTHORIZED {
		t.Fatalf("FLASH signed by the operator's key for US: %v, want unauthorized", err)
	}
	// Nor can RU add a key for US.
	if _, err := tn.Client("RU").AddOwnKey(ctx, "US", evil); code(err) != deconflict.EFORBIDDEN {
		t.Fatalf("RU adds a key for US: %v, want forbidden", err)
	}

	// US adds its own second key, signed with its first.
	pub2, priv2, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := tn.Client("US").AddOwnKey(ctx, "US", pub2); err != nil {
		t.Fatal(err)
	}
	us2 := dhttp.NewClient(tn.Server.URL(), priv2)
	if _, err := us2.Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "from the second key"}); err != nil {
		t.Fatalf("second key: %v", err)
	}
	// The emergency re-keying by the operator is possible, but logged as such.
	if err := tn.Operator().AddKey(ctx, "US", evil, "US lost its keys"); err != nil {
		t.Fatal(err)
	}

	// RU reads the key log: registrations, US's own key-add, the re-keying.
	envs, err := tn.Client("RU").Envelopes(ctx, deconflict.KeyLog, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range envs {
		kinds = append(kinds, e.Kind+"/"+e.Author)
	}
	want := []string{"party/node", "party/node", "key-add/US", "key-add/node"}
	if len(kinds) != len(want) {
		t.Fatalf("key log %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("key log %v, want %v", kinds, want)
		}
	}
	var p deconflict.Payload
	if err := json.Unmarshal(envs[2].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if envs[2].Key != deconflict.EncodeKey(tn.Keys["US"].Public().(ed25519.PublicKey)) {
		t.Fatalf("US's key-add signed by %s, want US's first key", envs[2].Key)
	}
	// The key log is not a channel: nothing else can be written to it.
	if _, err := tn.Client("US").Send(ctx, "US", &deconflict.Payload{Channel: deconflict.KeyLog, Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "x"}); code(err) != deconflict.EINVALID {
		t.Fatalf("a message to the key log: %v, want invalid", err)
	}
	if cs, err := tn.Operator().Channels(ctx); err != nil || len(cs) != 1 {
		t.Fatalf("operator's channel list: %d channels (%v), want 1 (the key log is not one)", len(cs), err)
	}
}

// TestWatchEndsAtRevocation: a stream opened with a key ends when the key
// is revoked, and the key cannot open another.
func TestWatchEndsAtRevocation(t *testing.T) {
	ctx := context.Background()
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	pub2, priv2, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := tn.Client("US").AddOwnKey(ctx, "US", pub2); err != nil {
		t.Fatal(err)
	}
	tn.Send(t, "RU", "ru-us", deconflict.Routine, "first")
	got := make(chan int64, 10)
	ended := make(chan error, 1)
	go func() {
		ended <- dhttp.NewClient(tn.Server.URL(), priv2).Watch(ctx, "ru-us", -1, func(v *dhttp.EnvelopeView) error {
			got <- v.Index
			return nil
		})
	}()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher received nothing")
	}
	if _, err := tn.Client("US").RevokeOwnKey(ctx, "US", pub2, "rotated"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if code(err) != deconflict.EUNAUTHORIZED {
			t.Fatalf("watch ended with %v, want unauthorized (the key is revoked)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the revoked key's watch stream did not end")
	}
}

// TestKeyLogAcrossRestarts: a party's key that revokes itself, and a data
// directory from before the key log (parties only in the tables), both
// pass the start-up check; the old parties get node-signed party
// envelopes, once.
func TestKeyLogAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// An older data directory: a party registered straight in the tables.
	db, err := sqlite.Open(ctx, filepath.Join(dir, "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	oldPub, _, _ := ed25519.GenerateKey(rand.Reader)
	created := time.Now().Add(-48 * time.Hour).UTC()
	if err := db.CreateParty(ctx, &deconflict.Party{ID: "FR", Created: created, Keys: []deconflict.PartyKey{{Public: oldPub, Added: created}}}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	tn := nodetest.Start(t, nodetest.Options{Dir: dir})
	key := tn.Node.Key
	tn.AddParties(t, "RU", "US")
	pub2, priv2, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := tn.Client("US").AddOwnKey(ctx, "US", pub2); err != nil {
		t.Fatal(err)
	}
	// US's second key revokes itself.
	if _, err := dhttp.NewClient(tn.Server.URL(), priv2).RevokeOwnKey(ctx, "US", pub2, "compromised"); err != nil {
		t.Fatalf("self-revocation: %v", err)
	}
	for restart := 0; restart < 2; restart++ {
		tn.Stop()
		tn = nodetest.Start(t, nodetest.Options{Dir: dir, Key: key, FullCheck: true})
		if reason, frozen := tn.Node.Frozen(deconflict.KeyLog); frozen {
			t.Fatalf("restart %d: the key log fails its start-up check: %s", restart, reason)
		}
	}
	envs, err := tn.Operator().Envelopes(ctx, deconflict.KeyLog, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range envs {
		got = append(got, e.Kind+"/"+e.Author)
	}
	want := []string{"party/node", "party/node", "party/node", "key-add/US", "key-revoke/US"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("key log %v, want %v (FR's backfilled registration first, once)", got, want)
	}
	var p struct {
		Body deconflict.KeyEvent `json:"body"`
	}
	if err := json.Unmarshal(envs[0].Payload, &p); err != nil {
		t.Fatal(err)
	}
	if p.Body.Party != "FR" || p.Body.Since == nil || !p.Body.Since.Equal(created) {
		t.Fatalf("backfilled registration %+v, want FR since %s", p.Body, created)
	}
}
