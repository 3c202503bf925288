package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/atomicfile"
	"github.com/deconflict/deconflict/record"
)

// receiptDir is where the verify state keeps the receipts of one log.
func receiptDir(dir, origin string) string {
	return filepath.Join(dir, "receipts", url.QueryEscape(origin))
}

// keepReceipt saves a receipt in the verify state, so that every later
// 'verify --channel' checks that the log still holds it.
func keepReceipt(dir string, rec *deconflict.Receipt) error {
	r, err := record.ParseReceipt(mustJSON(rec))
	if err != nil {
		return err
	}
	name, _, err := record.ParseVerifierKey(r.NodeKey)
	if err != nil {
		return fmt.Errorf("receipt: node key: %w", err)
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	d := receiptDir(dir, name)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(d, fmt.Sprintf("%d-%s.json", rec.Index, hex.EncodeToString(rec.LeafHash)[:16])), append(b, '\n'), 0o600)
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// keptReceipt is a receipt found in the verify state.
type keptReceipt struct {
	path string
	r    *record.Receipt
}

func loadReceipts(dir, origin string) ([]keptReceipt, error) {
	d := receiptDir(dir, origin)
	ents, err := os.ReadDir(d)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []keptReceipt
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := filepath.Join(d, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		r, err := record.ParseReceipt(b)
		if err != nil {
			return nil, fmt.Errorf("kept receipt %s: %w", p, err)
		}
		out = append(out, keptReceipt{path: p, r: r})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].r.Index < out[b].r.Index })
	return out, nil
}

// checkReceiptAgainst checks a receipt against the current log cur, whose
// leaf hashes leafAt gives (nil: ask the node for an inclusion proof):
// the receipt verifies on its own (node key, checkpoint signature,
// inclusion in its checkpoint); the log still holds the same leaf at the
// same index; and cur is consistent with the receipt's checkpoint. The
// error says what the node did to the receipt's holder.
func checkReceiptAgainst(ctx context.Context, c *dhttp.Client, channel string, r *record.Receipt, trusted ed25519.PublicKey, cur record.Checkpoint, leafAt func(int64) (record.Hash, bool)) error {
	rcp, err := record.VerifyReceipt(r, trusted)
	if err != nil {
		return err
	}
	if rcp.Origin != cur.Origin {
		return fmt.Errorf("receipt is for log %s, not %s", rcp.Origin, cur.Origin)
	}
	h := r.LeafHash
	if r.Leaf != nil {
		h = record.LeafHash(r.Leaf)
	}
	if r.Index >= cur.Size {
		return fmt.Errorf("index %d: the receipt's envelope is gone: the log now has %d envelopes (the receipt's checkpoint had %d): a rollback", r.Index, cur.Size, rcp.Size)
	}
	if rcp.Size > cur.Size {
		return fmt.Errorf("the receipt's checkpoint has %d envelopes, the log now %d: a rollback", rcp.Size, cur.Size)
	}
	if leafAt != nil {
		got, ok := leafAt(r.Index)
		if !ok {
			return fmt.Errorf("index %d: not read from the log", r.Index)
		}
		if got != h {
			return fmt.Errorf("index %d: the log now holds another envelope there than the one the receipt proves the node accepted", r.Index)
		}
	} else {
		p, err := c.InclusionProof(ctx, channel, r.Index, cur.Size)
		if err != nil {
			return fmt.Errorf("index %d: inclusion proof in the log of size %d: %w", r.Index, cur.Size, err)
		}
		proof := make([]record.Hash, len(p.Proof))
		for i, b := range p.Proof {
			if len(b) != record.HashSize {
				return fmt.Errorf("inclusion proof: hash %d has %d bytes", i, len(b))
			}
			copy(proof[i][:], b)
		}
		if err := record.VerifyInclusion(proof, cur.Size, cur.Root, r.Index, h); err != nil {
			return fmt.Errorf("index %d: the log of size %d no longer holds the receipt's envelope there: %v", r.Index, cur.Size, err)
		}
	}
	if rcp.Size == cur.Size {
		if rcp.Root != cur.Root {
			return fmt.Errorf("the receipt's checkpoint and the current one both have %d envelopes but different roots: a fork", cur.Size)
		}
		return nil
	}
	proof, err := fetchConsistency(ctx, c, channel, rcp.Size, cur.Size)
	if err != nil {
		return fmt.Errorf("consistency proof from the receipt's checkpoint (size %d) to %d: %w", rcp.Size, cur.Size, err)
	}
	if err := record.VerifyConsistency(proof, rcp.Size, rcp.Root, cur.Size, cur.Root); err != nil {
		return fmt.Errorf("the current log (size %d) is not an extension of the receipt's checkpoint (size %d): a fork", cur.Size, rcp.Size)
	}
	return nil
}
