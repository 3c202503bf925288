package node

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/safe"
	"github.com/deconflict/deconflict/record"
	"golang.org/x/mod/sumdb/tlog"
)

// checkedMetaKey is the Store meta key under which the node keeps, per
// channel, the signed checkpoint up to which its stored log is known good:
// checked by a start-up check or a verify, or written by the node itself.
func checkedMetaKey(channel string) string { return "checked-checkpoint/" + channel }

// checkChunk is how many envelopes an incremental check reads at once.
const checkChunk = 4096

// checkAtStart checks a channel's stored log at start-up
// (checkStoredLog): every leaf's bytes and every stored hash, recomputed
// into the signed root, always; the signatures and keys of the envelopes
// added since the checkpoint last checked, or of all with FullCheck or
// when none is recorded. A log smaller than the checked checkpoint, or
// whose tree no longer gives its root, is a rollback or a rewrite. On
// success it records the latest checkpoint as checked.
func (n *Node) checkAtStart(ctx context.Context, channel string) error {
	from, ok := n.checkedCheckpoint(ctx, channel)
	signedFrom := from.Size
	if n.FullCheck || !ok {
		signedFrom = 0
	}
	if ok {
		_, size, err := n.Store.Checkpoint(ctx, channel)
		if err != nil {
			return err
		}
		if size < from.Size {
			return &record.AuditError{Index: -1, Kind: record.KindRollback, Reason: fmt.Sprintf("the stored checkpoint has %d envelopes, fewer than the %d checked before", size, from.Size)}
		}
	}
	if err := n.checkStoredLog(ctx, channel, signedFrom); err != nil {
		return err
	}
	if ok && from.Size > 0 {
		// The stored hashes are now proven to match the leaves.
		root, err := tlog.TreeHash(from.Size, n.storeHashReader(ctx, channel))
		if err != nil {
			return err
		}
		if root != from.Root {
			return &record.AuditError{Index: -1, Kind: record.KindFork, Reason: fmt.Sprintf("the log no longer gives the root of the checkpoint of size %d checked before: it was rewritten", from.Size)}
		}
	}
	n.markChecked(ctx, channel)
	return nil
}

// checkedCheckpoint returns the checkpoint recorded as checked, if there
// is one signed by this node's key for this channel's origin.
func (n *Node) checkedCheckpoint(ctx context.Context, channel string) (record.Checkpoint, bool) {
	text, err := n.Store.Meta(ctx, checkedMetaKey(channel))
	if err != nil || text == "" {
		return record.Checkpoint{}, false
	}
	cp, err := n.parseCheckpoint(channel, []byte(text))
	if err != nil {
		n.Logger.Warn("the checked checkpoint does not open; checking the whole log", "channel", channel, "err", err)
		return record.Checkpoint{}, false
	}
	return cp, true
}

// markChecked records the channel's latest stored checkpoint as checked,
// unless a larger one is recorded already.
func (n *Node) markChecked(ctx context.Context, channel string) {
	text, size, err := n.Store.Checkpoint(ctx, channel)
	if err != nil || text == nil {
		return
	}
	n.markCheckedText(ctx, channel, text, size)
}

func (n *Node) markCheckedText(ctx context.Context, channel string, text []byte, size int64) {
	if text == nil {
		return // the empty log: nothing to record
	}
	if old, ok := n.checkedCheckpoint(ctx, channel); ok && old.Size >= size {
		return
	}
	if err := n.Store.SetMeta(ctx, checkedMetaKey(channel), string(text)); err != nil {
		n.Logger.Warn("cannot record the checked checkpoint; the next start checks more", "channel", channel, "err", err)
	}
}

