package node

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/deconflict/deconflict"
)

// The party keys are a chain members can check: the operator registers a
// party with its first keys (a node-signed party envelope); every later key
// is added, and every key revoked, by an envelope signed with a current
// key of that party; the operator may only re-key a party in an emergency
// (node-signed key-add or key-revoke), which every member's verify reports
// and refuses unless told to accept it. All of these are envelopes of one
// node-wide log, deconflict.KeyLog, audited like a channel log; the key
// tables are derived from it, in the same transactions.

// CreateParty registers a party with its first keys (operator only): a
// node-signed party envelope in the key log.
func (n *Node) CreateParty(ctx context.Context, caller string, p *deconflict.Party) error {
	if err := requireOperator(caller, "party add"); err != nil {
		return err
	}
	if !deconflict.ValidPartyID(p.ID) {
		return deconflict.Errorf(deconflict.EINVALID, "party id %q: want a letter then up to 31 letters, digits, '_', '.', '-' (not \"node\")", p.ID)
	}
	ev := &deconflict.KeyEvent{Party: p.ID, Name: p.Name}
	for _, k := range p.Keys {
		if len(k.Public) != ed25519.PublicKeySize {
			return deconflict.Errorf(deconflict.EINVALID, "key of party %s: %d bytes, want %d", p.ID, len(k.Public), ed25519.PublicKeySize)
		}
		ev.Keys = append(ev.Keys, deconflict.EncodeKey(k.Public))
	}
	rec, err := n.submitKeyEvent(ctx, deconflict.KindParty, ev, fmt.Sprintf("party %s registered by the node operator with %d keys", p.ID, len(ev.Keys)))
	if err != nil {
		return err
	}
	p.Created = rec.Received
	for i := range p.Keys {
		p.Keys[i].Party, p.Keys[i].Added = p.ID, rec.Received
	}
	return nil
}

// AddPartyKey is the operator's emergency re-keying of party: a node-signed
// key-add, which every member's verify reports and refuses unless accepted.
// Without emergency it is EFORBIDDEN: a party adds its own keys by an
// envelope signed with a current key of its own (kind key-add, in the key
// log). EINVALID if reason is empty.
func (n *Node) AddPartyKey(ctx context.Context, caller, party string, pub ed25519.PublicKey, emergency bool, reason string) error {
	if err := requireOperator(caller, "party key-add"); err != nil {
		return err
	}
	if !emergency {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "party key-add: the operator cannot add a key for party %s: the party adds its own keys, signed with a key it holds ('deconflict party key-add --key PARTY.key'); only an emergency re-keying (emergency, with a reason) lets the operator do it, and every member's verify reports it", party)
	}
	if reason == "" {
		return deconflict.Errorf(deconflict.EINVALID, "party key-add: an emergency re-keying needs a reason")
	}
	ev := &deconflict.KeyEvent{Party: party, Key: deconflict.EncodeKey(pub), Reason: reason}
	_, err := n.submitKeyEvent(ctx, deconflict.KindKeyAdd, ev, fmt.Sprintf("EMERGENCY RE-KEYING by the node operator: key %s added to party %s, not signed by the party: %s", ev.Key, party, reason))
	return err
}

// RevokePartyKey is the operator's emergency revocation of a key (a
// node-signed key-revoke, reported by every member's verify). A party
// revokes its own keys by an envelope of kind key-revoke. EINVALID if
// reason is empty.
func (n *Node) RevokePartyKey(ctx context.Context, caller string, pub ed25519.PublicKey, reason string) error {
	if err := requireOperator(caller, "party key-revoke"); err != nil {
		return err
	}
	if reason == "" {
		return deconflict.Errorf(deconflict.EINVALID, "party key-revoke: an operator's revocation is an emergency re-keying and needs a reason")
	}
	k, err := n.Store.FindKey(ctx, pub)
	if err != nil {
		return err
	}
	ev := &deconflict.KeyEvent{Party: k.Party, Key: deconflict.EncodeKey(pub), Reason: reason}
	_, err = n.submitKeyEvent(ctx, deconflict.KindKeyRevoke, ev, fmt.Sprintf("EMERGENCY RE-KEYING by the node operator: key %s of party %s revoked, not by the party: %s", ev.Key, k.Party, reason))
	return err
}

