package record_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	xtlog "golang.org/x/mod/sumdb/tlog"

	"github.com/deconflict/deconflict/record"
)

// The reference below is RFC 6962 section 2.1 written out literally, with
// no stored hashes and no shortcuts: MTH, PATH and PROOF.

func refLeafHash(d []byte) record.Hash {
	return sha256.Sum256(append([]byte{0}, d...))
}

func refNode(l, r record.Hash) record.Hash {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// split returns the largest power of two smaller than n.
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

func refMTH(d []record.Hash) record.Hash {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return d[0]
	}
	k := split(len(d))
	return refNode(refMTH(d[:k]), refMTH(d[k:]))
}

func refPath(m int, d []record.Hash) []record.Hash {
	if len(d) <= 1 {
		return nil
	}
	k := split(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refMTH(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refMTH(d[:k]))
}

func refProof(m int, d []record.Hash) []record.Hash { return refSubproof(m, d, true) }

func refSubproof(m int, d []record.Hash, b bool) []record.Hash {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return []record.Hash{refMTH(d)}
	}
	k := split(n)
	if m <= k {
		return append(refSubproof(m, d[:k], b), refMTH(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refMTH(d[:k]))
}

func leafData(i int) []byte { return []byte(fmt.Sprintf(`{"envelope":%d,"text":"leaf %d"}`, i, i)) }

func leafHashes(n int) []record.Hash {
	hs := make([]record.Hash, n)
	for i := range hs {
		hs[i] = refLeafHash(leafData(i))
	}
	return hs
}

// MustStore returns a MemStore with leaves 0..n-1 of leafData, appended in
// batches of batch.
func MustStore(tb testing.TB, n, batch int) *record.MemStore {
	tb.Helper()
	var m record.MemStore
	for i := 0; i < n; i += batch {
		var leaves [][]byte
		for j := i; j < min(i+batch, n); j++ {
			leaves = append(leaves, leafData(j))
		}
		if _, err := m.Append(leaves...); err != nil {
			tb.Fatal(err)
		}
	}
	return &m
}

func equalHashes(a, b []record.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLeafHash(t *testing.T) {
	if got, want := record.LeafHash([]byte("x")), refLeafHash([]byte("x")); got != want {
		t.Fatalf("LeafHash=%v, want %v", got, want)
	}
	if got, want := record.EmptyRoot, record.Hash(sha256.Sum256(nil)); got != want {
		t.Fatalf("EmptyRoot=%v, want %v", got, want)
	}
}

// TestAppendBatches appends in batches of several sizes and compares the
// stored hashes with x/mod's one-leaf-at-a-time StoredHashes and the root
// with the RFC 6962 reference after every batch.
func TestAppendBatches(t *testing.T) {
	const n = 300
	hs := leafHashes(n)
	var want []record.Hash // stored hashes, one leaf at a time, by x/mod
	r := xtlog.HashReaderFunc(func(idx []int64) ([]record.Hash, error) {
		out := make([]record.Hash, len(idx))
		for i, x := range idx {
			out[i] = want[x]
		}
		return out, nil
	})
	for i := 0; i < n; i++ {
		s, err := xtlog.StoredHashes(int64(i), leafData(i), r)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, s...)
	}
	for _, batch := range []int{1, 2, 3, 7, 64, 100, 256, n} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			var m record.MemStore
			var stored []record.Hash
			for i := 0; i < n; i += batch {
				var leaves [][]byte
				for j := i; j < min(i+batch, n); j++ {
					leaves = append(leaves, leafData(j))
				}
				a, err := m.Append(leaves...)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := a.FirstIndex, int64(len(stored)); got != want {
					t.Fatalf("FirstIndex=%d, want %d", got, want)
				}
				stored = append(stored, a.Hashes...)
				if got, want := a.Size, int64(i+len(leaves)); got != want {
					t.Fatalf("Size=%d, want %d", got, want)
				}
				if got, want := a.Root, refMTH(hs[:a.Size]); got != want {
					t.Fatalf("size %d: Root=%v, want %v", a.Size, got, want)
				}
				if got, want := a.LeafHashes[0], hs[i]; got != want {
					t.Fatalf("LeafHashes[0]=%v, want %v", got, want)
				}
				root, err := record.TreeHash(a.Size, &m)
				if err != nil {
					t.Fatal(err)
				}
				if root != a.Root {
					t.Fatalf("TreeHash(%d)=%v, want %v", a.Size, root, a.Root)
				}
				// The batch's own proofs come from the batch, the rest from the store.
				for _, j := range []int64{0, int64(i), a.Size - 1} {
					p, err := a.InclusionProof(j)
					if err != nil {
						t.Fatal(err)
					}
					if want := refPath(int(j), hs[:a.Size]); !equalHashes(p, want) {
						t.Fatalf("size %d: InclusionProof(%d) differs from reference", a.Size, j)
					}
				}
				p, err := a.ConsistencyProof(int64(i))
				if err != nil {
					t.Fatal(err)
				}
				if i > 0 && !equalHashes(p, refProof(i, hs[:a.Size])) {
					t.Fatalf("ConsistencyProof(%d) to %d differs from reference", i, a.Size)
				}
			}
			if !equalHashes(stored, want) {
				t.Fatalf("stored hashes differ from x/mod's StoredHashes")
			}
			if got, want := int64(len(stored)), record.StoredHashCount(n); got != want {
				t.Fatalf("%d stored hashes, want StoredHashCount=%d", got, want)
			}
		})
	}
}

