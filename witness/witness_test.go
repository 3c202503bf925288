package witness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/note"
)

// checkCosignature checks a 200 answer against the checkpoint body text
// independently of the package: one line "— <name> base64(id || time ||
// sig)", the key ID SHA-256(name || "\n" || 0x04 || key)[:4], the Ed25519
// signature over "cosignature/v1\ntime T\n" || text, and T the witness's
// clock; then the same with torchwood's verifier through note.Open.
func checkCosignature(t *testing.T, tw *testWitness, body, text string) {
	t.Helper()
	name := tw.Cosigner.Name()
	if !strings.HasPrefix(body, "— "+name+" ") || !strings.HasSuffix(body, "\n") || strings.Count(body, "\n") != 1 {
		t.Fatalf("answer %q, want one cosignature line by %s", body, name)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(body, "— "+name+" "), "\n"))
	if err != nil || len(sig) != 4+8+64 {
		t.Fatalf("cosignature of %d bytes (%v), want 76", len(sig), err)
	}
	vkey := tw.Cosigner.VerifierKey()
	kb, _ := base64.StdEncoding.DecodeString(strings.SplitN(vkey, "+", 3)[2])
	if len(kb) != 33 || kb[0] != 0x04 {
		t.Fatalf("verifier key %q: want type 0x04 and 32 key bytes", vkey)
	}
	pub := ed25519.PublicKey(kb[1:])
	h := sha256.Sum256(append([]byte(name+"\n\x04"), pub...))
	if got, want := binary.BigEndian.Uint32(sig), binary.BigEndian.Uint32(h[:4]); got != want {
		t.Fatalf("key ID %08x, want %08x", got, want)
	}
	ts := binary.BigEndian.Uint64(sig[4:])
	if got, want := int64(ts), tw.now.Unix(); got != want {
		t.Fatalf("timestamp %d, want %d", got, want)
	}
	msg := "cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + text
	if !ed25519.Verify(pub, []byte(msg), sig[12:]) {
		t.Fatalf("signature does not verify over %q", msg)
	}
	v, err := witness.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(text+"\n"+body), note.VerifierList(v)); err != nil {
		t.Fatalf("torchwood's verifier: %v", err)
	}
}

