package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
)

// benchStartupEnvelopes is the size of the channel BenchmarkStartupCheck
// restarts over: 50,000, or DECONFLICT_BENCH_ENVELOPES.
var benchStartupEnvelopes = func() int {
	if n, err := strconv.Atoi(os.Getenv("DECONFLICT_BENCH_ENVELOPES")); err == nil && n > 0 {
		return n
	}
	return 50_000
}()

// BenchmarkStartupCheck restarts a node (node.Open, the start-up check of
// every channel) over a SQLite store holding one channel of
// benchStartupEnvelopes signed messages, written and closed by an earlier
// node. One op is one Open; the port stays closed for that long.
// Incremental is the default start (signatures checked only since the
// checkpoint last checked, here none); Full is serve --full-check.
func BenchmarkStartupCheck(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "deconflict.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n := node.New(db, nodeKey, "bench")
	n.Logger = quiet
	if err := n.Open(ctx); err != nil {
		b.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	pubRU, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, p := range []*deconflict.Party{{ID: "US", Keys: []deconflict.PartyKey{{Party: "US", Public: pub}}}, {ID: "RU", Keys: []deconflict.PartyKey{{Party: "RU", Public: pubRU}}}} {
		if err := n.CreateParty(ctx, deconflict.NodeAuthor, p); err != nil {
			b.Fatal(err)
		}
	}
	if err := n.CreateChannel(ctx, deconflict.NodeAuthor, &deconflict.Channel{ID: "ru-us", Members: []string{"RU", "US"}}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < benchStartupEnvelopes; i += node.MaxBatch {
		envs := make([]*deconflict.Signed, 0, node.MaxBatch)
		for j := i; j < min(i+node.MaxBatch, benchStartupEnvelopes); j++ {
			s, _ := deconflict.SignPayload(priv, &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: fmt.Sprintf("position report %d: 43.1N 36.2E, FL250, heading 270", j)})
			envs = append(envs, s)
		}
		res, err := n.SubmitBatch(ctx, "ru-us", envs)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	n.Close()
	for _, full := range []bool{false, true} {
		name := "Incremental"
		if full {
			name = "Full"
		}
		b.Run(name, func(b *testing.B) {
			start := time.Now()
			for i := 0; i < b.N; i++ {
				n := node.New(db, nodeKey, "bench")
				n.Logger = quiet
				n.FullCheck = full
				if err := n.Open(ctx); err != nil {
					b.Fatal(err)
				}
				if r := n.Refused(); len(r) != 0 {
					b.Fatalf("refused: %v", r)
				}
				n.Close()
			}
			el := time.Since(start)
			b.ReportMetric(el.Seconds()/float64(b.N), "s/open")
			b.ReportMetric(float64(benchStartupEnvelopes)*float64(b.N)/el.Seconds(), "envelopes/s")
		})
	}
}
