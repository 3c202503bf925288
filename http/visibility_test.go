package http_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
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