func TestAppendEmptyBatch(t *testing.T) {
	m := MustStore(t, 5, 5)
	a, err := record.StoredHashesForLeaves(5, nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(a.Hashes), 0; got != want {
		t.Fatalf("len(Hashes)=%d, want %d", got, want)
	}
	if got, want := a.Root, refMTH(leafHashes(5)); got != want {
		t.Fatalf("Root=%v, want %v", got, want)
	}
}

func TestAppendReadError(t *testing.T) {
	m := MustStore(t, 5, 5)
	bad := xtlog.HashReaderFunc(func([]int64) ([]record.Hash, error) { return nil, errors.New("disk on fire") })
	if _, err := record.StoredHashesForLeaves(5, [][]byte{[]byte("x")}, bad); err == nil {
		t.Fatal("no error from a failing store")
	}
	if err := m.Write(&record.Appended{OldSize: 3, FirstIndex: 4}); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("Write of a batch not at the end: err=%v, want ErrMalformed", err)
	}
}

// TestProofs compares every inclusion and consistency proof of trees of
// many sizes with the RFC 6962 reference, and verifies them.
func TestProofs(t *testing.T) {
	hs := leafHashes(1100)
	m := MustStore(t, len(hs), 37)
	sizes := []int{}
	for n := 1; n <= 70; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 127, 128, 129, 255, 256, 257, 1000, 1024, 1025, 1100)
	for _, n := range sizes {
		root := refMTH(hs[:n])
		got, err := record.TreeHash(int64(n), m)
		if err != nil {
			t.Fatal(err)
		}
		if got != root {
			t.Fatalf("TreeHash(%d)=%v, want %v", n, got, root)
		}
		step := 1
		if n > 70 {
			step = n/13 + 1
		}
		for i := 0; i < n; i += step {
			p, err := record.ProveInclusion(int64(n), int64(i), m)
			if err != nil {
				t.Fatal(err)
			}
			if want := refPath(i, hs[:n]); !equalHashes(p, want) {
				t.Fatalf("ProveInclusion(size %d, index %d) = %d hashes, want %d (reference)", n, i, len(p), len(want))
			}
			if err := record.VerifyInclusion(p, int64(n), root, int64(i), hs[i]); err != nil {
				t.Fatalf("VerifyInclusion(size %d, index %d): %v", n, i, err)
			}
		}
		for old := 0; old <= n; old += step {
			p, err := record.ProveConsistency(int64(old), int64(n), m)
			if err != nil {
				t.Fatal(err)
			}
			var want []record.Hash
			if old > 0 {
				want = refProof(old, hs[:n])
			}
			if !equalHashes(p, want) {
				t.Fatalf("ProveConsistency(%d, %d) = %d hashes, want %d (reference)", old, n, len(p), len(want))
			}
			if err := record.VerifyConsistency(p, int64(old), refMTH(hs[:old]), int64(n), root); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", old, n, err)
			}
		}
	}
}

