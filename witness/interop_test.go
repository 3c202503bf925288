package witness_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/internal/witnesstest"
	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func postAddCheckpoint(t *testing.T, url string, body []byte) response {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// TestInteropLitewitness: our witness and torchwood's litewitness each
// cosign the checkpoints of a real deconflict channel as it grows; the
// checkpoint with both cosignatures verifies with the node's key and both
// witness keys; both answer the conflict and inconsistency cases alike.
func TestInteropLitewitness(t *testing.T) {
	ctx := context.Background()
	n := nodetest.Start(t, nodetest.Options{})
	n.AddParties(t, "RU", "US")
	n.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	origin, vkey := n.Origin("ru-us"), n.VerifierKey("ru-us")
	member := n.Client("US")

	lw := witnesstest.StartLitewitness(t, "litewitness.test/lw", origin, vkey)
	ours := startWitness(t)
	ours.now = time.Now()
	if _, err := ours.Store.AddLog(ctx, origin, vkey); err != nil {
		t.Fatal(err)
	}
	type peer struct{ name, url, vkey string }
	peers := []peer{{"litewitness", lw.URL, lw.VKey}, {"deconflict", ours.URL, ours.Cosigner.VerifierKey()}}
	verifiers := []note.Verifier{}
	lv, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	verifiers = append(verifiers, lv)
	for _, p := range peers {
		v, err := witness.NewCosignatureVerifier(p.vkey)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		verifiers = append(verifiers, v)
	}

	var held int64
	for round, k := range []int{3, 1, 6} {
		for i := 0; i < k; i++ {
			n.Send(t, "RU", "ru-us", deconflict.Routine, fmt.Sprintf("round %d message %d", round, i))
		}
		cp, err := member.Checkpoint(ctx, "ru-us")
		if err != nil {
			t.Fatal(err)
		}
		text, _, _ := strings.Cut(string(cp), "\n\n")
		size := checkpointSize(t, text+"\n")
		var proof tlog.TreeProof
		if held > 0 {
			pr, err := member.ConsistencyProof(ctx, "ru-us", held, size)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range pr.Proof {
				proof = append(proof, tlog.Hash(h))
			}
		}
		body := witness.AddCheckpointRequest{Old: held, Proof: proof, Checkpoint: cp}.Marshal()
		cosigned := append([]byte(nil), cp...)
		for _, p := range peers {
			r := postAddCheckpoint(t, p.url, body)
			if r.Status != http.StatusOK {
				t.Fatalf("round %d: %s: status %d %q", round, p.name, r.Status, r.Body)
			}
			cosigned = append(cosigned, r.Body...)
		}
		nt, err := note.Open(cosigned, note.VerifierList(verifiers...))
		if err != nil {
			t.Fatalf("round %d: cosigned checkpoint %q: %v", round, cosigned, err)
		}
		if len(nt.Sigs) != 3 {
			t.Fatalf("round %d: %d verified signatures, want the node's and two witnesses'", round, len(nt.Sigs))
		}
		held = size
	}

	// A stale old size: both answer 409 with the size they hold.
	cp, _ := member.Checkpoint(ctx, "ru-us")
	for _, p := range peers {
		r := postAddCheckpoint(t, p.url, witness.AddCheckpointRequest{Old: 0, Checkpoint: cp}.Marshal())
		if r.Status != http.StatusConflict || r.ContentType != "text/x.tlog.size" || r.Body != fmt.Sprintf("%d\n", held) {
			t.Fatalf("%s: stale old size: %d %q %q", p.name, r.Status, r.ContentType, r.Body)
		}
	}
	// A checkpoint the node signed over a root that does not extend what
	// they cosigned (a dishonest node's other view): both refuse with 422.
	forkText := fmt.Sprintf("%s\n%d\n%s\n", origin, held+1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	signer, err := nodeSigner(n)
	if err != nil {
		t.Fatal(err)
	}
	fork, err := note.Sign(&note.Note{Text: forkText}, signer)
	if err != nil {
		t.Fatal(err)
	}
	n.Send(t, "RU", "ru-us", deconflict.Routine, "one more")
	pr, err := member.ConsistencyProof(ctx, "ru-us", held, held+1)
	if err != nil {
		t.Fatal(err)
	}
	var proof tlog.TreeProof
	for _, h := range pr.Proof {
		proof = append(proof, tlog.Hash(h))
	}
	for _, p := range peers {
		r := postAddCheckpoint(t, p.url, witness.AddCheckpointRequest{Old: held, Proof: proof, Checkpoint: fork}.Marshal())
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: forked checkpoint: status %d %q, want 422", p.name, r.Status, r.Body)
		}
	}
	// A checkpoint signed by another key for the channel's origin: 403.
	other := newMemLog(t, origin).append("x", int(held))
	for _, p := range peers {
		r := postAddCheckpoint(t, p.url, other.request(held, held))
		if r.Status != http.StatusForbidden {
			t.Fatalf("%s: checkpoint by another key: status %d %q, want 403", p.name, r.Status, r.Body)
		}
	}
}

func checkpointSize(t *testing.T, text string) int64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Scan()
	sc.Scan()
	var n int64
	if _, err := fmt.Sscanf(sc.Text(), "%d", &n); err != nil {
		t.Fatalf("checkpoint %q: size line: %v", text, err)
	}
	return n
}

// nodeSigner is a signed-note signer with the test node's key under the
// channel origin's name, built with x/mod's note package alone.
func nodeSigner(n *nodetest.Node) (note.Signer, error) {
	parts := strings.SplitN(n.VerifierKey("ru-us"), "+", 3) // name, key ID, key
	return note.NewSigner("PRIVATE+KEY+" + parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, n.Key.Seed()...)))
}
