package node

import (
	"context"
	"fmt"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/record"
	"golang.org/x/mod/sumdb/tlog"
)

// Envelopes returns up to limit envelopes of channel from index from on.
// Fetching a message caller still owes an acknowledgement of logs, the
// first time, a seen envelope (as do Follow and Inbox).
func (n *Node) Envelopes(ctx context.Context, caller, channel string, from int64, limit int) ([]*deconflict.Envelope, error) {
	return n.readEnvelopes(ctx, caller, channel, from, limit, true)
}

// AuditEnvelopes is Envelopes for an audit (verify, reports): a read of
// the record, not a delivery, so it logs no seen envelope and leaves the
// log it reads as it is.
func (n *Node) AuditEnvelopes(ctx context.Context, caller, channel string, from int64, limit int) ([]*deconflict.Envelope, error) {
	return n.readEnvelopes(ctx, caller, channel, from, limit, false)
}

func (n *Node) readEnvelopes(ctx context.Context, caller, channel string, from int64, limit int, delivery bool) ([]*deconflict.Envelope, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	if from < 0 {
		return nil, deconflict.Errorf(deconflict.EINVALID, "from %d is negative", from)
	}
	var envs []*deconflict.Envelope
	if l, err := n.channelLog(ctx, channel); err == nil {
		envs = l.recent(from, limit)
	}
	if envs == nil {
		var err error
		if envs, err = n.Store.FindEnvelopes(ctx, channel, from, limit); err != nil {
			return nil, err
		}
	}
	if delivery {
		n.markSeen(ctx, caller, channel, envs, true)
	}
	return envs, nil
}

// Envelope returns the envelope of channel at index, for a member.
// ENOTFOUND if there is none.
func (n *Node) Envelope(ctx context.Context, caller, channel string, index int64) (*deconflict.Envelope, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	return n.Store.FindEnvelope(ctx, channel, index)
}

