package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// TestAssetAndZoneVisibility: a party sees the declared assets and zones
// of the parties it shares a channel with (and its own), not the others';
// the operator sees all.
func TestAssetAndZoneVisibility(t *testing.T) {
	ctx := context.Background()
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US", "FR")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	declared := map[string]string{"RU": "273000001", "US": "338000001", "FR": "227000001"}
	for p, mmsi := range declared {
		if err := tn.Client(p).Do(ctx, "PUT", "/v1/assets/"+p, deconflict.Assets{MMSI: []string{mmsi}}, nil); err != nil {
			t.Fatal(err)
		}
		z := deconflict.Zone{ID: "zone-" + p, Kind: "exercise", Owner: p, Center: &[2]float64{55, 20}, RadiusM: 1000}
		if err := tn.Client(p).Do(ctx, "POST", "/v1/zones", z, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		who  string
		want []string
	}{
		{"RU", []string{"RU", "US"}},
		{"US", []string{"RU", "US"}},
		{"FR", []string{"FR"}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			var assets map[string]deconflict.Assets
			if err := getJSON(tn.Client(tc.who), "/v1/assets", &assets); err != nil {
				t.Fatal(err)
			}
			var got []string
			for p := range assets {
				got = append(got, p)
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s sees the assets of %v, want %v", tc.who, got, tc.want)
			}
			var zones []deconflict.Zone
			if err := getJSON(tn.Client(tc.who), "/v1/zones", &zones); err != nil {
				t.Fatal(err)
			}
			got = got[:0]
			for _, z := range zones {
				got = append(got, z.Owner)
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s sees the zones of %v, want %v", tc.who, got, tc.want)
			}
		})
	}
	var assets map[string]deconflict.Assets
	if err := getJSON(tn.Operator(), "/v1/assets", &assets); err != nil || len(assets) != 3 {
		t.Fatalf("the operator sees %d parties' assets (%v), want 3", len(assets), err)
	}
	// The alert outbox's metrics are exported with the live picture.
	resp, err := http.Get(tn.Server.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"deconflict_alerts_pending 0", "deconflict_alerts_overflow_total 0", "deconflict_alerts_queued_total 0"} {
		if !strings.Contains(string(b), m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
}

// TestPictureHidesDeclarations: a ship RU declared as its own shows as
// RU's asset to RU and to US (who share a channel with RU), and to FR, who
// shares none, as its flag attributes it: the declaration does not leak
// through the picture.
func TestPictureHidesDeclarations(t *testing.T) {
	ctx := context.Background()
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US", "FR")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	if err := tn.Client("RU").Do(ctx, "PUT", "/v1/assets/RU", deconflict.Assets{MMSI: []string{"211234560"}}, nil); err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	body, _ := json.Marshal([]dhttp.ReportView{{Time: time.Now().UTC(), ID: "mmsi:211234560", Domain: deconflict.Sea, Source: "ais", Lat: f(54.5), Lon: f(12.1), SpeedMS: f(5), CourseDeg: f(90)}})
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	seen := func(who string) (string, string) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			var pic struct {
				Tracks []dhttp.TrackView `json:"tracks"`
			}
			getJSON(tn.Client(who), "/v1/picture", &pic)
			if len(pic.Tracks) == 1 {
				return pic.Tracks[0].Party, pic.Tracks[0].How
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%s sees no track", who)
		return "", ""
	}
	for _, tc := range []struct{ who, party, how string }{
		{"RU", "RU", "asset"},
		{"US", "RU", "asset"},
		{"FR", "NATO", "mid"},
	} {
		if p, how := seen(tc.who); p != tc.party || how != tc.how {
			t.Errorf("%s sees the ship as %s by %s, want %s by %s", tc.who, p, how, tc.party, tc.how)
		}
	}
}