// checkStoredLogSince checks what a channel's stored log gained since
// from, a checkpoint checked before, for GET .../verify: that the stored
// hashes still give from's root (a rollback or a rewrite of the tree below
// from changes it), and, for every envelope after from.Size, its
// signature, author key and columns, its leaf hash, every stored hash
// recomputed from the leaves, and the latest checkpoint's root. Envelope
// rows below from.Size are not reread: a change to one of those is found
// by the start-up check (which rehashes every leaf) and by every member's
// verify, which reads every leaf against the tiles. Envelopes appended
// while it runs, beyond the checkpoint it read, are left to the next
// check. It returns the checkpoint checked; a fault is an *AuditError.
func (n *Node) checkStoredLogSince(ctx context.Context, channel string, from record.Checkpoint) (record.Checkpoint, error) {
	text, size, err := n.Store.Checkpoint(ctx, channel)
	if err != nil {
		return record.Checkpoint{}, err
	}
	cp, err := n.parseCheckpoint(channel, text)
	if err != nil {
		return record.Checkpoint{}, err
	}
	if cp.Size != size {
		return record.Checkpoint{}, fmt.Errorf("the signed checkpoint says size %d, its stored size column %d", cp.Size, size)
	}
	if cp.Size < from.Size {
		return record.Checkpoint{}, &record.AuditError{Index: -1, Kind: record.KindRollback, Reason: fmt.Sprintf("the stored checkpoint has %d envelopes, fewer than the %d checked before", cp.Size, from.Size)}
	}
	stored, err := n.Store.LogSize(ctx, channel)
	if err != nil {
		return record.Checkpoint{}, err
	}
	if stored < cp.Size {
		return record.Checkpoint{}, fmt.Errorf("index %d: missing (the store ends there, the signed checkpoint has %d envelopes)", stored, cp.Size)
	}
	hr := n.storeHashReader(ctx, channel)
	if from.Size > 0 {
		root, err := tlog.TreeHash(from.Size, hr)
		if err != nil {
			return record.Checkpoint{}, fmt.Errorf("root of the checked size %d: %w", from.Size, err)
		}
		if root != from.Root {
			return record.Checkpoint{}, &record.AuditError{Index: -1, Kind: record.KindFork, Reason: fmt.Sprintf("the stored hashes no longer give the root of the checkpoint of size %d checked before: the log below it was rewritten", from.Size)}
		}
	}
	if from.Size == cp.Size {
		if cp.Root != from.Root {
			return record.Checkpoint{}, &record.AuditError{Index: -1, Kind: record.KindFork, Reason: fmt.Sprintf("the stored checkpoint of size %d has another root than the one checked before", cp.Size)}
		}
		return cp, nil
	}
	root := from.Root
	for start := from.Size; start < cp.Size; start += checkChunk {
		if err := ctx.Err(); err != nil {
			return record.Checkpoint{}, err
		}
		end := min(start+checkChunk, cp.Size)
		envs, err := n.Store.FindEnvelopes(ctx, channel, start, int(end-start))
		if err != nil {
			return record.Checkpoint{}, err
		}
		lhs := make([]tlog.Hash, 0, end-start)
		for i, e := range envs {
			if e.Index >= end {
				break
			}
			if e.Index != start+int64(i) {
				return record.Checkpoint{}, &record.AuditError{Index: start + int64(i), Kind: record.KindMissing, Reason: fmt.Sprintf("missing from the store (checkpoint size %d)", cp.Size)}
			}
			leaf := e.Leaf()
			h := deconflict.LeafHash(leaf)
			if h != e.LeafHash {
				return record.Checkpoint{}, &record.AuditError{Index: e.Index, Kind: record.KindLeaf, Reason: "the stored leaf hash does not match the envelope's bytes"}
			}
			lhs = append(lhs, tlog.Hash(h))
		}
		if int64(len(lhs)) != end-start {
			return record.Checkpoint{}, &record.AuditError{Index: start + int64(len(lhs)), Kind: record.KindMissing, Reason: fmt.Sprintf("missing from the store (checkpoint size %d)", cp.Size)}
		}
		if err := n.checkEnvelopes(ctx, envs[:len(lhs)]); err != nil {
			return record.Checkpoint{}, err
		}
		// The chunk's stored hashes, recomputed from the tree below it
		// (checked already) and its leaves, must be the stored ones.
		app, err := record.StoredHashesForLeafHashes(start, lhs, hr)
		if err != nil {
			return record.Checkpoint{}, fmt.Errorf("recompute the stored hashes of [%d, %d): %w", start, end, err)
		}
		for k := 0; k < len(app.Hashes); k += checkChunk {
			idx := make([]int64, 0, min(checkChunk, len(app.Hashes)-k))
			for j := k; j < len(app.Hashes) && j < k+checkChunk; j++ {
				idx = append(idx, app.FirstIndex+int64(j))
			}
			got, err := hr.ReadHashes(idx)
			if err != nil {
				return record.Checkpoint{}, fmt.Errorf("read stored hashes: %w", err)
			}
			for j, h := range got {
				if h != app.Hashes[k+j] {
					level, i := storedHashPlace(idx[j])
					if level == 0 {
						return record.Checkpoint{}, &record.AuditError{Index: i, Kind: record.KindLeaf, Reason: "leaf hash differs from the stored log"}
					}
					return record.Checkpoint{}, &record.AuditError{Index: -1, Kind: record.KindHash, Reason: fmt.Sprintf("stored hash at level %d (storage index %d) differs from the one recomputed from the leaves", level, idx[j])}
				}
			}
		}
		root = app.Root
	}
	if root != cp.Root {
		return record.Checkpoint{}, &record.AuditError{Index: -1, Kind: record.KindRoot, Reason: fmt.Sprintf("the %d stored leaves hash to %v, the checkpoint says %v", cp.Size, root, cp.Root)}
	}
	return cp, nil
}

// storedHashPlace returns the level and the index within that level of
// the stored hash at storage index x.
func storedHashPlace(x int64) (level int, n int64) {
	// Search the leaf whose appending stored x: the first i with
	// StoredHashCount(i+1) > x.
	lo, hi := int64(0), x+1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if tlog.StoredHashCount(mid+1) > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	level = int(x - tlog.StoredHashIndex(0, lo))
	return level, lo >> level
}

// checkEnvelopes runs checkEnvelope on envs on every core and returns the
// fault of the lowest index, as an *AuditError.
func (n *Node) checkEnvelopes(ctx context.Context, envs []*deconflict.Envelope) error {
	errs := make([]error, len(envs))
	p := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < p; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < len(envs); j += p {
				errs[j] = safe.Call(func() error { return n.checkEnvelope(ctx, envs[j]) })
			}
		}()
	}
	wg.Wait()
	for j, err := range errs {
		if err != nil {
			var ae *record.AuditError
			if errors.As(err, &ae) {
				return ae
			}
			return &record.AuditError{Index: envs[j].Index, Kind: record.KindLeaf, Reason: err.Error(), Err: err}
		}
	}
	return nil
}
