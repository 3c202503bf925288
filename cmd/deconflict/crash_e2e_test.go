package main_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

// TestKill9KeepsEveryReceipt kills the node with SIGKILL while eight
// senders append as fast as they can, restarts it, and checks that every
// envelope for which a receipt came back is in the log, at its index,
// with the same bytes.
func TestKill9KeepsEveryReceipt(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	node := startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	c.run(false, "party", "add", "US", "--pubkey", deconflict.EncodeKey(pub), "--data", data)
	c.run(false, "party", "add", "RU", "--pubkey", strings.TrimSpace(c.run(false, "keygen", "--out", "ru.key")), "--data", data)
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)

	client := dhttp.NewClient("http://"+addr, priv)
	client.HTTP.Timeout = 5 * time.Second
	var mu sync.Mutex
	receipts := map[int64][]byte{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				r, err := client.Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "position report"})
				if err != nil {
					continue // the node is down: no receipt, no promise
				}
				mu.Lock()
				receipts[r.Index] = r.LeafHash
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	node.Process.Signal(syscall.SIGKILL)
	node.Wait()
	time.Sleep(200 * time.Millisecond)
	cancel()
	wg.Wait()
	mu.Lock()
	n := len(receipts)
	mu.Unlock()
	if n < 10 {
		t.Fatalf("only %d receipts before the kill; the test needs load", n)
	}
	startServe(t, dir, data, addr)
	envs, err := client.Envelopes(context.Background(), "ru-us", 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	byIndex := map[int64]*dhttp.EnvelopeView{}
	for _, e := range envs {
		byIndex[e.Index] = e
	}
	for idx, lh := range receipts {
		e := byIndex[idx]
		if e == nil {
			t.Fatalf("receipt for index %d, but the restarted node has no such envelope (%d stored, %d receipts)", idx, len(envs), n)
		}
		s, _ := e.Signed()
		if got := deconflict.LeafHash(s.Leaf()); !bytes.Equal(got[:], lh) {
			t.Fatalf("index %d: stored envelope differs from the receipt", idx)
		}
	}
	t.Logf("%d receipts before SIGKILL, all present after restart (%d stored)", n, len(envs))
}
