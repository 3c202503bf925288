package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/atomicfile"
	"github.com/deconflict/deconflict/record"
)

// keyWindow is the slack around a key's validity: the node accepts an
// envelope within its time window of the envelope's own time, the only
// time a leaf carries.
const keyWindow = 10 * time.Minute

// logEntry is one envelope of a log as the auditor read it.
type logEntry struct {
	signed  *deconflict.Signed
	payload *deconflict.Payload
}

// newAuditor returns an auditor of the log id (a channel, or the key
// log) that reads through c, checks each leaf with check, and hands each
// envelope read to seen (when not nil).
func newAuditor(c *dhttp.Client, id, origin string, trusted ed25519.PublicKey, check func(int64, []byte) error, seen func(int64, *dhttp.EnvelopeView, *deconflict.Signed)) *record.Auditor {
	logPath := "/v1/channels/" + id + "/log/"
	a := &record.Auditor{
		Origin:  origin,
		NodeKey: trusted,
		FetchTile: func(ctx context.Context, path string) ([]byte, error) {
			return c.Get(ctx, logPath+path)
		},
		FetchConsistency: func(ctx context.Context, oldSize, newSize int64) ([]record.Hash, error) {
			return fetchConsistency(ctx, c, id, oldSize, newSize)
		},
		CheckLeaf: check,
	}
	// Leaves come from the envelopes API, which returns what the node has
	// even when leaves are missing, so that the audit names the first
	// missing index; every leaf is checked against the tiles' hashes.
	a.FetchLeaves = func(ctx context.Context, start, end int64) ([]record.Leaf, error) {
		var out []record.Leaf
		for from := start; from < end; {
			envs, err := c.AuditEnvelopes(ctx, id, from, int(min(end-from, 1000)))
			if err != nil {
				return nil, err
			}
			for _, v := range envs {
				if v.Index >= end {
					break
				}
				s, err := v.Signed()
				if err != nil {
					return nil, fmt.Errorf("envelope %d: %w", v.Index, err)
				}
				if seen != nil {
					seen(v.Index, v, s)
				}
				out = append(out, record.Leaf{Index: v.Index, Data: s.Leaf()})
			}
			if len(envs) == 0 {
				break
			}
			from = envs[len(envs)-1].Index + 1
		}
		return out, nil
	}
	return a
}

