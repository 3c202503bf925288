package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
)

// panickyStore is a real store whose Append panics while armed.
type panickyStore struct {
	deconflict.Store
	armed atomic.Bool
}

func (s *panickyStore) Append(ctx context.Context, b *deconflict.Batch) error {
	if s.armed.Load() {
		panic("store exploded")
	}
	return s.Store.Append(ctx, b)
}

// TestAppenderPanicAnswered: a panic in a channel's appender goroutine
// answers the waiting sender with an internal error instead of ending the
// process, and the channel keeps taking envelopes afterwards.
func TestAppenderPanicAnswered(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &panickyStore{Store: db}
	_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	n := node.New(st, nodeKey, "panic-test")
	n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := n.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	pubRU, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, p := range []*deconflict.Party{
		{ID: "US", Keys: []deconflict.PartyKey{{Party: "US", Public: pub}}},
		{ID: "RU", Keys: []deconflict.PartyKey{{Party: "RU", Public: pubRU}}},
	} {
		if err := n.CreateParty(ctx, deconflict.NodeAuthor, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.CreateChannel(ctx, deconflict.NodeAuthor, &deconflict.Channel{ID: "ru-us", Members: []string{"RU", "US"}}); err != nil {
		t.Fatal(err)
	}
	send := func(text string) (*deconflict.Receipt, error) {
		s, _ := deconflict.SignPayload(priv, &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: text})
		return n.Submit(ctx, s)
	}
	if _, err := send("before"); err != nil {
		t.Fatal(err)
	}
	st.armed.Store(true)
	if _, err := send("during"); deconflict.ErrorCode(err) != deconflict.EINTERNAL {
		t.Fatalf("submit while the store panics: %v, want an internal error", err)
	}
	st.armed.Store(false)
	r, err := send("after")
	if err != nil {
		t.Fatalf("submit after the panic: %v", err)
	}
	if got, want := r.Index, int64(1); got != want {
		t.Fatalf("index after the panic %d, want %d (the panicked batch was not stored)", got, want)
	}
}
