package record_test

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/record"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// MustReceipts returns a log of n leaves signed by key as origin "n1/ch"
// and a receipt for every leaf against the checkpoint of size n.
func MustReceipts(tb testing.TB, n int, key ed25519.PrivateKey) []*record.Receipt {
	tb.Helper()
	m := MustStore(tb, n, 10)
	root, err := record.TreeHash(int64(n), m)
	if err != nil {
		tb.Fatal(err)
	}
	c := record.Checkpoint{Origin: "n1/ch", Size: int64(n), Root: root}
	signed := MustSign(tb, c, key)
	vkey, err := record.VerifierKey(c.Origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		tb.Fatal(err)
	}
	var out []*record.Receipt
	for i := 0; i < n; i++ {
		p, err := record.ProveInclusion(int64(n), int64(i), m)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, record.NewReceipt(leafData(i), int64(i), signed, p, vkey))
	}
	return out
}

func TestReceipts(t *testing.T) {
	key := MustKey(1)
	pub := key.Public().(ed25519.PublicKey)
	for i, r := range MustReceipts(t, 100, key) {
		// Through JSON, as a party keeps it.
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := record.ParseReceipt(b)
		if err != nil {
			t.Fatal(err)
		}
		c, err := record.VerifyReceipt(r2, pub)
		if err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		if got, want := c.Size, int64(100); got != want {
			t.Fatalf("Size=%d, want %d", got, want)
		}
		hashOnly := *r2
		hashOnly.Leaf = nil
		if _, err := record.VerifyReceipt(&hashOnly, pub); err != nil {
			t.Fatalf("receipt %d without the leaf: %v", i, err)
		}
		leafOnly := *r2
		leafOnly.LeafHash = record.Hash{}
		if _, err := record.VerifyReceipt(&leafOnly, pub); err != nil {
			t.Fatalf("receipt %d without the leaf hash: %v", i, err)
		}
	}
}

// TestReceiptNodeFormat decodes a receipt in the node's JSON form (with
// fields this package does not know) and verifies it.
func TestReceiptNodeFormat(t *testing.T) {
	key := MustKey(1)
	r := MustReceipts(t, 5, key)[3]
	b, err := json.Marshal(map[string]any{
		"channel": "ch", "index": r.Index, "id": "abc", "received": "2026-11-29T19:00:00Z",
		"leaf_hash": r.LeafHash[:], "leaf": r.Leaf, "checkpoint": r.Checkpoint,
		"proof": func() (ps [][]byte) {
			for _, h := range r.Proof {
				ps = append(ps, h[:])
			}
			return ps
		}(), "node_key": r.NodeKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := record.ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := record.VerifyReceipt(r2, key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
}

func TestReceiptTampered(t *testing.T) {
	key := MustKey(1)
	pub := key.Public().(ed25519.PublicKey)
	rs := MustReceipts(t, 100, key)
	// A forger with its own key, signing a checkpoint of a log it made.
	forged := MustReceipts(t, 100, MustKey(7))[41]
	for name, tc := range map[string]struct {
		edit func(r *record.Receipt)
		key  ed25519.PublicKey
		want error
		says string
	}{
		"ErrLeafByte": {func(r *record.Receipt) { r.Leaf = append([]byte(nil), r.Leaf...); r.Leaf[3] ^= 1 }, pub, record.ErrProof, "the leaf bytes hash to"},
		"ErrLeafBytesAndHash": {func(r *record.Receipt) {
			r.Leaf = []byte("other")
			r.LeafHash = record.LeafHash(r.Leaf)
		}, pub, record.ErrProof, "inclusion proof of index 41"},
		"ErrIndex":        {func(r *record.Receipt) { r.Index = 40 }, pub, record.ErrProof, "index 40"},
		"ErrIndexOut":     {func(r *record.Receipt) { r.Index = 100 }, pub, record.ErrProof, "not in checkpoint of size 100"},
		"ErrProof":        {func(r *record.Receipt) { r.Proof = append([]record.Hash(nil), r.Proof...); r.Proof[2][0] ^= 1 }, pub, record.ErrProof, "proof does not verify"},
		"ErrProofShort":   {func(r *record.Receipt) { r.Proof = r.Proof[1:] }, pub, record.ErrProof, "proof does not verify"},
		"ErrCheckpoint":   {func(r *record.Receipt) { r.Checkpoint = strings.Replace(r.Checkpoint, "\n100\n", "\n101\n", 1) }, pub, record.ErrBadSignature, "bad signature"},
		"ErrUntrusted":    {func(r *record.Receipt) {}, MustKey(2).Public().(ed25519.PublicKey), record.ErrUnknownKey, "not the trusted node key"},
		"ErrForgedKey":    {func(r *record.Receipt) { *r = *forged }, pub, record.ErrUnknownKey, "not the trusted node key"},
		"ErrNodeKey":      {func(r *record.Receipt) { r.NodeKey = "garbage" }, pub, record.ErrMalformed, "node key"},
		"ErrKeyForOther":  {func(r *record.Receipt) { r.NodeKey, _ = record.VerifierKey("n1/other", pub) }, pub, record.ErrWrongOrigin, `origin "n1/ch", want "n1/other"`},
		"ErrNoLeaf":       {func(r *record.Receipt) { r.Leaf, r.LeafHash = nil, record.Hash{} }, pub, record.ErrMalformed, "neither leaf nor leaf_hash"},
		"ErrNoCheckpoint": {func(r *record.Receipt) { r.Checkpoint = "" }, pub, record.ErrMalformed, "checkpoint"},
	} {
		t.Run(name, func(t *testing.T) {
			r := *rs[41]
			tc.edit(&r)
			_, err := record.VerifyReceipt(&r, tc.key)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err=%v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err=%q, want it to say %q", err, tc.says)
			}
		})
	}
	// Without a pinned key the forged receipt verifies: it only proves the
	// holder of its own key signed it. That is why callers pin the key.
	if _, err := record.VerifyReceipt(forged, nil); err != nil {
		t.Fatalf("forged receipt with its own key, no pin: %v", err)
	}
	if _, err := record.ParseReceipt([]byte(`{"index":"x"}`)); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("ParseReceipt: err=%v, want ErrMalformed", err)
	}
}

// TestReceiptGolden verifies a receipt committed to testdata: the format a
// party keeps must verify with later versions of this code. Regenerate
// only on purpose, with -update.
func TestReceiptGolden(t *testing.T) {
	path := filepath.Join("testdata", "receipt.json")
	key := MustKey(1)
	if *update {
		b, err := json.MarshalIndent(MustReceipts(t, 1000, key)[41], "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := record.ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	c, err := record.VerifyReceipt(r, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c, (record.Checkpoint{Origin: "n1/ch", Size: 1000, Root: refMTH(leafHashes(1000))}); got != want {
		t.Fatalf("checkpoint=%v, want %v", got, want)
	}
	if got, want := r.Index, int64(41); got != want {
		t.Fatalf("Index=%d, want %d", got, want)
	}
}
