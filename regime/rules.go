package regime

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"time"

	"github.com/deconflict/deconflict"
)

// Envelope kinds of measures.
const (
	KindMeasure  = "measure"  // a proposal: its body is the measure's terms
	KindSign     = "sign"     // a member signs a proposal: body Ref
	KindWithdraw = "withdraw" // a member withdraws from a binding measure: body Ref
)

// Measure states.
const (
	Proposed  = "proposed"
	Binding   = "binding"
	Withdrawn = "withdrawn"
)

// LogEntry is what the rules read of a channel's logged envelope.
type LogEntry struct {
	Index    int64
	Kind     string
	Author   string
	Received time.Time
	LeafHash [32]byte
	Body     []byte
}

type proposal struct {
	index    int64
	author   string
	leafHash [32]byte
	terms    json.RawMessage
	measure  *Measure
	signed   map[string]int64 // member -> index of their signature (the proposal's own for its author)
	withdraw *LogEntry
}

// Book holds a channel's measures, built from its log in order. It is
// pure: the rules at an index follow from the entries up to it.
type Book struct {
	members   []string
	proposals []*proposal
	byIndex   map[int64]*proposal
	last      int64
}

// NewBook returns the book of a channel with these members.
func NewBook(members []string) *Book {
	return &Book{members: slices.Clone(members), byIndex: map[int64]*proposal{}, last: -1}
}

// Check reports whether e may be appended: EINVALID for malformed terms,
// a reference to no proposal or to other bytes, or an author who is not a
// member; ECONFLICT for a second signature or withdrawal, or a withdrawal
// from a measure not binding. Entries of other kinds pass.
func (b *Book) Check(e LogEntry) error {
	_, err := b.check(e)
	return err
}

func (b *Book) check(e LogEntry) (*proposal, error) {
	switch e.Kind {
	case KindMeasure, KindSign, KindWithdraw:
	default:
		return nil, nil
	}
	if !slices.Contains(b.members, e.Author) {
		return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "%s: %s is not a member", e.Kind, e.Author)
	}
	if e.Kind == KindMeasure {
		m, err := ParseMeasure(e.Body)
		if err != nil {
			return nil, err
		}
		return &proposal{index: e.Index, author: e.Author, leafHash: e.LeafHash, terms: bytes.Clone(e.Body), measure: m,
			signed: map[string]int64{e.Author: e.Index}}, nil
	}
	ref, err := ParseRef(e.Body)
	if err != nil {
		return nil, err
	}
	p, ok := b.byIndex[ref.Index]
	if !ok {
		return nil, invalid("%s: no proposal at index %d", e.Kind, ref.Index)
	}
	if !bytes.Equal(ref.LeafHash, p.leafHash[:]) {
		return nil, invalid("%s: leaf hash does not match the proposal at index %d: not the bytes proposed", e.Kind, ref.Index)
	}
	if p.withdraw != nil {
		return nil, deconflict.Errorf(deconflict.ECONFLICT, "%s: measure %d was withdrawn at index %d", e.Kind, ref.Index, p.withdraw.Index)
	}
	if e.Kind == KindSign {
		if i, ok := p.signed[e.Author]; ok {
			return nil, deconflict.Errorf(deconflict.ECONFLICT, "sign: %s already signed measure %d at index %d", e.Author, ref.Index, i)
		}
		return p, nil
	}
	if _, ok := p.bindingSince(b.members); !ok {
		return nil, deconflict.Errorf(deconflict.ECONFLICT, "withdraw: measure %d is not binding", ref.Index)
	}
	return p, nil
}

// Add records e (after Check). Entries must come in log order; other
// kinds only advance the book.
func (b *Book) Add(e LogEntry) error {
	if e.Index <= b.last {
		return invalid("entry %d after %d", e.Index, b.last)
	}
	p, err := b.check(e)
	if err != nil {
		return err
	}
	b.last = e.Index
	switch e.Kind {
	case KindMeasure:
		b.proposals = append(b.proposals, p)
		b.byIndex[p.index] = p
	case KindSign:
		p.signed[e.Author] = e.Index
	case KindWithdraw:
		w := e
		p.withdraw = &w
	}
	return nil
}

// bindingSince returns the index of the last member's signature once all
// members signed.
func (p *proposal) bindingSince(members []string) (int64, bool) {
	last := int64(-1)
	for _, m := range members {
		i, ok := p.signed[m]
		if !ok {
			return 0, false
		}
		last = max(last, i)
	}
	return last, true
}

// MeasureState is a measure as `measures --json` lists it.
type MeasureState struct {
	Index        int64           `json:"index"`
	Kind         string          `json:"kind"`
	State        string          `json:"state"` // proposed, binding, withdrawn
	ProposedBy   string          `json:"proposed_by"`
	SignedBy     []string        `json:"signed_by"`
	Awaiting     []string        `json:"awaiting,omitempty"` // members who have not signed
	BindingSince *int64          `json:"binding_since"`
	WithdrawnBy  string          `json:"withdrawn_by,omitempty"`
	WithdrawnAt  *int64          `json:"withdrawn_at,omitempty"` // the withdrawal's index
	Lapses       time.Time       `json:"lapses,omitzero"`        // when the withdrawal takes effect
	Terms        json.RawMessage `json:"terms"`
	Measure      *Measure        `json:"-"`
}

