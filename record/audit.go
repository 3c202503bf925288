package record

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
)

// Kinds of AuditError.
const (
	KindCheckpoint = "checkpoint" // the checkpoint is malformed, for another log or not signed by the node key
	KindRollback   = "rollback"   // the checkpoint is smaller than one verified before
	KindFork       = "fork"       // the log is not an extension of the checkpoint verified before
	KindMissing    = "missing"    // a leaf the checkpoint covers is not served or not stored
	KindLeaf       = "leaf"       // a leaf differs from the log, or the leaf check rejects it
	KindHash       = "hash"       // a stored hash differs from the one recomputed from the leaves
	KindRoot       = "root"       // the leaves do not hash to the checkpoint's root
	KindTiles      = "tiles"      // the node's tiles do not hash to its checkpoint
)

// AuditError says what is wrong with a log and, when it is tied to a leaf,
// which is the first bad one. It is only returned when the log was read
// and found wrong; failures to read it are other errors (wrapping ErrFetch
// for a TileFetcher).
type AuditError struct {
	Index  int64  // first bad leaf index, -1 when not tied to one leaf
	Kind   string // KindCheckpoint, KindRollback, ...
	Reason string // what is wrong, for a person
	Err    error  // the underlying error, if any
}

func (e *AuditError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("index %d: %s", e.Index, e.Reason)
	}
	return e.Kind + ": " + e.Reason
}

func (e *AuditError) Unwrap() error { return e.Err }

// Leaf is a leaf as served or stored: its index and its logged bytes.
type Leaf struct {
	Index int64
	Data  []byte
}

// A LeafFetcher returns the leaves with indexes in [start, end), in index
// order. It may return fewer (a log missing leaves): the auditor names the
// first index missing. Its errors mean the leaves could not be read.
type LeafFetcher func(ctx context.Context, start, end int64) ([]Leaf, error)

// Auditor audits a channel log as a member (deconflict verify --channel):
// it checks the checkpoint's signature, refuses rollbacks and forks against
// the checkpoint verified before, reads every leaf, checks each against the
// leaf hash in the tiles and with CheckLeaf, and recomputes the root.
type Auditor struct {
	Origin  string            // the log's origin, Origin(node, channel)
	NodeKey ed25519.PublicKey // the node key the member trusts

	// FetchLeaves reads the leaves. Required.
	FetchLeaves LeafFetcher
	// FetchTile reads hash tiles (tile/<L>/<N>...). Required: the level-0
	// tiles, proven against the checkpoint, let the auditor name the first
	// leaf that differs from the log.
	FetchTile TileFetcher
	// FetchConsistency asks the node for the consistency proof from oldSize
	// to newSize. If nil, the proof is computed from the tiles.
	FetchConsistency func(ctx context.Context, oldSize, newSize int64) ([]Hash, error)
	// CheckLeaf checks a leaf's content (the envelope's signature against
	// the party keys valid then). Optional. An error from it is reported as
	// that index's fault. It is called from several goroutines at once
	// (see Parallelism) and must be safe for that.
	CheckLeaf func(index int64, leaf []byte) error
	// Parallelism is how many CheckLeaf calls run at once; 0 means
	// runtime.GOMAXPROCS(0). Signature checks dominate an audit's time.
	Parallelism int
}

// checkLeaves runs CheckLeaf on leaves in parallel and returns each error.
func (a *Auditor) checkLeaves(leaves []Leaf) []error {
	errs := make([]error, len(leaves))
	if a.CheckLeaf == nil {
		return errs
	}
	p := a.Parallelism
	if p <= 0 {
		p = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	for w := 0; w < p; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < len(leaves); j += p {
				errs[j] = a.checkLeaf(leaves[j])
			}
		}()
	}
	wg.Wait()
	return errs
}

// checkLeaf runs CheckLeaf, turning a panic into that leaf's fault, so
// that no leaf a node serves can end the auditor's process.
func (a *Auditor) checkLeaf(l Leaf) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("checking the leaf panicked: %v", v)
		}
	}()
	return a.CheckLeaf(l.Index, l.Data)
}

// auditChunk is how many leaves an Auditor reads at once: one tile.
const auditChunk = TileWidth

