package live

import (
	"context"
	"slices"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/picture"
)

// TrackHistory returns track id as caller may see it (ViewTrack) and its
// stored positions, oldest first (picture.Table.History). The error has
// code ENOTFOUND when there is no such track and when caller may not see
// it (VisibleTrack), so that a hidden track cannot be told from an absent
// one.
func (l *Picture) TrackHistory(ctx context.Context, caller, id string) (picture.Track, []picture.HistoryPoint, error) {
	tr, h, err := l.Table.History(id)
	if err == nil && !l.VisibleTrack(ctx, caller, &tr) {
		err = deconflict.Errorf(deconflict.ENOTFOUND, "no track %q", id)
	}
	if err != nil {
		return picture.Track{}, nil, err
	}
	return l.ViewTrack(ctx, caller, tr), h, nil
}

// saveIncidentTracks stores, with the incident of an alert, the
// positions the picture holds of the encounter's tracks (their history
// rings), merged with what earlier alerts of the incident stored, so
// that the incident can be replayed once the tracks have gone. A
// failure is logged: the alert matters more than its replay.
func (l *Picture) saveIncidentTracks(ctx context.Context, ev detect.Event) {
	enc := ev.Encounter
	inc := l.IncidentID(&enc)
	stored, err := l.store.FindIncidentTracks(ctx, inc)
	if err != nil {
		l.Logger.Error("incident tracks", "incident", inc, "err", err)
		return
	}
	for _, id := range []string{enc.A, enc.B} {
		if id == "" {
			continue // a zone's encounter has one track
		}
		tr, h, err := l.Table.History(id)
		if err != nil {
			continue // gone from the picture: what was stored stays
		}
		t := deconflict.IncidentTrack{Incident: inc, Track: id, Domain: tr.Domain, Party: tr.Party, Label: TrackName(tr.Name, tr.Callsign)}
		for _, s := range stored {
			if s.Track == id {
				t.Points = s.Points
			}
		}
		t.Points = mergePoints(t.Points, h)
		if err := l.store.SaveIncidentTrack(ctx, &t); err != nil {
			l.Logger.Error("incident tracks", "incident", inc, "track", id, "err", err)
		}
	}
}

// mergePoints returns the stored points and the history's in time order,
// one per time (the history's where both have one), the newest
// deconflict.MaxIncidentTrackPoints of them.
func mergePoints(stored []deconflict.TrackPoint, h []picture.HistoryPoint) []deconflict.TrackPoint {
	byMS := make(map[int64]deconflict.TrackPoint, len(stored)+len(h))
	for _, p := range stored {
		byMS[p.Time.UnixMilli()] = p
	}
	for _, p := range h {
		byMS[p.Time.UnixMilli()] = deconflict.TrackPoint{Time: p.Time.UTC(), Lat: p.Lat, Lon: p.Lon, AltM: p.AltM, SpeedMS: p.SpeedMS, CourseDeg: p.CourseDeg}
	}
	out := make([]deconflict.TrackPoint, 0, len(byMS))
	for _, p := range byMS {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b deconflict.TrackPoint) int { return a.Time.Compare(b.Time) })
	if len(out) > deconflict.MaxIncidentTrackPoints {
		out = out[len(out)-deconflict.MaxIncidentTrackPoints:]
	}
	return out
}

// IncidentTracks returns the stored tracks of an incident, for replaying
// it; while it is open (open true), each merged with the positions the
// picture holds of it now. The caller has checked that the caller may
// read the incident (a member of its channel, who shares that channel
// with both parties and so may see both tracks).
func (l *Picture) IncidentTracks(ctx context.Context, incident string, open bool) ([]deconflict.IncidentTrack, error) {
	ts, err := l.store.FindIncidentTracks(ctx, incident)
	if err != nil || !open {
		return ts, err
	}
	for i := range ts {
		if _, h, err := l.Table.History(ts[i].Track); err == nil {
			ts[i].Points = mergePoints(ts[i].Points, h)
		}
	}
	return ts, nil
}
