package console_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memHashes is a tlog hash storage in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func b64s(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

type proofVector struct {
	Kind    string   `json:"kind"` // "consistency" or "inclusion"
	Old     int64    `json:"old"`  // consistency: old size; inclusion: index
	New     int64    `json:"new"`  // the tree size
	OldRoot string   `json:"old_root,omitempty"`
	Leaf    string   `json:"leaf,omitempty"`
	Root    string   `json:"root"`
	Proof   []string `json:"proof"`
	Want    bool     `json:"want"` // what golang.org/x/mod/sumdb/tlog says
	What    string   `json:"what"`
}

type noteVector struct {
	Note   string `json:"note"`
	Origin string `json:"origin"`
	Key    string `json:"key"`
	Want   string `json:"want"` // "ok" or the VerifyError kind
	Size   int64  `json:"size,omitempty"`
	Root   string `json:"root,omitempty"`
}

// TestBrowserVerifyJS checks verify.js in Chromium against independent
// references: consistency and inclusion proofs and tree hashes made by
// golang.org/x/mod/sumdb/tlog (valid ones and tampered ones, whose
// verdict tlog gives too), checkpoints signed with
// golang.org/x/mod/sumdb/note, and leaf hashes of envelopes made by the
// deconflict package.
func TestBrowserVerifyJS(t *testing.T) {
	root := chromium(t, 60*time.Second)
	rng := mrand.New(mrand.NewPCG(1, 2))

	// A log of 1100 leaves.
	const n = 1100
	var stored memHashes
	var leaves []string
	for i := int64(0); i < n; i++ {
		data := make([]byte, 1+rng.IntN(80))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		h := tlog.RecordHash(data)
		leaves = append(leaves, base64.StdEncoding.EncodeToString(h[:]))
		hs, err := tlog.StoredHashes(i, data, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	rootOf := func(size int64) tlog.Hash {
		h, err := tlog.TreeHash(size, stored)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	b64 := func(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }
	var vecs []proofVector
	addConsistency := func(old, nw int64) {
		p, err := tlog.ProveTree(nw, old, stored)
		if err != nil {
			t.Fatal(err)
		}
		ro, rn := rootOf(old), rootOf(nw)
		checkSizes := func(p tlog.TreeProof, old, nw int64, ro, rn tlog.Hash, what string) {
			vecs = append(vecs, proofVector{Kind: "consistency", Old: old, New: nw, OldRoot: b64(ro), Root: b64(rn), Proof: b64s(p),
				Want: tlog.CheckTree(p, nw, rn, old, ro) == nil, What: what})
		}
		check := func(p tlog.TreeProof, ro, rn tlog.Hash, what string) { checkSizes(p, old, nw, ro, rn, what) }
		check(p, ro, rn, "valid")
		if old == nw {
			check(p, ro, rootOf(nw-1), "another new root")
			return
		}
		flipped := append(tlog.TreeProof(nil), p...)
		k := rng.IntN(len(p))
		flipped[k][rng.IntN(32)] ^= 1 << rng.IntN(8)
		check(flipped, ro, rn, "a proof hash changed")
		check(p[:len(p)-1], ro, rn, "the last proof hash dropped")
		check(append(append(tlog.TreeProof(nil), p...), p[0]), ro, rn, "a proof hash added")
		check(p, rootOf(old-1), rn, "another old root")
		check(p, ro, rootOf(nw-1), "another new root")
		// the same proof and roots claimed for other sizes (some of
		// which RFC 6962 proofs cannot tell apart: tlog's verdict is the
		// reference)
		checkSizes(p, old, nw+1, ro, rn, "another new size")
		checkSizes(p, old, 2*nw, ro, rn, "another new size")
		checkSizes(p, old, nw-1, ro, rn, "another new size")
		checkSizes(p, old+1, nw, ro, rn, "another old size")
		checkSizes(p, old-1, nw, ro, rn, "another old size")
	}
	for nw := int64(1); nw <= 40; nw++ {
		for old := int64(1); old <= nw; old++ { // tlog proves nothing from the empty tree
			addConsistency(old, nw)
		}
	}
	for i := 0; i < 60; i++ {
		nw := 2 + rng.Int64N(n-1)
		addConsistency(1+rng.Int64N(nw-1), nw)
	}
	addConsistency(256, 1100)
	addConsistency(1024, 1100)
	for i := 0; i < 80; i++ {
		size := 1 + rng.Int64N(n)
		idx := rng.Int64N(size)
		p, err := tlog.ProveRecord(size, idx, stored)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := base64.StdEncoding.DecodeString(leaves[idx])
		rn := rootOf(size)
		add := func(p tlog.RecordProof, index int64, rn tlog.Hash, what string) {
			vecs = append(vecs, proofVector{Kind: "inclusion", Old: index, New: size, Leaf: leaves[idx], Root: b64(rn), Proof: b64s(p),
				Want: tlog.CheckRecord(p, size, rn, index, tlog.Hash(leaf)) == nil, What: what})
		}
		add(p, idx, rn, "valid")
		if len(p) > 0 {
			flipped := append(tlog.RecordProof(nil), p...)
			flipped[rng.IntN(len(p))][0] ^= 0x80
			add(flipped, idx, rn, "a proof hash changed")
			add(p[:len(p)-1], idx, rn, "the last proof hash dropped")
		}
		if size > 1 {
			add(p, (idx+1)%size, rn, "another index")
		}
		for _, other := range []int64{size + 1, 2 * size, size - 1} {
			if other > idx {
				vecs = append(vecs, proofVector{Kind: "inclusion", Old: idx, New: other, Leaf: leaves[idx], Root: b64(rn), Proof: b64s(p),
					Want: tlog.CheckRecord(p, other, rn, idx, tlog.Hash(leaf)) == nil, What: "another size"})
			}
		}
	}
	var roots []map[string]any
	for _, size := range []int64{0, 1, 2, 3, 7, 8, 9, 255, 256, 257, 1100} {
		roots = append(roots, map[string]any{"size": size, "root": b64(rootOf(size))})
	}

	// Checkpoints signed by note, with a witness's cosignature line too.
	const origin = "test-node/ru-us"
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	raw, _ := base64.StdEncoding.DecodeString(strings.SplitN(vkey, "+", 3)[2]) // name+hash+base64(0x01 || key); base64 may hold "+"
	pub := base64.StdEncoding.EncodeToString(raw[1:])
	otherSkey, _, _ := note.GenerateKey(rand.Reader, origin)
	other, _ := note.NewSigner(otherSkey)
	witnessSkey, _, _ := note.GenerateKey(rand.Reader, "witness.example/w1")
	witness, _ := note.NewSigner(witnessSkey)
	sign := func(text string, s ...note.Signer) string {
		b, err := note.Sign(&note.Note{Text: text}, s...)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	r37 := b64(rootOf(37))
	good := sign(origin+"\n37\n"+r37+"\n", signer)
	notes := []noteVector{
		{Note: good, Origin: origin, Key: pub, Want: "ok", Size: 37, Root: r37},
		{Note: sign(origin+"\n37\n"+r37+"\n", witness, signer), Origin: origin, Key: pub, Want: "ok", Size: 37, Root: r37},
		{Note: sign(origin+"\n37\n"+r37+"\nextension line\n", signer), Origin: origin, Key: pub, Want: "ok", Size: 37, Root: r37},
		{Note: strings.Replace(good, "\n37\n", "\n38\n", 1), Origin: origin, Key: pub, Want: "signature"},
		{Note: sign(origin+"\n37\n"+r37+"\n", other), Origin: origin, Key: pub, Want: "signature"},
		{Note: good, Origin: "test-node/other", Key: pub, Want: "format"},
		{Note: sign(origin+"\n037\n"+r37+"\n", signer), Origin: origin, Key: pub, Want: "format"},
		{Note: sign(origin+"\n37\nAAAA\n", signer), Origin: origin, Key: pub, Want: "format"},
		{Note: strings.TrimSuffix(good, "\n"), Origin: origin, Key: pub, Want: "format"},
		{Note: origin + "\n37\n" + r37 + "\n", Origin: origin, Key: pub, Want: "format"},
	}
	// The signature itself changed (its last byte): a bad signature by the
	// pinned key.
	i := strings.LastIndex(good, " ") + 1
	sig, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(good[i:]))
	sig[len(sig)-1] ^= 1
	notes = append(notes, noteVector{Note: good[:i] + base64.StdEncoding.EncodeToString(sig) + "\n", Origin: origin, Key: pub, Want: "signature"})

	// Envelope views and their leaf hashes as the node computes them.
	var envs []map[string]string
	for k := 0; k < 5; k++ {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		s, err := deconflict.SignPayload(priv, &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: fmt.Sprintf("message %d: ünïcode \"quoted\" <tag>", k)})
		if err != nil {
			t.Fatal(err)
		}
		lh := sha256.Sum256(append([]byte{0}, s.Leaf()...))
		envs = append(envs, map[string]string{"payload_b64": base64.StdEncoding.EncodeToString(s.Payload), "key": deconflict.EncodeKey(s.Key),
			"sig": base64.StdEncoding.EncodeToString(s.Sig), "want": base64.StdEncoding.EncodeToString(lh[:])})
	}

	vectors, _ := json.Marshal(map[string]any{"proofs": vecs, "roots": roots, "leaves": leaves, "notes": notes, "envelopes": envs})
	mux := http.NewServeMux()
	mux.Handle("GET /js/", http.StripPrefix("/js/", http.FileServer(http.Dir("assets/js"))))
	mux.HandleFunc("GET /vectors.json", func(w http.ResponseWriter, r *http.Request) { w.Write(vectors) })
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!doctype html><meta charset="utf-8"><script type="module">import * as v from "/js/verify.js"; window.verify = v;</script>`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := newBrowser(t, root, "verify.js", srv.URL)
	b.do(chromedp.Navigate(srv.URL + "/"))
	b.wait("verify.js loaded", `!!window.verify`, 10*time.Second)
	out := b.eval(`(async () => {
		const v = window.verify, V = await (await fetch("/vectors.json")).json();
		const d = (s) => v.b64decode(s), res = { proofs: [], roots: [], notes: [], envelopes: [] };
		for (const p of V.proofs) {
			const proof = p.proof.map(d);
			res.proofs.push(p.kind === "consistency"
				? await v.verifyConsistency(p.old, p.new, d(p.old_root), d(p.root), proof)
				: await v.verifyInclusion(p.old, p.new, d(p.leaf), proof, d(p.root)));
		}
		const leaves = V.leaves.map(d);
		for (const r of V.roots) res.roots.push(v.b64encode(await v.treeRoot(leaves.slice(0, r.size))));
		// The frontier gives the same roots, leaf by leaf.
		const f = new v.Frontier(), want = new Map(V.roots.map((r) => [r.size, r.root]));
		res.frontier = [];
		if (want.has(0)) res.frontier.push([0, v.b64encode(await f.root())]);
		for (const [i, l] of leaves.entries()) {
			await f.push(l);
			if (want.has(i + 1)) res.frontier.push([i + 1, v.b64encode(await f.root())]);
		}
		for (const n of V.notes) {
			try {
				const cp = await v.openCheckpoint(n.note, n.origin, d(n.key));
				res.notes.push("ok " + cp.size + " " + cp.rootB64);
			} catch (e) { res.notes.push((e.kind || "exception") + ": " + e.message); }
		}
		for (const e of V.envelopes) res.envelopes.push(v.b64encode(await v.leafHash(v.envelopeLeaf(e))));
		// The payload shown must be the signed one.
		res.payloads = V.envelopes.map((e) => {
			const shown = JSON.parse(new TextDecoder().decode(d(e.payload_b64)));
			const changed = { ...shown, text: shown.text + "!" };
			return [v.samePayload({ ...e, payload: shown }), v.samePayload({ ...e, payload: changed }), v.samePayload({ ...e, payload: shown, payload_b64: "%%" })];
		});
		// Random changes to a signed checkpoint (seeded): every one is
		// refused with a VerifyError, or (a change to the witness's line
		// only) accepted with the same size and root; nothing else is thrown.
		let seed = 7;
		const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
		const base = V.notes[1], alphabet = "\n \u2014+/=0123456789AZaz-";
		res.mutants = { refused: 0, accepted: 0, bad: [] };
		const nodeLine = base.note.split("\n").find((l) => l.startsWith("\u2014 " + base.origin + " "));
		for (let i = 0; i < 3000; i++) {
			const chars = [...base.note];
			for (let k = 1 + rnd(3); k > 0; k--) {
				const at = rnd(chars.length + 1), op = rnd(3);
				if (op === 0) chars.splice(at, 1);
				else if (op === 1) chars.splice(at, 0, alphabet[rnd(alphabet.length)]);
				else chars[at] = alphabet[rnd(alphabet.length)];
			}
			const m = chars.join("");
			if (m === base.note) continue;
			try {
				const cp = await v.openCheckpoint(m, base.origin, d(base.key));
				if (cp.size !== base.size || cp.rootB64 !== base.root || !m.startsWith(cp.origin + "\n" + cp.size + "\n" + cp.rootB64 + "\n\n") || !m.includes("\n" + nodeLine + "\n")) res.mutants.bad.push("accepted: " + JSON.stringify(m));
				else res.mutants.accepted++;
			} catch (e) {
				if (e instanceof v.VerifyError) res.mutants.refused++;
				else res.mutants.bad.push(e.name + " " + e.message + ": " + JSON.stringify(m));
			}
		}
		// The node's signature with the unused bits of its last base64
		// character set decodes to the same bytes: it must be refused all
		// the same (one text per checkpoint).
		{
			const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
			const at = nodeLine.lastIndexOf("=") - 1, c = B64.indexOf(nodeLine[at]);
			const line = nodeLine.slice(0, at) + B64[c ^ 1] + nodeLine.slice(at + 1);
			try { await v.openCheckpoint(base.note.replace(nodeLine, line), base.origin, d(base.key)); res.noncanonical = "accepted"; }
			catch (e) { res.noncanonical = e instanceof v.VerifyError ? "refused" : "exception: " + e.message; }
		}
		return JSON.stringify(res);
	})()`)
	var res struct {
		Noncanonical string
		Proofs       []bool
		Roots        []string
		Notes        []string
		Envelopes    []string
		Payloads     [][]bool
		Frontier     [][2]any
		Mutants      struct {
			Refused, Accepted int
			Bad               []string
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for i, p := range vecs {
		if res.Proofs[i] != p.Want {
			t.Errorf("%s proof (%d, %d), %s: verify.js says %v, tlog says %v", p.Kind, p.Old, p.New, p.What, res.Proofs[i], p.Want)
		}
		if p.What != "valid" && !p.Want {
			rejected++
		}
		if p.What == "valid" && !p.Want {
			t.Errorf("tlog rejects its own %s proof (%d, %d)", p.Kind, p.Old, p.New)
		}
	}
	if rejected < len(vecs)/2 {
		t.Errorf("only %d of %d proof vectors are tampered ones tlog rejects", rejected, len(vecs))
	}
	for i, r := range roots {
		if res.Roots[i] != r["root"] {
			t.Errorf("tree of %d leaves: verify.js root %s, tlog %s", r["size"], res.Roots[i], r["root"])
		}
	}
	for i, nv := range notes {
		got := res.Notes[i]
		if want := "ok " + fmt.Sprint(nv.Size) + " " + nv.Root; nv.Want == "ok" && got != want {
			t.Errorf("note %d: %q, want %q", i, got, want)
		} else if nv.Want != "ok" && !strings.HasPrefix(got, nv.Want+": ") {
			t.Errorf("note %d: %q, want a %s error", i, got, nv.Want)
		}
	}
	for i, e := range envs {
		if res.Envelopes[i] != e["want"] {
			t.Errorf("envelope %d: verify.js leaf hash %s, the node's %s", i, res.Envelopes[i], e["want"])
		}
	}
	if len(res.Frontier) != len(roots) {
		t.Errorf("frontier: %d roots, want %d", len(res.Frontier), len(roots))
	}
	for i, fr := range res.Frontier {
		if i < len(roots) && (fr[0] != float64(roots[i]["size"].(int64)) || fr[1] != roots[i]["root"]) {
			t.Errorf("frontier: size %v root %v, tlog: size %d root %s", fr[0], fr[1], roots[i]["size"], roots[i]["root"])
		}
	}
	for i, p := range res.Payloads {
		if len(p) != 3 || !p[0] || p[1] || p[2] {
			t.Errorf("envelope %d: samePayload of the signed, a changed and a malformed payload: %v, want [true false false]", i, p)
		}
	}
	if res.Noncanonical != "refused" {
		t.Errorf("a node signature in non-canonical base64 (same bytes): %s, want refused", res.Noncanonical)
	}
	for _, bad := range res.Mutants.Bad {
		t.Errorf("changed checkpoint: %s", bad)
	}
	if res.Mutants.Refused < 2000 {
		t.Errorf("only %d changed checkpoints refused (%d accepted)", res.Mutants.Refused, res.Mutants.Accepted)
	}
	t.Logf("changed checkpoints: %d refused, %d accepted (witness line only)", res.Mutants.Refused, res.Mutants.Accepted)
	t.Logf("%d proofs (%d tampered ones rejected), %d roots, %d notes, %d envelopes checked", len(vecs), rejected, len(roots), len(notes), len(envs))
	b.checkNoErrors()
}

// forkNode is a node that a test stops and restarts on the same address
// (the same origin for the browser's storage) with the same key and data
// directory, so that its SQLite file can be replaced in between.
type forkNode struct {
	t    *testing.T
	dir  string
	addr string
	key  ed25519.PrivateKey
	keys map[string]ed25519.PrivateKey

	n  *node.Node
	db *sqlite.DB
	s  *dhttp.Server
}

func (f *forkNode) dbPath() string { return filepath.Join(f.dir, "deconflict.db") }

func (f *forkNode) start() {
	f.t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, f.dbPath())
	if err != nil {
		f.t.Fatal(err)
	}
	n := node.New(db, f.key, "fork-node")
	n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := n.Open(ctx); err != nil {
		f.t.Fatal(err)
	}
	if f.keys == nil {
		f.keys = map[string]ed25519.PrivateKey{}
		for _, p := range []string{"RU", "US"} {
			pub, priv, _ := ed25519.GenerateKey(rand.Reader)
			if err := n.CreateParty(ctx, deconflict.NodeAuthor, &deconflict.Party{ID: p, Keys: []deconflict.PartyKey{{Party: p, Public: pub}}}); err != nil {
				f.t.Fatal(err)
			}
			if err := custody.Host(f.dir, p, priv); err != nil {
				f.t.Fatal(err)
			}
			if err := console.AddUser(f.dir, username(p), p, password(p)); err != nil {
				f.t.Fatal(err)
			}
			f.keys[p] = priv
		}
		for _, id := range []string{"ru-us-syria", "ru-us-quiet"} {
			if err := n.CreateChannel(ctx, deconflict.NodeAuthor, &deconflict.Channel{ID: id, Members: []string{"RU", "US"}}); err != nil {
				f.t.Fatal(err)
			}
		}
	}
	s := dhttp.NewServer(n)
	if _, err := console.Mount(s, n, f.dir); err != nil {
		f.t.Fatal(err)
	}
	addr := f.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if err := s.Listen(addr); err != nil {
		f.t.Fatal(err)
	}
	f.addr = s.Addr()
	f.n, f.db, f.s = n, db, s
}

func (f *forkNode) stop() {
	if f.s == nil {
		return
	}
	f.s.Close()
	f.n.Close()
	f.db.Close()
	f.s = nil
}

// send appends a routine message by US to ru-us-syria.
func (f *forkNode) send(text string) {
	f.t.Helper()
	s, err := deconflict.SignPayload(f.keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: "US",
		Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.n.Submit(context.Background(), s); err != nil {
		f.t.Fatal(err)
	}
}

// copyDB copies the (stopped) node's SQLite files from one directory to
// another, removing the destination's WAL files the source lacks.
func copyDB(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		src, dst := filepath.Join(from, "deconflict.db"+suffix), filepath.Join(to, "deconflict.db"+suffix)
		b, err := os.ReadFile(src)
		if os.IsNotExist(err) && suffix != "" {
			os.Remove(dst)
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// reopen loads the console page again, signing in when the node asks.
func (b *browser) reopen(party, hash string) {
	b.t.Helper()
	b.do(chromedp.Navigate("about:blank"), chromedp.Navigate(b.base+"/"+hash))
	b.wait("the console or its sign-in", `!document.getElementById("login").hidden || !document.getElementById("app").hidden`, 15*time.Second)
	if b.eval(`String(!document.getElementById("login").hidden)`) == "true" {
		b.do(
			chromedp.SendKeys(chromedp.ID("login-username"), username(party)),
			chromedp.SendKeys(chromedp.ID("login-password"), password(party)),
			chromedp.Click(chromedp.ID("login-button")),
		)
	}
	b.wait("signed in", fmt.Sprintf(`document.getElementById("me-party").textContent === %q && !document.getElementById("app").hidden`, party), 15*time.Second)
}

// TestBrowserForkBanner restores a node's SQLite file from an earlier copy
// while US's console had verified a longer log: the console shows a red
// rollback banner instead of the channel's views; after the node appends
// other envelopes up to the same size, a fork banner (same size, another
// root); one more, and the consistency proof from the verified size fails.
// Before the restore, the console pinned the node key on first use and
// verified a new checkpoint against the old one by a consistency proof.
func TestBrowserForkBanner(t *testing.T) {
	testStart = time.Now()
	root := chromium(t, 90*time.Second)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	console.SetPasswordIterations(t, 1000)
	f := &forkNode{t: t, dir: t.TempDir(), key: key}
	f.start()
	t.Cleanup(f.stop)
	for i := 0; i < 3; i++ {
		f.send(fmt.Sprintf("before the copy %d", i))
	}
	f.stop()
	old := t.TempDir()
	copyDB(t, f.dir, old)
	f.start()
	for i := 3; i < 6; i++ {
		f.send(fmt.Sprintf("honest %d", i))
	}

	us := newBrowser(t, root, "US", "http://"+f.addr)
	if err := us.login("US"); err != nil {
		t.Fatal(err)
	}
	us.do(chromedp.Navigate(us.base + "/#ru-us-syria/hotline"))
	us.wait("checkpoint 6 verified", `document.getElementById("record-status")?.textContent === "record verified (6)"`, 15*time.Second)
	nodeKey := deconflict.EncodeKey(key.Public().(ed25519.PublicKey))
	if got := us.eval(`document.getElementById("record-tofu").textContent`); !strings.Contains(got, "pinned on first use") || !strings.Contains(got, nodeKey) || !strings.Contains(got, "SHA256:") {
		t.Fatalf("first-use notice %q, want the pinned key %s and its fingerprint", got, nodeKey)
	}
	if got := us.eval(`JSON.parse(localStorage.getItem("deconflict-record:node")).key`); got != nodeKey {
		t.Fatalf("pinned key %q, want %q", got, nodeKey)
	}
	// A new message arrives live: its checkpoint is verified as extending 6.
	f.send("honest 6")
	us.wait("checkpoint 7 verified", `document.getElementById("record-status").textContent === "record verified (7)"`, 15*time.Second)
	if got := us.eval(`document.getElementById("record-status").title`); !strings.Contains(got, "extending size 6") || !strings.Contains(got, "entries: all") {
		t.Fatalf("status %q, want the consistency from size 6 and every entry checked", got)
	}
	verified := us.eval(`JSON.parse(localStorage.getItem("deconflict-record:cp:fork-node/ru-us-syria")).root`)
	// The Record tab says what this browser checked.
	us.click("#tab-record")
	us.wait("the browser's check in the Record tab", `/: size 7(, as verified before| extends size 6); entries checked: all/.test(document.getElementById("record-browser-last")?.textContent || "")`, 10*time.Second)
	if got := us.eval(`document.getElementById("record-browser-verified").textContent`); !strings.Contains(got, "size 7, root "+verified) {
		t.Fatalf("Record tab: verified %q, want size 7 and root %s", got, verified)
	}
	us.click("#tab-hotline")

	// The operator restores the old copy: a smaller, self-consistent log.
	f.stop()
	copyDB(t, old, f.dir)
	f.start()
	us.reopen("US", "#ru-us-syria/hotline")
	us.wait("rollback banner", `document.getElementById("record-banner")?.dataset.fault === "rollback" && !document.getElementById("record-banner").hidden`, 15*time.Second)
	msg := us.eval(`document.getElementById("record-fault").textContent`)
	if !strings.Contains(msg, "size 3") || !strings.Contains(msg, "size 7") || !strings.Contains(msg, verified) {
		t.Fatalf("rollback banner %q, want sizes 3 and 7 and the verified root %s", msg, verified)
	}
	if got := us.eval(`String(document.getElementById("panel-hotline").offsetParent === null && document.querySelector(".tabs").offsetParent === null)`); got != "true" {
		t.Fatal("the hotline is still shown under the rollback banner")
	}
	ev := us.eval(`document.getElementById("record-evidence").value`)
	if !strings.Contains(ev, "fork-node/ru-us-syria\n7\n"+verified+"\n") || !strings.Contains(ev, "fork-node/ru-us-syria\n3\n") || strings.Count(ev, "\u2014 fork-node/ru-us-syria ") != 2 {
		t.Fatalf("evidence lacks both signed checkpoints:\n%s", ev)
	}
	if got := us.eval(`document.getElementById("record-status").textContent`); got != "record: ROLLBACK on ru-us-syria" {
		t.Fatalf("status %q", got)
	}
	us.screenshot(artifactsDir(t), "7-record-rollback-banner.png")

	// The node appends other envelopes up to the verified size: a fork.
	for i := 3; i < 7; i++ {
		f.send(fmt.Sprintf("rewritten %d", i))
	}
	us.reopen("US", "#ru-us-syria/hotline")
	us.wait("fork banner", `document.getElementById("record-banner")?.dataset.fault === "fork"`, 15*time.Second)
	if msg := us.eval(`document.getElementById("record-fault").textContent`); !strings.Contains(msg, "size 7 with root") || !strings.Contains(msg, verified) {
		t.Fatalf("fork banner %q", msg)
	}
	// One more: the consistency proof from 7 to 8 does not verify.
	f.send("rewritten 7")
	us.reopen("US", "#ru-us-syria/hotline")
	us.wait("fork banner by proof", `document.getElementById("record-banner")?.dataset.fault === "fork" && document.getElementById("record-fault").textContent.includes("consistency proof from size 7")`, 15*time.Second)
	if ev := us.eval(`document.getElementById("record-evidence").value`); !strings.Contains(ev, "consistency proof served:") {
		t.Fatalf("evidence lacks the proof:\n%s", ev)
	}
	us.screenshot(artifactsDir(t), "8-record-fork-banner.png")
	if dir := os.Getenv("DECONFLICT_DOCS_SHOTS"); dir != "" {
		docScreenshot(t, us, filepath.Join(dir, "record-fork-banner-1280x800.png"))
	}
	// The banner is the forked channel's: another channel shows its views,
	// and the top bar still names the fork.
	us.click(`#channels button[data-channel="ru-us-quiet"]`)
	us.wait("the other channel's views", `document.getElementById("record-banner").hidden && document.getElementById("panel-hotline").offsetParent !== null`, 10*time.Second)
	if got := us.eval(`document.getElementById("record-status").textContent`); got != "record: FORK on ru-us-syria" {
		t.Fatalf("status on the other channel %q, want the fork named", got)
	}
	// What this browser verified stays: the fork did not replace it.
	if got := us.eval(`JSON.parse(localStorage.getItem("deconflict-record:cp:fork-node/ru-us-syria")).root`); got != verified {
		t.Fatalf("stored verified root %q, want %q", got, verified)
	}

	// Once reported (say the members agreed to a restore), the officer
	// trusts the log served now, in two steps; the evidence stays.
	us.click(`#channels button[data-channel="ru-us-syria"]`)
	us.wait("the fork banner again", `!document.getElementById("record-banner").hidden && document.getElementById("record-banner").dataset.fault === "fork"`, 10*time.Second)
	us.click("#record-accept")
	us.wait("the confirmation", `!!document.getElementById("record-accept-confirm") && document.getElementById("record-accept-confirm").offsetParent !== null`, 5*time.Second)
	us.click("#record-accept-confirm")
	us.wait("the log served now verified", `document.getElementById("record-banner").hidden && document.getElementById("record-status").textContent === "record verified (8)"`, 10*time.Second)
	if got := us.eval(`JSON.parse(localStorage.getItem("deconflict-record:cp:fork-node/ru-us-syria")).root`); got == verified {
		t.Fatal("the accepted log did not replace the verified checkpoint")
	}
	f.send("after the accepted restore")
	us.wait("checkpoint 9 verified", `document.getElementById("record-status").textContent === "record verified (9)"`, 15*time.Second)
	us.click("#tab-record")
	us.wait("the past faults in the Record tab", `document.querySelectorAll("#record-past-faults li").length === 3`, 10*time.Second)
	if got := us.eval(`[...document.querySelectorAll("#record-past-faults summary")].map(s => s.textContent).join("; ")`); strings.Count(got, "ROLLBACK on ru-us-syria") != 1 || strings.Count(got, "FORK on ru-us-syria") != 2 {
		t.Fatalf("past faults %q, want a rollback and two forks", got)
	}
	if got := us.eval(`document.querySelector("#record-past-faults textarea").value`); !strings.Contains(got, "fork-node/ru-us-syria\n7\n"+verified+"\n") {
		t.Fatalf("the kept evidence lacks the verified checkpoint:\n%s", got)
	}
	us.click("#tab-hotline")

	// The node comes back with another key: the banner names the change.
	// (The page is loaded again: in this in-process restart the page's
	// WebSocket streams to the old server stay open, as dhttp.Server.Close
	// does not end hijacked connections, so no reconnection prompts a check.)
	f.stop()
	_, f.key, _ = ed25519.GenerateKey(rand.Reader)
	f.start()
	us.reopen("US", "#ru-us-syria/hotline")
	us.wait("key banner", `document.getElementById("record-banner")?.dataset.fault === "key"`, 15*time.Second)
	if msg := us.eval(`document.getElementById("record-fault").textContent`); !strings.Contains(msg, nodeKey) || !strings.Contains(msg, deconflict.EncodeKey(f.key.Public().(ed25519.PublicKey))) {
		t.Fatalf("key banner %q, want both keys", msg)
	}
	newKey := deconflict.EncodeKey(f.key.Public().(ed25519.PublicKey))
	us.click("#record-accept")
	us.click("#record-accept-confirm")
	us.wait("the new key pinned", fmt.Sprintf(`JSON.parse(localStorage.getItem("deconflict-record:node")).key === %q && document.getElementById("record-banner").hidden`, newKey), 10*time.Second)
	us.checkNoErrors()
}
