package node

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/safe"
)

// DefaultPollInterval is how often a replica re-reads the log sizes of
// the channels it serves and drops its cached channels and keys, so that
// a lost change notification delays, never loses, what another replica
// wrote.
const DefaultPollInterval = time.Second

// LeaseTimers is the lease under which one replica runs acknowledgement
// deadlines and webhook deliveries.
const LeaseTimers = "timers"

// LeaseDetector is the lease of the replica that posts the live
// picture's alerts (Leading(LeaseDetector)); every replica queues them.
const LeaseDetector = "detector"

// maxAppendAttempts bounds how often a batch is validated again after the
// store refused it because another replica appended first.
const maxAppendAttempts = 16

// startWorkers starts the deadline and webhook workers: at once on a node
// that is alone on its store, and under the timers lease when replicas
// share it, with the listener and poller that keep this replica's view of
// the logs current.
func (n *Node) startWorkers(ctx context.Context) {
	timers := func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); safe.Loop(ctx, n.panicked("deadline loop"), n.deadlineLoop) }()
		go func() { defer wg.Done(); safe.Loop(ctx, n.panicked("webhook loop"), n.webhookLoop) }()
		wg.Wait()
	}
	n.wg.Add(1)
	if n.Replicas == nil {
		go func() { defer n.wg.Done(); timers(ctx) }()
		return
	}
	go func() {
		defer n.wg.Done()
		safe.Loop(ctx, n.panicked("timers lease"), func(ctx context.Context) { n.leadLoop(ctx, LeaseTimers, timers) })
	}()
	n.wg.Add(3)
	go func() {
		defer n.wg.Done()
		safe.Loop(ctx, n.panicked("detector lease"), func(ctx context.Context) {
			n.leadLoop(ctx, LeaseDetector, func(held context.Context) { <-held.Done() })
		})
	}()
	go func() { defer n.wg.Done(); safe.Loop(ctx, n.panicked("replica listener"), n.listenLoop) }()
	go func() { defer n.wg.Done(); safe.Loop(ctx, n.panicked("replica poller"), n.pollLoop) }()
}

// Leading reports whether this replica holds the lease name. A node
// alone on its store holds every lease.
func (n *Node) Leading(name string) bool {
	if n.Replicas == nil {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.leases[name]
}

// leadLoop waits for the lease name, runs run while it is held, and
// waits again when it is lost, until ctx ends.
func (n *Node) leadLoop(ctx context.Context, name string, run func(context.Context)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		held, release, err := n.Replicas.Lead(ctx, name)
		if err != nil {
			if ctx.Err() == nil {
				n.Logger.Error("waiting for a lease", "lease", name, "err", err)
				sleepCtx(ctx, backoff)
				backoff = min(2*backoff, 5*time.Second)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		n.setLease(name, true)
		n.Logger.Info("holding lease", "lease", name)
		run(held)
		n.setLease(name, false)
		release()
		if ctx.Err() == nil {
			n.Logger.Warn("lease lost", "lease", name)
		}
	}
}

func (n *Node) setLease(name string, held bool) {
	n.mu.Lock()
	if n.leases == nil {
		n.leases = map[string]bool{}
	}
	n.leases[name] = held
	fs := slices.Clone(n.leaseTaken[name])
	n.mu.Unlock()
	if held {
		for _, f := range fs {
			f()
		}
	}
}

// OnLease registers f, called each time this replica takes the lease
// name (never on a node alone on its store, which holds every lease from
// the start). f must not block.
func (n *Node) OnLease(name string, f func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.leaseTaken == nil {
		n.leaseTaken = map[string][]func(){}
	}
	n.leaseTaken[name] = append(n.leaseTaken[name], f)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// listenLoop applies other replicas' changes as they are announced,
// listening again (after a poll) whenever the listening connection fails.
func (n *Node) listenLoop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := n.Replicas.WatchChanges(ctx, n.applyChange)
		if ctx.Err() != nil {
			return
		}
		n.Logger.Warn("listening for other replicas' changes failed; polling meanwhile", "err", err)
		sleepCtx(ctx, backoff)
		backoff = min(2*backoff, 5*time.Second)
		n.poll(ctx)
	}
}

func (n *Node) applyChange(c deconflict.Change) {
	switch {
	case c.Keys:
		n.forgetKeys()
	case c.Size > 0:
		n.mu.Lock()
		l := n.logs[c.Channel]
		n.mu.Unlock()
		if l != nil {
			l.observe(c.Size)
		}
	case c.Channel != "":
		n.forgetChannel(c.Channel)
		// Another replica created the channel or changed its policy: the
		// live picture's party pairs follow.
		if err := n.channelsChanged(context.Background()); err != nil {
			n.Logger.Error("channel changed on another replica", "channel", c.Channel, "err", err)
		}
	}
}

func (n *Node) pollLoop(ctx context.Context) {
	every := n.PollInterval
	if every <= 0 {
		every = DefaultPollInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.poll(ctx)
		}
	}
}

// poll reads the log size of every channel this replica has open and
// forgets cached channels and keys.
func (n *Node) poll(ctx context.Context) {
	n.mu.Lock()
	clear(n.chans)
	clear(n.keys)
	logs := make([]*channelLog, 0, len(n.logs))
	for _, l := range n.logs {
		logs = append(logs, l)
	}
	n.mu.Unlock()
	for _, l := range logs {
		if err := l.resync(ctx); err != nil && ctx.Err() == nil {
			n.Logger.Warn("reading a log's size", "channel", l.id, "err", err)
		}
	}
}

// resync reads the channel's log size from the store.
func (l *channelLog) resync(ctx context.Context) error {
	size, err := l.n.Store.LogSize(ctx, l.id)
	if err != nil {
		return err
	}
	l.observe(size)
	return nil
}

// observe learns that the log has size envelopes, some appended by
// another replica: watchers wake and read them from the store (the ring
// holds only this replica's envelopes from here on).
func (l *channelLog) observe(size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if size <= l.size {
		return
	}
	l.size = size
	l.ringLow = size
	close(l.changed)
	l.changed = make(chan struct{})
}

// checkMissedOpen refuses a missed-ack whose duties another replica has
// reported already, so that the store's refusal of a second report does
// not fail the rest of the batch.
func (l *channelLog) checkMissedOpen(ctx context.Context, r *appendReq) error {
	if len(r.missed) == 0 {
		return nil
	}
	duties, err := l.n.Store.AckStatus(ctx, l.id, r.missed[0].Index)
	if err != nil {
		return err
	}
	for _, m := range r.missed {
		for _, d := range duties {
			if d.Party == m.Party && d.Missed {
				return deconflict.Errorf(deconflict.ECONFLICT, "missed-ack of index %d: %s is already reported missed", m.Index, m.Party)
			}
		}
	}
	return nil
}
