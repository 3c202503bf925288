package live

import (
	"context"
	"sort"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/picture"
)

// visible reports whether caller may see an encounter between parties a
// and b: the operator, either party, or a member of a channel both share.
func (l *Picture) visible(ctx context.Context, caller, a, b string) bool {
	if caller == deconflict.NodeAuthor || caller == a || caller == b {
		return true
	}
	chans, err := l.log.Channels(ctx, caller)
	if err != nil {
		return false
	}
	for _, c := range chans {
		if c.IsMember(a) && c.IsMember(b) {
			return true
		}
	}
	return false
}

// VisibleTrack reports whether caller may see a track: public feeds are
// seen by all; a party's own reports only by the members of the channels
// that party shares.
func (l *Picture) VisibleTrack(ctx context.Context, caller string, t *picture.Track) bool {
	if t.Source != "party" || caller == deconflict.NodeAuthor || caller == t.Party {
		return true
	}
	return l.visible(ctx, caller, t.Party, t.Party)
}

// Tracks returns the tracks caller may see that match q, as caller may
// see them (ViewTrack).
func (l *Picture) Tracks(ctx context.Context, caller string, q picture.Query) []picture.Track {
	ts := l.Table.Query(q)
	out := ts[:0]
	partners := l.partners(ctx, caller)
	for i := range ts {
		if l.VisibleTrack(ctx, caller, &ts[i]) {
			out = append(out, l.viewTrack(caller, partners, ts[i]))
		}
	}
	return out
}

// ViewTrack returns t as caller may see it: a track attributed by a
// party's declaration (its assets or callsign patterns) is shown to a
// caller who may not see that declaration (one sharing no channel with
// the party) as the parties file alone attributes it, so that the
// declaration does not leak through the picture.
func (l *Picture) ViewTrack(ctx context.Context, caller string, t picture.Track) picture.Track {
	if !declared(&t) || caller == deconflict.NodeAuthor || caller == t.Party {
		return t
	}
	return l.viewTrack(caller, l.partners(ctx, caller), t)
}

func declared(t *picture.Track) bool {
	return t.How == attrib.HowAsset || t.How == attrib.HowCallsign
}

func (l *Picture) viewTrack(caller string, partners map[string]bool, t picture.Track) picture.Track {
	if !declared(&t) || caller == deconflict.NodeAuthor || caller == t.Party || partners[t.Party] {
		return t
	}
	base := l.baseAttr.Load()
	if base == nil {
		t.Party, t.How = "", ""
		return t
	}
	r := deconflict.Report{ID: t.ID, Callsign: t.Callsign, Party: t.SourceParty}
	t.Party, t.How = base.Attribute(&r)
	return t
}

// partners returns the parties caller shares a channel with (nil for the
// operator, who sees everything).
func (l *Picture) partners(ctx context.Context, caller string) map[string]bool {
	out := map[string]bool{}
	if caller == deconflict.NodeAuthor {
		return out
	}
	chans, err := l.log.Channels(ctx, caller)
	if err != nil {
		return out
	}
	for _, c := range chans {
		for _, m := range c.Members {
			out[m] = true
		}
	}
	return out
}

// Encounters returns the open (and, with closed, the recently closed)
// encounters caller may see, ordered by id.
func (l *Picture) Encounters(ctx context.Context, caller string, closed bool) []detect.Encounter {
	l.mu.Lock()
	all := make([]detect.Encounter, 0, len(l.open))
	for _, e := range l.open {
		all = append(all, e)
	}
	if closed {
		all = append(all, l.closed...)
	}
	l.mu.Unlock()
	out := all[:0]
	for _, e := range all {
		if l.visible(ctx, caller, e.PartyA, e.PartyB) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// VisibleEncounter reports whether caller may see e.
func (l *Picture) VisibleEncounter(ctx context.Context, caller string, e *detect.Encounter) bool {
	return l.visible(ctx, caller, e.PartyA, e.PartyB)
}

// sharesChannel reports whether caller may see what party declared: the
// operator, the party itself, or a member of a channel the party is in.
func (l *Picture) sharesChannel(ctx context.Context, caller, party string) bool {
	return l.visible(ctx, caller, party, party)
}

// VisibleZones returns the declared zones caller may see, ordered by id:
// every zone for the operator; for a party its own, those of the parties
// it shares a channel with, and zones without an owner.
func (l *Picture) VisibleZones(ctx context.Context, caller string) []detect.Zone {
	all := l.Zones()
	out := all[:0]
	for _, z := range all {
		if l.VisibleZone(ctx, caller, &z) {
			out = append(out, z)
		}
	}
	return out
}

// VisibleZone says whether caller may see zone z (as VisibleZones).
func (l *Picture) VisibleZone(ctx context.Context, caller string, z *detect.Zone) bool {
	return z.Owner == "" || l.sharesChannel(ctx, caller, z.Owner)
}

// VisibleAssets returns the declared assets caller may see, by party: all
// for the operator; for a party its own and those of the parties it
// shares a channel with.
func (l *Picture) VisibleAssets(ctx context.Context, caller string) map[string]deconflict.Assets {
	all := l.DeclaredAssets()
	for party := range all {
		if !l.sharesChannel(ctx, caller, party) {
			delete(all, party)
		}
	}
	return all
}