// submitKeyEvent appends a node-signed key event to the key log.
func (n *Node) submitKeyEvent(ctx context.Context, kind string, ev *deconflict.KeyEvent, text string) (*deconflict.Receipt, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return n.submitNode(ctx, &deconflict.Payload{Channel: deconflict.KeyLog, Kind: kind, Text: text, Body: body}, nil, nil)
}

// WatchKey returns a channel closed once pub no longer signs for its
// party (revoked, or unknown), or when ctx ends.
func (n *Node) WatchKey(ctx context.Context, pub ed25519.PublicKey) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		// A panic ends the watch (closing done ends the stream), logged.
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				n.Logger.Error("panic watching a key; its stream ends", "panic", v, "stack", string(debug.Stack()))
			}
		}()
		for {
			n.mu.Lock()
			changed := n.keysChanged
			n.mu.Unlock()
			if _, err := n.Caller(ctx, pub); err != nil && ctx.Err() == nil && deconflict.ErrorCode(err) == deconflict.EUNAUTHORIZED {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
	}()
	return done
}

// keyBatch is what a key log batch has changed so far, so that later
// events of the same batch see earlier ones.
type keyBatch struct {
	parties map[string]bool // registered in this batch
	added   map[string]*deconflict.PartyKey
	revoked map[string]bool
}

// checkKeyEvent checks a key log envelope against the key chain (and the
// batch so far) and adds its change to b.Keys. backfill events record
// parties registered before the key log existed and change no table.
func (l *channelLog) checkKeyEvent(ctx context.Context, r *appendReq, b *deconflict.Batch, kb *keyBatch, now time.Time) error {
	n := l.n
	p := r.payload
	ev, err := deconflict.ParseKeyEvent(p.Kind, p.Body)
	if err != nil {
		return err
	}
	findKey := func(pub ed25519.PublicKey) (*deconflict.PartyKey, error) {
		if k := kb.added[string(pub)]; k != nil {
			return k, nil
		}
		return n.Store.FindKey(ctx, pub)
	}
	partyExists := func(id string) (bool, error) {
		if kb.parties[id] {
			return true, nil
		}
		_, err := n.Store.FindParty(ctx, id)
		if deconflict.ErrorCode(err) == deconflict.ENOTFOUND {
			return false, nil
		}
		return err == nil, err
	}
	if p.Author != deconflict.NodeAuthor {
		// Signed by the party: its signing key must be one of its current keys.
		if p.Author != ev.Party {
			return deconflict.Errorf(deconflict.EFORBIDDEN, "%s: party %s cannot change the keys of party %s", p.Kind, p.Author, ev.Party)
		}
		k, err := findKey(r.signed.Key)
		if err != nil || k.Party != ev.Party || !k.ValidAt(now) || kb.revoked[string(r.signed.Key)] {
			return deconflict.Errorf(deconflict.EFORBIDDEN, "%s: signed by key %s, not a current key of party %s", p.Kind, deconflict.EncodeKey(r.signed.Key), ev.Party)
		}
	}
	if b.Keys == nil {
		b.Keys = &deconflict.KeyChanges{}
	}
	switch p.Kind {
	case deconflict.KindParty:
		if p.Author != deconflict.NodeAuthor {
			return deconflict.Errorf(deconflict.EFORBIDDEN, "party: only the node operator registers parties")
		}
		if r.backfill {
			return nil
		}
		if ok, err := partyExists(ev.Party); err != nil {
			return err
		} else if ok {
			return deconflict.Errorf(deconflict.ECONFLICT, "party %s already exists", ev.Party)
		}
		party := &deconflict.Party{ID: ev.Party, Name: ev.Name, Created: now}
		for _, s := range ev.Keys {
			pub, _ := deconflict.DecodeKey(s)
			if _, err := findKey(pub); err == nil {
				return deconflict.Errorf(deconflict.ECONFLICT, "key %s is already registered", s)
			}
			k := deconflict.PartyKey{Party: ev.Party, Public: pub, Added: now}
			party.Keys = append(party.Keys, k)
			kb.added[string(pub)] = &k
		}
		kb.parties[ev.Party] = true
		b.Keys.Parties = append(b.Keys.Parties, party)
	case deconflict.KindKeyAdd:
		if r.backfill {
			return nil
		}
		if ok, err := partyExists(ev.Party); err != nil {
			return err
		} else if !ok {
			return deconflict.Errorf(deconflict.ENOTFOUND, "party %s not found", ev.Party)
		}
		pub, _ := deconflict.DecodeKey(ev.Key)
		if _, err := findKey(pub); err == nil {
			return deconflict.Errorf(deconflict.ECONFLICT, "key %s is already registered", ev.Key)
		}
		k := deconflict.PartyKey{Party: ev.Party, Public: pub, Added: now}
		kb.added[string(pub)] = &k
		b.Keys.Add = append(b.Keys.Add, k)
	case deconflict.KindKeyRevoke:
		if r.backfill {
			return nil
		}
		pub, _ := deconflict.DecodeKey(ev.Key)
		k, err := findKey(pub)
		if err != nil || k.Party != ev.Party {
			return deconflict.Errorf(deconflict.ENOTFOUND, "key-revoke: key %s is not a key of party %s", ev.Key, ev.Party)
		}
		if k.Revoked != nil || kb.revoked[string(pub)] {
			return deconflict.Errorf(deconflict.ECONFLICT, "key-revoke: key %s is already revoked", ev.Key)
		}
		kb.revoked[string(pub)] = true
		b.Keys.Revoke = append(b.Keys.Revoke, deconflict.KeyRevocation{Key: pub, At: now})
	}
	return nil
}

