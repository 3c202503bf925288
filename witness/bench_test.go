package witness_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/internal/witnesstest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/witness"
)

// benchNode is a node (SQLite in a temporary directory, HTTP on loopback,
// as serve runs) whose channel ru-us is witnessed by k of our witnesses
// (each its own SQLite store and HTTP server) and, with lw, by a
// litewitness too; the quorum is all of them.
func benchNode(b *testing.B, k int, lw bool, interval time.Duration) (*nodetest.Node, *witness.Policy) {
	b.Helper()
	ctx := context.Background()
	n := nodetest.Start(b, nodetest.Options{})
	n.WitnessRetry = 20 * time.Millisecond
	n.WitnessInterval = interval // read when the workers start
	n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n.AddParties(b, "RU", "US")
	n.AddChannel(b, "ru-us", []string{"RU", "US"}, nil)
	origin, vkey := n.Origin("ru-us"), n.VerifierKey("ru-us")
	var lines, names []string
	for i := 0; i < k; i++ {
		tw := startWitness(b)
		tw.Cosigner.Now = time.Now
		if _, err := tw.Store.AddLog(ctx, origin, vkey); err != nil {
			b.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("witness W%d %s %s", i, tw.Cosigner.VerifierKey(), tw.URL))
		names = append(names, fmt.Sprintf("W%d", i))
	}
	if lw {
		l := witnesstest.StartLitewitness(b, "litewitness.test/lw", origin, vkey)
		lines = append(lines, fmt.Sprintf("witness LW %s %s", l.VKey, l.URL))
		names = append(names, "LW")
	}
	if len(lines) == 0 {
		return n, nil
	}
	text := strings.Join(lines, "\n") + "\ngroup all all " + strings.Join(names, " ") + "\nquorum all\n"
	p, err := witness.ParsePolicy([]byte(text))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := n.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{Witnesses: &text}); err != nil {
		b.Fatal(err)
	}
	return n, p
}

// waitQuorum waits until the node serves a checkpoint of at least size
// with the policy's quorum.
func waitQuorum(b *testing.B, n *nodetest.Node, p *witness.Policy, size int64) {
	b.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
		cp, got, _, err := n.CosignedCheckpoint(context.Background(), deconflict.NodeAuthor, "ru-us")
		if err != nil {
			b.Fatal(err)
		}
		if got >= size {
			if _, err := p.Verify(cp); err == nil {
				return
			}
		}
	}
	st, _ := n.WitnessStatus(context.Background(), deconflict.NodeAuthor, "ru-us")
	b.Fatalf("no cosigned checkpoint of size %d: %+v", size, st)
}

// BenchmarkAppendWitnessed: hotline appends (a signed message over HTTP,
// receipt back) with 0, 2 and 5 witnesses asked on every checkpoint.
// Witnessing runs beside the appends; the receipts must not slow down.
// "seq" is one sender at a time (latency), "par8" eight at once
// (throughput).
func BenchmarkAppendWitnessed(b *testing.B) {
	for _, k := range []int{0, 2, 5, 1000} {
		if k == 1000 {
			// 5 witnesses asked about every checkpoint (interval 1 ns):
			// what the interval saves.
			k = -5
		}
		for _, par := range []int{1, 8} {
			kk, label := k, fmt.Sprint(k)
			if k < 0 {
				kk, label = -k, fmt.Sprintf("%d-every-checkpoint", -k)
			}
			name := fmt.Sprintf("witnesses=%s/seq", label)
			if par > 1 {
				name = fmt.Sprintf("witnesses=%s/par%d", label, par)
			}
			b.Run(name, func(b *testing.B) {
				var interval time.Duration
				if k < 0 {
					interval = 1
				}
				n, _ := benchNode(b, kk, false, interval)
				c := n.Client("RU")
				ctx := context.Background()
				b.ResetTimer()
				start := time.Now()
				var wg sync.WaitGroup
				per := (b.N + par - 1) / par
				for g := 0; g < par; g++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := 0; i < per; i++ {
							if _, err := c.Send(ctx, "RU", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Text: "bench"}); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(per*par)/time.Since(start).Seconds(), "receipts/s")
			})
		}
	}
}

// BenchmarkAppendToCosigned: the time from an append's receipt to the node
// serving a checkpoint that includes it with every witness's cosignature:
// with 2 and 5 of our witnesses, and with one of ours against one
// litewitness (the independent implementation, same run). "now" asks
// every witness as soon as a checkpoint is new (interval 1 ns): the
// witnessing round trip itself; "default" keeps the node's
// DefaultWitnessInterval between two requests to a witness, so appends one
// after the other wait for the interval.
func BenchmarkAppendToCosigned(b *testing.B) {
	for _, c := range []struct {
		name     string
		k        int
		lw       bool
		interval time.Duration
	}{
		{"now/deconflict=1", 1, false, 1}, {"now/litewitness=1", 0, true, 1}, {"now/deconflict=2", 2, false, 1}, {"now/deconflict=5", 5, false, 1},
		{"default/deconflict=2", 2, false, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			n, p := benchNode(b, c.k, c.lw, c.interval)
			waitQuorum(b, n, p, 1)
			cl := n.Client("RU")
			ctx := context.Background()
			var total time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := cl.Send(ctx, "RU", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Text: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				waitQuorum(b, n, p, r.Index+1)
				total += time.Since(t0)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/cosigned")
		})
	}
}

// BenchmarkSplitViewDetection: a host serves a rolled-back store and
// extends it differently; timed is the last of four forged appends, the
// one whose checkpoint outgrows the honest tree the witnesses hold, until
// every witness (ours and litewitness) has refused that checkpoint (422),
// as the node reports. Each iteration builds the whole scenario.
func BenchmarkSplitViewDetection(b *testing.B) {
	var total time.Duration
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		n, p := benchNode(b, 1, true, 0)
		for j := 0; j < 3; j++ {
			n.Send(b, "RU", "ru-us", deconflict.Routine, "agreed")
		}
		waitQuorum(b, n, p, 4)
		keys, dir, key := n.Keys, n.Dir, n.Node.Key
		n.Stop()
		snapshot := copyDir(b, dir)
		n = nodetest.Start(b, nodetest.Options{Dir: dir, Key: key})
		n.Keys = keys
		for j := 0; j < 3; j++ {
			n.Send(b, "US", "ru-us", deconflict.Routine, "objection")
		}
		waitQuorum(b, n, p, 7)
		n.Stop()
		n = nodetest.Start(b, nodetest.Options{Dir: snapshot, Key: key})
		n.Keys = keys
		for j := 0; j < 3; j++ {
			n.Send(b, "RU", "ru-us", deconflict.Routine, "forged")
		}
		t0 := time.Now()
		b.StartTimer()
		n.Send(b, "RU", "ru-us", deconflict.Routine, "forged")
		for deadline := t0.Add(30 * time.Second); ; time.Sleep(50 * time.Microsecond) {
			st, _ := n.WitnessStatus(context.Background(), deconflict.NodeAuthor, "ru-us")
			done := len(st) == 2
			for _, s := range st {
				done = done && s.State == node.WitnessRefused && strings.Contains(s.Error, "422") && !s.Asked.Before(t0)
			}
			if done {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("not detected: %+v", st)
			}
		}
		b.StopTimer()
		total += time.Since(t0)
		n.Stop()
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/detected")
}
