package live_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

// TestIncidentTracksMerge: an open incident's tracks are what was stored
// with it and what the picture holds now, one point per time (the
// picture's where both have one), the newest MaxIncidentTrackPoints; a
// closed incident's are what was stored.
func TestIncidentTracksMerge(t *testing.T) {
	ctx := context.Background()
	db := openStore(t, filepath.Join(t.TempDir(), "d.db"))
	p := openPicture(t, db)
	// The picture's clock is the wall clock: its newest positions end now.
	const stored = 250
	last := time.Now().UTC().Truncate(time.Millisecond).Add(-19 * 30 * time.Second)
	t0 := last.Add(-(stored - 1) * 30 * time.Second)
	u := deconflict.Unknown
	var pts []deconflict.TrackPoint
	for i := 0; i < stored; i++ {
		pts = append(pts, deconflict.TrackPoint{Time: t0.Add(time.Duration(i) * 30 * time.Second), Lat: 55, Lon: 19, AltM: u, SpeedMS: u, CourseDeg: u})
	}
	if err := db.SaveIncidentTrack(ctx, &deconflict.IncidentTrack{Incident: "inc-x", Track: "mmsi:273000001", Domain: deconflict.Sea, Party: "RU", Points: pts}); err != nil {
		t.Fatal(err)
	}
	// The picture holds 20 newer positions, 30 s apart, the first of them
	// at the time of the last stored point.
	for i := 0; i < 20; i++ {
		r := deconflict.Report{Time: last.Add(time.Duration(i) * 30 * time.Second), ID: "mmsi:273000001", Domain: deconflict.Sea, Source: "ais",
			Lat: 56, Lon: 20 + float64(i)/100, AltM: u, SpeedMS: 5, CourseDeg: 90, ClimbMS: u}
		p.Table.Update(&r)
	}
	ts, err := p.IncidentTracks(ctx, "inc-x", true)
	if err != nil || len(ts) != 1 {
		t.Fatalf("IncidentTracks: %+v, %v", ts, err)
	}
	got := ts[0].Points
	if len(got) != deconflict.MaxIncidentTrackPoints {
		t.Fatalf("%d points, want the newest %d", len(got), deconflict.MaxIncidentTrackPoints)
	}
	// 249 stored + 20 from the picture (one time shared) = 269 times; the
	// oldest 13 go.
	if want := t0.Add(13 * 30 * time.Second); !got[0].Time.Equal(want) {
		t.Fatalf("first point at %v, want %v", got[0].Time, want)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.Sub(got[i-1].Time) != 30*time.Second {
			t.Fatalf("points %d and %d are %v apart, want 30 s", i-1, i, got[i].Time.Sub(got[i-1].Time))
		}
	}
	if shared := got[len(got)-20]; !shared.Time.Equal(last) || shared.Lat != 56 || shared.SpeedMS != 5 {
		t.Fatalf("the shared time's point %+v, want the picture's", shared)
	}
	if end := got[len(got)-1]; end.Lon < 20.19-1e-6 || end.Lon > 20.19+1e-6 {
		t.Fatalf("last point %+v, want the track's position", end)
	}
	// Closed: what was stored.
	if ts, err := p.IncidentTracks(ctx, "inc-x", false); err != nil || len(ts) != 1 || len(ts[0].Points) != stored {
		t.Fatalf("closed incident's tracks: %d points (%v), want the %d stored", len(ts[0].Points), err, stored)
	}
	if ts, err := p.IncidentTracks(ctx, "inc-none", true); err != nil || len(ts) != 0 {
		t.Fatalf("tracks of an incident with none stored: %+v, %v", ts, err)
	}
}
