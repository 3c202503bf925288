package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/deconflict/deconflict/postgres"
	"github.com/deconflict/deconflict/sqlite"
)

// benchNode starts a node as serve runs it on backend ("sqlite": a file
// in a temporary directory, WAL, synchronous=FULL; "postgres": a
// database on pg, which runs with fsync and synchronous_commit on).
func benchNode(b *testing.B, backend string, pg *pgtest.Server) *nodetest.Node {
	b.Helper()
	ctx := context.Background()
	var store deconflict.Store
	switch backend {
	case "sqlite":
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "deconflict.db"))
		if err != nil {
			b.Fatal(err)
		}
		store = db
	case "postgres":
		db, err := postgres.Open(ctx, pg.NewDatabase(b))
		if err != nil {
			b.Fatal(err)
		}
		store = db
	}
	b.Cleanup(func() { store.Close() })
	return nodetest.Start(b, nodetest.Options{Store: store, Tick: 500 * time.Millisecond})
}

func signed(b *testing.B, tn *nodetest.Node, channel string, i int) *deconflict.Signed {
	s, err := deconflict.SignPayload(tn.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: channel, Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: fmt.Sprintf("position report %d: 43.1N 36.2E, FL250, heading 270", i)})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkAppend appends signed envelopes through the HTTP API on
// loopback, on SQLite and on PostgreSQL in the same run: to one channel
// or spread over 100, one envelope per request from 64 senders at once or
// 100 per batch request from 8. Every receipt (checkpoint and inclusion
// proof) is returned after the durable commit.
func BenchmarkAppend(b *testing.B) {
	pg := pgtest.Start(b, pgtest.Options{Durable: true})
	for _, backend := range []string{"sqlite", "postgres"} {
		for _, channels := range []int{1, 100} {
			for _, per := range []int{1, 100} {
				b.Run(fmt.Sprintf("%s/channels=%d/batch=%d", backend, channels, per), func(b *testing.B) {
					benchAppend(b, benchNode(b, backend, pg), channels, per)
				})
			}
		}
	}
}

func benchAppend(b *testing.B, tn *nodetest.Node, channels, per int) {
	ctx := context.Background()
	tn.AddParties(b, "RU", "US")
	ids := make([]string, channels)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%d", i)
		tn.AddChannel(b, ids[i], []string{"RU", "US"}, nil)
	}
	n := (b.N + per - 1) / per * per
	envs := make([]*deconflict.Signed, n)
	for i := range envs {
		envs[i] = signed(b, tn, ids[(i/per)%channels], i)
	}
	senders := 64
	if per > 1 {
		senders = 8
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := tn.Client("US")
			for {
				i := next.Add(int64(per)) - int64(per)
				if i >= int64(n) {
					return
				}
				ch := ids[(int(i)/per)%channels]
				if per == 1 {
					if _, err := c.Submit(ctx, ch, envs[i]); err != nil {
						b.Error(err)
						return
					}
					continue
				}
				items, err := c.SubmitBatch(ctx, ch, envs[i:i+int64(per)])
				if err != nil {
					b.Error(err)
					return
				}
				for _, it := range items {
					if it.Receipt == nil {
						b.Errorf("no receipt: %s", it.Error)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.ReportMetric(float64(n)/el.Seconds(), "envelopes/s")
	b.ReportMetric(float64(tn.Metrics().Appended.Load())/float64(tn.Metrics().Batches.Load()), "envelopes/commit")
}

// BenchmarkWatchAcrossReplicas measures send-to-watcher latency with two
// replicas of one node on one PostgreSQL: envelopes sent to replica A at
// 200 per second, 10 watchers on replica B ("across") or on A ("same"),
// p50 and p99 over every (envelope, watcher) pair. B learns of A's
// appends from the notification and reads them from the database.
func BenchmarkWatchAcrossReplicas(b *testing.B) {
	pg := pgtest.Start(b, pgtest.Options{Durable: true})
	for _, where := range []string{"same", "across"} {
		b.Run(where, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			dsn := pg.NewDatabase(b)
			open := func() deconflict.Store {
				db, err := postgres.Open(ctx, dsn)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				return db
			}
			a := nodetest.Start(b, nodetest.Options{Store: open()})
			rb := a.Replica(b, open())
			a.AddParties(b, "RU", "US")
			a.AddChannel(b, "ru-us", []string{"RU", "US"}, nil)
			watchAt := a
			if where == "across" {
				watchAt = rb
			}
			const watchers, rate = 10, 200
			n := max(b.N, 400)
			var mu sync.Mutex
			var lat []time.Duration
			var wg sync.WaitGroup
			for w := 0; w < watchers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got := 0
					local := make([]time.Duration, 0, n)
					wctx, stop := context.WithCancel(ctx)
					defer stop()
					dhttp.NewClient(watchAt.Server.URL(), a.Keys["RU"]).Watch(wctx, "ru-us", -1, func(v *dhttp.EnvelopeView) error {
						now := time.Now().UnixNano()
						var p struct{ Text string }
						json.Unmarshal(v.Payload, &p)
						if t0, err := strconv.ParseInt(p.Text, 10, 64); err == nil {
							local = append(local, time.Duration(now-t0))
						}
						if got++; got == n {
							stop()
						}
						return nil
					})
					mu.Lock()
					lat = append(lat, local...)
					mu.Unlock()
				}()
			}
			c := a.Client("US")
			b.ResetTimer()
			tick := time.NewTicker(time.Second / rate)
			defer tick.Stop()
			var sw sync.WaitGroup
			for i := 0; i < n; i++ {
				<-tick.C
				sw.Add(1)
				go func() {
					defer sw.Done()
					s, _ := deconflict.SignPayload(a.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: strconv.FormatInt(time.Now().UnixNano(), 10)})
					if _, err := c.Submit(ctx, "ru-us", s); err != nil {
						b.Error(err)
					}
				}()
			}
			sw.Wait()
			wg.Wait()
			b.StopTimer()
			if len(lat) == 0 {
				b.Fatal("no latencies")
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(lat)), "deliveries")
		})
	}
}
