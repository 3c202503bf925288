package witness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memLog is an RFC 6962 log in memory, built with x/mod's tlog, with a
// signed-note key: the log a witness test submits checkpoints of. It
// shares no code with the witness beyond x/mod.
type memLog struct {
	tb     testing.TB
	origin string
	signer note.Signer
	vkey   string
	hashes []tlog.Hash // stored hashes
	n      int64
}

func newMemLog(tb testing.TB, origin string) *memLog {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return &memLog{tb: tb, origin: origin, signer: s, vkey: vkey}
}

func (l *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

// append adds k entries ("<tag> <i>").
func (l *memLog) append(tag string, k int) *memLog {
	l.tb.Helper()
	for i := 0; i < k; i++ {
		hs, err := tlog.StoredHashes(l.n, []byte(tag+" "+strconv.FormatInt(l.n, 10)), l)
		if err != nil {
			l.tb.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.n++
	}
	return l
}

// fork returns a copy of the first n entries of l, signed by the same key.
func (l *memLog) fork(n int64) *memLog {
	f := *l
	f.hashes = append([]tlog.Hash(nil), l.hashes[:tlog.StoredHashCount(n)]...)
	f.n = n
	return &f
}

func (l *memLog) root(n int64) tlog.Hash {
	l.tb.Helper()
	h, err := tlog.TreeHash(n, l)
	if err != nil {
		l.tb.Fatal(err)
	}
	return h
}

func (l *memLog) text(n int64) string {
	r := l.root(n)
	return l.origin + "\n" + strconv.FormatInt(n, 10) + "\n" + base64.StdEncoding.EncodeToString(r[:]) + "\n"
}

// checkpoint returns the signed checkpoint of the first n entries.
func (l *memLog) checkpoint(n int64, signers ...note.Signer) []byte {
	l.tb.Helper()
	if signers == nil {
		signers = []note.Signer{l.signer}
	}
	msg, err := note.Sign(&note.Note{Text: l.text(n)}, signers...)
	if err != nil {
		l.tb.Fatal(err)
	}
	return msg
}

func (l *memLog) proof(old, n int64) tlog.TreeProof {
	l.tb.Helper()
	if old == 0 || old == n {
		return nil
	}
	p, err := tlog.ProveTree(n, old, l)
	if err != nil {
		l.tb.Fatal(err)
	}
	return p
}

// request returns an add-checkpoint body from old to n.
func (l *memLog) request(old, n int64) []byte {
	return witness.AddCheckpointRequest{Old: old, Proof: l.proof(old, n), Checkpoint: l.checkpoint(n)}.Marshal()
}

// testWitness is a witness served on 127.0.0.1:0 over a store in a
// temporary directory, with a settable clock.
type testWitness struct {
	*witness.Witness
	URL  string
	Path string
	now  time.Time
	srv  *http.Server
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func startWitness(tb testing.TB, logs ...*memLog) *testWitness {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "witness.db")
	st, err := witness.OpenStore(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	c, err := witness.NewCosigner("witness.test/w1", key)
	if err != nil {
		tb.Fatal(err)
	}
	tw := &testWitness{Witness: witness.New(st, c), Path: path, now: t0}
	c.Now = func() time.Time { return tw.now }
	tw.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, l := range logs {
		if _, err := st.AddLog(ctx, l.origin, l.vkey); err != nil {
			tb.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tw.URL = "http://" + ln.Addr().String()
	tw.serve(ln)
	tb.Cleanup(tw.srvClose)
	return tw
}

func (tw *testWitness) serve(ln net.Listener) {
	tw.srv = &http.Server{Handler: tw.Handler()}
	go tw.srv.Serve(ln)
}

// srvClose stops the witness's HTTP server (its store stays open).
func (tw *testWitness) srvClose() {
	if tw.srv != nil {
		tw.srv.Close()
	}
}

// restart serves the witness again on the address it had.
func (tw *testWitness) restart(tb testing.TB) {
	tb.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(tw.URL, "http://"))
	if err != nil {
		tb.Fatal(err)
	}
	tw.serve(ln)
}

type response struct {
	Status      int
	ContentType string
	Body        string
}

func (tw *testWitness) post(tb testing.TB, body []byte) response {
	tb.Helper()
	resp, err := http.Post(tw.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

func mustStatus(tb testing.TB, r response, want int) {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("status %d (%q), want %d", r.Status, r.Body, want)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