// backfillKeyLog records in the key log, once, the parties and keys
// registered before the node kept one (an older data directory): a
// node-signed party envelope per party (with since, its registration
// time) and a key-revoke per revoked key. They change no table.
func (n *Node) backfillKeyLog(ctx context.Context) error {
	if _, frozen := n.Frozen(deconflict.KeyLog); frozen {
		return nil
	}
	size, err := n.Store.LogSize(ctx, deconflict.KeyLog)
	if err != nil || size > 0 {
		return err
	}
	parties, err := n.Store.FindParties(ctx)
	if err != nil || len(parties) == 0 {
		return err
	}
	for _, p := range parties {
		since := p.Created.UTC()
		ev := &deconflict.KeyEvent{Party: p.ID, Name: p.Name, Reason: "registered before this node kept a key log", Since: &since}
		var revoked []deconflict.PartyKey
		for _, k := range p.Keys {
			ev.Keys = append(ev.Keys, deconflict.EncodeKey(k.Public))
			if k.Revoked != nil {
				revoked = append(revoked, k)
			}
		}
		if err := n.submitBackfill(ctx, deconflict.KindParty, ev, fmt.Sprintf("party %s with %d keys, registered before the key log", p.ID, len(ev.Keys))); err != nil {
			return err
		}
		for _, k := range revoked {
			at := k.Revoked.UTC()
			ev := &deconflict.KeyEvent{Party: p.ID, Key: deconflict.EncodeKey(k.Public), Reason: "revoked before this node kept a key log", RevokedAt: &at}
			if err := n.submitBackfill(ctx, deconflict.KindKeyRevoke, ev, "key revoked before the key log"); err != nil {
				return err
			}
		}
	}
	n.Logger.Info("key log started from the registered parties", "parties", len(parties))
	return nil
}

func (n *Node) submitBackfill(ctx context.Context, kind string, ev *deconflict.KeyEvent, text string) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = n.submitNodeReq(ctx, &deconflict.Payload{Channel: deconflict.KeyLog, Kind: kind, Text: text, Body: body}, &appendReq{backfill: true})
	return err
}
