package picture

import (
	"context"
	"time"
)

// EventKind says what happened to a track.
type EventKind int

// Event kinds. The first report of a track is an EventUpdated too.
const (
	EventUpdated EventKind = iota + 1 // created, moved, or its static data or party changed
	EventLost                         // no report for the domain's lost time
	EventRemoved                      // no report for the domain's removal time: gone from the table
)

func (k EventKind) String() string {
	switch k {
	case EventUpdated:
		return "updated"
	case EventLost:
		return "lost"
	case EventRemoved:
		return "removed"
	}
	return "unknown"
}

// Event is a change of one track, with the track's state after it.
type Event struct {
	Kind  EventKind
	Track Track
	// Dropped is the number of events this subscriber missed, because
	// its channel was full, between the previous event it received and
	// this one. A subscriber that sees Dropped > 0 has a stale view and
	// should refresh it with Table.Query.
	Dropped uint64
}

// Subscription receives a table's events on C. The table never waits
// for a subscriber: when C is full, events are dropped and counted, and
// the next event delivered carries the count (Event.Dropped). Events
// are delivered in the order they happened.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	q       Query
	t       *Table
	dropped uint64 // guarded by t.mu
	closed  bool   // guarded by t.mu
}

// Subscribe returns a subscription to the events of the tracks q selects
// (q.IncludeLost is implied: lost and removed events are delivered).
// buffer is the channel capacity, DefaultEventBuffer when <= 0. Close
// it when done.
func (t *Table) Subscribe(q Query, buffer int) *Subscription {
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	q.IncludeLost = true
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, q: q, t: t}
	t.mu.Lock()
	t.subs = append(t.subs, s)
	t.mu.Unlock()
	return s
}

// Dropped returns the number of events dropped since the last one
// delivered.
func (s *Subscription) Dropped() uint64 {
	s.t.mu.RLock()
	defer s.t.mu.RUnlock()
	return s.dropped
}

// Close ends the subscription and closes C. It is safe to call twice.
func (s *Subscription) Close() {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for i, x := range t.subs {
		if x == s {
			t.subs = append(t.subs[:i], t.subs[i+1:]...)
			break
		}
	}
	close(s.c)
}

// publish sends an event about tr to every subscriber whose query
// matches, without blocking. Called with t.mu held.
func (t *Table) publish(kind EventKind, tr *Track) {
	if len(t.subs) == 0 {
		return
	}
	for _, s := range t.subs {
		if !s.q.Match(tr) {
			continue
		}
		if len(s.c) == cap(s.c) { // full: skip building the event
			s.dropped++
			continue
		}
		select {
		case s.c <- Event{Kind: kind, Track: *tr, Dropped: s.dropped}:
			s.dropped = 0
		default:
			s.dropped++
		}
	}
}

// Run calls Sweep every interval until ctx is done; it returns ctx's
// error. The node runs it in a goroutine it owns.
func (t *Table) Run(ctx context.Context, interval time.Duration) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			t.Sweep()
		}
	}
}