// Follow calls fn for every envelope of channel from index from on, in
// index order, exactly once each, waiting for new ones until ctx ends or
// fn fails. A slow fn delays only this follower: the appender never waits
// for watchers, and a follower that falls behind the in-memory window
// reads from the store.
func (n *Node) Follow(ctx context.Context, caller, channel string, from int64, fn func(*deconflict.Envelope) error) error {
	return n.FollowBatches(ctx, caller, channel, from, func(envs []*deconflict.Envelope) error {
		for _, e := range envs {
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// FollowBatches is Follow handing over, at each wake-up, every envelope
// then available (up to 512 at once), so a watcher can send them together.
func (n *Node) FollowBatches(ctx context.Context, caller, channel string, from int64, fn func([]*deconflict.Envelope) error) error {
	return n.FollowPaced(ctx, caller, channel, from, nil, fn)
}

// FollowPaced is FollowBatches calling settle, when it is not nil, each
// time new envelopes are committed after it has handed over all it had,
// before it reads them: a watcher that waits there a short while after
// its last write (a bounded linger) gets whatever is committed meanwhile
// in the same batch, and so writes to its client once for several
// commits. An error from settle (its context ended) ends the follow.
func (n *Node) FollowPaced(ctx context.Context, caller, channel string, from int64, settle func(context.Context) error, fn func([]*deconflict.Envelope) error) error {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return err
	}
	if from < 0 {
		return deconflict.Errorf(deconflict.EINVALID, "from %d is negative", from)
	}
	l, err := n.channelLog(ctx, channel)
	if err != nil {
		return err
	}
	n.metrics.Watchers.Add(1)
	defer n.metrics.Watchers.Add(-1)
	next := from
	for {
		size, changed := l.Size()
		for next < size {
			envs := l.recent(next, 512)
			if envs == nil {
				if envs, err = n.Store.FindEnvelopes(ctx, channel, next, 512); err != nil {
					return err
				}
				// The store must hold every index below the log's size;
				// a gap is damage to report, not a reason to read again.
				if len(envs) == 0 || envs[0].Index != next {
					return fmt.Errorf("channel %s: envelope %d is missing from the store (log size %d)", channel, next, size)
				}
			}
			batch := envs[:0] // filtered in place
			for _, e := range envs {
				if e.Index != next {
					continue
				}
				batch = append(batch, e)
				next++
			}
			if len(batch) > 0 {
				if err := fn(batch); err != nil {
					return err
				}
				n.markSeen(ctx, caller, channel, batch, false)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
		if settle != nil {
			if err := settle(ctx); err != nil {
				return err
			}
		}
	}
}

// InboxItem is a message or alert still awaiting caller's acknowledgement.
type InboxItem struct {
	Duty     deconflict.PendingAck `json:"duty"`
	Envelope *deconflict.Envelope  `json:"-"`
	Overdue  bool                  `json:"overdue"`
}

// Inbox returns what caller has still to acknowledge on channel.
func (n *Node) Inbox(ctx context.Context, caller, channel string) ([]InboxItem, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	duties, err := n.Store.PendingAcks(ctx, channel, caller, true)
	if err != nil {
		return nil, err
	}
	now := n.Now()
	out := make([]InboxItem, 0, len(duties))
	envs := make([]*deconflict.Envelope, 0, len(duties))
	for _, d := range duties {
		e, err := n.Store.FindEnvelope(ctx, channel, d.Index)
		if err != nil {
			return nil, err
		}
		envs = append(envs, e)
	}
	n.markSeen(ctx, caller, channel, envs, true)
	for i, d := range duties {
		d.Seen = n.seenAt(ctx, channel, d.Index, d.Party)
		out = append(out, InboxItem{Duty: d, Envelope: envs[i], Overdue: !now.Before(d.Deadline)})
	}
	return out, nil
}

// AckDuties returns every acknowledgement duty on channel (all parties),
// so every member sees which messages are overdue and who missed them.
func (n *Node) AckDuties(ctx context.Context, caller, channel string) ([]deconflict.PendingAck, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	duties, err := n.Store.PendingAcks(ctx, channel, "", false)
	if err != nil {
		return nil, err
	}
	return n.withSeen(ctx, duties), nil
}

// Checkpoint returns a channel's latest signed checkpoint.
func (n *Node) Checkpoint(ctx context.Context, caller, channel string) ([]byte, int64, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, 0, err
	}
	cp, size, err := n.Store.Checkpoint(ctx, channel)
	if _, frozen := n.Frozen(channel); err == nil && cp == nil && frozen {
		return nil, 0, n.frozenError(channel)
	}
	if err == nil && cp == nil {
		// An empty log still has a signed checkpoint, so members can pin it.
		cp, err = n.signCheckpoint(channel, 0, record.EmptyRoot)
	}
	return cp, size, err
}

// InclusionProof proves that the envelope at index is in the tree of size.
func (n *Node) InclusionProof(ctx context.Context, caller, channel string, index, size int64) (tlog.RecordProof, error) {
	if err := n.checkSize(ctx, caller, channel, size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, deconflict.Errorf(deconflict.EINVALID, "index %d is not in a tree of size %d", index, size)
	}
	return tlog.ProveRecord(size, index, n.storeHashReader(ctx, channel))
}

// IndexOfLeaf returns the index of the envelope of channel whose leaf
// hash is h. ENOTFOUND if none, or if caller is not a member.
func (n *Node) IndexOfLeaf(ctx context.Context, caller, channel string, h [32]byte) (int64, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return 0, err
	}
	e, err := n.Store.FindEnvelopeByLeafHash(ctx, channel, h)
	if err != nil {
		return 0, err
	}
	return e.Index, nil
}

// OverdueAcks counts the acknowledgement duties, on every channel, still
// open at or after their deadline: a node-wide figure, for /metrics.
func (n *Node) OverdueAcks(ctx context.Context) (int, error) {
	chans, err := n.Store.FindChannels(ctx)
	if err != nil {
		return 0, err
	}
	now := n.Now()
	overdue := 0
	for _, c := range chans {
		duties, err := n.Store.PendingAcks(ctx, c.ID, "", true)
		if err != nil {
			return 0, err
		}
		for _, d := range duties {
			if !now.Before(d.Deadline) {
				overdue++
			}
		}
	}
	return overdue, nil
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree of size new.
func (n *Node) ConsistencyProof(ctx context.Context, caller, channel string, old, new int64) (tlog.TreeProof, error) {
	if err := n.checkSize(ctx, caller, channel, new); err != nil {
		return nil, err
	}
	if old < 0 || old > new {
		return nil, deconflict.Errorf(deconflict.EINVALID, "consistency from size %d to %d: want 0 <= old <= new", old, new)
	}
	return tlog.ProveTree(new, old, n.storeHashReader(ctx, channel))
}

func (n *Node) checkSize(ctx context.Context, caller, channel string, size int64) error {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return err
	}
	_, cur, err := n.Store.Checkpoint(ctx, channel)
	if err != nil {
		return err
	}
	if size < 0 || size > cur {
		return deconflict.Errorf(deconflict.EINVALID, "tree size %d: the log has %d envelopes", size, cur)
	}
	return nil
}

// Tile returns a tile of the channel's log in the C2SP tlog-tiles layout:
// a hash tile ("tile/<L>/<N>[.p/<W>]") or an entry bundle
// ("tile/entries/<N>[.p/<W>]"), for the tree of the latest checkpoint.
func (n *Node) Tile(ctx context.Context, caller, channel, path string) ([]byte, error) {
	_, size, err := n.Checkpoint(ctx, caller, channel)
	if err != nil {
		return nil, err
	}
	t, err := record.ParseTilePath(path)
	if err != nil {
		return nil, deconflict.Errorf(deconflict.EINVALID, "%v", err)
	}
	if err := t.Check(size); err != nil {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "%v", err)
	}
	if t.Level != record.EntriesLevel {
		return record.ReadTile(t, size, n.storeHashReader(ctx, channel))
	}
	start, end := t.Leaves()
	envs, err := n.Store.FindEnvelopes(ctx, channel, start, int(end-start))
	if err != nil {
		return nil, err
	}
	if int64(len(envs)) != end-start {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "entries %d..%d are beyond the log", start, end-1)
	}
	leaves := make([][]byte, len(envs))
	for i, e := range envs {
		leaves[i] = e.Leaf()
	}
	return record.EncodeEntryBundle(leaves)
}
