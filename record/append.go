package record

import (
	"fmt"
	"math/bits"
)

// Appended is the outcome of appending a batch of leaves to a log: the
// stored hashes to write and the new tree. The node writes Hashes at
// storage indexes FirstIndex, FirstIndex+1, ... in the same transaction as
// the leaves themselves.
type Appended struct {
	OldSize    int64  // leaves before the batch (the first new leaf's index)
	Size       int64  // leaves after the batch
	FirstIndex int64  // storage index of Hashes[0]: StoredHashIndex(0, OldSize)
	Hashes     []Hash // new stored hashes, consecutive from FirstIndex
	LeafHashes []Hash // leaf hash of each new leaf, in order (for a lookup index)
	Root       Hash   // root of the tree of Size leaves

	old map[int64]Hash // roots of the old tree's complete subtrees, read from r
	r   HashReader     // the store, for any other hash of the old tree
}

// StoredHashesForLeaves computes the stored hashes for appending leaves
// (each the exact logged bytes) to a log that has size leaves and whose
// existing stored hashes r reads. It reads at most 63 hashes, in one
// ReadHashes call (the roots of the complete subtrees of the current tree).
//
// The caller must serialise appends to one log: size must be the log's size
// in the same transaction that writes the result.
func StoredHashesForLeaves(size int64, leaves [][]byte, r HashReader) (*Appended, error) {
	hs := make([]Hash, len(leaves))
	for i, l := range leaves {
		hs[i] = LeafHash(l)
	}
	return StoredHashesForLeafHashes(size, hs, r)
}

// StoredHashesForLeafHashes is StoredHashesForLeaves for leaves given by
// their leaf hashes (LeafHash of the logged bytes). It keeps leafHashes as
// the result's LeafHashes.
func StoredHashesForLeafHashes(size int64, leafHashes []Hash, r HashReader) (*Appended, error) {
	if size < 0 {
		return nil, fmt.Errorf("append to log of size %d: %w: negative size", size, ErrMalformed)
	}
	idx := frontierIndexes(size)
	var roots []Hash
	if len(idx) > 0 {
		var err error
		roots, err = r.ReadHashes(idx)
		if err != nil {
			return nil, fmt.Errorf("append to log of size %d: read %d stored hashes: %w", size, len(idx), err)
		}
		if len(roots) != len(idx) {
			return nil, fmt.Errorf("append to log of size %d: read %d stored hashes, got %d", size, len(idx), len(roots))
		}
	}
	a := &Appended{
		OldSize:    size,
		Size:       size + int64(len(leafHashes)),
		FirstIndex: StoredHashIndex(0, size),
		LeafHashes: leafHashes,
		old:        make(map[int64]Hash, len(idx)),
		r:          r,
	}
	for i, x := range idx {
		a.old[x] = roots[i]
	}
	f := frontier{size: size, stack: append(make([]Hash, 0, 64), roots...)} // a copy: roots may be the reader's
	a.Hashes = make([]Hash, 0, 2*len(leafHashes)+1)
	for _, h := range leafHashes {
		a.Hashes = f.push(h, a.Hashes)
	}
	a.Root = f.root()
	return a, nil
}

// ReadHashes reads stored hashes of the tree after the batch: new ones from
// the batch, the old tree's subtree roots from what was read, any other
// from the HashReader given to StoredHashesForLeaves (so use it only while
// that reader is valid, e.g. inside its transaction). Not safe for
// concurrent use if that reader is not.
func (a *Appended) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	var miss []int64
	var missAt []int
	for i, x := range indexes {
		switch h, ok := a.old[x]; {
		case x >= a.FirstIndex && x < a.FirstIndex+int64(len(a.Hashes)):
			out[i] = a.Hashes[x-a.FirstIndex]
		case ok:
			out[i] = h
		case x >= a.FirstIndex+int64(len(a.Hashes)):
			return nil, fmt.Errorf("read stored hash %d: %w: tree of size %d has %d", x, ErrNotFound, a.Size, a.FirstIndex+int64(len(a.Hashes)))
		default:
			miss = append(miss, x)
			missAt = append(missAt, i)
		}
	}
	if len(miss) > 0 {
		hs, err := a.r.ReadHashes(miss)
		if err != nil {
			return nil, err
		}
		if len(hs) != len(miss) {
			return nil, fmt.Errorf("read %d stored hashes, got %d", len(miss), len(hs))
		}
		for j, i := range missAt {
			out[i] = hs[j]
		}
	}
	return out, nil
}

