package record_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/record"
)

func (f *fakeNode) auditor() *record.Auditor {
	return &record.Auditor{
		Origin:      f.origin,
		NodeKey:     ed25519.PrivateKey(f.key).Public().(ed25519.PublicKey),
		FetchLeaves: f.fetchLeaves,
		FetchTile:   f.fetchTile,
	}
}

// MustAudit audits f and fails the test on error.
func MustAudit(tb testing.TB, f *fakeNode, prev *record.Checkpoint) record.Checkpoint {
	tb.Helper()
	c, err := f.auditor().Audit(context.Background(), f.signed, prev)
	if err != nil {
		tb.Fatalf("audit of an honest log: %v", err)
	}
	return c
}

func TestAuditHonest(t *testing.T) {
	f := newFakeNode(t, 1000)
	c := MustAudit(t, f, nil)
	if c != f.cp {
		t.Fatalf("Audit=%v, want %v", c, f.cp)
	}
	f.grow(1500)
	c2 := MustAudit(t, f, &c)
	if c2 != f.cp {
		t.Fatalf("Audit=%v, want %v", c2, f.cp)
	}
	// Same checkpoint again; an empty log; a log growing from empty.
	MustAudit(t, f, &c2)
	e := newFakeNode(t, 0)
	ce := MustAudit(t, e, nil)
	e.grow(3)
	MustAudit(t, e, &ce)
	// The consistency proof from the node rather than from the tiles.
	a := f.auditor()
	a.FetchConsistency = func(ctx context.Context, oldSize, newSize int64) ([]record.Hash, error) {
		return record.ProveConsistency(oldSize, newSize, f.store)
	}
	if _, err := a.Audit(context.Background(), f.signed, &c); err != nil {
		t.Fatal(err)
	}
}

