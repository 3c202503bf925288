// Package record is the tamper-evident log of a channel: an append-only
// Merkle tree with RFC 6962 hashing over the exact bytes of each accepted
// envelope, signed checkpoints in the C2SP tlog-checkpoint format, receipts
// that verify offline, proofs, the C2SP tlog-tiles layout and the audit a
// member runs.
//
// The package is pure: it does no I/O of its own (except SaveVerified and
// LoadVerified, which keep an auditor's state in a file). Storage reaches it
// through HashReader, the interface of golang.org/x/mod/sumdb/tlog, whose
// hashing, stored-hash layout and proofs it builds on: a store keeps, per
// channel, the "stored hashes" of the log at dense int64 storage indexes
// (see StoredHashIndex) and answers ReadHashes.
//
// Leaf i of a channel log is the i-th accepted envelope's logged bytes,
// verbatim; its leaf hash is SHA-256(0x00 || bytes) and interior nodes are
// SHA-256(0x01 || left || right) (RFC 6962, section 2.1).
package record

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Hash is a SHA-256 hash in the log: a leaf hash, an interior node or a
// root. It marshals to JSON as a base64 string.
type Hash = tlog.Hash

// HashReader reads stored hashes by storage index. ReadHashes must return
// one hash per index, in the order asked, or an error.
type HashReader = tlog.HashReader

// HashReaderFunc adapts a function to HashReader.
type HashReaderFunc = tlog.HashReaderFunc

// HashSize is the size of a Hash in bytes.
const HashSize = tlog.HashSize

// MaxProofLen bounds the number of hashes in any proof this package
// accepts: a tree of up to 2^63 leaves needs at most 2*63 hashes in a
// consistency proof and 63 in an inclusion proof.
const MaxProofLen = 2 * 63

// Errors that callers test with errors.Is. The errors returned wrap them
// with the input and the reason.
var (
	// ErrMalformed: the input (checkpoint, proof, tile path, receipt,
	// entry bundle) cannot be parsed.
	ErrMalformed = errors.New("malformed")
	// ErrBadSignature: a signature by the expected key does not verify.
	ErrBadSignature = errors.New("bad signature")
	// ErrUnknownKey: the checkpoint carries no signature by the expected key.
	ErrUnknownKey = errors.New("not signed by the expected key")
	// ErrWrongOrigin: the checkpoint is for another log.
	ErrWrongOrigin = errors.New("wrong origin")
	// ErrProof: a proof does not verify.
	ErrProof = errors.New("proof does not verify")
	// ErrNotFound: the tile, entry bundle or index is not in the tree.
	ErrNotFound = errors.New("not in the tree")
)

// LeafHash returns the RFC 6962 leaf hash of the logged bytes:
// SHA-256(0x00 || leaf).
func LeafHash(leaf []byte) Hash { return tlog.RecordHash(leaf) }

// NodeHash returns the RFC 6962 hash of an interior node:
// SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash { return tlog.NodeHash(left, right) }

// EmptyRoot is the root of the empty tree: SHA-256 of no bytes.
var EmptyRoot = mustTreeHash(0)

func mustTreeHash(n int64) Hash {
	h, err := tlog.TreeHash(n, HashReaderFunc(func([]int64) ([]Hash, error) { return nil, nil }))
	if err != nil {
		panic(err)
	}
	return h
}

// StoredHashIndex returns the storage index of the hash of the subtree at
// level (0 for leaves) and position n within that level. The leaf hash of
// leaf i is at StoredHashIndex(0, i).
func StoredHashIndex(level int, n int64) int64 { return tlog.StoredHashIndex(level, n) }

// StoredHashCount returns the number of stored hashes of a log of size
// leaves; they are at storage indexes 0 to StoredHashCount(size)-1.
func StoredHashCount(size int64) int64 { return tlog.StoredHashCount(size) }

// TreeHash returns the root of the first size leaves of the log whose
// stored hashes r reads. It reads at most 64 hashes in one call.
func TreeHash(size int64, r HashReader) (Hash, error) {
	if size < 0 {
		return Hash{}, fmt.Errorf("tree hash: size %d: %w: negative", size, ErrMalformed)
	}
	h, err := tlog.TreeHash(size, r)
	if err != nil {
		return Hash{}, fmt.Errorf("tree hash of size %d: %w", size, err)
	}
	return h, nil
}

