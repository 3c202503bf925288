package record_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"

	"github.com/deconflict/deconflict/record"
)

// benchLeafSize is about a logged hotline message: a 300-byte payload in
// base64 with the author's key and signature (deconflict.Signed.Leaf).
const benchLeafSize = 550

func benchLeaf(i int) []byte {
	b := bytes.Repeat([]byte{'a'}, benchLeafSize)
	copy(b, fmt.Sprintf(`{"payload":"%d`, i))
	return b
}

// BenchmarkAppend appends batches of leaves to an in-memory store: the
// hashing cost of the log alone. One op is one batch.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			leaves := make([][]byte, batch)
			for i := range leaves {
				leaves[i] = benchLeaf(i)
			}
			var m record.MemStore
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Append(leaves...); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}

var (
	benchStoresMu sync.Mutex
	benchStores   = map[int]*record.MemStore{}
)

// benchStore returns a MemStore of n leaves, built once per process.
func benchStore(b *testing.B, n int) *record.MemStore {
	benchStoresMu.Lock()
	defer benchStoresMu.Unlock()
	if m, ok := benchStores[n]; ok {
		return m
	}
	var m record.MemStore
	const batch = 10000
	leaves := make([][]byte, 0, batch)
	for i := 0; i < n; i += batch {
		leaves = leaves[:0]
		for j := i; j < min(i+batch, n); j++ {
			leaves = append(leaves, leafData(j))
		}
		if _, err := m.Append(leaves...); err != nil {
			b.Fatal(err)
		}
	}
	benchStores[n] = &m
	return &m
}

var benchSizes = []int{1000, 10000, 100000, 1000000}

// BenchmarkProveInclusion proves leaves spread over the tree, in memory.
func BenchmarkProveInclusion(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			m := benchStore(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := record.ProveInclusion(int64(n), int64(i*7919%n), m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProveConsistency proves from sizes spread over the tree.
func BenchmarkProveConsistency(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			m := benchStore(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := record.ProveConsistency(int64(1+i*7919%(n-1)), int64(n), m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyInclusion and BenchmarkVerifyConsistency: the member's side.
func BenchmarkVerifyInclusion(b *testing.B) {
	n := 1000000
	m := benchStore(b, n)
	root, _ := record.TreeHash(int64(n), m)
	p, _ := record.ProveInclusion(int64(n), 424242, m)
	leaf := record.LeafHash(leafData(424242))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := record.VerifyInclusion(p, int64(n), root, 424242, leaf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyConsistency(b *testing.B) {
	n := 1000000
	m := benchStore(b, n)
	root, _ := record.TreeHash(int64(n), m)
	old, _ := record.TreeHash(424242, m)
	p, _ := record.ProveConsistency(424242, int64(n), m)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := record.VerifyConsistency(p, 424242, old, int64(n), root); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignCheckpoint(b *testing.B) {
	key := MustKey(1)
	c := record.Checkpoint{Origin: "node.example.org/ru-us-syria", Size: 1000000, Root: record.EmptyRoot}
	for i := 0; i < b.N; i++ {
		if _, err := record.SignCheckpoint(c, key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyReceipt(b *testing.B) {
	key := MustKey(1)
	r := MustReceipts(b, 1000, key)[41]
	pub := key.Public().(ed25519.PublicKey)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := record.VerifyReceipt(r, pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAudit audits a 100,000-leaf log served from memory (tiles and
// leaves), without and with an Ed25519 signature check per leaf, which is
// what deconflict verify does per envelope. One op is one whole audit.
func BenchmarkAudit(b *testing.B) {
	const n = 100000
	key := MustKey(3)
	pub := key.Public().(ed25519.PublicKey)
	f := &fakeNode{tb: b, key: MustKey(1), origin: "n1/ch", store: &record.MemStore{}, deleted: map[int64]bool{}}
	var leaves [][]byte
	sigs := make([][]byte, n)
	for i := 0; i < n; i++ {
		l := benchLeaf(i)
		leaves = append(leaves, l)
		sigs[i] = ed25519.Sign(key, l)
	}
	a, err := f.store.Append(leaves...)
	if err != nil {
		b.Fatal(err)
	}
	f.leaves = leaves
	f.cp = record.Checkpoint{Origin: f.origin, Size: a.Size, Root: a.Root}
	f.signed = MustSign(b, f.cp, f.key)
	for _, tc := range []struct {
		withSigs    bool
		parallelism int
	}{{false, 1}, {true, 1}, {true, 0}} {
		b.Run(fmt.Sprintf("leaves=%d/ed25519=%v/parallelism=%d", n, tc.withSigs, tc.parallelism), func(b *testing.B) {
			au := f.auditor()
			au.Parallelism = tc.parallelism
			if tc.withSigs {
				au.CheckLeaf = func(i int64, leaf []byte) error {
					if !ed25519.Verify(pub, leaf, sigs[i]) {
						return fmt.Errorf("bad signature")
					}
					return nil
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := au.Audit(context.Background(), f.signed, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}
