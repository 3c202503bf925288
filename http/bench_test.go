package http_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
)

// BenchmarkSubmit appends signed envelopes to one channel through the
// HTTP API on loopback, 64 clients at once, each receipt (with checkpoint
// and inclusion proof) returned only after its durable commit.
func BenchmarkSubmit(b *testing.B) {
	tn := nodetest.Start(b, nodetest.Options{})
	tn.AddParties(b, "RU", "US")
	tn.AddChannel(b, "ru-us", []string{"RU", "US"}, nil)
	ctx := context.Background()
	// Sign outside the timed loop: the figure is the node's, not the client's.
	envs := make([]*deconflict.Signed, b.N)
	for i := range envs {
		envs[i], _ = deconflict.SignPayload(tn.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: fmt.Sprintf("position report %d: 43.1N 36.2E, FL250, heading 270", i)})
	}
	var next atomic.Int64
	b.SetParallelism(32) // 32 x GOMAXPROCS senders
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c := tn.Client("US")
		for pb.Next() {
			i := next.Add(1) - 1
			if _, err := c.Submit(ctx, "ru-us", envs[i]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "envelopes/s")
	b.ReportMetric(float64(tn.Metrics().Appended.Load())/float64(tn.Metrics().Batches.Load()), "envelopes/commit")
}

