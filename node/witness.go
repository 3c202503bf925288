package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/tlog"
)

// DefaultWitnessRetry is how long the node waits before asking again a
// witness that refused or could not be reached, when no new checkpoint
// comes first.
const DefaultWitnessRetry = 5 * time.Second

// DefaultWitnessInterval is the least time between two requests to one
// witness: appends faster than that are cosigned together, so that the
// load witnessing puts on the node and on each witness is bounded
// whatever the append rate (a hotline message waits for nothing; its
// cosigned checkpoint comes within about this long).
const DefaultWitnessInterval = 200 * time.Millisecond

// DefaultWitnessTimeout bounds one add-checkpoint call.
const DefaultWitnessTimeout = 10 * time.Second

// Witness states, as WitnessStatus.State reports them.
const (
	WitnessPending     = "pending"     // not asked yet
	WitnessOK          = "ok"          // cosigned the latest checkpoint
	WitnessBehind      = "behind"      // cosigned an older checkpoint; asking for the latest
	WitnessRefused     = "refused"     // answered with a refusal (the error says which)
	WitnessUnreachable = "unreachable" // did not answer
)

// WitnessStatus is what the node knows of one witness of a channel.
type WitnessStatus struct {
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	State        string    `json:"state"`
	Held         int64     `json:"held"`          // the size the witness holds, as far as the node knows
	CosignedSize int64     `json:"cosigned_size"` // the size of the checkpoint whose cosignature the node holds (-1: none)
	Error        string    `json:"error,omitempty"`
	Cosigned     time.Time `json:"cosigned,omitzero"` // when it last cosigned
	Asked        time.Time `json:"asked,omitzero"`    // when the node last asked it
	AskedSize    int64     `json:"asked_size"`        // the size of the checkpoint it was last asked about (-1: none)
}

// WitnessMetrics count the node's add-checkpoint calls by outcome.
type WitnessMetrics struct {
	Cosigned    atomic.Int64
	Refused     atomic.Int64
	Unreachable atomic.Int64
}

// witnessing is the node's witness clients, per channel.
type witnessing struct {
	mu      sync.Mutex
	base    context.Context              // the node's worker context, set by Open
	chans   map[string]*channelWitnesses // guarded by mu
	metrics WitnessMetrics
}

// channelWitnesses asks the witnesses of one channel's policy.
type channelWitnesses struct {
	policy  *witness.Policy
	text    string // the policy as set
	workers []*witnessWorker
	cancel  context.CancelFunc
}

// witnessWorker keeps one witness up to date with one channel's log.
type witnessWorker struct {
	n       *Node
	channel string
	client  *witness.Client

	mu     sync.Mutex
	held   int64  // guarded by mu
	text   []byte // the checkpoint text (note body) cosigned; guarded by mu
	lines  []byte // its cosignature lines; guarded by mu
	status WitnessStatus
}

// startWitnessing starts (or restarts, when the policy changed) asking
// the witnesses of c's policy. A channel without a witness policy, or a
// frozen one, stops being witnessed.
func (n *Node) startWitnessing(c *deconflict.Channel) error {
	w := &n.witnesses
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.chans == nil {
		w.chans = map[string]*channelWitnesses{}
	}
	old := w.chans[c.ID]
	if old != nil && old.text == c.Policy.Witnesses {
		return nil
	}
	if old != nil {
		// Its workers stop at their next step (a request in flight is
		// cancelled); not waited for here, so that serving checkpoints
		// never waits on a slow witness.
		old.cancel()
		delete(w.chans, c.ID)
	}
	if _, frozen := n.Frozen(c.ID); frozen || c.Policy.Witnesses == "" || w.base == nil {
		return nil
	}
	p, err := witness.ParsePolicy([]byte(c.Policy.Witnesses))
	if err != nil {
		return deconflict.Errorf(deconflict.EINVALID, "channel %s: witnesses: %v", c.ID, err)
	}
	ctx, cancel := context.WithCancel(w.base)
	cw := &channelWitnesses{policy: p, text: c.Policy.Witnesses, cancel: cancel}
	hc := n.WitnessHTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: DefaultWitnessTimeout}
	}
	for _, pw := range p.Witnesses {
		ww := &witnessWorker{n: n, channel: c.ID, client: &witness.Client{URL: pw.URL, Verifier: p.Verifier(pw.Name), HTTP: hc},
			status: WitnessStatus{Name: pw.Name, URL: pw.URL, State: WitnessPending, CosignedSize: -1, AskedSize: -1}}
		if pw.URL == "" {
			ww.status.State, ww.status.Error = WitnessUnreachable, "the policy gives no URL for this witness"
		}
		cw.workers = append(cw.workers, ww)
		if pw.URL == "" {
			continue
		}
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			ww.run(ctx)
		}()
	}
	w.chans[c.ID] = cw
	return nil
}