// TestAuditTampered is every tampering case of issue 3 as a member sees
// it: each is caught, naming the first bad index where there is one.
func TestAuditTampered(t *testing.T) {
	base := newFakeNode(t, 1000)
	prev120 := func() *record.Checkpoint {
		f := newFakeNode(t, 120)
		return &f.cp
	}
	for name, tc := range map[string]struct {
		tamper func(f *fakeNode) *record.Checkpoint // returns the previous checkpoint, if any
		edit   func(a *record.Auditor)
		kind   string
		index  int64
		says   string
		is     error
	}{
		"ChangedLeaf": {
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.leaves[41] = []byte(strings.Replace(string(f.leaves[41]), "41", "42", 1))
				return nil
			},
			kind: record.KindLeaf, index: 41, says: "index 41: leaf hash differs from the log",
		},
		"DeletedLeaf": {
			tamper: func(f *fakeNode) *record.Checkpoint { f.deleted[41] = true; return nil },
			kind:   record.KindMissing, index: 41, says: "index 41: missing: the node served index 42 next",
		},
		"DeletedLeafRenumbered": { // the row deleted and the rest moved down
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.leaves = append(f.leaves[:41:41], f.leaves[42:]...)
				return nil
			},
			kind: record.KindLeaf, index: 41, says: "index 41: leaf hash differs",
		},
		"SwappedLeaves": {
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.leaves[300], f.leaves[301] = f.leaves[301], f.leaves[300]
				return nil
			},
			kind: record.KindLeaf, index: 300, says: "index 300: leaf hash differs",
		},
		"TruncatedLog": {
			tamper: func(f *fakeNode) *record.Checkpoint { f.leaves = f.leaves[:900]; return nil },
			kind:   record.KindMissing, index: 900, says: "index 900: missing: the checkpoint has 1000 leaves; the node served none at 900",
		},
		"Rollback": { // the node restored from an old copy of its data directory
			tamper: func(f *fakeNode) *record.Checkpoint {
				prev := f.cp
				*f = *newFakeNode(t, 900)
				return &prev
			},
			kind: record.KindRollback, index: -1, says: "rollback: checkpoint size 900 < previously verified 1000",
		},
		"Fork": { // history rewritten at 5, the whole tree rebuilt and re-signed
			tamper: func(f *fakeNode) *record.Checkpoint {
				prev := newFakeNode(t, 120).cp
				f.leaves[5] = []byte("rewritten")
				f.store = &record.MemStore{}
				if _, err := f.store.Append(f.leaves...); err != nil {
					t.Fatal(err)
				}
				root, _ := record.TreeHash(1000, f.store)
				f.cp.Root = root
				f.signed = MustSign(t, f.cp, f.key)
				return &prev
			},
			kind: record.KindFork, index: -1, says: "fork: consistency proof from size 120 to 1000 fails", is: record.ErrProof,
		},
		"ForkSameSize": {
			tamper: func(f *fakeNode) *record.Checkpoint {
				prev := f.cp
				prev.Root[0] ^= 1
				return &prev
			},
			kind: record.KindFork, index: -1, says: "fork: checkpoint of size 1000 has root",
		},
		"ForgedConsistencyProof": {
			tamper: func(f *fakeNode) *record.Checkpoint { return prev120() },
			edit: func(a *record.Auditor) {
				a.FetchConsistency = func(ctx context.Context, o, n int64) ([]record.Hash, error) {
					p, err := record.ProveConsistency(o, n, base.store)
					p[0][3] ^= 1
					return p, err
				}
			},
			kind: record.KindFork, index: -1, says: "fork: consistency proof from size 120 to 1000 fails",
		},
		"ReplacedNodeKey": {
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.key = MustKey(2)
				f.signed = MustSign(t, f.cp, f.key)
				return nil
			},
			edit: func(a *record.Auditor) { a.NodeKey = MustKey(1).Public().(ed25519.PublicKey) },
			kind: record.KindCheckpoint, index: -1, says: "checkpoint: \"n1/ch\": not signed by the expected key", is: record.ErrUnknownKey,
		},
		"WrongOrigin": {
			tamper: func(f *fakeNode) *record.Checkpoint { return nil },
			edit:   func(a *record.Auditor) { a.Origin = "n1/other" },
			kind:   record.KindCheckpoint, index: -1, says: `origin "n1/ch", want "n1/other"`, is: record.ErrWrongOrigin,
		},
		"MalformedCheckpoint": {
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.signed = []byte("n1/ch\n1000\nxyz\n\n— n1/ch AAAA\n")
				return nil
			},
			kind: record.KindCheckpoint, index: -1, says: "malformed", is: record.ErrMalformed,
		},
		"BadSignature": {
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.signed = []byte(strings.Replace(string(f.signed), "\n1000\n", "\n1001\n", 1))
				return nil
			},
			kind: record.KindCheckpoint, index: -1, says: "bad signature", is: record.ErrBadSignature,
		},
		"LeafCheck": {
			tamper: func(f *fakeNode) *record.Checkpoint { return nil },
			edit: func(a *record.Auditor) {
				a.CheckLeaf = func(i int64, leaf []byte) error {
					if i == 7 {
						return fmt.Errorf("envelope signature does not verify for key RU1")
					}
					return nil
				}
			},
			kind: record.KindLeaf, index: 7, says: "index 7: envelope signature does not verify for key RU1",
		},
		"LeafCheckPanics": { // a leaf that makes the check panic is that leaf's fault, not a crash
			tamper: func(f *fakeNode) *record.Checkpoint { return nil },
			edit: func(a *record.Auditor) {
				a.CheckLeaf = func(i int64, leaf []byte) error {
					if i == 9 {
						var m map[string]int
						m["x"] = 1
					}
					return nil
				}
			},
			kind: record.KindLeaf, index: 9, says: "index 9: checking the leaf panicked",
		},
		"BadTiles": { // leaves fine, hash tiles served wrong
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.badTiles = func(p string, d []byte) []byte {
					if p == "tile/0/002" {
						d = append([]byte(nil), d...)
						d[0] ^= 1
					}
					return d
				}
				return nil
			},
			kind: record.KindTiles, index: -1, says: "tiles: the leaves match the checkpoint but the node's tiles do not", is: record.ErrProof,
		},
		"LeavesAndHashesRewritten": { // both tables rewritten, old checkpoint kept
			tamper: func(f *fakeNode) *record.Checkpoint {
				f.leaves[41] = []byte("rewritten")
				f.store = &record.MemStore{}
				if _, err := f.store.Append(f.leaves...); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			kind: record.KindRoot, index: -1, says: "the first bad leaf cannot be named",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeNode(t, 1000)
			prev := tc.tamper(f)
			a := f.auditor()
			if tc.edit != nil {
				tc.edit(a)
			}
			_, err := a.Audit(context.Background(), f.signed, prev)
			var ae *record.AuditError
			if !errors.As(err, &ae) {
				t.Fatalf("err=%v, want an *AuditError", err)
			}
			if ae.Kind != tc.kind || ae.Index != tc.index {
				t.Fatalf("Kind=%q Index=%d, want %q %d (%v)", ae.Kind, ae.Index, tc.kind, tc.index, err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err=%q, want it to say %q", err, tc.says)
			}
			t.Log(err)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err=%v, want it to wrap %v", err, tc.is)
			}
		})
	}
}