// BenchmarkSubmitBatch appends signed envelopes through the batch
// endpoint, 8 clients at once posting 100 envelopes per request: every
// envelope is still signed by its author, verified and given its own
// receipt with an inclusion proof after the durable commit.
func BenchmarkSubmitBatch(b *testing.B) {
	const per = 100
	tn := nodetest.Start(b, nodetest.Options{})
	tn.AddParties(b, "RU", "US")
	tn.AddChannel(b, "ru-us", []string{"RU", "US"}, nil)
	ctx := context.Background()
	n := (b.N + per - 1) / per * per
	envs := make([]*deconflict.Signed, n)
	for i := range envs {
		envs[i], _ = deconflict.SignPayload(tn.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: fmt.Sprintf("position report %d: 43.1N 36.2E, FL250, heading 270", i)})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := tn.Client("US")
			for {
				i := next.Add(per) - per
				if i >= int64(n) {
					return
				}
				items, err := c.SubmitBatch(ctx, "ru-us", envs[i:i+per])
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

// BenchmarkWatchLatency measures send-to-watcher latency with 100
// watchers over WebSocket while envelopes are sent at 1,000 per second
// for b.N envelopes (at least 2,000): p50 and p99 over every (envelope,
// watcher) pair. The watchers are lean WebSocket readers (they find the
// send time in the message bytes) so that, on one machine, the figure is
// the node's rather than a hundred JSON decoders'. The node runs as
// serve runs it (SQLite in WAL mode, synchronous=FULL, the 500 ms tick),
// and, the watchers being of the party that owes the acknowledgements,
// logs a seen record for each message. Sends start on a fixed schedule
// (one every millisecond, late ones at once), each in its own goroutine,
// so that a slow node shows as latency, not as a lower offered rate.
// Node and clients share this process: cpu-cores is what they used
// together (of the machine's 2).
func BenchmarkWatchLatency(b *testing.B) {
	tn := nodetest.Start(b, nodetest.Options{Tick: 500 * time.Millisecond})
	tn.AddParties(b, "RU", "US")
	tn.AddChannel(b, "ru-us", []string{"RU", "US"}, nil)
	// The 100 watchers share RU's key, where a deployment has one key or
	// console session per officer: lift the per-client cap (serve
	// --max-streams-per-client) so that the node serves them all.
	tn.Server.MaxStreamsPerClient = benchWatchers
	tn.Server.WatchLinger = benchLinger(b)
	before := processCPU()
	st := watchLatency(b, tn.Server.Addr(), tn.Keys["RU"], tn.Keys["US"])
	st.report(b)
	if used := processCPU() - before; used > 0 {
		b.ReportMetric(used.Seconds()/st.wall.Seconds(), "cpu-cores")
	}
}

const (
	benchNodeEnv    = "DECONFLICT_BENCH_NODE"     // the node key's seed (hex): run as the benchmark's node
	benchNodeDirEnv = "DECONFLICT_BENCH_NODE_DIR" // its data directory
	// DECONFLICT_BENCH_NODE_PROFILE, when set in the benchmark's
	// environment, is where the node process writes its CPU profile.
	benchNodeProfileEnv = "DECONFLICT_BENCH_NODE_PROFILE"
	// DECONFLICT_BENCH_WATCH_LINGER, when set (a Go duration; "-1ns" for
	// none), is the watch-latency node's Server.WatchLinger instead of the
	// default.
	benchLingerEnv = "DECONFLICT_BENCH_WATCH_LINGER"
	// DECONFLICT_BENCH_WATCH_RATE, when set, is the sends per second the
	// watch-latency benchmarks offer instead of 1,000 (to compare the
	// node's CPU per send where a loaded machine leaves it too little
	// CPU for 1,000).
	benchRateEnv = "DECONFLICT_BENCH_WATCH_RATE"
)

// benchLinger is the WatchLinger of the watch-latency benchmarks' node: 0
// (the default) unless DECONFLICT_BENCH_WATCH_LINGER says otherwise.
func benchLinger(b *testing.B) time.Duration {
	v := os.Getenv(benchLingerEnv)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil && b != nil {
		b.Fatalf("%s: %v", benchLingerEnv, err)
	}
	return d
}

// TestMain runs the test binary as BenchmarkWatchLatencySplit's node when
// asked to, and the tests otherwise.
func TestMain(m *testing.M) {
	if seed := os.Getenv(benchNodeEnv); seed != "" {
		if err := runBenchNode(seed, os.Getenv(benchNodeDirEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "bench node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runBenchNode serves a node as serve configures it (SQLite in dir, the
// 500 ms tick) on 127.0.0.1, prints its address, and stops when its
// standard input closes.
func runBenchNode(seed, dir string) error {
	raw, err := hex.DecodeString(seed)
	if err != nil || len(raw) != ed25519.SeedSize {
		return fmt.Errorf("%s: want a hex Ed25519 seed", benchNodeEnv)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "deconflict.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	n := node.New(db, ed25519.NewKeyFromSeed(raw), "bench-node")
	n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n.TickInterval = 500 * time.Millisecond
	if err := n.Open(ctx); err != nil {
		return err
	}
	defer n.Close()
	s := dhttp.NewServer(n)
	s.MaxStreamsPerClient = benchWatchers // as in BenchmarkWatchLatency
	s.WatchLinger = benchLinger(nil)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		return err
	}
	defer s.Close()
	if path := os.Getenv(benchNodeProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Println(s.Addr())
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// latencyStats are a watch-latency run's figures.
type latencyStats struct {
	lat     []time.Duration // sorted
	sent    int
	msgs    int     // WebSocket messages the watchers read
	offered float64 // sends started per second
	wall    time.Duration
}

func (st *latencyStats) report(b *testing.B) {
	b.ReportMetric(float64(st.lat[len(st.lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(st.lat[len(st.lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(len(st.lat)), "deliveries")
	b.ReportMetric(float64(len(st.lat))/float64(st.msgs), "envelopes/message")
	b.ReportMetric(st.offered, "offered/s")
	b.ReportMetric(float64(st.sent)/st.wall.Seconds(), "sent/s")
}

// watchLatency runs the load of BenchmarkWatchLatency against the node at
// addr, whose channel ru-us has members RU and US: 100 watchers of RU,
// and max(b.N, 2000) messages from US at 1,000 per second.
func watchLatency(b *testing.B, addr string, ruKey, usKey ed25519.PrivateKey) *latencyStats {
	const watchers = benchWatchers
	rate := 1000
	if v := os.Getenv(benchRateEnv); v != "" {
		r, err := strconv.Atoi(v)
		if err != nil || r <= 0 {
			b.Fatalf("%s=%q: want a positive number of sends per second", benchRateEnv, v)
		}
		rate = r
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := dhttp.NewClient("http://"+addr, usKey)
	if _, err := c.Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "warm-up"}); err != nil { // index 0
		b.Fatal(err)
	}
	n := max(b.N, 2000)
	var mu sync.Mutex
	msgs := 0
	lat := make([]time.Duration, 0, n*watchers)
	var wg, ready sync.WaitGroup
	marker := []byte(`"text":"`)
	for w := 0; w < watchers; w++ {
		wg.Add(1)
		ready.Add(1)
		go func() {
			defer wg.Done()
			path := "/v1/channels/ru-us/watch?batch=1&after=0"
			k, ts, sig := dhttp.SignRequest(ruKey, "GET", path, time.Now(), nil)
			h := http.Header{}
			h.Set(dhttp.HeaderKey, k)
			h.Set(dhttp.HeaderTime, ts)
			h.Set(dhttp.HeaderSig, sig)
			conn, _, err := websocket.Dial(ctx, "ws://"+addr+path, &websocket.DialOptions{HTTPHeader: h})
			ready.Done()
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.CloseNow()
			conn.SetReadLimit(2 * dhttp.MaxWatchMessageBytes)
			local := make([]time.Duration, 0, n)
			reads := 0
			var buf bytes.Buffer // reused: a lean reader allocates nothing per message
			for len(local) < n {
				reads++
				_, r, err := conn.Reader(ctx)
				if err == nil {
					buf.Reset()
					_, err = buf.ReadFrom(r)
				}
				if err != nil {
					if ctx.Err() == nil {
						b.Errorf("watcher: %v", err)
					}
					break
				}
				now := time.Now().UnixNano()
				data := buf.Bytes()
				for {
					i := bytes.Index(data, marker)
					if i < 0 {
						break
					}
					data = data[i+len(marker):]
					j := bytes.IndexByte(data, '"')
					if t0, err := strconv.ParseInt(string(data[:j]), 10, 64); err == nil {
						local = append(local, time.Duration(now-t0))
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			msgs += reads
			mu.Unlock()
		}()
	}
	ready.Wait()
	time.Sleep(200 * time.Millisecond)
	b.ResetTimer()
	start := time.Now()
	var sw sync.WaitGroup
	var failed atomic.Int64
	for i := 0; i < n; i++ {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			time.Sleep(d)
		}
		sw.Add(1)
		go func() {
			defer sw.Done()
			// The send time travels in the text, taken just before signing
			// and sending, so the latency includes both.
			s, _ := deconflict.SignPayload(usKey, &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: strconv.FormatInt(time.Now().UnixNano(), 10)})
			if _, err := c.Submit(ctx, "ru-us", s); err != nil {
				failed.Add(1)
				b.Error(err)
			}
		}()
	}
	offered := float64(n) / time.Since(start).Seconds()
	sw.Wait()
	if k := failed.Load(); k > 0 {
		// The watchers wait for every message: end them.
		b.Errorf("%d of %d sends failed", k, n)
		cancel()
	}
	wg.Wait()
	wall := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) == 0 {
		b.Fatal("no latencies")
	}
	return &latencyStats{lat: lat, sent: n, msgs: msgs, offered: offered, wall: wall}
}

// benchWatchers is how many watchers the watch-latency benchmarks open.
const benchWatchers = 100