// InclusionProof returns the inclusion proof of leaf index in the tree of
// a.Size leaves. For the batch's own leaves it needs no read from the store.
func (a *Appended) InclusionProof(index int64) ([]Hash, error) {
	return ProveInclusion(a.Size, index, a)
}

// ConsistencyProof returns the proof that the tree after the batch extends
// the tree of oldSize leaves.
func (a *Appended) ConsistencyProof(oldSize int64) ([]Hash, error) {
	return ProveConsistency(oldSize, a.Size, a)
}

// frontierIndexes returns the storage indexes of the roots of the complete
// subtrees that make up a tree of size leaves, largest (leftmost) first.
// Appending to the tree needs exactly these old hashes.
func frontierIndexes(size int64) []int64 {
	var idx []int64
	var start int64
	for k := 62; k >= 0; k-- {
		if size&(1<<k) != 0 {
			idx = append(idx, StoredHashIndex(k, start>>k))
			start += 1 << k
		}
	}
	return idx
}

// frontier is the compact state of a growing tree: the roots of its
// complete subtrees, left to right (sizes are the set bits of size).
type frontier struct {
	size  int64
	stack []Hash
}

// push appends the leaf hash h, appends the stored hashes it creates to
// out (h, then one per completed subtree, in storage order) and returns out.
func (f *frontier) push(h Hash, out []Hash) []Hash {
	out = append(out, h)
	for m := bits.TrailingZeros64(^uint64(f.size)); m > 0; m-- {
		h = NodeHash(f.stack[len(f.stack)-1], h)
		f.stack = f.stack[:len(f.stack)-1]
		out = append(out, h)
	}
	f.stack = append(f.stack, h)
	f.size++
	return out
}

// root returns the root of the tree so far.
func (f *frontier) root() Hash {
	if len(f.stack) == 0 {
		return EmptyRoot
	}
	h := f.stack[len(f.stack)-1]
	for i := len(f.stack) - 2; i >= 0; i-- {
		h = NodeHash(f.stack[i], h)
	}
	return h
}

// MemStore is a log's stored hashes in memory: for tests, benchmarks and
// an auditor that recomputes a tree. The zero value is an empty log. It is
// not safe for concurrent use.
type MemStore struct {
	size   int64
	hashes []Hash
}

// Size returns the number of leaves.
func (m *MemStore) Size() int64 { return m.size }

// ReadHashes implements HashReader. ErrNotFound for an index not stored.
func (m *MemStore) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("read stored hash %d: %w: %d stored", x, ErrNotFound, len(m.hashes))
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// Append appends leaves (the logged bytes) and returns what was appended.
func (m *MemStore) Append(leaves ...[]byte) (*Appended, error) {
	a, err := StoredHashesForLeaves(m.size, leaves, m)
	if err != nil {
		return nil, err
	}
	return a, m.Write(a)
}

// Write stores the outcome of StoredHashesForLeaves. ErrMalformed if a
// does not start at the end of the store.
func (m *MemStore) Write(a *Appended) error {
	if a.OldSize != m.size || a.FirstIndex != int64(len(m.hashes)) {
		return fmt.Errorf("write batch from size %d at storage index %d: %w: store has size %d and %d hashes", a.OldSize, a.FirstIndex, ErrMalformed, m.size, len(m.hashes))
	}
	m.hashes = append(m.hashes, a.Hashes...)
	m.size = a.Size
	return nil
}