// Audit checks the signed checkpoint the node serves now against prev, the
// checkpoint verified before (nil on a first audit), and the log under it.
// It returns the verified checkpoint, which the caller saves as the next
// prev (SaveVerified) only when the error is nil. A fault in the log is an
// *AuditError; other errors mean the audit could not be completed.
func (a *Auditor) Audit(ctx context.Context, signed []byte, prev *Checkpoint) (Checkpoint, error) {
	cp, err := OpenCheckpoint(signed, a.Origin, a.NodeKey)
	if err != nil {
		reason := strings.TrimLeft(strings.TrimPrefix(err.Error(), "checkpoint"), ": ")
		return Checkpoint{}, &AuditError{Index: -1, Kind: KindCheckpoint, Reason: reason, Err: err}
	}
	if prev != nil && prev.Origin != "" && prev.Origin != cp.Origin {
		return Checkpoint{}, fmt.Errorf("audit %s: previous checkpoint is for %q", cp.Origin, prev.Origin)
	}
	tc := NewTileClient(ctx, cp, a.FetchTile)
	if prev != nil {
		if err := a.checkConsistency(ctx, tc, *prev, cp); err != nil {
			return Checkpoint{}, err
		}
	}

	f := frontier{}
	var buf []Hash
	var tileErr error // the tiles do not match the checkpoint: leaves checked by the root only
	for start := int64(0); start < cp.Size; start += auditChunk {
		if err := ctx.Err(); err != nil {
			return Checkpoint{}, fmt.Errorf("audit %s: %w", cp.Origin, err)
		}
		end := min(start+auditChunk, cp.Size)
		leaves, err := a.FetchLeaves(ctx, start, end)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("audit %s: read leaves [%d, %d): %w", cp.Origin, start, end, err)
		}
		var want []Hash
		if tileErr == nil {
			want, err = tc.LeafHashes(start, end)
			if errors.Is(err, ErrProof) {
				tileErr, want = err, nil
			} else if err != nil {
				return Checkpoint{}, fmt.Errorf("audit %s: read tiles for leaves [%d, %d): %w", cp.Origin, start, end, err)
			}
		}
		checked := a.checkLeaves(leaves)
		for i := start; i < end; i++ {
			j := i - start
			if j >= int64(len(leaves)) || leaves[j].Index != i {
				reason := fmt.Sprintf("missing: the checkpoint has %d leaves; the node served none at %d", cp.Size, i)
				if j < int64(len(leaves)) {
					reason = fmt.Sprintf("missing: the node served index %d next", leaves[j].Index)
				}
				return Checkpoint{}, &AuditError{Index: i, Kind: KindMissing, Reason: reason}
			}
			h := LeafHash(leaves[j].Data)
			if want != nil && h != want[j] {
				return Checkpoint{}, &AuditError{Index: i, Kind: KindLeaf, Reason: "leaf hash differs from the log"}
			}
			if err := checked[j]; err != nil {
				return Checkpoint{}, &AuditError{Index: i, Kind: KindLeaf, Reason: err.Error(), Err: err}
			}
			buf = f.push(h, buf[:0])
			if prev != nil && f.size == prev.Size && f.root() != prev.Root {
				return Checkpoint{}, &AuditError{Index: -1, Kind: KindFork, Reason: fmt.Sprintf("the first %d leaves hash to %v, not to the root verified before, %v", prev.Size, f.root(), prev.Root)}
			}
		}
	}
	if r := f.root(); r != cp.Root {
		reason := fmt.Sprintf("the %d leaves hash to %v, the checkpoint says %v", cp.Size, r, cp.Root)
		if tileErr != nil {
			reason += "; the node's tiles do not match its checkpoint either, so the first bad leaf cannot be named"
		}
		return Checkpoint{}, &AuditError{Index: -1, Kind: KindRoot, Reason: reason, Err: tileErr}
	}
	if tileErr != nil {
		return Checkpoint{}, &AuditError{Index: -1, Kind: KindTiles, Reason: "the leaves match the checkpoint but the node's tiles do not: " + tileErr.Error(), Err: tileErr}
	}
	return cp, nil
}

