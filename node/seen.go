package node

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/safe"
)

// seenKey is one party's fetch of one envelope.
type seenKey struct {
	index int64
	party string
}

// seenQueueSize bounds the fetches waiting for the seen writer. A fetch
// that finds the queue full leaves its seen record to a later fetch
// rather than wait: the record must never delay a delivery. (A variable
// only so that tests can fill it quickly.)
var seenQueueSize = 8192

// seenSet is what a channel's seen envelopes say: when each party first
// fetched each envelope it owes an acknowledgement. It follows the log
// (sync), and it also holds the fetches the seen writer has still to log,
// so that one party's fetch of one message is logged once, however many
// fetches run at the same time.
type seenSet struct {
	mu   sync.Mutex
	upto int64                 // the log size the set reflects: envelopes below upto are read; guarded by mu
	at   map[seenKey]*seenMark // guarded by mu
	// renotified counts the renotify envelopes of each message; guarded by mu
	renotified map[int64]int
	// msgs caches what CheckRenotify reads of messages with open duties; guarded by mu
	msgs map[int64]renotifyMsg
}

type renotifyMsg struct {
	prec     deconflict.Precedence
	kind     string
	author   string
	received time.Time
}

// seenMark is one party's fetch of one envelope: logged, being logged, or
// found to need no record (the duty was acknowledged).
type seenMark struct {
	done chan struct{} // closed once the seen writer is done with it
	at   time.Time     // the seen envelope's time; zero until one is in the log; guarded by the set's mu
}

// seenReq is a fetch queued for the seen writer.
type seenReq struct {
	l     *channelLog
	index int64
	party string
	mark  *seenMark
	// urgent: a read waits for the record, so it does not wait for a
	// message to share its commit (the appender's lazy queue).
	urgent bool
}

// sync brings the set up to the channel's committed log, reading the seen
// and renotify envelopes appended since it last looked: this node's from
// memory (the ring), another replica's from the store. The caller holds s.mu.
func (s *seenSet) sync(ctx context.Context, l *channelLog) error {
	if s.at == nil {
		s.at, s.renotified = map[seenKey]*seenMark{}, map[int64]int{}
	}
	size, _ := l.Size()
	for s.upto < size {
		envs := l.recent(s.upto, 1024)
		if envs == nil {
			var err error
			if envs, err = l.n.Store.FindEnvelopes(ctx, l.id, s.upto, 1000); err != nil {
				return fmt.Errorf("read seen envelopes of %s: %w", l.id, err)
			}
		}
		if len(envs) == 0 || envs[0].Index != s.upto {
			return fmt.Errorf("read seen envelopes of %s: envelope %d is missing from the store (log size %d)", l.id, s.upto, size)
		}
		for _, e := range envs {
			if e.Index != s.upto {
				break
			}
			s.upto++
			if e.Kind != deconflict.KindSeen && e.Kind != deconflict.KindRenotify {
				continue
			}
			p, err := deconflict.ParsePayload(e.Payload)
			if err != nil {
				// Checked when appended; skip it rather than stop reading.
				l.n.Logger.Error("seen: unreadable envelope", "channel", l.id, "kind", e.Kind, "index", e.Index, "err", err)
				continue
			}
			if e.Kind == deconflict.KindRenotify {
				var b RenotifyBody
				json.Unmarshal(p.Body, &b)
				s.renotified[*p.Ack] = max(s.renotified[*p.Ack], b.Count)
				continue
			}
			k := seenKey{*p.Ack, p.AckFrom[0]}
			if m := s.at[k]; m != nil {
				if m.at.IsZero() {
					m.at = p.Time // the writer's own, or another replica's
				}
				continue
			}
			done := make(chan struct{})
			close(done)
			s.at[k] = &seenMark{done: done, at: p.Time}
		}
	}
	return nil
}

// mayOweAck reports whether party may owe an acknowledgement of e: the
// kinds that carry duties, written by someone else.
func mayOweAck(e *deconflict.Envelope, party string) bool {
	if e.Author == party {
		return false
	}
	switch e.Kind {
	case deconflict.KindMessage, deconflict.KindNotification, deconflict.KindAlert:
		return true
	}
	return false
}

