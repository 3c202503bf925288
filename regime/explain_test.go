package regime_test

import (
	"math"
	"slices"
	"testing"

	"github.com/deconflict/deconflict/regime"
)

func TestExplain(t *testing.T) {
	f, at, err := regime.ParseSubmitted([]byte(`{"time":"2027-08-01T00:00:00Z","regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":12800,"phases":[{"kind":"active","start":"2027-09-12","end":"2027-09-13","area":{"circle":{"lat":60,"lon":30,"radius_m":10000}}}],` + area + `}`))
	if err != nil {
		t.Fatal(err)
	}
	launch, lat, err := regime.ParseSubmitted([]byte(`{"time":"2027-09-01T00:00:00Z","regime":"launch-1988","state":"RU","start":"2027-09-03T06:00:00Z","launch_area":{"circle":{"lat":62.9,"lon":40.5,"radius_m":20000}},"impact_area":{"circle":{"lat":65,"lon":160,"radius_m":50000},"alt_m":[0,1000]}}`))
	if err != nil {
		t.Fatal(err)
	}
	ns := append(regime.NotifiedAreas(f, "n:0", at), regime.NotifiedAreas(launch, "n:1", lat)...)
	if got, want := len(ns), 4; got != want {
		t.Fatalf("%d notified areas, want %d (area, phase, launch, impact)", got, want)
	}
	// The same activity notified again during it: it explains nothing before its receipt.
	ns = append(ns, regime.NotifiedAreas(f, "n:2", mustTime(t, "2027-09-11T13:00:00Z"))...)
	nan := math.NaN()
	for _, c := range []struct {
		name, party   string
		lat, lon, alt float64
		when          string
		want          []string
	}{
		{"InsideOwn", "RU", 54.5, 21.5, nan, "2027-09-11T12:00:00Z", []string{"n:0"}},
		{"OtherParty", "NATO", 54.5, 21.5, nan, "2027-09-11T12:00:00Z", nil},
		{"Outside", "RU", 53.0, 21.5, nan, "2027-09-11T12:00:00Z", nil},
		{"BeforeWindow", "RU", 54.5, 21.5, nan, "2027-09-09T23:59:59Z", nil},
		{"Phase", "RU", 60.01, 30.01, nan, "2027-09-12T12:00:00Z", []string{"n:0", "n:2"}},
		{"PhaseOver", "RU", 60.01, 30.01, nan, "2027-09-14T12:00:00Z", nil},
		{"ImpactInBand", "RU", 65.1, 160.1, 500, "2027-09-03T12:00:00Z", []string{"n:1"}},
		{"ImpactAboveBand", "RU", 65.1, 160.1, 5000, "2027-09-03T12:00:00Z", nil},
		{"LaunchDayOver", "RU", 65.1, 160.1, 500, "2027-09-04T06:00:01Z", nil},
		{"NotYetSubmitted", "RU", 54.5, 21.5, nan, "2027-09-11T12:59:59Z", []string{"n:0"}},
		{"Submitted", "RU", 54.5, 21.5, nan, "2027-09-11T13:00:00Z", []string{"n:0", "n:2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := regime.Explain(ns, c.party, c.lat, c.lon, c.alt, mustTime(t, c.when))
			if !slices.Equal(got, c.want) {
				t.Errorf("explained by %v, want %v", got, c.want)
			}
		})
	}
	if _, _, err := regime.ParseSubmitted([]byte(`{"regime":"intention","state":"RU"}`)); err == nil {
		t.Error("a line without time was accepted")
	}
}