// TestAuditFetchErrors: a node that cannot be read is not a tampered log.
func TestAuditFetchErrors(t *testing.T) {
	f := newFakeNode(t, 300)
	down := errors.New("connection refused")
	a := f.auditor()
	a.FetchTile = func(context.Context, string) ([]byte, error) { return nil, down }
	_, err := a.Audit(context.Background(), f.signed, nil)
	var ae *record.AuditError
	if errors.As(err, &ae) || !errors.Is(err, down) || !errors.Is(err, record.ErrFetch) {
		t.Fatalf("tiles unreachable: err=%v, want a fetch error, not an AuditError", err)
	}
	a = f.auditor()
	a.FetchLeaves = func(context.Context, int64, int64) ([]record.Leaf, error) { return nil, down }
	if _, err := a.Audit(context.Background(), f.signed, nil); errors.As(err, &ae) || !errors.Is(err, down) {
		t.Fatalf("leaves unreachable: err=%v, want the fetch error", err)
	}
	a = f.auditor()
	a.FetchConsistency = func(context.Context, int64, int64) ([]record.Hash, error) { return nil, down }
	prev := newFakeNode(t, 100).cp
	if _, err := a.Audit(context.Background(), f.signed, &prev); errors.As(err, &ae) || !errors.Is(err, down) {
		t.Fatalf("no consistency proof: err=%v, want the fetch error", err)
	}
}

// TestVerifyStore is the node's start-up check against its own store.
func TestVerifyStore(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		tamper func(f *fakeNode)
		kind   string
		index  int64
		says   string
	}{
		"OK":            {func(f *fakeNode) {}, "", 0, ""},
		"ChangedLeaf":   {func(f *fakeNode) { f.leaves[41] = []byte("x") }, record.KindLeaf, 41, "index 41: leaf hash differs from the stored log"},
		"DeletedLeaf":   {func(f *fakeNode) { f.deleted[600] = true }, record.KindMissing, 600, "index 600: missing from the store (checkpoint size 1000)"},
		"SwappedLeaves": {func(f *fakeNode) { f.leaves[2], f.leaves[3] = f.leaves[3], f.leaves[2] }, record.KindLeaf, 2, "index 2: leaf hash differs"},
		"TruncatedLog":  {func(f *fakeNode) { f.leaves = f.leaves[:999] }, record.KindMissing, 999, "index 999: missing"},
		"ChangedHash": {func(f *fakeNode) {
			// Rebuild the store with one interior hash wrong: the one
			// completed by leaf 511 at level 3.
			var m record.MemStore
			a, err := m.Append(f.leaves[:512]...)
			if err != nil {
				t.Fatal(err)
			}
			a.Hashes[len(a.Hashes)-7][0] ^= 1 // leaf 511 completes levels 0..9; this is level 3
			f.store = &record.MemStore{}
			if err := f.store.Write(a); err != nil {
				t.Fatal(err)
			}
			if _, err := f.store.Append(f.leaves[512:]...); err != nil {
				t.Fatal(err)
			}
		}, record.KindHash, 511, "index 511: stored hash at level 3"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeNode(t, 1000)
			tc.tamper(f)
			err := record.VerifyStore(ctx, f.cp, f.store, f.fetchLeaves, nil)
			if tc.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *record.AuditError
			if !errors.As(err, &ae) {
				t.Fatalf("err=%v, want an *AuditError", err)
			}
			if ae.Kind != tc.kind || ae.Index != tc.index || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err=%q (Kind=%q Index=%d), want %q %d saying %q", err, ae.Kind, ae.Index, tc.kind, tc.index, tc.says)
			}
		})
	}
	f := newFakeNode(t, 10)
	cp := f.cp
	cp.Root[0] ^= 1
	if err := record.VerifyStore(ctx, cp, f.store, f.fetchLeaves, nil); err == nil || !strings.Contains(err.Error(), "root:") {
		t.Fatalf("checkpoint root differs: err=%v", err)
	}
}
