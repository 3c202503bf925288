package console_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/postgres"
)

// TestSessionAcrossReplicas: two serve replicas over one PostgreSQL
// database (a real server the test starts) share console sessions: an
// officer signed in on one is signed in on the other, and a sign-out on
// the other is refused on both.
func TestSessionAcrossReplicas(t *testing.T) {
	console.SetPasswordIterations(t, 1000)
	ctx := context.Background()
	dsn := pgtest.Start(t, pgtest.Options{}).NewDatabase(t)
	dir := t.TempDir() // the data directory both replicas read (users file, hosted keys)
	_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	replica := func() string {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		n := node.New(db, nodeKey, "test-node")
		n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if err := n.Open(ctx); err != nil {
			t.Fatal(err)
		}
		s := dhttp.NewServer(n)
		if _, err := console.Mount(s, n, dir); err != nil {
			t.Fatal(err)
		}
		if err := s.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close(); n.Close(); db.Close() })
		return s.URL()
	}
	a := replica()
	b := replica()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	op := dhttp.NewClient(a, nodeKey)
	if err := op.CreateParty(ctx, &dhttp.PartyRequest{ID: "US", Keys: []string{deconflict.EncodeKey(pub)}}); err != nil {
		t.Fatal(err)
	}
	if err := custody.Host(dir, "US", priv); err != nil {
		t.Fatal(err)
	}
	if err := console.AddUser(dir, username("US"), "US", password("US")); err != nil {
		t.Fatal(err)
	}
	onA := newBrowserless(t, a)
	onA.login("US")
	onB := replay(t, b, onA.cookies())
	var me console.Me
	if st, code := onB.do("GET", "/console/me", nil, &me); code != "" || me.Username != "us-officer" {
		t.Fatalf("replica B with A's cookie: %d %s %+v, want signed in", st, code, me)
	}
	if st, code := onB.do("POST", "/console/logout", nil, nil); code != "" {
		t.Fatalf("logout on B: %d %s", st, code)
	}
	for name, c := range map[string]*browserless{"A": onA, "B": replay(t, b, onA.cookies())} {
		if st, _ := c.do("GET", "/console/me", nil, nil); st != http.StatusUnauthorized {
			t.Fatalf("replica %s after sign-out on B: %d, want 401", name, st)
		}
	}
}
