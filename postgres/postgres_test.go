package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/deconflict/deconflict/postgres"
	"github.com/deconflict/deconflict/storetest"
	"github.com/jackc/pgx/v5"
)

// server is the one PostgreSQL server of the package's tests; each test
// has its own database on it.
var server *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	if server, err = pgtest.New(pgtest.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	server.Stop()
	os.Exit(code)
}

func open(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	s := server
	storetest.Run(t, func(t *testing.T) deconflict.Store {
		return open(t, s.NewDatabase(t))
	})
}

func TestReopenKeepsData(t *testing.T) {
	s := server
	dsn := s.NewDatabase(t)
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateParty(ctx, &deconflict.Party{ID: "RU"}); err != nil {
		t.Fatal(err)
	}
	migrationsRun := func() int {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int
		if err := c.QueryRow(ctx, `SELECT COUNT(*) FROM migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := migrationsRun()
	db.Close()
	db = open(t, dsn)
	if _, err := db.FindParty(ctx, "RU"); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	if got := migrationsRun(); got != first || first < 1 {
		t.Fatalf("migrations recorded after two opens: %d, after one %d; want the same, at least 1", got, first)
	}
}

// TestOpenTogether opens one empty database from several handles at once,
// as replicas starting together do: the migrations run once.
func TestOpenTogether(t *testing.T) {
	s := server
	dsn := s.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(context.Background(), dsn)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
}

func TestOpenBadDSN(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u@127.0.0.1:notaport/x")
	if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
		t.Fatalf("code %q (%v), want %q", got, err, want)
	}
}

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func envelope(channel string, index int64, id string) *deconflict.Envelope {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s := deconflict.Sign(priv, []byte(fmt.Sprintf(`{"v":1,"id":"%s"}`, id)))
	e := &deconflict.Envelope{Signed: *s, Channel: channel, Index: index, ID: id, Author: "US", Kind: deconflict.KindMessage, Received: t0}
	e.LeafHash = deconflict.LeafHash(e.Leaf())
	return e
}

// TestConcurrentAppends appends to one channel from two handles (two
// processes' pools) and many goroutines, each reading the log size and
// appending there, retrying on ECONFLICT: every envelope lands exactly
// once and the indexes run 0..n-1.
func TestConcurrentAppends(t *testing.T) {
	s := server
	dsn := s.NewDatabase(t)
	ctx := context.Background()
	a, b := open(t, dsn), open(t, dsn)
	for _, id := range []string{"RU", "US"} {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		if err := a.CreateParty(ctx, &deconflict.Party{ID: id, Created: t0, Keys: []deconflict.PartyKey{{Public: pub, Added: t0}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.CreateChannel(ctx, &deconflict.Channel{ID: "c", Members: []string{"RU", "US"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		db := a
		if w%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id := fmt.Sprintf("%016x%016x", w, i)
				for {
					n, err := db.LogSize(ctx, "c")
					if err != nil {
						errs <- err
						return
					}
					err = db.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", n, id)}, TreeSize: n + 1, Checkpoint: []byte(fmt.Sprint(n + 1))})
					if deconflict.ErrorCode(err) == deconflict.ECONFLICT {
						continue
					} else if err != nil {
						errs <- err
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	envs, err := b.FindEnvelopes(ctx, "c", 0, writers*each+10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(envs), writers*each; got != want {
		t.Fatalf("%d envelopes, want %d", got, want)
	}
	seen := map[string]bool{}
	for i, e := range envs {
		if e.Index != int64(i) {
			t.Fatalf("envelope %d has index %d", i, e.Index)
		}
		if seen[e.ID] {
			t.Fatalf("id %s twice", e.ID)
		}
		seen[e.ID] = true
	}
	if cp, n, err := a.Checkpoint(ctx, "c"); err != nil || n != writers*each || string(cp) != fmt.Sprint(writers*each) {
		t.Fatalf("checkpoint %q of size %d (%v), want %d", cp, n, err, writers*each)
	}
}

// TestAppendNotifies checks that a committed append is announced on
// NotifyChannel with the channel and the new log size, and a refused one
// is not.
func TestAppendNotifies(t *testing.T) {
	s := server
	dsn := s.NewDatabase(t)
	ctx := context.Background()
	db := open(t, dsn)
	for _, id := range []string{"RU", "US"} {
		if err := db.CreateParty(ctx, &deconflict.Party{ID: id, Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateChannel(ctx, &deconflict.Channel{ID: "c", Members: []string{"RU", "US"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	l, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(ctx)
	if _, err := l.Exec(ctx, "LISTEN "+postgres.NotifyChannel); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 0, "a"), envelope("c", 1, "b")}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 2, "a")}}); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Fatalf("reused id: %v, want ECONFLICT", err)
	}
	if err := db.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 2, "c")}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"append 2 c", "append 3 c"} {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		n, err := l.WaitForNotification(wctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if n.Payload != want {
			t.Fatalf("notification %q, want %q", n.Payload, want)
		}
	}
}