func TestAddCheckpoint(t *testing.T) {
	ctx := context.Background()
	lg := newMemLog(t, "example.test/log").append("a", 7)
	tw := startWitness(t, lg)

	t.Run("OKFirst", func(t *testing.T) {
		r := tw.post(t, lg.request(0, 3))
		mustStatus(t, r, http.StatusOK)
		checkCosignature(t, tw, r.Body, lg.text(3))
		st, err := tw.Store.Log(ctx, lg.origin)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size != 3 || st.Root != lg.root(3) {
			t.Fatalf("stored size %d root %v, want 3 %v", st.Size, st.Root, lg.root(3))
		}
	})
	t.Run("OKExtend", func(t *testing.T) {
		tw.now = tw.now.Add(time.Minute)
		r := tw.post(t, lg.request(3, 7))
		mustStatus(t, r, http.StatusOK)
		checkCosignature(t, tw, r.Body, lg.text(7))
	})
	t.Run("OKSameCheckpointAgain", func(t *testing.T) {
		r := tw.post(t, lg.request(7, 7))
		mustStatus(t, r, http.StatusOK)
		checkCosignature(t, tw, r.Body, lg.text(7))
	})
	t.Run("ErrConflictStaleOld", func(t *testing.T) {
		for _, old := range []int64{0, 3, 5} {
			r := tw.post(t, witness.AddCheckpointRequest{Old: old, Proof: lg.proof(old, 7), Checkpoint: lg.checkpoint(7)}.Marshal())
			mustStatus(t, r, http.StatusConflict)
			if r.ContentType != "text/x.tlog.size" || r.Body != "7\n" {
				t.Fatalf("old %d: Content-Type %q body %q, want text/x.tlog.size and \"7\\n\"", old, r.ContentType, r.Body)
			}
		}
	})
	t.Run("ErrConflictSameSizeOtherRoot", func(t *testing.T) {
		f := lg.fork(6).append("b", 1)
		r := tw.post(t, f.request(7, 7))
		mustStatus(t, r, http.StatusConflict)
		if r.ContentType != "text/x.tlog.size" || r.Body != "7\n" {
			t.Fatalf("Content-Type %q body %q", r.ContentType, r.Body)
		}
	})
	t.Run("ErrBadRequestOldLarger", func(t *testing.T) {
		// 400 comes before the size check: old 9 is neither held nor <= 5.
		for _, old := range []int64{7, 9} {
			r := tw.post(t, witness.AddCheckpointRequest{Old: old, Checkpoint: lg.checkpoint(5)}.Marshal())
			mustStatus(t, r, http.StatusBadRequest)
		}
	})
	t.Run("ErrUnprocessableBadProof", func(t *testing.T) {
		lg.append("a", 2)
		p := lg.proof(7, 9)
		p[0][0] ^= 1
		r := tw.post(t, witness.AddCheckpointRequest{Old: 7, Proof: p, Checkpoint: lg.checkpoint(9)}.Marshal())
		mustStatus(t, r, http.StatusUnprocessableEntity)
		r = tw.post(t, witness.AddCheckpointRequest{Old: 7, Proof: lg.proof(7, 9)[:1], Checkpoint: lg.checkpoint(9)}.Marshal())
		mustStatus(t, r, http.StatusUnprocessableEntity)
	})
	t.Run("ErrUnprocessableFork", func(t *testing.T) {
		// A log rolled back to 5 and extended differently: its proof from
		// 7 is consistent with its own tree, not with what was cosigned.
		f := lg.fork(5).append("evil", 4)
		body := f.request(7, 9)
		r := tw.post(t, body)
		mustStatus(t, r, http.StatusUnprocessableEntity)
		rs, err := tw.Store.Refusals(ctx, lg.origin)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) == 0 || !bytes.Equal(rs[len(rs)-1].Body, body) || rs[len(rs)-1].Status != 422 {
			t.Fatalf("refusals %+v, want the forked request kept with status 422", rs)
		}
	})
	t.Run("ErrForbiddenOtherKey", func(t *testing.T) {
		other := newMemLog(t, lg.origin)
		other.hashes, other.n = lg.hashes, lg.n
		r := tw.post(t, witness.AddCheckpointRequest{Old: 7, Proof: lg.proof(7, 9), Checkpoint: other.checkpoint(9)}.Marshal())
		mustStatus(t, r, http.StatusForbidden)
	})
	t.Run("ErrForbiddenBadSignature", func(t *testing.T) {
		cp := lg.checkpoint(9)
		i := bytes.LastIndexByte(cp[:len(cp)-1], ' ') + 1
		sig, err := base64.StdEncoding.DecodeString(string(cp[i : len(cp)-1]))
		if err != nil {
			t.Fatal(err)
		}
		sig[10] ^= 1 // key name and ID still match, the signature does not
		cp = append(cp[:i:i], base64.StdEncoding.EncodeToString(sig)+"\n"...)
		r := tw.post(t, witness.AddCheckpointRequest{Old: 7, Proof: lg.proof(7, 9), Checkpoint: cp}.Marshal())
		mustStatus(t, r, http.StatusForbidden)
	})
	t.Run("ErrNotFoundUnknownOrigin", func(t *testing.T) {
		u := newMemLog(t, "example.test/unknown").append("x", 2)
		r := tw.post(t, u.request(0, 2))
		mustStatus(t, r, http.StatusNotFound)
	})
	t.Run("ErrBadRequestRollback", func(t *testing.T) {
		r := tw.post(t, witness.AddCheckpointRequest{Old: 7, Checkpoint: lg.checkpoint(5)}.Marshal())
		mustStatus(t, r, http.StatusBadRequest)
		r = tw.post(t, lg.request(5, 5))
		mustStatus(t, r, http.StatusConflict)
	})
	t.Run("OKAfterRefusals", func(t *testing.T) {
		r := tw.post(t, lg.request(7, 9))
		mustStatus(t, r, http.StatusOK)
		checkCosignature(t, tw, r.Body, lg.text(9))
	})
	t.Run("StatePersists", func(t *testing.T) {
		st, err := witness.OpenStore(ctx, tw.Path)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		l, err := st.Log(ctx, lg.origin)
		if err != nil {
			t.Fatal(err)
		}
		if l.Size != 9 || l.Root != lg.root(9) || !l.Updated.Equal(tw.now) {
			t.Fatalf("reopened: size %d root %v updated %v", l.Size, l.Root, l.Updated)
		}
		// The stored checkpoint carries the log's signature and ours.
		lv, _ := note.NewVerifier(lg.vkey)
		wv, _ := witness.NewCosignatureVerifier(tw.Cosigner.VerifierKey())
		n, err := note.Open(l.Checkpoint, note.VerifierList(lv, wv))
		if err != nil || len(n.Sigs) != 2 {
			t.Fatalf("stored checkpoint %q: %v", l.Checkpoint, err)
		}
	})
	t.Run("MonitoringCheckpoint", func(t *testing.T) {
		h := sha256.Sum256([]byte(lg.origin))
		resp, err := http.Get(tw.URL + "/" + hex.EncodeToString(h[:]) + "/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(string(b), lg.text(9)+"\n") {
			t.Fatalf("status %d body %q", resp.StatusCode, b)
		}
		resp, err = http.Get(tw.URL + "/" + strings.Repeat("00", 32) + "/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("unknown origin hash: status %d, want 404", resp.StatusCode)
		}
	})
}

