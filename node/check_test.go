package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
)

// checkFixture is a SQLite store with one channel ru-us and a party key
// for US, reopened by successive nodes.
type checkFixture struct {
	t       *testing.T
	path    string
	db      *sqlite.DB
	nodeKey ed25519.PrivateKey
	us      ed25519.PrivateKey
	sent    int
}

func newCheckFixture(t *testing.T) *checkFixture {
	ctx := context.Background()
	fx := &checkFixture{t: t, path: filepath.Join(t.TempDir(), "deconflict.db")}
	var err error
	if fx.db, err = sqlite.Open(ctx, fx.path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.db.Close() })
	_, fx.nodeKey, _ = ed25519.GenerateKey(rand.Reader)
	var pub, pubRU ed25519.PublicKey
	pub, fx.us, _ = ed25519.GenerateKey(rand.Reader)
	pubRU, _, _ = ed25519.GenerateKey(rand.Reader)
	n := fx.open(false)
	for _, p := range []*deconflict.Party{{ID: "US", Keys: []deconflict.PartyKey{{Party: "US", Public: pub}}}, {ID: "RU", Keys: []deconflict.PartyKey{{Party: "RU", Public: pubRU}}}} {
		if err := n.CreateParty(ctx, deconflict.NodeAuthor, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.CreateChannel(ctx, deconflict.NodeAuthor, &deconflict.Channel{ID: "ru-us", Members: []string{"RU", "US"}}); err != nil {
		t.Fatal(err)
	}
	n.Close()
	return fx
}

func (fx *checkFixture) open(full bool) *node.Node {
	fx.t.Helper()
	n := node.New(fx.db, fx.nodeKey, "check-test")
	n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n.FullCheck = full
	if err := n.Open(context.Background()); err != nil {
		fx.t.Fatal(err)
	}
	return n
}

func (fx *checkFixture) send(n *node.Node, count int) {
	fx.t.Helper()
	for i := 0; i < count; i++ {
		s, _ := deconflict.SignPayload(fx.us, &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: fmt.Sprintf("message %d", fx.sent)})
		if _, err := n.Submit(context.Background(), s); err != nil {
			fx.t.Fatal(err)
		}
		fx.sent++
	}
}

func (fx *checkFixture) edit(stmt string) {
	fx.t.Helper()
	db, err := sql.Open("sqlite", fx.path)
	if err != nil {
		fx.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		fx.t.Fatalf("%s: %v", stmt, err)
	}
}

func alter(index int) string {
	return fmt.Sprintf(`UPDATE envelopes SET payload = CAST(replace(CAST(payload AS TEXT), 'message %d"', 'message X"') AS BLOB) WHERE channel = 'ru-us' AND idx = %d`, index, index)
}

// TestStartupCheckIncremental: a restart rehashes every stored leaf and
// hash, but checks signatures and keys only of the envelopes added since
// the checkpoint last checked (or written by the node itself); the full
// check stays available.
func TestStartupCheckIncremental(t *testing.T) {
	ctx := context.Background()
	fx := newCheckFixture(t)
	n := fx.open(false)
	fx.send(n, 10)
	n.Close() // records the checkpoint of size 10 as checked
	checked10, err := fx.db.Meta(ctx, "checked-checkpoint/ru-us")
	if err != nil || !strings.Contains(checked10, "\n10\n") {
		t.Fatalf("checked checkpoint after a clean stop: %q %v, want the one of size 10", checked10, err)
	}
	restore := func(i int) {
		fx.edit(fmt.Sprintf(`UPDATE envelopes SET payload = CAST(replace(CAST(payload AS TEXT), 'message X"', 'message %d"') AS BLOB) WHERE channel = 'ru-us' AND idx = %d`, i, i))
	}

	// Envelope 3, below the checked checkpoint, is altered: its bytes no
	// longer hash to the log.
	fx.edit(alter(3))
	n = fx.open(false)
	if r := n.Refused(); !strings.Contains(r["ru-us"], "index 3") {
		t.Fatalf("start after envelope 3 was altered: refused %v, want ru-us refused at index 3", r)
	}
	n.Close()
	restore(3)

	// Envelopes added after the checked checkpoint are checked: a node
	// appends 5 more and dies before recording them (its checked
	// checkpoint is put back to size 10), then envelope 12 is altered.
	n = fx.open(false)
	fx.send(n, 5)
	n.Close()
	if err := fx.db.SetMeta(ctx, "checked-checkpoint/ru-us", checked10); err != nil {
		t.Fatal(err)
	}
	fx.edit(alter(12))
	n = fx.open(false)
	if r := n.Refused(); !strings.Contains(r["ru-us"], "index 12") {
		t.Fatalf("incremental start: refused %v, want ru-us refused at index 12", r)
	}
	n.Close()
	restore(12)

	// What the incremental start does not redo: the key checks of
	// envelopes below the checked checkpoint. The key record of US is
	// moved to after its envelopes were received: only the full check
	// (serve --full-check) sees that the first ten were signed by a key
	// not yet valid.
	n = fx.open(false)
	if r := n.Refused(); len(r) != 0 {
		t.Fatalf("start over the restored store: refused %v", r)
	}
	n.Close()
	if err := fx.db.SetMeta(ctx, "checked-checkpoint/ru-us", checked10); err != nil {
		t.Fatal(err)
	}
	fx.edit(`UPDATE party_keys SET added = added + 3600000000000 WHERE party = 'US'`)
	n = fx.open(false)
	if r := n.Refused(); !strings.Contains(r["ru-us"], "index 10") {
		t.Fatalf("incremental start: refused %v, want ru-us refused at index 10, the first envelope it checks in full", r)
	}
	n.Close()
	n = fx.open(true)
	if r := n.Refused(); !strings.Contains(r["ru-us"], "index 0") {
		t.Fatalf("full check: refused %v, want ru-us refused at index 0", r)
	}
	n.Close()
}

// TestVerifyChannelIncremental: GET .../verify checks only what was added
// since the last check, and finds a fault there.
func TestVerifyChannelIncremental(t *testing.T) {
	ctx := context.Background()
	fx := newCheckFixture(t)
	n := fx.open(false)
	defer n.Close()
	fx.send(n, 7)
	res, err := n.VerifyChannel(ctx, deconflict.NodeAuthor, "ru-us")
	if err != nil || !res.OK || res.Size != 7 || res.From != 0 {
		t.Fatalf("first verify: %+v %v, want OK from 0 to 7", res, err)
	}
	fx.send(n, 3)
	res, err = n.VerifyChannel(ctx, deconflict.NodeAuthor, "ru-us")
	if err != nil || !res.OK || res.Size != 10 || res.From != 7 {
		t.Fatalf("second verify: %+v %v, want OK from 7 to 10", res, err)
	}
	fx.send(n, 2)
	fx.edit(alter(11))
	res, err = n.VerifyChannel(ctx, deconflict.NodeAuthor, "ru-us")
	if err != nil || res.OK || !strings.Contains(res.Error, "index 11") || res.From != 10 {
		t.Fatalf("verify after envelope 11 was altered: %+v %v, want a failure naming index 11", res, err)
	}
}