// checkConsistency refuses a rollback or a fork from prev to cp.
func (a *Auditor) checkConsistency(ctx context.Context, tc *TileClient, prev, cp Checkpoint) error {
	if cp.Size < prev.Size {
		return &AuditError{Index: -1, Kind: KindRollback, Reason: fmt.Sprintf("checkpoint size %d < previously verified %d", cp.Size, prev.Size)}
	}
	if cp.Size == prev.Size {
		if cp.Root != prev.Root {
			return &AuditError{Index: -1, Kind: KindFork, Reason: fmt.Sprintf("checkpoint of size %d has root %v, previously verified %v", cp.Size, cp.Root, prev.Root)}
		}
		return nil
	}
	if prev.Size == 0 {
		return nil
	}
	var proof []Hash
	var err error
	if a.FetchConsistency != nil {
		proof, err = a.FetchConsistency(ctx, prev.Size, cp.Size)
	} else {
		proof, err = ProveConsistency(prev.Size, cp.Size, tc)
		if errors.Is(err, ErrProof) {
			return &AuditError{Index: -1, Kind: KindTiles, Reason: fmt.Sprintf("consistency proof from size %d: %v", prev.Size, err), Err: err}
		}
	}
	if err != nil {
		return fmt.Errorf("audit %s: consistency proof from size %d to %d: %w", cp.Origin, prev.Size, cp.Size, err)
	}
	if err := VerifyConsistency(proof, prev.Size, prev.Root, cp.Size, cp.Root); err != nil {
		return &AuditError{Index: -1, Kind: KindFork, Reason: fmt.Sprintf("consistency proof from size %d to %d fails", prev.Size, cp.Size), Err: err}
	}
	return nil
}

// VerifyStore checks a node's own stored log against its last checkpoint
// cp (which the caller has opened with OpenCheckpoint and the node key):
// every leaf from leaves is present, every stored hash in r equals the one
// recomputed from the leaves, and the leaves hash to cp.Root. check, if not
// nil, is called on each leaf. It reads the leaves and hashes one tile's
// worth at a time. A fault is an *AuditError naming the first bad index.
func VerifyStore(ctx context.Context, cp Checkpoint, r HashReader, leaves LeafFetcher, check func(index int64, leaf []byte) error) error {
	f := frontier{}
	var got []Hash
	for start := int64(0); start < cp.Size; start += auditChunk {
		end := min(start+auditChunk, cp.Size)
		ls, err := leaves(ctx, start, end)
		if err != nil {
			return fmt.Errorf("verify store %s: read leaves [%d, %d): %w", cp.Origin, start, end, err)
		}
		lo, hi := StoredHashIndex(0, start), StoredHashCount(end)
		idx := make([]int64, 0, hi-lo)
		for x := lo; x < hi; x++ {
			idx = append(idx, x)
		}
		stored, err := r.ReadHashes(idx)
		if err != nil {
			return fmt.Errorf("verify store %s: read stored hashes [%d, %d): %w", cp.Origin, lo, hi, err)
		}
		if len(stored) != len(idx) {
			return fmt.Errorf("verify store %s: read %d stored hashes, got %d", cp.Origin, len(idx), len(stored))
		}
		k := 0
		for i := start; i < end; i++ {
			j := i - start
			if j >= int64(len(ls)) || ls[j].Index != i {
				return &AuditError{Index: i, Kind: KindMissing, Reason: fmt.Sprintf("missing from the store (checkpoint size %d)", cp.Size)}
			}
			if check != nil {
				if err := check(i, ls[j].Data); err != nil {
					return &AuditError{Index: i, Kind: KindLeaf, Reason: err.Error(), Err: err}
				}
			}
			got = f.push(LeafHash(ls[j].Data), got[:0])
			for level, h := range got {
				if h != stored[k] {
					if level == 0 {
						return &AuditError{Index: i, Kind: KindLeaf, Reason: "leaf hash differs from the stored log"}
					}
					return &AuditError{Index: i, Kind: KindHash, Reason: fmt.Sprintf("stored hash at level %d (storage index %d) differs from the one recomputed from the leaves", level, lo+int64(k))}
				}
				k++
			}
		}
	}
	if root := f.root(); root != cp.Root {
		return &AuditError{Index: -1, Kind: KindRoot, Reason: fmt.Sprintf("the %d stored leaves hash to %v, the checkpoint says %v", cp.Size, root, cp.Root)}
	}
	return nil
}