func TestAddCheckpointFreshLog(t *testing.T) {
	lg := newMemLog(t, "example.test/fresh").append("a", 4)
	tw := startWitness(t, lg)
	t.Run("ErrUnprocessableProofWithOldZero", func(t *testing.T) {
		p := lg.proof(2, 4)
		r := tw.post(t, witness.AddCheckpointRequest{Old: 0, Proof: p, Checkpoint: lg.checkpoint(4)}.Marshal())
		mustStatus(t, r, http.StatusUnprocessableEntity)
	})
	t.Run("ErrConflictEmptyTreeOtherRoot", func(t *testing.T) {
		// Size 0 with a root that is not the empty tree's: equal sizes,
		// other root.
		text := lg.origin + "\n0\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"
		cp, err := note.Sign(&note.Note{Text: text}, lg.signer)
		if err != nil {
			t.Fatal(err)
		}
		r := tw.post(t, witness.AddCheckpointRequest{Old: 0, Checkpoint: cp}.Marshal())
		mustStatus(t, r, http.StatusConflict)
	})
	t.Run("OKEmptyTree", func(t *testing.T) {
		r := tw.post(t, lg.request(0, 0))
		mustStatus(t, r, http.StatusOK)
		checkCosignature(t, tw, r.Body, lg.text(0))
	})
	t.Run("OKExtensionLines", func(t *testing.T) {
		// The cosignature covers extension lines; the witness keeps them.
		text := lg.text(4) + "ext one\n"
		cp, err := note.Sign(&note.Note{Text: text}, lg.signer)
		if err != nil {
			t.Fatal(err)
		}
		r := tw.post(t, witness.AddCheckpointRequest{Old: 0, Checkpoint: cp}.Marshal())
		mustStatus(t, r, http.StatusOK)
		checkCosignature(t, tw, r.Body, text)
	})
	t.Run("OKSecondKey", func(t *testing.T) {
		other := newMemLog(t, lg.origin)
		other.hashes, other.n = lg.hashes, lg.n
		if _, err := tw.Store.AddLog(context.Background(), lg.origin, other.vkey); err != nil {
			t.Fatal(err)
		}
		r := tw.post(t, witness.AddCheckpointRequest{Old: 4, Checkpoint: other.checkpoint(4)}.Marshal())
		mustStatus(t, r, http.StatusOK)
	})
}

