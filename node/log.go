package node

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/safe"
	"github.com/deconflict/deconflict/record"
	"golang.org/x/mod/sumdb/tlog"
)

// maxBatch bounds how many envelopes one append transaction takes.
const maxBatch = 1024

// lazyDelay bounds how long the appender holds a lazy request (a seen
// record) waiting for a regular one to commit with: on a busy channel
// seen records then ride along in the messages' commits instead of
// taking commits (an fsync each) of their own. It delays only those
// records, never a regular request. (A variable only for tests.)
var lazyDelay = 10 * time.Millisecond

// ringSize is how many recent envelopes each channel keeps in memory for
// watchers, so live fan-out rarely reads the store.
var ringSize = int64(8192) // a variable only so that tests can wrap it quickly

// channelLog owns the appends of one channel: a single goroutine takes
// queued requests, writes them in one transaction (group commit) and only
// then answers them, so no receipt precedes its commit.
type channelLog struct {
	n    *Node
	id   string
	reqs chan *appendReq
	// lazy takes requests that may wait up to lazyDelay for a regular
	// request to share its commit (seen records).
	lazy chan *appendReq
	done chan struct{}
	// exited is closed once run has returned, after answering every
	// request queued before it stopped: a request queued later is never
	// answered, and its sender learns so here.
	exited chan struct{}

	mu          sync.Mutex
	size        int64                  // committed log size; guarded by mu
	changed     chan struct{}          // closed and replaced at each commit; guarded by mu
	ring        []*deconflict.Envelope // ring[i%ringSize] holds index i when i >= max(ringLow, size-ringSize); guarded by mu
	ringLow     int64                  // the first index appended since start; older ones are only in the store
	written     []byte                 // the checkpoint of this appender's last commit, nil before one; guarded by mu
	writtenSize int64                  // its size; guarded by mu
	stopped     bool

	seen     seenSet    // who has fetched which message, from the channel's seen envelopes
	links    linkSet    // the channel's link tests and their answers (linktest.go)
	findings findingSet // the keys of the node's findings in the log (findings.go)
}

type appendReq struct {
	signed   *deconflict.Signed
	payload  *deconflict.Payload
	missed   []deconflict.PendingAck // missed-ack: the duties it reports
	hooks    []deconflict.WebhookJob // missed-ack: webhook calls to queue
	policy   *deconflict.Policy      // policy: the channel's policy from this envelope on
	backfill bool                    // key log: records a key registered before the key log; changes no table
	// fresh: the node drew the envelope's ID just now (NewEnvelopeID), so
	// no stored envelope can have it and commit does not look it up (the
	// store's unique index would still refuse a duplicate).
	fresh bool
	// finish, when set, completes a node envelope in the appender, just
	// before it is checked and appended at the commit's time now (after
	// everything logged before it): it sets the request's payload and
	// signature (a link-result's body, linktest.go).
	finish func(ctx context.Context, now time.Time) error
	resp   chan appendResp
}

type appendResp struct {
	env        *deconflict.Envelope
	treeSize   int64
	checkpoint []byte
	dup        bool // the same envelope was already logged
	err        error
	// proofs reads the hashes of the batch's tree from memory (the
	// appended batch, falling back to the store), so receipts need no
	// database round trip.
	proofs tlog.HashReader
}

// runningLog returns the appender of a channel if it runs, nil if not
// (starting none).
func (n *Node) runningLog(id string) *channelLog {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.logs[id]
}

// channelLog returns the appender of a channel, starting it on first use.
func (n *Node) channelLog(ctx context.Context, id string) (*channelLog, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if l := n.logs[id]; l != nil {
		return l, nil
	}
	if n.closing {
		// No appender starts once Close has stopped the others.
		return nil, deconflict.Errorf(deconflict.EUNAVAILABLE, "node is shutting down")
	}
	// Only a channel that exists gets an appender: requests about unknown
	// channels must create nothing.
	if _, err := n.Store.FindChannel(ctx, id); err != nil {
		return nil, err
	}
	size, err := n.Store.LogSize(ctx, id)
	if err != nil {
		return nil, err
	}
	l := &channelLog{n: n, id: id, reqs: make(chan *appendReq, 4*maxBatch), lazy: make(chan *appendReq, 4*maxBatch), done: make(chan struct{}), exited: make(chan struct{}), size: size, ringLow: size, changed: make(chan struct{}), ring: make([]*deconflict.Envelope, ringSize)}
	n.logs[id] = l
	n.wg.Add(1)
	go func() { defer n.wg.Done(); defer close(l.exited); l.run() }()
	return l, nil
}