// States returns every measure's state for an event at index logged at t.
func (b *Book) States(index int64, t time.Time) []MeasureState {
	var out []MeasureState
	for _, p := range b.proposals {
		if p.index > index {
			break
		}
		s := MeasureState{Index: p.index, Kind: p.measure.Kind, State: Proposed, ProposedBy: p.author, Terms: p.terms, Measure: p.measure}
		for _, m := range b.members {
			if i, ok := p.signed[m]; ok && i <= index {
				s.SignedBy = append(s.SignedBy, m)
			} else {
				s.Awaiting = append(s.Awaiting, m)
			}
		}
		if since, ok := p.bindingSince(b.members); ok && since <= index {
			s.State = Binding
			s.BindingSince = &since
			if w := p.withdraw; w != nil && w.Index <= index {
				wi := w.Index
				s.WithdrawnBy, s.WithdrawnAt = w.Author, &wi
				s.Lapses = w.Received.Add(p.measure.NoticePeriod)
				if !t.Before(s.Lapses) {
					s.State = Withdrawn
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// Rules are the rules a channel's measures put in force at an index.
type Rules struct {
	Index         int64                    `json:"index"`
	Separations   []SeparationRule         `json:"separations,omitempty"`
	Zones         []ZoneRule               `json:"zones,omitempty"`
	AckDeadlines  map[string]time.Duration `json:"-"`                         // precedence -> deadline; absent: the channel's policy
	AckDeadlinesS map[string]int64         `json:"ack_deadlines_s,omitempty"` // AckDeadlines in seconds
	AckMeasure    map[string]int64         `json:"ack_measures,omitempty"`    // precedence -> the measure that set it
	Notify        map[string]Thresholds    `json:"notification_thresholds,omitempty"`
	Relevance     []RelevanceRule          `json:"relevance,omitempty"`
	Measures      []MeasureState           `json:"measures"`
}

// SeparationRule is a binding separation and the measure it comes from.
type SeparationRule struct {
	Measure int64 `json:"measure"`
	Separation
}

// ZoneRule is a binding zone and the measure it comes from.
type ZoneRule struct {
	Measure int64 `json:"measure"`
	MeasureZone
}

// RelevanceRule is a binding widening of relevance.
type RelevanceRule struct {
	Measure int64 `json:"measure"`
	Relevance
}

// At returns the rules in force for an event at index logged at t: the
// measures binding by then (their last signature at or before index) and
// not lapsed (a withdrawal at or before index whose notice period ended by
// t). Of two binding measures setting the same term (a domain and tier's
// separation, a precedence's deadline, a regime's thresholds), the one
// binding later wins.
func (b *Book) At(index int64, t time.Time) *Rules {
	r := &Rules{Index: index, Measures: b.States(index, t)}
	var binding []MeasureState
	for _, s := range r.Measures {
		if s.State == Binding {
			binding = append(binding, s)
		}
	}
	slices.SortStableFunc(binding, func(a, b MeasureState) int {
		return cmp.Compare(*a.BindingSince, *b.BindingSince)
	})
	sep := map[string]int{}
	for _, s := range binding {
		m := s.Measure
		switch {
		case m.Separation != nil:
			k := m.Separation.Domain + "/" + m.Separation.Tier
			if i, ok := sep[k]; ok {
				r.Separations[i] = SeparationRule{s.Index, *m.Separation}
			} else {
				sep[k] = len(r.Separations)
				r.Separations = append(r.Separations, SeparationRule{s.Index, *m.Separation})
			}
		case m.Zone != nil:
			r.Zones = append(r.Zones, ZoneRule{s.Index, *m.Zone})
		case m.Notify != nil:
			if r.Notify == nil {
				r.Notify = map[string]Thresholds{}
			}
			r.Notify[m.Notify.Regime] = m.Notify.Notify
		case m.Ack != nil:
			if r.AckDeadlines == nil {
				r.AckDeadlines, r.AckMeasure = map[string]time.Duration{}, map[string]int64{}
			}
			if r.AckDeadlinesS == nil {
				r.AckDeadlinesS = map[string]int64{}
			}
			for p, d := range m.Ack {
				r.AckDeadlines[p], r.AckMeasure[p], r.AckDeadlinesS[p] = d, s.Index, int64(d/time.Second)
			}
		case m.Relevance != nil:
			r.Relevance = append(r.Relevance, RelevanceRule{s.Index, *m.Relevance})
		}
	}
	return r
}

// NotifyThresholds returns the thresholds of prior notification in force
// for regime: the agreed ones, else the default.
func (r *Rules) NotifyThresholds(regime string) Thresholds {
	if th, ok := r.Notify[regime]; ok {
		return th
	}
	return NotificationThresholds
}

// RulesAt replays a channel's entries (in log order) and returns the rules
// in force at index, for an event logged at the time of the entry at index
// (or of the last entry when index is beyond them). Entries the node would
// have refused are skipped, as the node never logged them.
func RulesAt(members []string, entries []LogEntry, index int64) *Rules {
	b := NewBook(members)
	var t time.Time
	for _, e := range entries {
		if e.Index > index {
			break
		}
		t = e.Received
		_ = b.Add(e)
	}
	return b.At(index, t)
}

// ZoneSeparations returns the binding zones whose minimum separation
// (min_separation_m) an approach of two members' tracks breaks: closer
// than it (distanceM, m), at t within the zone's window, with either
// track's position (lat, lon, altM; NaN altitude: unknown) inside its area.
func (r *Rules) ZoneSeparations(distanceM float64, t time.Time, pos ...[3]float64) []ZoneRule {
	var out []ZoneRule
	for _, z := range r.Zones {
		if z.MinSeparationM <= 0 || !(distanceM < z.MinSeparationM) {
			continue
		}
		if !z.Start.IsZero() && t.Before(z.Start) || !z.End.IsZero() && !t.Before(z.End) {
			continue
		}
		if slices.ContainsFunc(pos, func(p [3]float64) bool { return z.Area.Contains(p[0], p[1], p[2]) }) {
			out = append(out, z)
		}
	}
	return out
}