func TestAddCheckpointMalformed(t *testing.T) {
	lg := newMemLog(t, "example.test/log").append("a", 3)
	tw := startWitness(t, lg)
	cp := string(lg.checkpoint(3))
	h := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for name, body := range map[string]string{
		"Empty":            "",
		"NoBlankLine":      "old 0\n" + cp,
		"NoOldLine":        "\n" + cp,
		"OldLeadingZero":   "old 00\n\n" + cp,
		"OldNegative":      "old -1\n\n" + cp,
		"OldHuge":          "old 99999999999999999999\n\n" + cp,
		"OldTwoSpaces":     "old  0\n\n" + cp,
		"ProofNotBase64":   "old 0\nnot-base64!\n\n" + cp,
		"ProofShortHash":   "old 0\nAAAA\n\n" + cp,
		"Proof64Lines":     "old 0\n" + strings.Repeat(h+"\n", 64) + "\n" + cp,
		"NoteUnterminated": "old 0\n\n" + strings.TrimSuffix(cp, "\n"),
		"NoteNoSignatures": "old 0\n\n" + lg.text(3),
	} {
		t.Run(name, func(t *testing.T) {
			r := tw.post(t, []byte(body))
			mustStatus(t, r, http.StatusBadRequest)
		})
	}
	t.Run("ErrTooLarge", func(t *testing.T) {
		r := tw.post(t, bytes.Repeat([]byte("x"), witness.MaxRequestSize+1))
		mustStatus(t, r, http.StatusRequestEntityTooLarge)
	})
	t.Run("ErrMethod", func(t *testing.T) {
		resp, err := http.Get(tw.URL + "/add-checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("GET: status %d, want 405", resp.StatusCode)
		}
	})
	if st, _ := tw.Store.Log(context.Background(), lg.origin); st.Size != 0 {
		t.Fatalf("size %d after malformed requests, want 0", st.Size)
	}
}

// TestAddCheckpointRace sends many requests from the same old size at
// once: exactly one is cosigned, the others get 409 naming its size, and
// the stored state is the cosigned one (tlog-witness's rollback race).
func TestAddCheckpointRace(t *testing.T) {
	lg := newMemLog(t, "example.test/log").append("a", 20)
	tw := startWitness(t, lg)
	mustStatus(t, tw.post(t, lg.request(0, 4)), http.StatusOK)
	const k = 12
	var wg sync.WaitGroup
	res := make([]response, k)
	for i := 0; i < k; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = tw.post(t, lg.request(4, int64(5+i)))
		}()
	}
	wg.Wait()
	var won int64 = -1
	for i, r := range res {
		if r.Status == http.StatusOK {
			if won >= 0 {
				t.Fatalf("sizes %d and %d both cosigned from old size 4", won, 5+i)
			}
			won = int64(5 + i)
		}
	}
	if won < 0 {
		t.Fatal("no request cosigned")
	}
	for i, r := range res {
		if r.Status != http.StatusOK && (r.Status != http.StatusConflict || r.Body != strconv.FormatInt(won, 10)+"\n") {
			t.Fatalf("size %d: status %d %q, want 409 naming %d", 5+i, r.Status, r.Body, won)
		}
	}
	st, _ := tw.Store.Log(context.Background(), lg.origin)
	if st.Size != won || st.Root != lg.root(won) {
		t.Fatalf("stored size %d, want %d", st.Size, won)
	}
}

func TestCosignerTorchwood(t *testing.T) {
	// torchwood's own signer and ours, same key and name: same key ID and
	// verifier key, and each verifies the other's cosignatures.
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	ours, err := witness.NewCosigner("witness.test/w1", key)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := torchwood.NewCosignatureSigner("witness.test/w1", key)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ours.VerifierKey(), theirs.Verifier().String(); got != want {
		t.Fatalf("VerifierKey %q, torchwood %q", got, want)
	}
	text := "example.test/log\n5\n" + base64.StdEncoding.EncodeToString(make([]byte, 32)) + "\n"
	line, err := ours.Cosign(text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open([]byte(text+"\n"+line), note.VerifierList(theirs.Verifier())); err != nil {
		t.Fatalf("torchwood rejects our cosignature: %v", err)
	}
	msg, err := note.Sign(&note.Note{Text: text}, theirs)
	if err != nil {
		t.Fatal(err)
	}
	v, err := witness.NewCosignatureVerifier(ours.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("our verifier rejects torchwood's cosignature: %v", err)
	}
	ts, err := witness.CosignatureTime(n.Sigs[0])
	if err != nil || time.Since(ts) > time.Minute {
		t.Fatalf("timestamp %v (%v)", ts, err)
	}
	// A checkpoint signature (type 0x01) is not a cosignature key.
	_, vkey, _ := note.GenerateKey(rand.Reader, "example.test/log")
	if _, err := witness.NewCosignatureVerifier(vkey); err == nil {
		t.Fatalf("NewCosignatureVerifier(%q) accepted an Ed25519 checkpoint key", vkey)
	}
	if _, err := ours.Cosign("not a checkpoint\n"); err == nil {
		t.Fatal("Cosign accepted text that is not a checkpoint")
	}
}
