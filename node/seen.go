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

// seenSet is what a channel's seen envelopes say: when each party first
// fetched each envelope it owes an acknowledgement. It is read from the
// log on first use and kept as the node appends seen envelopes, so that
// one party's fetch of one message is logged once, however many fetches
// run at the same time.
type seenSet struct {
	mu     sync.Mutex
	loaded bool                  // guarded by mu
	at     map[seenKey]*seenMark // guarded by mu
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

// seenMark is one logged (or being logged) seen envelope.
type seenMark struct {
	done chan struct{} // closed once the append is over
	at   time.Time     // the seen envelope's time; zero until logged
}

// load reads the channel's seen envelopes from the store, once. The
// caller holds s.mu.
func (s *seenSet) load(ctx context.Context, n *Node, channel string) error {
	if s.loaded {
		return nil
	}
	at := map[seenKey]*seenMark{}
	renotified := map[int64]int{}
	for from := int64(0); ; {
		envs, err := n.Store.FindEnvelopes(ctx, channel, from, 1000)
		if err != nil {
			return fmt.Errorf("read seen envelopes of %s: %w", channel, err)
		}
		if len(envs) == 0 {
			break
		}
		for _, e := range envs {
			if e.Kind != deconflict.KindSeen && e.Kind != deconflict.KindRenotify {
				continue
			}
			p, err := deconflict.ParsePayload(e.Payload)
			if err != nil {
				return fmt.Errorf("%s envelope %d of %s: %w", e.Kind, e.Index, channel, err)
			}
			if e.Kind == deconflict.KindRenotify {
				var b RenotifyBody
				json.Unmarshal(p.Body, &b)
				renotified[*p.Ack] = max(renotified[*p.Ack], b.Count)
				continue
			}
			done := make(chan struct{})
			close(done)
			at[seenKey{*p.Ack, p.AckFrom[0]}] = &seenMark{done: done, at: p.Time}
		}
		from = envs[len(envs)-1].Index + 1
	}
	s.at, s.renotified, s.loaded = at, renotified, true
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

// markSeen logs a seen envelope for every envelope of envs that caller
// still owes an acknowledgement of (an open duty) and had not fetched
// before: the node's record that the message reached the party. An
// acknowledgement already proves delivery, so acknowledged messages and
// envelopes that carry no duty of caller's log nothing. With wait, it
// returns once every such envelope's seen record is logged, by this call
// or a concurrent one (the API's reads); without, it does not wait for
// another call's appends (the watch stream, which logs after delivering). Failures are
// logged, never returned: a fetch succeeds whether or not its seen record
// could be written (a frozen channel takes none). The record is written
// even if the fetching request has ended.
func (n *Node) markSeen(ctx context.Context, caller, channel string, envs []*deconflict.Envelope, wait bool) {
	ctx = context.WithoutCancel(ctx)
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
	if err != nil {
		return
	}
	// What this node already logged (or is logging) needs no query: most
	// fetches after the first find everything here.
	var candidates []*deconflict.Envelope
	var others []*seenMark
	l.seen.mu.Lock()
	if err := l.seen.load(ctx, n, channel); err != nil {
		l.seen.mu.Unlock()
		n.Logger.Error("seen", "channel", channel, "err", err)
		return
	}
	for _, e := range envs {
		if !mayOweAck(e, caller) {
			continue
		}
		if m, ok := l.seen.at[seenKey{e.Index, caller}]; ok {
			others = append(others, m)
		} else {
			candidates = append(candidates, e)
		}
	}
	l.seen.mu.Unlock()
	var fresh []*deconflict.Envelope
	mine := map[int64]*seenMark{}
	if len(candidates) > 0 {
		// Only the candidates' duties: a party's open duties can be many.
		open := map[int64]bool{}
		for _, e := range candidates {
			duties, err := n.Store.AckStatus(ctx, channel, e.Index)
			if err != nil {
				n.Logger.Error("seen", "channel", channel, "err", err)
				return
			}
			for _, d := range duties {
				if d.Party == caller && d.AckIndex == nil {
					open[e.Index] = true
				}
			}
		}
		l.seen.mu.Lock()
		for _, e := range candidates {
			if !open[e.Index] {
				continue
			}
			k := seenKey{e.Index, caller}
			if m, ok := l.seen.at[k]; ok { // marked meanwhile
				others = append(others, m)
				continue
			}
			m := &seenMark{done: make(chan struct{})}
			l.seen.at[k] = m // in flight: a concurrent fetch finds it
			mine[e.Index] = m
			fresh = append(fresh, e)
		}
		l.seen.mu.Unlock()
	}
	// Appended together, so that the appender commits them in one batch.
	var wg sync.WaitGroup
	for _, e := range fresh {
		wg.Add(1)
		func() {
			defer wg.Done()
			idx := e.Index
			p := &deconflict.Payload{Channel: channel, Kind: deconflict.KindSeen, Ack: &idx, AckFrom: []string{caller},
				Time: n.Now().UTC(), Text: fmt.Sprintf("%s fetched envelope %d", caller, idx)}
			err := safe.Call(func() error { _, err := n.SubmitNode(ctx, p); return err })
			m := mine[idx]
			l.seen.mu.Lock()
			if err != nil {
				delete(l.seen.at, seenKey{idx, caller}) // a later fetch tries again
			} else {
				m.at = p.Time
			}
			l.seen.mu.Unlock()
			close(m.done)
			if err != nil {
				n.Logger.Error("seen", "channel", channel, "index", idx, "party", caller, "err", err)
			}
		}()
	}
	wg.Wait()
	if wait {
		for _, m := range others {
			<-m.done
		}
	}
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
	if err := l.seen.load(ctx, n, channel); err != nil {
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