func (l *channelLog) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.stopped {
		l.stopped = true
		close(l.done)
	}
}

// lastCheckpoint returns the checkpoint of the appender's last commit and
// its size (nil if it committed nothing).
func (l *channelLog) lastCheckpoint() ([]byte, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written == nil {
		return nil, 0
	}
	return l.written, l.writtenSize
}

// Size returns the committed log size and a channel closed at the next commit.
func (l *channelLog) Size() (int64, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size, l.changed
}

// recent returns the envelopes from index from on that are still in the
// ring, in order; nil when from is older than the ring holds.
func (l *channelLog) recent(from int64, limit int) []*deconflict.Envelope {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from >= l.size || from < l.size-ringSize || from < l.ringLow {
		return nil
	}
	end := min(l.size, from+int64(limit))
	out := make([]*deconflict.Envelope, 0, end-from)
	for i := from; i < end; i++ {
		out = append(out, l.ring[i%ringSize])
	}
	return out
}

func (l *channelLog) run() {
	var (
		held  []*appendReq // lazy requests waiting for a regular one
		due   <-chan time.Time
		timer *time.Timer
	)
	for {
		var batch []*appendReq
		lazy := l.lazy
		if held != nil {
			lazy = nil // they wait in the channel until the batch is taken
		}
		select {
		case <-l.done:
			l.failQueued(held)
			return
		case r := <-l.reqs:
			batch = append(held, r)
		case r := <-lazy:
			held = []*appendReq{r}
			timer = time.NewTimer(lazyDelay)
			due = timer.C
			continue
		case <-due:
			batch = held
		}
		held, due = nil, nil
		if timer != nil {
			timer.Stop()
			timer = nil
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			case r := <-l.lazy:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		l.commitRecovered(batch)
	}
}

// commitRecovered is commit turning a panic into an internal error for
// every request still waiting, so that no input can end the process or
// leave a sender hanging. Whether the batch reached the store is then
// unknown to the appender, so it rereads the log size from the store
// before the next batch.
func (l *channelLog) commitRecovered(reqs []*appendReq) {
	err := safe.Call(func() error {
		for attempt := 1; l.commit(reqs, attempt); attempt++ {
		}
		return nil
	})
	pe, ok := err.(*safe.PanicError)
	if !ok {
		return
	}
	l.n.Logger.Error("panic in a channel's appender", "channel", l.id, "panic", pe.Value, "stack", string(pe.Stack))
	for _, r := range reqs {
		select {
		case r.resp <- appendResp{err: fmt.Errorf("append to %s: %w", l.id, pe)}:
		default: // already answered
		}
	}
	size, err := l.n.Store.LogSize(context.Background(), l.id)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.n.Logger.Error("channel appender: cannot reread the log size after a panic; refusing further appends", "channel", l.id, "err", err)
		if !l.stopped {
			l.stopped = true
			close(l.done)
		}
		return
	}
	if size != l.size {
		l.size, l.ringLow = size, size // the ring no longer matches the store below size
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

func (l *channelLog) failQueued(held []*appendReq) {
	stopping := appendResp{err: deconflict.Errorf(deconflict.EUNAVAILABLE, "node is shutting down")}
	for _, r := range held {
		r.resp <- stopping
	}
	for {
		select {
		case r := <-l.reqs:
			r.resp <- stopping
		case r := <-l.lazy:
			r.resp <- stopping
		default:
			return
		}
	}
}

// commit validates the batch against stored state, writes the accepted
// envelopes with their log hashes and checkpoint in one transaction, and
// answers every request. It answers nothing and returns true when the
// store refused the batch because another replica appended first: the
// caller commits it again, validated against the log as it now is.
func (l *channelLog) commit(reqs []*appendReq, attempt int) (again bool) {
	ctx := context.Background()
	n := l.n
	if n.Replicas != nil {
		// Validate and append while no other replica appends here.
		unlock, err := n.Replicas.LockChannel(ctx, l.id)
		if err == nil {
			defer unlock()
			err = l.resync(ctx)
		}
		if err != nil {
			for _, r := range reqs {
				r.resp <- appendResp{err: err}
			}
			return false
		}
	}
	l.mu.Lock()
	size := l.size
	l.mu.Unlock()

	ch, err := n.findChannel(ctx, l.id)
	if err == nil {
		err = n.frozenError(l.id)
	}
	if err != nil {
		for _, r := range reqs {
			r.resp <- appendResp{err: err}
		}
		return false
	}
	now := n.Now().UTC()
	b := &deconflict.Batch{Channel: l.id}
	results := make([]appendResp, len(reqs))
	accepted := make([]int, 0, len(reqs)) // request positions appended
	inBatch := map[string]int{}           // id -> position in b.Envelopes
	var acked map[[2]any]bool
	kb := &keyBatch{parties: map[string]bool{}, added: map[string]*deconflict.PartyKey{}, revoked: map[string]bool{}}
	ids := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if !r.fresh {
			ids = append(ids, r.payload.ID)
		}
	}
	existing := map[string]*deconflict.Envelope{}
	if len(ids) > 0 {
		existing, err = n.Store.FindEnvelopesByID(ctx, l.id, ids)
	}
	if err != nil {
		for _, r := range reqs {
			r.resp <- appendResp{err: err}
		}
		return false
	}

	for i, r := range reqs {
		p := r.payload
		// Resending an accepted envelope returns the same receipt.
		if j, ok := inBatch[p.ID]; ok {
			if bytes.Equal(b.Envelopes[j].Leaf(), r.signed.Leaf()) {
				results[i] = appendResp{env: b.Envelopes[j], dup: true}
				continue
			}
			results[i] = appendResp{err: deconflict.Errorf(deconflict.ECONFLICT, "envelope id %s is already used by another envelope", p.ID)}
			continue
		}
		if old := existing[p.ID]; old != nil {
			if bytes.Equal(old.Leaf(), r.signed.Leaf()) {
				results[i] = appendResp{env: old, dup: true}
			} else {
				results[i] = appendResp{err: deconflict.Errorf(deconflict.ECONFLICT, "envelope id %s is already used by index %d with other content", p.ID, old.Index)}
			}
			continue
		}
		if r.finish != nil {
			if err := r.finish(ctx, now); err != nil {
				results[i] = appendResp{err: err}
				continue
			}
		}
		// The replay window applies to new envelopes only.
		if d := p.Time.Sub(now); d > n.TimeWindow || d < -n.TimeWindow {
			results[i] = appendResp{err: deconflict.Errorf(deconflict.EINVALID, "envelope time %s is %s from the node's clock %s; the window is ±%s", p.Time.Format(time.RFC3339), d.Round(time.Second), now.Format(time.RFC3339), n.TimeWindow)}
			continue
		}
		idx := size + int64(len(b.Envelopes))
		if l.id == deconflict.KeyLog {
			err = l.checkKeyEvent(ctx, r, b, kb, now)
		} else {
			err = l.checkState(ctx, ch, r, idx, b, &acked)
		}
		if err != nil {
			results[i] = appendResp{err: err}
			continue
		}
		e := &deconflict.Envelope{Signed: *r.signed, Channel: l.id, Index: idx, ID: p.ID, Author: p.Author, Kind: p.Kind, Received: now}
		e.LeafHash = deconflict.LeafHash(e.Leaf())
		inBatch[p.ID] = len(b.Envelopes)
		b.Envelopes = append(b.Envelopes, e)
		l.effects(ch, r, e, b, now)
		if r.policy != nil {
			// Later envelopes of the batch fall under the new policy.
			b.Policy = r.policy
			c := *ch
			c.Policy = *r.policy
			ch = &c
		}
		accepted = append(accepted, i)
	}

	if len(b.Envelopes) > 0 {
		// The log's new stored hashes and root, reading the store once
		// (the old tree's complete subtrees); the result also serves the
		// batch's inclusion proofs from memory.
		lhs := make([]tlog.Hash, len(b.Envelopes))
		for k, e := range b.Envelopes {
			lhs[k] = tlog.Hash(e.LeafHash)
		}
		app, err := record.StoredHashesForLeafHashes(size, lhs, n.storeHashReader(ctx, l.id))
		if err == nil {
			b.TreeSize = app.Size
			for k, h := range app.Hashes {
				b.Hashes = append(b.Hashes, deconflict.HashAt{Index: app.FirstIndex + int64(k), Hash: h})
			}
			b.Checkpoint, err = n.signCheckpoint(l.id, app.Size, app.Root)
		}
		if err == nil {
			err = n.Store.Append(ctx, b)
		}
		if deconflict.ErrorCode(err) == deconflict.ECONFLICT && attempt < maxAppendAttempts && l.resync(ctx) == nil {
			n.Logger.Debug("another replica appended first; validating the batch again", "channel", l.id, "attempt", attempt)
			return true
		}
		if err != nil {
			n.Logger.Error("append failed", "channel", l.id, "envelopes", len(b.Envelopes), "err", err)
			for _, i := range accepted {
				results[i] = appendResp{err: err}
			}
			b.Envelopes = nil
		} else {
			if b.Policy != nil {
				n.forgetChannel(l.id)
			}
			if b.Keys != nil {
				n.forgetKeys()
			}
			n.metrics.Appended.Add(int64(len(b.Envelopes)))
			n.metrics.Batches.Add(1)
			n.metrics.MissedAcks.Add(int64(len(b.Missed)))
			for k, i := range accepted {
				results[i] = appendResp{env: b.Envelopes[k]}
			}
			for _, i := range accepted {
				results[i].proofs = app
			}
			l.mu.Lock()
			for _, e := range b.Envelopes {
				l.ring[e.Index%ringSize] = e
			}
			l.size = max(l.size, b.TreeSize) // observe may have seen a later append already
			l.written, l.writtenSize = b.Checkpoint, b.TreeSize
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
			if len(b.Webhooks) > 0 {
				select {
				case n.wakeHook <- struct{}{}:
				default:
				}
			}
		}
	}
	treeSize, cp := b.TreeSize, b.Checkpoint
	if len(b.Envelopes) == 0 || cp == nil {
		cp, treeSize, _ = n.Store.Checkpoint(ctx, l.id)
	}
	for i, r := range reqs {
		res := results[i]
		if res.err == nil {
			res.treeSize, res.checkpoint = treeSize, cp
		} else {
			n.metrics.Rejected.Add(1)
		}
		r.resp <- res
	}
	return false
}

// checkState applies the rules that depend on what is already logged.
func (l *channelLog) checkState(ctx context.Context, ch *deconflict.Channel, r *appendReq, idx int64, b *deconflict.Batch, acked *map[[2]any]bool) error {
	p := r.payload
	find := func(i int64) (*deconflict.Envelope, error) {
		if i >= idx {
			return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: no envelope at index %d", l.id, i)
		}
		if first := idx - int64(len(b.Envelopes)); i >= first {
			return b.Envelopes[i-first], nil
		}
		return l.n.Store.FindEnvelope(ctx, l.id, i)
	}
	if p.ReplyTo != nil {
		if _, err := find(*p.ReplyTo); err != nil {
			return deconflict.Errorf(deconflict.EINVALID, "reply_to %d: no such envelope in channel %s", *p.ReplyTo, l.id)
		}
	}
	if p.Kind == deconflict.KindMissedAck {
		return l.checkMissedOpen(ctx, r)
	}
	if p.Kind == deconflict.KindSeen {
		return l.checkSeenOnce(ctx, p)
	}
	if p.Kind == deconflict.KindLinkAnswer {
		return l.checkLinkAnswer(ctx, p, b, find)
	}
	if p.Kind == deconflict.KindFinding {
		return l.checkFindingOnce(ctx, p, b)
	}
	if p.Kind != deconflict.KindAck {
		return nil
	}
	target, err := find(*p.Ack)
	if err != nil {
		return deconflict.Errorf(deconflict.ENOTFOUND, "ack of index %d: no such envelope in channel %s", *p.Ack, l.id)
	}
	if target.Author == p.Author {
		return deconflict.Errorf(deconflict.EINVALID, "ack of index %d: a party cannot acknowledge its own envelope", *p.Ack)
	}
	if target.Kind != deconflict.KindMessage && target.Kind != deconflict.KindAlert && target.Kind != deconflict.KindNotification {
		return deconflict.Errorf(deconflict.EINVALID, "ack of index %d: it is a %s, only messages, alerts and notifications are acknowledged", *p.Ack, target.Kind)
	}
	if *acked == nil {
		*acked = map[[2]any]bool{}
	}
	key := [2]any{*p.Ack, p.Author}
	if (*acked)[key] {
		return deconflict.Errorf(deconflict.ECONFLICT, "ack of index %d: %s already acknowledged it", *p.Ack, p.Author)
	}
	duties, err := l.n.Store.AckStatus(ctx, l.id, *p.Ack)
	if err != nil {
		return err
	}
	for _, d := range duties {
		if d.Party == p.Author && d.AckIndex != nil {
			return deconflict.Errorf(deconflict.ECONFLICT, "ack of index %d: %s already acknowledged it at index %d", *p.Ack, p.Author, *d.AckIndex)
		}
	}
	(*acked)[key] = true
	return nil
}

// effects adds the acknowledgement book-keeping an accepted envelope implies.
func (l *channelLog) effects(ch *deconflict.Channel, r *appendReq, e *deconflict.Envelope, b *deconflict.Batch, now time.Time) {
	p := r.payload
	for _, a := range p.Attachments {
		// The node checked the blob is held (checkAttachments); the store
		// marks it attached, never to be forgotten, in the same transaction.
		if sum, err := deconflict.ParseSHA256(a.SHA256); err == nil {
			b.Attached = append(b.Attached, sum)
		}
	}
	switch p.Kind {
	case deconflict.KindMessage, deconflict.KindAlert, deconflict.KindNotification:
		if p.Kind == deconflict.KindAlert && len(p.AckFrom) == 0 {
			return // informational alert
		}
		prec := p.Precedence
		if prec == "" {
			prec = deconflict.Routine
		}
		deadline := now.Add(l.n.ackDeadline(ch, prec))
		who := p.AckFrom
		if p.Kind != deconflict.KindAlert {
			who = nil
			for _, m := range ch.Members {
				if m != p.Author {
					who = append(who, m)
				}
			}
		}
		for _, m := range who {
			b.Pending = append(b.Pending, deconflict.PendingAck{Channel: l.id, Index: e.Index, Party: m, Deadline: deadline})
		}
	case deconflict.KindAck:
		b.Acked = append(b.Acked, deconflict.AckMark{Index: *p.Ack, AckIndex: e.Index, Party: p.Author})
		// An ack of a message in this same batch: its duty row is in b.Pending.
		for k := range b.Pending {
			if b.Pending[k].Index == *p.Ack && b.Pending[k].Party == p.Author {
				v := e.Index
				b.Pending[k].AckIndex = &v
			}
		}
	case deconflict.KindRenotify:
		var body RenotifyBody
		json.Unmarshal(p.Body, &body)
		body.Index = e.Index
		bj, _ := json.Marshal(body)
		for _, h := range r.hooks {
			h.Body = bj
			b.Webhooks = append(b.Webhooks, h)
		}
	case deconflict.KindMissedAck:
		b.Missed = append(b.Missed, r.missed...)
		var body MissedAckBody
		json.Unmarshal(p.Body, &body)
		body.Index = e.Index
		bj, _ := json.Marshal(body)
		for _, h := range r.hooks {
			h.Body = bj
			b.Webhooks = append(b.Webhooks, h)
		}
	}
}

// storeHashReader reads stored hashes of channel from the store.
func (n *Node) storeHashReader(ctx context.Context, channel string) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		got, err := n.Store.ReadHashes(ctx, channel, idx)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(got))
		for i, h := range got {
			out[i] = tlog.Hash(h)
		}
		return out, nil
	})
}