// checkWitnessPolicy checks a channel's witness policy text.
func checkWitnessPolicy(channel, text string) error {
	if text == "" {
		return nil
	}
	p, err := witness.ParsePolicy([]byte(text))
	if err != nil {
		return deconflict.Errorf(deconflict.EINVALID, "channel %s: witnesses: %v", channel, err)
	}
	for _, w := range p.Witnesses {
		if w.URL == "" {
			return deconflict.Errorf(deconflict.EINVALID, "channel %s: witnesses: witness %s has no URL: the node must know where to ask it", channel, w.Name)
		}
	}
	return nil
}

func (w *witnessWorker) run(ctx context.Context) {
	defer func() {
		if v := recover(); v != nil {
			w.n.Logger.Error("witness worker panicked", "channel", w.channel, "witness", w.status.Name, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	l, err := w.n.channelLog(ctx, w.channel)
	if err != nil {
		w.n.Logger.Error("witness worker: channel log", "channel", w.channel, "err", err)
		return
	}
	retry := w.n.WitnessRetry
	if retry <= 0 {
		retry = DefaultWitnessRetry
	}
	interval := w.n.WitnessInterval
	if interval <= 0 {
		interval = DefaultWitnessInterval
	}
	var last, retryAt time.Time // when the last request started; when to retry a failed one
	failedSize := int64(-1)     // the size of the last failed request (-1: it did not fail)
	unreachable := false        // whether it failed for want of an answer
	for {
		size, changed := l.Size()
		w.mu.Lock()
		due := w.status.CosignedSize != size || w.status.State != WitnessOK
		w.mu.Unlock()
		var wait <-chan time.Time
		if due {
			next := last.Add(interval)
			// A witness that did not answer is left alone until the
			// retry time; one that refused is asked again at once about a
			// new checkpoint (it may well refuse that too: a split view
			// is best seen early), else at the retry time.
			if failedSize >= 0 && (unreachable || size == failedSize) && retryAt.After(next) {
				next = retryAt
			}
			if d := time.Until(next); d > 0 {
				wait = time.After(d)
			} else {
				last = time.Now()
				err := w.ask(ctx)
				if ctx.Err() != nil {
					return
				}
				failedSize, unreachable = -1, false
				if err != nil {
					failedSize, retryAt = size, time.Now().Add(retry)
					w.mu.Lock()
					unreachable = w.status.State == WitnessUnreachable
					w.mu.Unlock()
				}
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-wait:
		}
	}
}

// ask submits the channel's latest checkpoint to the witness, with a
// consistency proof from the size it holds.
func (w *witnessWorker) ask(ctx context.Context) error {
	n := w.n
	cp, size, err := n.Checkpoint(ctx, deconflict.NodeAuthor, w.channel)
	if err != nil {
		w.mu.Lock()
		w.status.State, w.status.Error = WitnessUnreachable, "reading the checkpoint: "+err.Error()
		w.mu.Unlock()
		return err
	}
	w.mu.Lock()
	held := w.held
	if w.status.State == WitnessOK && w.status.CosignedSize != size {
		w.status.State = WitnessBehind
	}
	w.mu.Unlock()
	prove := func(ctx context.Context, old int64) (tlog.TreeProof, error) {
		return tlog.ProveTree(size, old, n.storeHashReader(ctx, w.channel))
	}
	lines, nowHeld, err := w.client.Cosign(ctx, cp, size, held, prove)
	now := n.Now().UTC()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status.Asked, w.status.AskedSize = now, size
	if nowHeld >= 0 {
		w.held, w.status.Held = nowHeld, nowHeld
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		var ce *witness.ConflictError
		var re *witness.RefusedError
		switch {
		case errors.As(err, &ce), errors.As(err, &re), errors.Is(err, witness.ErrUntrusted):
			w.status.State = WitnessRefused
			n.witnesses.metrics.Refused.Add(1)
		default:
			w.status.State = WitnessUnreachable
			n.witnesses.metrics.Unreachable.Add(1)
		}
		w.status.Error = err.Error()
		if w.status.CosignedSize >= 0 && w.status.CosignedSize < size && w.status.State != WitnessRefused {
			// Still holding an older cosignature; say so in the error.
			w.status.Error = fmt.Sprintf("%s (its last cosignature is of size %d)", err, w.status.CosignedSize)
		}
		n.Logger.Warn("witness did not cosign", "channel", w.channel, "witness", w.status.Name, "size", size, "state", w.status.State, "err", err)
		return err
	}
	text, _, _ := bytes.Cut(cp, []byte("\n\n"))
	w.text = append(text, '\n')
	w.lines = lines
	w.status.State, w.status.Error = WitnessOK, ""
	w.status.CosignedSize, w.status.Cosigned = size, now
	n.witnesses.metrics.Cosigned.Add(1)
	return nil
}

// stopWitnessing stops every channel's witness workers (Close).
func (n *Node) stopWitnessing() {
	w := &n.witnesses
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, cw := range w.chans {
		cw.cancel()
		delete(w.chans, id)
	}
}

// WitnessStatus returns the state of each witness of a channel, in policy
// order (none for a channel that is not witnessed).
func (n *Node) WitnessStatus(ctx context.Context, caller, channel string) ([]WitnessStatus, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	return n.witnessStatus(channel), nil
}

func (n *Node) witnessStatus(channel string) []WitnessStatus {
	n.witnesses.mu.Lock()
	cw := n.witnesses.chans[channel]
	n.witnesses.mu.Unlock()
	if cw == nil {
		return []WitnessStatus{}
	}
	out := make([]WitnessStatus, 0, len(cw.workers))
	for _, w := range cw.workers {
		w.mu.Lock()
		s := w.status
		w.mu.Unlock()
		out = append(out, s)
	}
	return out
}

// WitnessesFailing returns, per witnessed channel, the witnesses that
// refused or could not be reached at the last attempt.
func (n *Node) WitnessesFailing() map[string][]string {
	n.witnesses.mu.Lock()
	ids := make([]string, 0, len(n.witnesses.chans))
	for id := range n.witnesses.chans {
		ids = append(ids, id)
	}
	n.witnesses.mu.Unlock()
	out := map[string][]string{}
	for _, id := range ids {
		for _, s := range n.witnessStatus(id) {
			if s.State == WitnessRefused || s.State == WitnessUnreachable {
				out[id] = append(out[id], s.Name)
			}
		}
	}
	return out
}

// WitnessCounters returns the counts of add-checkpoint calls by outcome.
func (n *Node) WitnessCounters() *WitnessMetrics { return &n.witnesses.metrics }

// CosignedCheckpoint returns a channel's latest signed checkpoint with the
// cosignature lines of every witness that cosigned exactly that
// checkpoint appended, as C2SP tlog clients expect, and the names of those
// witnesses.
func (n *Node) CosignedCheckpoint(ctx context.Context, caller, channel string) ([]byte, int64, []string, error) {
	cp, size, err := n.Checkpoint(ctx, caller, channel)
	if err != nil {
		return nil, 0, nil, err
	}
	out, names := n.addCosignatures(channel, cp)
	return out, size, names, nil
}

// addCosignatures appends to the signed checkpoint cp the cosignature
// lines the channel's witnesses gave for its text.
func (n *Node) addCosignatures(channel string, cp []byte) ([]byte, []string) {
	n.witnesses.mu.Lock()
	cw := n.witnesses.chans[channel]
	n.witnesses.mu.Unlock()
	if cw == nil {
		return cp, nil
	}
	text, _, ok := bytes.Cut(cp, []byte("\n\n"))
	if !ok {
		return cp, nil
	}
	text = append(text, '\n')
	out := slices.Clip(cp)
	var names []string
	for _, w := range cw.workers {
		w.mu.Lock()
		if w.lines != nil && bytes.Equal(w.text, text) {
			out = append(out, w.lines...)
			names = append(names, w.status.Name)
		}
		w.mu.Unlock()
	}
	return out, names
}

// TlogProof returns the envelope at index as a C2SP tlog-proof file: its
// logged bytes as the extra data, its inclusion proof, and the latest
// checkpoint with the cosignatures the witnesses have given it so far.
func (n *Node) TlogProof(ctx context.Context, caller, channel string, index int64) ([]byte, error) {
	r, err := n.Receipt(ctx, caller, channel, index)
	if err != nil {
		return nil, err
	}
	p := &witness.TlogProof{Extra: r.Leaf, Index: r.Index, Checkpoint: []byte(r.Checkpoint)}
	if p.Extra == nil {
		p.Extra = []byte{}
	}
	for _, h := range r.Proof {
		var x tlog.Hash
		if len(h) != len(x) {
			return nil, fmt.Errorf("receipt of %s/%d: proof hash of %d bytes", channel, index, len(h))
		}
		copy(x[:], h)
		p.Proof = append(p.Proof, x)
	}
	return p.Marshal(), nil
}

// witnessPolicyText says what a channel's new witness policy is, for the
// policy envelope's text.
func witnessPolicyText(text string) string {
	if text == "" {
		return "no longer witnessed"
	}
	p, err := witness.ParsePolicy([]byte(text))
	if err != nil {
		return "witnesses changed"
	}
	names := make([]string, 0, len(p.Witnesses))
	for _, w := range p.Witnesses {
		names = append(names, w.Name)
	}
	return fmt.Sprintf("witnesses %s, quorum %s", strings.Join(names, ", "), p.Quorum)
}
