package geo_test

import (
	"math"
	"testing"

	"github.com/deconflict/deconflict/geo"
)

func ll(lat, lon float64) geo.LatLon { return geo.LatLon{Lat: lat, Lon: lon} }

func mustPolygon(tb testing.TB, v ...geo.LatLon) *geo.Polygon {
	tb.Helper()
	p, err := geo.NewPolygon(v)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestPolygonContains(t *testing.T) {
	for _, tc := range []struct {
		name string
		poly []geo.LatLon
		in   []geo.LatLon
		out  []geo.LatLon
	}{
		{"Square", []geo.LatLon{ll(55, 18.6), ll(55, 19.4), ll(55.4, 19.4), ll(55.4, 18.6)},
			[]geo.LatLon{ll(55.2, 19), ll(55.01, 18.61)}, []geo.LatLon{ll(55.5, 19), ll(54.9, 19), ll(55.2, 19.5), ll(-55.2, -161)}},
		{"Antimeridian", []geo.LatLon{ll(50, 179), ll(50, -179), ll(52, -179), ll(52, 179)},
			[]geo.LatLon{ll(51, 180), ll(51, -180), ll(51, 179.5), ll(51, -179.5)}, []geo.LatLon{ll(51, 178.9), ll(51, -178.9), ll(51, 0)}},
		{"NorthPole", []geo.LatLon{ll(85, 0), ll(85, 90), ll(85, 180), ll(85, -90)},
			[]geo.LatLon{ll(90, 0), ll(89, 45), ll(87, -135)}, []geo.LatLon{ll(84, 0), ll(80, 45)}},
		{"Concave", []geo.LatLon{ll(0, 0), ll(0, 2), ll(2, 2), ll(2, 1.5), ll(0.5, 1), ll(2, 0.5), ll(2, 0)},
			[]geo.LatLon{ll(1, 0.25), ll(1, 1.75), ll(0.25, 1)}, []geo.LatLon{ll(1.5, 1), ll(3, 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPolygon(t, tc.poly...)
			for _, q := range tc.in {
				if !p.Contains(geo.ECEF(q.Lat, q.Lon)) {
					t.Errorf("Contains(%v)=false, want true", q)
				}
				if got := p.OutsideM(geo.ECEF(q.Lat, q.Lon)); got != 0 {
					t.Errorf("OutsideM(%v)=%v, want 0", q, got)
				}
			}
			for _, q := range tc.out {
				if p.Contains(geo.ECEF(q.Lat, q.Lon)) {
					t.Errorf("Contains(%v)=true, want false", q)
				}
			}
		})
	}
}

// TestAreaInside checks the exact entry and exit times of straight paths
// against sampling of Contains.
func TestAreaInside(t *testing.T) {
	sq := mustPolygon(t, ll(55, 18.6), ll(55, 19.4), ll(55.4, 19.4), ll(55.4, 18.6))
	am := mustPolygon(t, ll(50, 179), ll(50, -179), ll(52, -179), ll(52, 179))
	circ, err := geo.NewCircle(ll(57, 17), 10e3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		area  geo.Area
		start geo.LatLon
		speed float64
		crs   float64
		t1    float64
	}{
		{"SouthIntoSquare", sq, ll(55.5, 19.05), 8, 180, 1800},
		{"EastThroughSquare", sq, ll(55.2, 18.4), 20, 90, 3600},
		{"AcrossAntimeridian", am, ll(51, 178.5), 50, 90, 3600},
		{"ThroughCircle", circ, ll(57.02, 17.9), 180, 270, 600},
		{"StartInsideCircle", circ, ll(57, 17.01), 100, 0, 600},
		{"MissCircle", circ, ll(57.2, 17.9), 180, 270, 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := geo.NewMotion(tc.start.Lat, tc.start.Lon, math.NaN(), tc.speed, tc.crs, 0)
			var got [][2]float64
			tc.area.Inside(m.P, m.V, 0, tc.t1, func(in, out float64) { got = append(got, [2]float64{in, out}) })
			// Sample every second.
			var want [][2]float64
			prev := false
			for s := 0.0; s <= tc.t1; s++ {
				in := tc.area.Contains(m.At(s).P)
				if in && !prev {
					want = append(want, [2]float64{s, tc.t1})
				} else if !in && prev {
					want[len(want)-1][1] = s
				}
				prev = in
			}
			if len(got) != len(want) {
				t.Fatalf("Inside=%v, sampled %v", got, want)
			}
			for i := range got {
				if !near(got[i][0], want[i][0], 1) || !near(got[i][1], want[i][1], 1) {
					t.Fatalf("Inside=%v, sampled %v", got, want)
				}
			}
		})
	}
}