// markSeen has the seen writer log a seen envelope for every envelope of
// envs that caller may owe an acknowledgement of and had not fetched
// before: the node's record that the message reached the party. It only
// queues them (the writer checks the duty is open, since an
// acknowledgement already proves delivery, and appends them in one batch
// per channel), so a delivery never waits for a seen record. With wait,
// it returns once every such envelope's record is logged (or found
// unneeded), by this call or a concurrent one, or ctx ends: the API's
// reads, whose caller may look at the record next. Failures are logged,
// never returned: a fetch succeeds whether or not its seen record could
// be written (a frozen channel takes none). The record is written even if
// the fetching request has ended.
func (n *Node) markSeen(ctx context.Context, caller, channel string, envs []*deconflict.Envelope, wait bool) {
	if caller == deconflict.NodeAuthor || channel == deconflict.KeyLog {
		return
	}
	if !slices.ContainsFunc(envs, func(e *deconflict.Envelope) bool { return mayOweAck(e, caller) }) {
		return
	}
	if _, frozen := n.Frozen(channel); frozen {
		return
	}
	l, err := n.channelLog(ctx, channel)
	if err != nil || !n.startSeenWriter() {
		return
	}
	var waitFor []*seenMark
	dropped := 0
	l.seen.mu.Lock()
	if err := l.seen.sync(context.WithoutCancel(ctx), l); err != nil {
		l.seen.mu.Unlock()
		n.Logger.Error("seen", "channel", channel, "err", err)
		return
	}
	for _, e := range envs {
		if !mayOweAck(e, caller) {
			continue
		}
		k := seenKey{e.Index, caller}
		m, ok := l.seen.at[k]
		if !ok {
			m = &seenMark{done: make(chan struct{})}
			select {
			case n.seenQ <- seenReq{l: l, index: e.Index, party: caller, mark: m, urgent: wait}:
				l.seen.at[k] = m // queued: a concurrent fetch finds it
			default:
				dropped++ // a later fetch queues it again
				continue
			}
		}
		if wait {
			waitFor = append(waitFor, m)
		}
	}
	l.seen.mu.Unlock()
	if dropped > 0 {
		n.metrics.SeenDropped.Add(int64(dropped))
		n.Logger.Warn("seen: the writer's queue is full; records left to a later fetch", "channel", channel, "party", caller, "dropped", dropped)
	}
	for _, m := range waitFor {
		select {
		case <-m.done:
		case <-n.seenDone:
			return
		case <-ctx.Done():
			return
		}
	}
}

// startSeenWriter starts the seen writer on first use and reports
// whether it runs: not once Close has begun.
func (n *Node) startSeenWriter() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closing {
		return false
	}
	if n.seenCancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		n.seenCancel = cancel
		go n.runSeenWriter(ctx)
	}
	return true
}

// runSeenWriter runs the seen writer until ctx ends (Close), then logs
// what is still queued and returns; Close waits for it before it stops
// the appenders, so that a clean shutdown loses no queued record.
func (n *Node) runSeenWriter(ctx context.Context) {
	defer close(n.seenDone)
	safe.Loop(ctx, n.panicked("seen writer"), func(ctx context.Context) {
		for {
			select {
			case <-ctx.Done():
				return
			case r := <-n.seenQ:
				n.writeSeen(n.takeSeen(r))
			}
		}
	})
	for {
		select {
		case r := <-n.seenQ:
			n.writeSeen(n.takeSeen(r))
		default:
			return
		}
	}
}

// takeSeen returns r and whatever else is queued, up to maxBatch.
func (n *Node) takeSeen(r seenReq) []seenReq {
	reqs := []seenReq{r}
	for len(reqs) < maxBatch {
		select {
		case r := <-n.seenQ:
			reqs = append(reqs, r)
		default:
			return reqs
		}
	}
	return reqs
}

// writeSeen logs the seen envelopes of reqs, one batch per channel.
func (n *Node) writeSeen(reqs []seenReq) {
	var order []*channelLog
	by := map[*channelLog][]seenReq{}
	for _, r := range reqs {
		if by[r.l] == nil {
			order = append(order, r.l)
		}
		by[r.l] = append(by[r.l], r)
	}
	for _, l := range order {
		if err := safe.Call(func() error { return n.writeSeenChannel(l, by[l]) }); err != nil {
			n.Logger.Error("seen", "channel", l.id, "records", len(by[l]), "err", err)
		}
	}
}