func TestProofErrors(t *testing.T) {
	hs := leafHashes(100)
	m := MustStore(t, 100, 100)
	root := refMTH(hs)
	if _, err := record.ProveInclusion(100, 100, m); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("ProveInclusion(100, 100): err=%v, want ErrNotFound", err)
	}
	if _, err := record.ProveConsistency(101, 100, m); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("ProveConsistency(101, 100): err=%v, want ErrNotFound", err)
	}
	if _, err := record.ProveInclusion(200, 150, m); err == nil {
		t.Fatal("ProveInclusion beyond the store: no error")
	}
	p, err := record.ProveInclusion(100, 41, m)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(p []record.Hash, i int) []record.Hash {
		q := append([]record.Hash(nil), p...)
		q[i][0] ^= 1
		return q
	}
	for name, tc := range map[string]struct {
		proof []record.Hash
		size  int64
		index int64
		leaf  record.Hash
		want  error
	}{
		"OK":            {p, 100, 41, hs[41], nil},
		"ErrFlipFirst":  {flip(p, 0), 100, 41, hs[41], record.ErrProof},
		"ErrFlipLast":   {flip(p, len(p)-1), 100, 41, hs[41], record.ErrProof},
		"ErrWrongLeaf":  {p, 100, 41, hs[42], record.ErrProof},
		"ErrWrongIndex": {p, 100, 40, hs[41], record.ErrProof},
		"ErrWrongSize":  {p, 64, 41, hs[41], record.ErrProof}, // 99 would pass: the last hash is opaque, the signed root binds the size
		"ErrShort":      {p[:len(p)-1], 100, 41, hs[41], record.ErrProof},
		"ErrLong":       {append(append([]record.Hash(nil), p...), hs[0]), 100, 41, hs[41], record.ErrProof},
		"ErrIndexOut":   {p, 100, 100, hs[41], record.ErrMalformed},
		"ErrHuge":       {make([]record.Hash, 1000), 100, 41, hs[41], record.ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			err := record.VerifyInclusion(tc.proof, tc.size, root, tc.index, tc.leaf)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("VerifyInclusion: err=%v, want %v", err, tc.want)
			}
		})
	}
	cp, err := record.ProveConsistency(60, 100, m)
	if err != nil {
		t.Fatal(err)
	}
	old := refMTH(hs[:60])
	for name, tc := range map[string]struct {
		proof            []record.Hash
		oldSize          int64
		oldRoot, newRoot record.Hash
		newSize          int64
		want             error
	}{
		"OK":            {cp, 60, old, root, 100, nil},
		"ErrFlip":       {flip(cp, 1), 60, old, root, 100, record.ErrProof},
		"ErrOldRoot":    {cp, 60, hs[0], root, 100, record.ErrProof},
		"ErrNewRoot":    {cp, 60, old, hs[0], 100, record.ErrProof},
		"ErrOldSize":    {cp, 59, old, root, 100, record.ErrProof},
		"ErrShort":      {cp[1:], 60, old, root, 100, record.ErrProof},
		"ErrOrder":      {cp, 101, old, root, 100, record.ErrMalformed},
		"SameSize":      {nil, 100, root, root, 100, nil},
		"ErrSameSize":   {nil, 100, old, root, 100, record.ErrProof},
		"FromEmpty":     {nil, 0, record.EmptyRoot, root, 100, nil},
		"ErrFromEmpty":  {nil, 0, old, root, 100, record.ErrProof},
		"ErrEmptyProof": {[]record.Hash{old}, 0, record.EmptyRoot, root, 100, record.ErrProof},
	} {
		t.Run("Consistency"+name, func(t *testing.T) {
			err := record.VerifyConsistency(tc.proof, tc.oldSize, tc.oldRoot, tc.newSize, tc.newRoot)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("VerifyConsistency: err=%v, want %v", err, tc.want)
			}
		})
	}
}

// TestMemStoreBytes checks the store keeps exactly what it was given.
func TestMemStoreBytes(t *testing.T) {
	m := MustStore(t, 3, 1)
	h, err := m.ReadHashes([]int64{0})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h[0][:], func() []byte { x := refLeafHash(leafData(0)); return x[:] }()) {
		t.Fatal("stored leaf hash 0 differs")
	}
	if _, err := m.ReadHashes([]int64{99}); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("ReadHashes(99): err=%v, want ErrNotFound", err)
	}
}

// TestAppendProofsWithoutStore: the node builds every receipt of a batch
// from the batch alone; the store is read once, for the old tree's roots.
func TestAppendProofsWithoutStore(t *testing.T) {
	for _, old := range []int{0, 1, 5, 255, 256, 1000} {
		m := MustStore(t, old, 50)
		reads := 0
		r := xtlog.HashReaderFunc(func(idx []int64) ([]record.Hash, error) {
			reads++
			return m.ReadHashes(idx)
		})
		var leaves [][]byte
		for i := old; i < old+300; i++ {
			leaves = append(leaves, leafData(i))
		}
		a, err := record.StoredHashesForLeaves(int64(old), leaves, r)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(old, 1); reads != want {
			t.Fatalf("old size %d: %d reads of the store, want %d", old, reads, want)
		}
		hs := leafHashes(old + 300)
		for i := int64(old); i < a.Size; i++ {
			p, err := a.InclusionProof(i)
			if err != nil {
				t.Fatal(err)
			}
			if !equalHashes(p, refPath(int(i), hs)) {
				t.Fatalf("old size %d: proof of %d differs from reference", old, i)
			}
		}
		if want := min(old, 1); reads != want {
			t.Fatalf("old size %d: proofs of the batch read the store (%d reads)", old, reads-1)
		}
	}
}
