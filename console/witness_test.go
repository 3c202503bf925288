package console_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/witness"
)

// witnessChannel gives channel a witness policy of two witnesses: W1, a
// real witness on loopback that witnesses the channel, and W2, whose URL
// answers nothing (a witness that is away).
func witnessChannel(t *testing.T, tn *testNode, channel string) {
	t.Helper()
	ctx := context.Background()
	st, err := witness.OpenStore(ctx, filepath.Join(t.TempDir(), "witness.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.AddLog(ctx, tn.Origin(channel), tn.VerifierKey(channel)); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, name := range []string{"w1.test", "w2.test"} {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		c, err := witness.NewCosigner(name, k)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, c.VerifierKey())
		if name == "w1.test" {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: witness.New(st, c).Handler()}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			keys = append(keys, "http://"+ln.Addr().String())
		}
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	away := "http://" + ln.Addr().String()
	ln.Close()
	text := fmt.Sprintf("witness W1 %s %s\nwitness W2 %s %s\nquorum W1\n", keys[0], keys[1], keys[2], away)
	if _, err := tn.PatchPolicy(ctx, deconflict.NodeAuthor, channel, deconflict.PolicyPatch{Witnesses: &text}); err != nil {
		t.Fatal(err)
	}
	// Wait until the node has heard from both (W1 cosigned, W2 failed).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := tn.WitnessStatus(ctx, deconflict.NodeAuthor, channel)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) == 2 && st[0].State == node.WitnessOK && st[1].State == node.WitnessUnreachable {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("witness status %+v", st)
		}
	}
}
