package http_test

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// TestTrackHistory: GET /v1/picture/tracks/{id} gives a track's stored
// positions, oldest first, to those who may see the track and not_found
// to the others; /v1/picture?trail=MINUTES adds the last minutes of each
// track's positions.
func TestTrackHistory(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US", "FR")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	now := time.Now().UTC().Truncate(time.Second)
	// RU's own frigate (a party report: seen by RU and by US, who shares
	// a channel with RU, not by FR) and a public AIS ship, each reporting
	// every minute for 20 minutes.
	var own, public []dhttp.ReportView
	for i := 0; i <= 20; i++ {
		at := now.Add(time.Duration(i-20) * time.Minute)
		own = append(own, dhttp.ReportView{Time: at, ID: "frigate-1", Domain: deconflict.Sea, Lat: f(55 + float64(i)/100), Lon: f(20), SpeedMS: f(5), CourseDeg: f(0)})
		public = append(public, dhttp.ReportView{Time: at, ID: "mmsi:273000001", Domain: deconflict.Sea, Source: "ais", Lat: f(54), Lon: f(12 + float64(i)/100), SpeedMS: f(4), CourseDeg: f(90)})
	}
	body, _ := json.Marshal(own)
	if err := postJSON(tn.Client("RU"), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	body, _ = json.Marshal(public)
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	detail := func(who, id string) (dhttp.TrackDetailView, error) {
		var v dhttp.TrackDetailView
		err := getJSON(tn.Client(who), "/v1/picture/tracks/"+url.PathEscape(id), &v)
		return v, err
	}
	// Ingestion is asynchronous: wait until both tracks have their last
	// report.
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err1 := detail("RU", "RU:frigate-1")
		b, err2 := detail("RU", "mmsi:273000001")
		if err1 == nil && err2 == nil && a.Track.Time.Equal(now) && b.Track.Time.Equal(now) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tracks not in the picture: %v, %v", err1, err2)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, tc := range []struct {
		who, id string
		want    error
	}{
		{"RU", "RU:frigate-1", nil},
		{"US", "RU:frigate-1", nil},
		{"FR", "RU:frigate-1", deconflict.Errorf(deconflict.ENOTFOUND, "")},
		{"FR", "mmsi:273000001", nil},
		{"US", "mmsi:999999999", deconflict.Errorf(deconflict.ENOTFOUND, "")},
	} {
		t.Run(tc.who+"/"+tc.id, func(t *testing.T) {
			v, err := detail(tc.who, tc.id)
			if tc.want != nil {
				if deconflict.ErrorCode(err) != deconflict.ErrorCode(tc.want) {
					t.Fatalf("%s reading %s: %v, want %s", tc.who, tc.id, err, deconflict.ErrorCode(tc.want))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(v.History), 21; got != want {
				t.Fatalf("%d points, want %d", got, want)
			}
			for i, p := range v.History {
				if want := now.Add(time.Duration(i-20) * time.Minute); !p.Time.Equal(want) {
					t.Fatalf("point %d at %v, want %v", i, p.Time, want)
				}
				if tc.id == "RU:frigate-1" && (p.Lat-(55+float64(i)/100) > 1e-7 || p.Lat-(55+float64(i)/100) < -1e-7 || p.Lon != 20) {
					t.Fatalf("point %d at %v, %v, want %v, 20", i, p.Lat, p.Lon, 55+float64(i)/100)
				}
			}
			if tc.id == "mmsi:273000001" && (v.Flag != "RU" || v.FlagState != "RU" || v.Track.Party != "RU") {
				t.Fatalf("flag %q (%q), party %q, want RU by its MID", v.Flag, v.FlagState, v.Track.Party)
			}
		})
	}
	t.Run("Trail", func(t *testing.T) {
		var pic struct {
			Tracks []dhttp.TrackView `json:"tracks"`
		}
		if err := getJSON(tn.Client("US"), "/v1/picture?trail=10", &pic); err != nil {
			t.Fatal(err)
		}
		if len(pic.Tracks) != 2 {
			t.Fatalf("US sees %d tracks, want 2", len(pic.Tracks))
		}
		for _, tr := range pic.Tracks {
			var trail [][3]float64
			if err := json.Unmarshal(tr.Trail, &trail); err != nil {
				t.Fatalf("%s: trail %s: %v", tr.ID, tr.Trail, err)
			}
			if got, want := len(trail), 11; got != want {
				t.Fatalf("%s: trail of %d points, want %d (the last 10 minutes)", tr.ID, got, want)
			}
			if last := trail[len(trail)-1]; last[2] != float64(now.Unix()) || math.Abs(last[0]-*tr.Lat) > 1e-5 || math.Abs(last[1]-*tr.Lon) > 1e-5 {
				t.Fatalf("%s: trail ends at %v, want the track's position %v, %v at %d", tr.ID, last, *tr.Lat, *tr.Lon, now.Unix())
			}
		}
		if err := getJSON(tn.Client("FR"), "/v1/picture?trail=10", &pic); err != nil || len(pic.Tracks) != 1 {
			t.Fatalf("FR sees %d tracks (%v), want 1", len(pic.Tracks), err)
		}
		for _, bad := range []string{"0", "31", "ten"} {
			if err := getJSON(tn.Client("US"), "/v1/picture?trail="+bad, &pic); deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Errorf("trail=%s: %v, want invalid", bad, err)
			}
		}
	})
}

// TestIncidentTracks: an encounter's alert stores its two tracks'
// positions with the incident, and GET
// /v1/channels/{id}/incidents/{inc}/tracks gives them, oldest first, to
// the channel's members (not_found to others).
func TestIncidentTracks(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO", "US")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	now := time.Now().UTC().Truncate(time.Second)
	rs := headOn(now.Add(-100*time.Second), 6, 20*time.Second)
	body, _ := json.Marshal(rs)
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	var incs []struct {
		ID string `json:"id"`
	}
	for deadline := time.Now().Add(20 * time.Second); len(incs) == 0; time.Sleep(50 * time.Millisecond) {
		if err := getJSON(tn.Client("NATO"), "/v1/channels/ru-nato/incidents", &incs); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no incident on ru-nato")
		}
	}
	path := "/v1/channels/ru-nato/incidents/" + incs[0].ID + "/tracks"
	// The store has both tracks once the alert is queued.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		stored, err := tn.DB.FindIncidentTracks(context.Background(), incs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored incident tracks %+v, want 2", stored)
		}
	}
	reported := map[string]map[time.Time]dhttp.ReportView{}
	for _, r := range rs {
		if reported[r.ID] == nil {
			reported[r.ID] = map[time.Time]dhttp.ReportView{}
		}
		reported[r.ID][r.Time] = r
	}
	var v dhttp.IncidentTracksView
	// Ingestion is asynchronous: wait for the last reports in the picture.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := getJSON(tn.Client("RU"), path, &v); err != nil {
			t.Fatal(err)
		}
		if len(v.Tracks) == 2 && len(v.Tracks[0].Points) > 0 && v.Tracks[0].Points[len(v.Tracks[0].Points)-1].Time.Equal(now) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("incident tracks %+v, want both up to %v", v, now)
		}
	}
	if v.Incident != incs[0].ID || v.Tracks[0].ID != "nato-destroyer" || v.Tracks[1].ID != "ru-frigate" || v.Tracks[1].Party != "RU" {
		t.Fatalf("incident tracks %+v", v)
	}
	for _, tr := range v.Tracks {
		if first := tr.Points[0].Time; !first.Equal(now.Add(-100 * time.Second)) {
			t.Errorf("%s starts at %v, want the first report's %v", tr.ID, first, now.Add(-100*time.Second))
		}
		for i, p := range tr.Points {
			r, ok := reported[tr.ID][p.Time]
			if !ok {
				t.Fatalf("%s point %d at %v: no report then", tr.ID, i, p.Time)
			}
			if i > 0 && !p.Time.After(tr.Points[i-1].Time) {
				t.Fatalf("%s points %d and %d out of order", tr.ID, i-1, i)
			}
			if math.Abs(p.Lat-*r.Lat) > 1e-6 || math.Abs(p.Lon-*r.Lon) > 1e-6 {
				t.Fatalf("%s point %d at %v, %v, want the report's %v, %v", tr.ID, i, p.Lat, p.Lon, *r.Lat, *r.Lon)
			}
		}
	}
	if err := getJSON(tn.Client("US"), path, &v); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("US reading ru-nato's incident tracks: %v, want not_found", err)
	}
	if err := getJSON(tn.Client("NATO"), "/v1/channels/ru-nato/incidents/inc-none/tracks", &v); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("tracks of no incident: %v, want not_found", err)
	}
}
