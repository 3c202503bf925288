package detect

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

// TestBandLists: every air cell's band list has one band per entry, in
// the entries' order, each the entry's altitude band as computed afresh,
// while aircraft level off, climb, drift, leave and come back, and after
// Compact; sea cells keep none.
func TestBandLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 7))
	e, err := New(Config{Civilian: true, AirCellM: 20e3, SeaCellM: 10e3, CompactEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	check := func(step int) {
		t.Helper()
		for d := range e.cells {
			for c, x := range e.cells[d] {
				if d == sea && len(x.bands) > 0 {
					t.Fatalf("step %d: sea cell %d keeps %d bands", step, c, len(x.bands))
				}
				if d != air {
					continue
				}
				if len(x.bands) != len(x.es) {
					t.Fatalf("step %d: air cell %d: %d bands for %d entries", step, c, len(x.bands), len(x.es))
				}
				for k := range x.es {
					if want := refLevelBand(x.es[k].alt, x.es[k].climb); int(x.bands[k]) != want {
						t.Fatalf("step %d: air cell %d entry %d (alt %v, climb %v): band %d, want %d", step, c, k, x.es[k].alt, x.es[k].climb, x.bands[k], want)
					}
				}
			}
		}
	}
	type craft struct{ lat, lon, alt, climb, crs float64 }
	fleet := make([]craft, 300)
	for i := range fleet {
		fleet[i] = craft{55 + rng.Float64()*0.9, 20 + rng.Float64()*1.5, 500 + rng.Float64()*11000, 0, rng.Float64() * 360}
	}
	for step := 0; step < 200; step++ {
		now := t0.Add(time.Duration(step) * 2 * time.Second)
		for i := range fleet {
			f := &fleet[i]
			switch rng.IntN(20) {
			case 0:
				f.climb = 0
			case 1:
				f.climb = (rng.Float64()*2 - 1) * 0.34
			case 2:
				f.climb = (rng.Float64()*2 - 1) * 12
			}
			f.alt += f.climb * 2
			if rng.IntN(3) == 0 {
				continue // silent this step
			}
			r := deconflict.Report{Time: now, ID: fmt.Sprintf("icao:%06x", i), Domain: deconflict.Air,
				Lat: f.lat, Lon: f.lon, AltM: f.alt, SpeedMS: 150, CourseDeg: f.crs, ClimbMS: f.climb}
			if i%17 == 0 {
				r.Domain = deconflict.Sea // a domain change starts the track afresh
				r.AltM = deconflict.Unknown
			}
			e.Update(r)
		}
		if step%50 == 49 {
			e.Compact()
		}
		e.Tick(now)
		check(step)
	}
}

// refLevelBand is the band index.go documents, computed apart: 0 for an
// unknown altitude or a climb faster than 0.35 m/s, else 1 + the number of
// whole 150 m steps above -2,000 m (at least 1).
func refLevelBand(alt, climb float32) int {
	a, c := float64(alt), float64(climb)
	if a != a || c > 0.35 || c < -0.35 {
		return 0
	}
	n := 0
	for -2000+float64(n+1)*150 <= a {
		n++
	}
	return n + 1
}
