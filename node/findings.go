package node

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/regime"
)

// findingSet is the keys (regime.Finding.Key) of the node's findings in
// a channel's log. The appender reads it under the channel's lock, after
// reading the log's size, so that a finding is logged once whichever
// replicas raise it and however many raise it at once.
type findingSet struct {
	mu   sync.Mutex
	next int64            // envelopes below next are read; guarded by mu
	keys map[string]int64 // key -> the finding's index; guarded by mu
}

// findingKey returns the key of a node-signed finding payload, false if
// the payload is not one.
func findingKey(p *deconflict.Payload) (string, bool) {
	if p.Kind != deconflict.KindFinding || p.Author != deconflict.NodeAuthor {
		return "", false
	}
	var f regime.Finding
	if json.Unmarshal(p.Body, &f) != nil || len(f.About) == 0 {
		return "", false
	}
	return f.Key(), true
}

// catchUp reads the findings logged since the last call. The caller
// holds s.mu.
func (s *findingSet) catchUp(ctx context.Context, l *channelLog) error {
	if s.keys == nil {
		s.keys = map[string]int64{}
	}
	return l.readSince(ctx, &s.next, "findings", func(e *deconflict.Envelope) {
		if e.Kind != deconflict.KindFinding || e.Author != deconflict.NodeAuthor {
			return
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			return
		}
		if k, ok := findingKey(p); ok {
			if _, dup := s.keys[k]; !dup {
				s.keys[k] = e.Index
			}
		}
	})
}

// readSince calls apply on each envelope of the log from *next up to its
// committed size, in order, from the appender's ring where it can, else
// the store, and moves *next past each; what names the envelopes read in
// an error. A store altered under the node may miss rows: those are
// skipped. The caller holds the lock guarding *next.
func (l *channelLog) readSince(ctx context.Context, next *int64, what string, apply func(*deconflict.Envelope)) error {
	for {
		size, _ := l.Size()
		if *next >= size {
			return nil
		}
		envs := l.recent(*next, 1000)
		if envs == nil {
			var err error
			if envs, err = l.n.Store.FindEnvelopes(ctx, l.id, *next, 1000); err != nil {
				return fmt.Errorf("read %s of %s: %w", what, l.id, err)
			}
			if len(envs) == 0 {
				return nil // a store altered under the node may miss rows
			}
		}
		for _, e := range envs {
			if e.Index < *next {
				continue
			}
			*next = e.Index + 1
			apply(e)
		}
	}
}

// checkFindingOnce refuses (ECONFLICT) a node finding whose key is in the
// log already or earlier in the batch b: another replica, or another
// check of this one, raised it first. The appender calls it under the
// channel's lock, after reading the log's size.
func (l *channelLog) checkFindingOnce(ctx context.Context, p *deconflict.Payload, b *deconflict.Batch) error {
	key, ok := findingKey(p)
	if !ok {
		return nil
	}
	for _, e := range b.Envelopes {
		if e.Kind != deconflict.KindFinding || e.Author != deconflict.NodeAuthor {
			continue
		}
		if ep, err := deconflict.ParsePayload(e.Payload); err == nil {
			if k, _ := findingKey(ep); k == key {
				return deconflict.Errorf(deconflict.ECONFLICT, "finding %s: already logged at index %d", key, e.Index)
			}
		}
	}
	l.findings.mu.Lock()
	defer l.findings.mu.Unlock()
	if err := l.findings.catchUp(ctx, l); err != nil {
		return err
	}
	if i, ok := l.findings.keys[key]; ok {
		return deconflict.Errorf(deconflict.ECONFLICT, "finding %s: already logged at index %d", key, i)
	}
	return nil
}