func fetchConsistency(ctx context.Context, c *dhttp.Client, id string, oldSize, newSize int64) ([]record.Hash, error) {
	p, err := c.ConsistencyProof(ctx, id, oldSize, newSize)
	if err != nil {
		return nil, err
	}
	out := make([]record.Hash, len(p.Proof))
	for i, h := range p.Proof {
		if len(h) != record.HashSize {
			return nil, fmt.Errorf("consistency proof: hash %d has %d bytes", i, len(h))
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// keyChain is the party keys as the key log establishes them.
type keyChain struct {
	keys  map[string]deconflict.PartyKey // by key bytes
	first map[string][]string            // party -> its first keys (base64), from its registration
}

// rekey is an operator's emergency re-keying found in the key log.
type rekey struct {
	Index    int64  `json:"index"`
	LeafHash string `json:"leaf_hash"`
	text     string
}

// auditKeyLog audits the node's key log like a channel log (signature of
// its checkpoint, consistency with the one verified before, every leaf)
// and replays it into the key chain: a party's first keys registered by
// the operator, later keys added and keys revoked by a current key of the
// party. An operator's emergency re-keying fails the audit unless it was
// accepted before or acceptRekey is set (then it is remembered as
// accepted). pins (party -> base64 key) must be among each party's first
// keys. It returns the chain, or the error that ends verify.
func (m *Main) auditKeyLog(ctx context.Context, c *dhttp.Client, nodeName string, trusted ed25519.PublicKey, dir string, acceptRekey bool, pins map[string]string) (*keyChain, error) {
	origin, err := record.Origin(nodeName, deconflict.KeyLog)
	if err != nil {
		return nil, err
	}
	prev, err := record.LoadVerified(dir, origin)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	checkpoint, err := c.Checkpoint(ctx, deconflict.KeyLog)
	if err != nil {
		return nil, fmt.Errorf("key log: %w", err)
	}
	entries := map[int64]logEntry{}
	check := func(index int64, leaf []byte) error {
		s, err := deconflict.ParseLeaf(leaf)
		if err != nil {
			return errors.New(deconflict.ErrorMessage(err))
		}
		if err := s.VerifySignature(); err != nil {
			return errors.New(deconflict.ErrorMessage(err))
		}
		p, err := deconflict.ParsePayload(s.Payload)
		if err != nil {
			return errors.New(deconflict.ErrorMessage(err))
		}
		if p.Channel != deconflict.KeyLog {
			return fmt.Errorf("envelope addressed to channel %s", p.Channel)
		}
		if p.Author == deconflict.NodeAuthor && !s.Key.Equal(trusted) {
			return fmt.Errorf("node envelope signed by %s, not the node key", deconflict.EncodeKey(s.Key))
		}
		return nil
	}
	var seenErr error
	seen := func(i int64, v *dhttp.EnvelopeView, s *deconflict.Signed) {
		p, err := deconflict.ParsePayload(s.Payload)
		if err != nil {
			return // the leaf check names it
		}
		entries[i] = logEntry{signed: s, payload: p}
	}
	a := newAuditor(c, deconflict.KeyLog, origin, trusted, check, seen)
	var prevCP *record.Checkpoint
	if prev != nil {
		t := prev.Tree()
		prevCP = &t
	}
	cp, err := a.Audit(ctx, checkpoint, prevCP)
	var ae *record.AuditError
	if errors.As(err, &ae) {
		return nil, m.failed("key log %s: %v", origin, ae)
	} else if err != nil {
		return nil, fmt.Errorf("key log: %w", err)
	}
	if seenErr != nil {
		return nil, seenErr
	}

	chain := &keyChain{keys: map[string]deconflict.PartyKey{}, first: map[string][]string{}}
	var rekeys []rekey
	for i := int64(0); i < cp.Size; i++ {
		e, ok := entries[i]
		if !ok {
			return nil, m.failed("key log %s: index %d: not read", origin, i)
		}
		rk, err := chain.apply(e)
		if err != nil {
			return nil, m.failed("key log %s: index %d: %v", origin, i, err)
		}
		if rk {
			h := deconflict.LeafHash(e.signed.Leaf())
			rekeys = append(rekeys, rekey{Index: i, LeafHash: base64.StdEncoding.EncodeToString(h[:]), text: e.payload.Text})
		}
	}
	for party, pub := range pins {
		first, ok := chain.first[party]
		if !ok {
			return nil, m.failed("key log %s: party %s, whose key you pinned, is not registered", origin, party)
		}
		found := false
		for _, k := range first {
			found = found || k == pub
		}
		if !found {
			return nil, m.failed("key log %s: party %s was registered with keys %s, not the key %s you were given", origin, party, strings.Join(first, ","), pub)
		}
	}

	// Emergency re-keyings: reported loudly; refused unless accepted.
	accepted, err := loadAcceptedRekeys(dir, origin)
	if err != nil {
		return nil, err
	}
	var refused []rekey
	for _, rk := range rekeys {
		switch {
		case accepted[rk.Index] == rk.LeafHash:
			fmt.Fprintf(m.Stdout, "verify: WARNING: key log index %d: %s (accepted before)\n", rk.Index, rk.text)
		case acceptRekey:
			accepted[rk.Index] = rk.LeafHash
			fmt.Fprintf(m.Stdout, "verify: WARNING: key log index %d: %s (accepted now, --accept-rekey)\n", rk.Index, rk.text)
		default:
			fmt.Fprintf(m.Stdout, "verify: WARNING: key log index %d: %s\n", rk.Index, rk.text)
			refused = append(refused, rk)
		}
	}
	if len(refused) > 0 {
		return nil, m.failed("key log %s: index %d: an emergency re-keying by the node operator, not signed by the party; the operator may be speaking for it. Confirm it with the party out of band, then run verify again with --accept-rekey", origin, refused[0].Index)
	}
	if acceptRekey {
		if err := saveAcceptedRekeys(dir, origin, accepted); err != nil {
			return nil, err
		}
	}
	vkey, err := record.VerifierKey(origin, trusted)
	if err != nil {
		return nil, err
	}
	if err := record.SaveVerified(dir, &record.Verified{Origin: origin, Size: cp.Size, Root: cp.Root, Checkpoint: string(checkpoint), NodeKey: vkey}); err != nil {
		return nil, fmt.Errorf("saving the verified key log checkpoint: %w", err)
	}
	return chain, nil
}

// apply checks one key log envelope against the chain so far and applies
// it. It reports whether it is an operator's emergency re-keying.
func (kc *keyChain) apply(e logEntry) (bool, error) {
	p := e.payload
	ev, err := deconflict.ParseKeyEvent(p.Kind, p.Body)
	if err != nil {
		return false, errors.New(deconflict.ErrorMessage(err))
	}
	byNode := p.Author == deconflict.NodeAuthor
	if !byNode {
		if p.Author != ev.Party {
			return false, fmt.Errorf("%s signed by party %s changes the keys of party %s", p.Kind, p.Author, ev.Party)
		}
		k, ok := kc.keys[string(e.signed.Key)]
		if !ok || k.Party != ev.Party || (k.Revoked != nil && p.Time.After(k.Revoked.Add(keyWindow))) {
			return false, fmt.Errorf("%s for party %s signed by key %s, which is not a current key of %s", p.Kind, ev.Party, deconflict.EncodeKey(e.signed.Key), ev.Party)
		}
	}
	switch p.Kind {
	case deconflict.KindParty:
		if !byNode {
			return false, fmt.Errorf("party %s registered by %s, not by the node operator", ev.Party, p.Author)
		}
		if _, ok := kc.first[ev.Party]; ok {
			return false, fmt.Errorf("party %s registered a second time", ev.Party)
		}
		since := p.Time
		if ev.Since != nil {
			since = *ev.Since
		}
		for _, s := range ev.Keys {
			pub, _ := deconflict.DecodeKey(s)
			if _, ok := kc.keys[string(pub)]; ok {
				return false, fmt.Errorf("party %s registered with key %s, which is already registered", ev.Party, s)
			}
			kc.keys[string(pub)] = deconflict.PartyKey{Party: ev.Party, Public: pub, Added: since}
		}
		kc.first[ev.Party] = ev.Keys
		return false, nil
	case deconflict.KindKeyAdd:
		if _, ok := kc.first[ev.Party]; !ok {
			return false, fmt.Errorf("key added to party %s, which is not registered", ev.Party)
		}
		pub, _ := deconflict.DecodeKey(ev.Key)
		if _, ok := kc.keys[string(pub)]; ok {
			return false, fmt.Errorf("key %s added again", ev.Key)
		}
		kc.keys[string(pub)] = deconflict.PartyKey{Party: ev.Party, Public: pub, Added: p.Time}
		return byNode, nil
	case deconflict.KindKeyRevoke:
		pub, _ := deconflict.DecodeKey(ev.Key)
		k, ok := kc.keys[string(pub)]
		if !ok || k.Party != ev.Party {
			return false, fmt.Errorf("revocation of key %s, which is not a key of party %s", ev.Key, ev.Party)
		}
		if k.Revoked != nil {
			return false, fmt.Errorf("key %s revoked a second time", ev.Key)
		}
		at := p.Time
		if ev.RevokedAt != nil && byNode && ev.RevokedAt.Before(at) {
			at = *ev.RevokedAt
		}
		k.Revoked = &at
		kc.keys[string(pub)] = k
		// A backfilled revocation (recorded when the key log began) is
		// not a re-keying; any other the node signs is.
		return byNode && ev.RevokedAt == nil, nil
	}
	return false, fmt.Errorf("kind %s is not a key event", p.Kind)
}

// acceptedPath is the file of the re-keyings a member accepted for a key log.
func acceptedPath(dir, origin string) string {
	return filepath.Join(dir, "accepted-rekeys", url.QueryEscape(origin)+".json")
}

func loadAcceptedRekeys(dir, origin string) (map[int64]string, error) {
	out := map[int64]string{}
	b, err := os.ReadFile(acceptedPath(dir, origin))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	} else if err != nil {
		return nil, err
	}
	var list []rekey
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", acceptedPath(dir, origin), err)
	}
	for _, r := range list {
		out[r.Index] = r.LeafHash
	}
	return out, nil
}

func saveAcceptedRekeys(dir, origin string, accepted map[int64]string) error {
	var list []rekey
	for i, h := range accepted {
		list = append(list, rekey{Index: i, LeafHash: h})
	}
	sort.Slice(list, func(a, b int) bool { return list[a].Index < list[b].Index })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	p := acceptedPath(dir, origin)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(p, append(b, '\n'), 0o600)
}