// ProveInclusion returns the inclusion proof (RFC 6962 audit path) of leaf
// index in the tree of the first size leaves. ErrNotFound if index is not
// below size. It reads the proof's hashes from r in one call.
func ProveInclusion(size, index int64, r HashReader) ([]Hash, error) {
	if index < 0 || index >= size {
		return nil, fmt.Errorf("inclusion proof: index %d, tree size %d: %w", index, size, ErrNotFound)
	}
	p, err := tlog.ProveRecord(size, index, r)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of index %d in size %d: %w", index, size, err)
	}
	return p, nil
}

// VerifyInclusion checks that proof shows leaf index, with leaf hash leaf,
// in the tree of size leaves with root root. ErrProof if it does not;
// ErrMalformed if index is not below size or the proof is too long.
func VerifyInclusion(proof []Hash, size int64, root Hash, index int64, leaf Hash) error {
	if index < 0 || index >= size {
		return fmt.Errorf("inclusion proof: index %d, tree size %d: %w: index not in tree", index, size, ErrMalformed)
	}
	if len(proof) > MaxProofLen {
		return fmt.Errorf("inclusion proof: %d hashes: %w: more than %d", len(proof), ErrMalformed, MaxProofLen)
	}
	if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
		return fmt.Errorf("inclusion proof of index %d in tree size %d: %w", index, size, ErrProof)
	}
	return nil
}

// ProveConsistency returns the consistency proof (RFC 6962 section 2.1.2)
// that the tree of newSize leaves extends the tree of its first oldSize
// leaves. The proof is empty when oldSize is 0 or equals newSize.
// ErrNotFound unless 0 <= oldSize <= newSize.
func ProveConsistency(oldSize, newSize int64, r HashReader) ([]Hash, error) {
	if oldSize < 0 || oldSize > newSize {
		return nil, fmt.Errorf("consistency proof from size %d to %d: %w", oldSize, newSize, ErrNotFound)
	}
	if oldSize == 0 || oldSize == newSize {
		return []Hash{}, nil
	}
	p, err := tlog.ProveTree(newSize, oldSize, r)
	if err != nil {
		return nil, fmt.Errorf("consistency proof from size %d to %d: %w", oldSize, newSize, err)
	}
	return p, nil
}

// VerifyConsistency checks that proof shows the tree of newSize leaves and
// root newRoot extends the tree of oldSize leaves and root oldRoot. Sizes
// equal: the roots must be equal and the proof empty. oldSize 0: oldRoot
// must be EmptyRoot and the proof empty. ErrProof if the proof fails,
// ErrMalformed if oldSize > newSize or the proof is too long.
func VerifyConsistency(proof []Hash, oldSize int64, oldRoot Hash, newSize int64, newRoot Hash) error {
	if oldSize < 0 || oldSize > newSize {
		return fmt.Errorf("consistency proof from size %d to %d: %w: sizes out of order", oldSize, newSize, ErrMalformed)
	}
	if len(proof) > MaxProofLen {
		return fmt.Errorf("consistency proof: %d hashes: %w: more than %d", len(proof), ErrMalformed, MaxProofLen)
	}
	switch {
	case oldSize == 0:
		if oldRoot != EmptyRoot || len(proof) != 0 {
			return fmt.Errorf("consistency proof from size 0 to %d: %w: the empty tree has root %v, got %v and %d hashes", newSize, ErrProof, EmptyRoot, oldRoot, len(proof))
		}
		return nil
	case oldSize == newSize:
		if oldRoot != newRoot || len(proof) != 0 {
			return fmt.Errorf("consistency proof between two trees of size %d: %w: roots %v and %v", oldSize, ErrProof, oldRoot, newRoot)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, newSize, newRoot, oldSize, oldRoot); err != nil {
		return fmt.Errorf("consistency proof from size %d to %d: %w", oldSize, newSize, ErrProof)
	}
	return nil
}