// writeSeenChannel appends the seen envelopes of reqs, all of channel l,
// together (the appender commits them in one transaction), skipping the
// fetches whose duty is no longer open. Every request's mark is settled
// whatever happens: kept when its record is logged or not needed, dropped
// (so that a later fetch queues it again) when it could not be written.
func (n *Node) writeSeenChannel(l *channelLog, reqs []seenReq) error {
	ctx := context.Background()
	settled := make([]bool, len(reqs))
	settle := func(i int, at time.Time, keep bool) {
		r := reqs[i]
		l.seen.mu.Lock()
		if !keep {
			if l.seen.at[seenKey{r.index, r.party}] == r.mark {
				delete(l.seen.at, seenKey{r.index, r.party})
			}
		} else if !at.IsZero() && r.mark.at.IsZero() {
			r.mark.at = at
		}
		l.seen.mu.Unlock()
		settled[i] = true
		close(r.mark.done)
	}
	defer func() {
		for i := range reqs {
			if !settled[i] {
				settle(i, time.Time{}, false)
			}
		}
	}()
	if err := n.frozenError(l.id); err != nil {
		return err
	}
	duties := map[int64][]deconflict.PendingAck{}
	var queued []*appendReq
	var pos []int
	for i, r := range reqs {
		d, ok := duties[r.index]
		if !ok {
			var err error
			if d, err = n.Store.AckStatus(ctx, l.id, r.index); err != nil {
				return err
			}
			duties[r.index] = d
		}
		if !slices.ContainsFunc(d, func(d deconflict.PendingAck) bool { return d.Party == r.party && d.AckIndex == nil }) {
			// No open duty (acknowledged, or never owed): nothing to log,
			// now or later, since an acknowledged duty stays so.
			settle(i, time.Time{}, true)
			continue
		}
		idx := r.index
		p := &deconflict.Payload{Channel: l.id, Kind: deconflict.KindSeen, Ack: &idx, AckFrom: []string{r.party},
			Time: n.Now().UTC(), Text: fmt.Sprintf("%s fetched envelope %d", r.party, idx)}
		ar, err := n.nodeReq(p, &appendReq{fresh: true})
		if err != nil {
			return err
		}
		queued, pos = append(queued, ar), append(pos, i)
	}
	// Queue them all before waiting, so that the appender takes them in
	// one batch: to the lazy queue, to wait for a message to commit with,
	// unless a read waits for one of them.
	q := l.lazy
	if slices.ContainsFunc(reqs, func(r seenReq) bool { return r.urgent }) {
		q = l.reqs
	}
	for k, ar := range queued {
		ar.resp = make(chan appendResp, 1)
		select {
		case q <- ar:
		case <-l.done:
			queued[k] = nil
		}
	}
	var failed error
	for k, ar := range queued {
		if ar == nil {
			failed = deconflict.Errorf(deconflict.EUNAVAILABLE, "node is shutting down")
			continue
		}
		res := l.wait(ar)
		switch {
		case res.err == nil:
			n.metrics.SeenLogged.Add(1)
			settle(pos[k], ar.payload.Time, true)
		case deconflict.ErrorCode(res.err) == deconflict.ECONFLICT:
			// Another replica logged this fetch first: the set has its record.
			settle(pos[k], time.Time{}, true)
		default:
			failed = res.err
		}
	}
	return failed
}

// checkSeenOnce refuses a seen envelope whose (message, party) is in the
// log already, which another replica sharing the store may have appended:
// the appender calls it under the channel's lock, after reading the log's
// size, so that the record is logged once across replicas.
func (l *channelLog) checkSeenOnce(ctx context.Context, p *deconflict.Payload) error {
	l.seen.mu.Lock()
	defer l.seen.mu.Unlock()
	if err := l.seen.sync(ctx, l); err != nil {
		return err
	}
	if m := l.seen.at[seenKey{*p.Ack, p.AckFrom[0]}]; m != nil && !m.at.IsZero() {
		return deconflict.Errorf(deconflict.ECONFLICT, "seen of index %d by %s: already logged", *p.Ack, p.AckFrom[0])
	}
	return nil
}

// seenAt returns when party's fetch of the envelope at index was logged,
// nil if it never was.
func (n *Node) seenAt(ctx context.Context, channel string, index int64, party string) *time.Time {
	l, err := n.channelLog(ctx, channel)
	if err != nil {
		return nil
	}
	l.seen.mu.Lock()
	defer l.seen.mu.Unlock()
	if err := l.seen.sync(ctx, l); err != nil {
		n.Logger.Error("seen", "channel", channel, "err", err)
		return nil
	}
	m, ok := l.seen.at[seenKey{index, party}]
	if !ok || m.at.IsZero() {
		return nil
	}
	t := m.at
	return &t
}

// withSeen fills in when each duty's party fetched its message.
func (n *Node) withSeen(ctx context.Context, duties []deconflict.PendingAck) []deconflict.PendingAck {
	for i := range duties {
		duties[i].Seen = n.seenAt(ctx, duties[i].Channel, duties[i].Index, duties[i].Party)
	}
	return duties
}
