package main_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

// BenchmarkVerify fills a channel with DECONFLICT_BENCH_ENVELOPES
// envelopes (default 100,000) through the API of a real node, then times
// 'deconflict verify --channel' on it: a member's full audit (tiles,
// every signature, the tree, the checkpoint).
func BenchmarkVerify(b *testing.B) {
	n := 100000
	if v := os.Getenv("DECONFLICT_BENCH_ENVELOPES"); v != "" {
		fmt.Sscan(v, &n)
	}
	dir := b.TempDir()
	addr := freeAddrB(b)
	data := filepath.Join(dir, "data")
	node := exec.Command(binary, "serve", "--data", data, "--addr", addr)
	node.Dir = dir
	if err := node.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { node.Process.Kill(); node.Wait() }()
	waitUp(b, addr)
	run := func(args ...string) string {
		cmd := exec.Command(binary, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DECONFLICT_NODE=http://"+addr, "DECONFLICT_STATE="+filepath.Join(dir, "state"))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			b.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	run("party", "add", "US", "--pubkey", deconflict.EncodeKey(pub), "--data", data)
	run("party", "add", "RU", "--pubkey", strings.TrimSpace(run("keygen", "--out", "ru.key")), "--data", data)
	run("channel", "create", "ru-us", "--members", "RU,US", "--data", data)
	c := dhttp.NewClient("http://"+addr, priv)
	var next atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if _, err := c.Send(context.Background(), "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "position report: 43.1N 36.2E, FL250, heading 270"}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fill := time.Since(began)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		os.RemoveAll(filepath.Join(dir, "state"))
		out := run("verify", "--channel", "ru-us", "--key", "ru.key")
		if !strings.Contains(out, fmt.Sprintf("OK: %d envelopes", n)) {
			b.Fatalf("verify: %s", out)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "envelopes/s")
	b.ReportMetric(float64(n)/fill.Seconds(), "fill-envelopes/s")
}

func freeAddrB(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitUp(b *testing.B, addr string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("node did not start")
}
