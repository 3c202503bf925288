package record_test

import (
	"crypto/ed25519"
	"fmt"

	"github.com/deconflict/deconflict/record"
)

// Example_append is what the node does in the transaction that appends a
// batch of envelopes to a channel: compute the stored hashes from the
// store's current size, sign the new checkpoint, make each receipt, then
// write envelopes, hashes and checkpoint and commit.
func Example_append() {
	nodeKey := ed25519.NewKeyFromSeed(make([]byte, 32))
	origin, _ := record.Origin("node.example.org", "ru-us-syria")
	vkey, _ := record.VerifierKey(origin, nodeKey.Public().(ed25519.PublicKey))

	var store record.MemStore // the node: its log_hashes table, read inside the transaction
	leaves := [][]byte{[]byte(`{"payload":"...","key":"...","sig":"..."}`), []byte(`{"payload":"..."}`)}

	a, err := record.StoredHashesForLeaves(store.Size(), leaves, &store)
	if err != nil {
		panic(err)
	}
	signed, err := record.SignCheckpoint(record.Checkpoint{Origin: origin, Size: a.Size, Root: a.Root}, nodeKey)
	if err != nil {
		panic(err)
	}
	var receipts []*record.Receipt
	for i, leaf := range leaves {
		index := a.OldSize + int64(i)
		proof, err := a.InclusionProof(index)
		if err != nil {
			panic(err)
		}
		receipts = append(receipts, record.NewReceipt(leaf, index, signed, proof, vkey))
	}
	// In the same transaction: insert leaves at a.OldSize..., a.Hashes at
	// storage indexes a.FirstIndex..., and the signed checkpoint. Commit,
	// then hand out the receipts.
	if err := store.Write(a); err != nil {
		panic(err)
	}

	// Years later, offline, with the node key known from elsewhere:
	c, err := record.VerifyReceipt(receipts[1], nodeKey.Public().(ed25519.PublicKey))
	fmt.Println(c.Origin, c.Size, receipts[1].Index, err)
	// Output: node.example.org/ru-us-syria 2 1 <nil>
}
