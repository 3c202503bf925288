package record

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
)

// Receipt proves that a node logged a leaf at an index of a channel log. It
// holds everything needed to check it offline, years later: the leaf (or
// only its hash), its index, a checkpoint signed by the node whose tree
// includes it, the inclusion proof and the node's verifier key. Its JSON
// field names are those of the node's receipt (deconflict.Receipt), so a
// receipt saved from the API decodes into it; other fields are ignored.
type Receipt struct {
	Index      int64  `json:"index"`
	Leaf       []byte `json:"leaf,omitempty"` // the logged bytes, base64 in JSON; optional if LeafHash is set
	LeafHash   Hash   `json:"leaf_hash"`      // LeafHash(Leaf), base64 in JSON; zero if only Leaf is given
	Checkpoint string `json:"checkpoint"`     // signed checkpoint text (SignCheckpoint)
	Proof      []Hash `json:"proof"`          // inclusion proof of Index in the checkpoint's tree, base64 hashes
	NodeKey    string `json:"node_key"`       // the node's verifier key for the checkpoint's origin (VerifierKey)
}

// NewReceipt returns the receipt for leaf at index, included in the signed
// checkpoint with proof, signed by the node key with verifier key vkey.
func NewReceipt(leaf []byte, index int64, signedCheckpoint []byte, proof []Hash, vkey string) *Receipt {
	return &Receipt{
		Index:      index,
		Leaf:       leaf,
		LeafHash:   LeafHash(leaf),
		Checkpoint: string(signedCheckpoint),
		Proof:      proof,
		NodeKey:    vkey,
	}
}

// ParseReceipt decodes a receipt from JSON. ErrMalformed if it is not one.
// It does not verify it: see VerifyReceipt.
func ParseReceipt(data []byte) (*Receipt, error) {
	var r Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("receipt: %w: %v", ErrMalformed, err)
	}
	return &r, nil
}

// VerifyReceipt checks a receipt offline: the leaf bytes hash to the leaf
// hash, the inclusion proof puts that leaf hash at Index in the tree of the
// checkpoint, and the checkpoint is signed by the key in NodeKey, named
// after the checkpoint's origin. When trusted is not nil, NodeKey must be
// that Ed25519 key (the node key the member knows from elsewhere); when it
// is nil the receipt only proves that whoever holds NodeKey signed it,
// which anyone can forge: callers should pin the node key. It returns the
// checkpoint the receipt is included in.
func VerifyReceipt(r *Receipt, trusted ed25519.PublicKey) (Checkpoint, error) {
	name, pub, err := ParseVerifierKey(r.NodeKey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("receipt: node key: %w", err)
	}
	if trusted != nil && !pub.Equal(trusted) {
		return Checkpoint{}, fmt.Errorf("receipt: node key %s: %w: it is not the trusted node key", r.NodeKey, ErrUnknownKey)
	}
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), name, pub)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("receipt: %w", err)
	}
	h := r.LeafHash
	switch {
	case r.Leaf != nil:
		h = LeafHash(r.Leaf)
		if r.LeafHash != (Hash{}) && r.LeafHash != h {
			return Checkpoint{}, fmt.Errorf("receipt: leaf hash %v: %w: the leaf bytes hash to %v", r.LeafHash, ErrProof, h)
		}
	case h == Hash{}:
		return Checkpoint{}, fmt.Errorf("receipt: %w: neither leaf nor leaf_hash", ErrMalformed)
	}
	if r.Index < 0 || r.Index >= cp.Size {
		return Checkpoint{}, fmt.Errorf("receipt: index %d: %w: not in checkpoint of size %d", r.Index, ErrProof, cp.Size)
	}
	if err := VerifyInclusion(r.Proof, cp.Size, cp.Root, r.Index, h); err != nil {
		return Checkpoint{}, fmt.Errorf("receipt: %w", err)
	}
	return cp, nil
}
