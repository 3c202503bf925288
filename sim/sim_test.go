package sim_test

import (
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/sim"
)

func equalReports(a, b []deconflict.Report) bool {
	return reflect.DeepEqual(fmtAll(a), fmtAll(b))
}

// fmtAll makes NaN comparable.
func fmtAll(rs []deconflict.Report) []deconflict.Report {
	out := slices.Clone(rs)
	for i := range out {
		for _, p := range []*float64{&out[i].AltM, &out[i].ClimbMS, &out[i].SpeedMS, &out[i].CourseDeg} {
			if *p != *p {
				*p = -1e300
			}
		}
	}
	return out
}

func TestDeterministic(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(seed uint64) *sim.Scenario
	}{
		{"Baltic", sim.Baltic},
		{"Load", func(seed uint64) *sim.Scenario { return sim.Load(2000, seed) }},
		{"Dense", func(seed uint64) *sim.Scenario {
			return sim.Dense(100, seed, geo.LatLon{Lat: 10, Lon: 10}, 20e3, 5*time.Minute)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, c := tc.make(3), tc.make(3), tc.make(4)
			ra := a.Reports(a.Start, a.Start.Add(2*time.Minute))
			if len(ra) == 0 {
				t.Fatal("no reports")
			}
			if !equalReports(ra, b.Reports(b.Start, b.Start.Add(2*time.Minute))) {
				t.Fatal("same seed, different reports")
			}
			if equalReports(ra, c.Reports(c.Start, c.Start.Add(2*time.Minute))) {
				t.Fatal("different seeds, same reports")
			}
			if !slices.IsSortedFunc(ra, func(x, y deconflict.Report) int { return x.Time.Compare(y.Time) }) {
				t.Fatal("reports not in time order")
			}
		})
	}
}

// TestStep: stepping through a scenario yields exactly its reports.
func TestStep(t *testing.T) {
	s := sim.Baltic(1)
	want := s.Reports(s.Start, s.Start.Add(5*time.Minute))
	var got []deconflict.Report
	for at := s.Start.Add(700 * time.Millisecond); !at.After(s.Start.Add(5 * time.Minute)); at = at.Add(700 * time.Millisecond) {
		got = append(got, s.Step(at)...)
	}
	got = append(got, s.Step(s.Start.Add(5*time.Minute))...)
	if !equalReports(got, want) {
		t.Fatalf("stepped %d reports, want %d", len(got), len(want))
	}
}

func TestBalticShape(t *testing.T) {
	s := sim.Baltic(1)
	if got, want := s.Parties, []string{"NATO", "RU"}; !slices.Equal(got, want) {
		t.Errorf("parties %v, want %v", got, want)
	}
	// Seven approaches (three at sea, four in the air), an air-sea pass, a
	// shadowing episode and a zone intrusion in each domain.
	if got := len(s.Expected); got != 11 {
		t.Errorf("%d scripted encounters, want 11", got)
	}
	for _, x := range s.Expected {
		// A shadowing episode becomes an encounter only after
		// detect.ShadowFor; every approach develops in the first minutes.
		if x.Kind == detect.Shadowing {
			if d := x.At.Sub(s.Start); d != detect.ShadowFor || d >= s.Duration {
				t.Errorf("%s/%s shadowing scripted at +%v, want +%v within the scenario", x.A, x.B, d, detect.ShadowFor)
			}
			continue
		}
		if d := x.At.Sub(s.Start); d > 25*time.Minute {
			t.Errorf("%s/%s scripted at +%v, want within the scenario's first minutes", x.A, x.B, d)
		}
	}
	for _, r := range s.All() {
		if r.Lat < 50 || r.Lat > 66 || r.Lon < 5 || r.Lon > 35 {
			t.Fatalf("%s at %.2f,%.2f: outside the Baltic region", r.ID, r.Lat, r.Lon)
		}
		if r.Domain == deconflict.Sea && deconflict.Known(r.AltM) || r.Domain == deconflict.Air && !deconflict.Known(r.AltM) {
			t.Fatalf("%s: altitude %v in domain %s", r.ID, r.AltM, r.Domain)
		}
	}
}

func TestLoadShape(t *testing.T) {
	s := sim.Load(10000, 1)
	var sea, air, parties, still int
	for _, m := range s.Movers {
		if m.Domain == deconflict.Sea {
			sea++
			if m.Legs[0].SpeedMS < 0.5 {
				still++
			}
		} else {
			air++
		}
		if m.Party != "" {
			parties++
		}
		if math.IsNaN(m.Start.Lat) || m.Start.Lat < -90 || m.Start.Lat > 90 {
			t.Fatalf("%s starts at %v", m.ID, m.Start)
		}
	}
	if sea < 7600 || sea > 8400 || still < 2300 || still > 3000 || parties < 4700 || parties > 5300 {
		t.Errorf("sea %d (still %d), air %d, attributed %d: want about 8000 (2700), 2000, 5000", sea, still, air, parties)
	}
}

// TestSnapshot: a snapshot holds every mover once, all at the asked time,
// each as the mover's own report at that time would be.
func TestSnapshot(t *testing.T) {
	s := sim.Load(300, 4)
	all := s.All()
	for _, r := range []deconflict.Report{all[100], all[2000], all[len(all)-1]} {
		snap := s.Snapshot(r.Time)
		if len(snap) != len(s.Movers) {
			t.Fatalf("%d reports, want %d", len(snap), len(s.Movers))
		}
		found := false
		for k, q := range snap {
			if !q.Time.Equal(r.Time) || k > 0 && snap[k-1].ID >= q.ID {
				t.Fatalf("report %d: time %v (want %v) or not ordered by ID", k, q.Time, r.Time)
			}
			if q.ID == r.ID {
				found = true
				if !equalReports([]deconflict.Report{q}, []deconflict.Report{r}) {
					t.Errorf("snapshot of %s at %v:\n %+v\nwant its report\n %+v", r.ID, r.Time, q, r)
				}
			}
		}
		if !found {
			t.Fatalf("%s missing from the snapshot", r.ID)
		}
	}
}

// TestTrafficBox: BlueSky's box as issue 18 describes it: every aircraft
// within about the square's half diagonal of its centre (Vincenty), at
// 1,000-12,000 m, 100-250 m/s, level, civilian, all at the start.
func TestTrafficBox(t *testing.T) {
	const n, side = 3000, 1000e3
	s := sim.TrafficBox(n, 1, side, time.Minute)
	snap := s.Snapshot(s.Start)
	if len(snap) != n {
		t.Fatalf("%d aircraft, want %d", len(snap), n)
	}
	var courses [4]int
	for _, r := range snap {
		// Within half the diagonal of the centre, plus what the
		// curvature adds (two legs of 500 km at right angles near 55N:
		// about 730 km).
		d, ok := geo.Vincenty(sim.BoxCenter, geo.LatLon{Lat: r.Lat, Lon: r.Lon})
		if !ok || r.Domain != deconflict.Air || r.Party != "" || r.Asset || r.ClimbMS != 0 ||
			r.AltM < 1000 || r.AltM > 12000 || r.SpeedMS < 100 || r.SpeedMS > 250 ||
			d > side*0.75 || !r.Time.Equal(s.Start) {
			t.Fatalf("report outside the box: %+v (%.0f m from the centre)", r, d)
		}
		courses[int(r.CourseDeg/90)%4]++
	}
	for q, c := range courses {
		if c < n/5 {
			t.Errorf("quadrant %d of courses: %d aircraft of %d", q, c, n)
		}
	}
}
