package detect_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/sim"
)

const nm = deconflict.MetresPerNM

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func MustEngine(tb testing.TB, cfg detect.Config) *detect.Engine {
	tb.Helper()
	e, err := detect.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// run feeds reports (time-ordered) to e, ticking every second, and
// returns every event.
func run(e *detect.Engine, reports []deconflict.Report) []detect.Event {
	var out []detect.Event
	var next time.Time
	for _, r := range reports {
		if next.IsZero() {
			next = r.Time.Truncate(time.Second).Add(time.Second)
		}
		for !r.Time.Before(next) {
			out = append(out, e.Tick(next)...)
			next = next.Add(time.Second)
		}
		out = append(out, e.Update(r)...)
	}
	return out
}

// ship returns reports every intervalS from t0 for durS of a ship that
// starts at start and keeps speed and course (a great circle).
func mover(id, party string, dom deconflict.Domain, start geo.LatLon, altM, speed, course, climb, intervalS, durS float64) []deconflict.Report {
	var out []deconflict.Report
	for s := 0.0; s <= durS; s += intervalS {
		p := geo.Destination(start, course, speed*s)
		crs := course
		if speed > 0 {
			crs = geo.Bearing(p, geo.Destination(start, course, speed*s+1))
		}
		r := deconflict.Report{Time: t0.Add(time.Duration(s * float64(time.Second))), ID: id, Party: party, Asset: party != "", Domain: dom,
			Lat: p.Lat, Lon: p.Lon, SpeedMS: speed, CourseDeg: crs, AltM: math.NaN(), ClimbMS: math.NaN()}
		if dom == deconflict.Air {
			r.AltM, r.ClimbMS = altM+climb*s, climb
		}
		out = append(out, r)
	}
	return out
}

func merge(rs ...[]deconflict.Report) []deconflict.Report {
	var out []deconflict.Report
	for _, r := range rs {
		out = append(out, r...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

func summary(evs []detect.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s %s/%s%s %s %s;", ev.Type, ev.Encounter.A, ev.Encounter.B, ev.Encounter.Zone, ev.Encounter.Severity, ev.Encounter.Reason)
	}
	return b.String()
}

func lifecycle(evs []detect.Event) []detect.Event {
	var out []detect.Event
	for _, ev := range evs {
		if ev.Type != detect.Updated {
			out = append(out, ev)
		}
	}
	return out
}

// TestSeaHeadOn: two ships closing head-on with a 300 m offset open a
// dangerous encounter (300 m < 0.5 NM) when the TCPA falls under 30
// minutes, and close it once they have passed and opened beyond 2.5 NM
// for a minute.
func TestSeaHeadOn(t *testing.T) {
	start := geo.LatLon{Lat: 56, Lon: 19}
	// 10 m/s each, 40 km apart: meet after 2,000 s.
	b0 := geo.Destination(geo.Destination(start, 0, 40e3), 90, 300)
	rs := merge(
		mover("mmsi:1", "RU", deconflict.Sea, start, 0, 10, 0, 0, 10, 4000),
		mover("mmsi:2", "NATO", deconflict.Sea, b0, 0, 10, 180, 0, 10, 4000),
	)
	e := MustEngine(t, detect.Config{})
	evs := lifecycle(run(e, rs))
	if got, want := summary(evs), "opened mmsi:1/mmsi:2 dangerous ;closed mmsi:1/mmsi:2 dangerous separated;"; got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	op, cl := evs[0], evs[1]
	// Opens when TCPA < 30 min: 2,000 s - 1,800 s = 200 s after start.
	if got := op.Time.Sub(t0).Seconds(); got < 195 || got > 215 {
		t.Errorf("opened at +%vs, want about +200s", got)
	}
	p := op.Encounter.Prediction
	if math.Abs(p.CPAM-300) > 5 || math.Abs(p.TCPAS-1800) > 15 {
		t.Errorf("prediction CPA %.1f m at %.0f s, want 300 m at 1800 s", p.CPAM, p.TCPAS)
	}
	if d := geo.Distance(geo.LatLon{Lat: p.PosA.Lat, Lon: p.PosA.Lon}, geo.LatLon{Lat: p.PosB.Lat, Lon: p.PosB.Lon}); math.Abs(d-300) > 5 {
		t.Errorf("predicted positions %.1f m apart, want 300", d)
	}
	// Closes when 2.5 NM apart (2,000 s + 4,630 m / 20 m/s = 2,231 s)
	// plus the one-minute hold.
	if got := cl.Time.Sub(t0).Seconds(); got < 2280 || got > 2310 {
		t.Errorf("closed at +%vs, want about +2291s", got)
	}
}

func TestAirTiers(t *testing.T) {
	start := geo.LatLon{Lat: 60, Lon: 25}
	ft := deconflict.MetresPerFoot
	for _, tc := range []struct {
		name   string
		offset float64 // horizontal miss, m
		vert   float64 // m
		want   detect.Severity
	}{
		{"Advisory", 3 * nm, 500 * ft, detect.Advisory},
		{"Warning", 1.2 * nm, 500 * ft, detect.Warning},
		{"Critical", 0.5 * nm, 500 * ft, detect.Critical},
		{"NMAC", 50, 50 * ft, detect.NMAC},
		{"VerticallySeparated", 0, 1100 * ft, detect.None},
		{"Wide", 6 * nm, 0, detect.None},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Head-on at 200 m/s each, 100 km apart: meet after 250 s.
			b0 := geo.Destination(geo.Destination(start, 0, 100e3), 90, tc.offset)
			rs := merge(
				mover("icao:000001", "RU", deconflict.Air, start, 9000, 200, 0, 0, 1, 400),
				mover("icao:000002", "NATO", deconflict.Air, b0, 9000+tc.vert, 200, 180, 0, 1, 400),
			)
			e := MustEngine(t, detect.Config{})
			evs := run(e, rs)
			got := detect.None
			for _, ev := range evs {
				got = max(got, ev.Encounter.Severity)
			}
			if got != tc.want {
				t.Fatalf("severity %s, want %s (%s)", got, tc.want, summary(lifecycle(evs)))
			}
		})
	}
}

// TestVerticalOnly: an aircraft climbing through another's level right
// above it.
func TestVerticalOnly(t *testing.T) {
	start := geo.LatLon{Lat: 45, Lon: 7}
	rs := merge(
		mover("icao:000001", "RU", deconflict.Air, start, 3000, 0, 0, 10, 1, 200),
		mover("icao:000002", "NATO", deconflict.Air, geo.Destination(start, 90, 100), 5000, 0, 0, 0, 1, 200),
	)
	e := MustEngine(t, detect.Config{})
	evs := lifecycle(run(e, rs))
	if len(evs) == 0 || evs[0].Type != detect.Opened {
		t.Fatalf("events %s, want an opening", summary(evs))
	}
	// Vertical conflict (1,000 ft) begins at (2,000 - 304.8) / 10 = 169.5 s,
	// so the 300 s advisory lookahead sees it at once.
	if evs[0].Time != t0 {
		t.Errorf("opened at %v, want %v", evs[0].Time, t0)
	}
	if p := evs[0].Encounter.Prediction; math.Abs(p.ConflictInS-169.5) > 0.5 {
		t.Errorf("ConflictInS=%v, want 169.5", p.ConflictInS)
	}
}

// TestNoFlapping: two ships whose true CPA sits right at the 2 NM
// threshold, with noisy positions and courses, open at most once.
func TestNoFlapping(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		s := &sim.Scenario{Name: "flap", Start: t0, Duration: 40 * time.Minute}
		s.Movers = []*sim.Mover{
			{ID: "mmsi:1", Party: "RU", Domain: deconflict.Sea, Start: geo.LatLon{Lat: 56, Lon: 19}, AltM: math.NaN(), IntervalS: 6,
				Legs: []sim.Leg{{DurationS: math.Inf(1), SpeedMS: 8, CourseDeg: 0}}, NoiseM: 15, NoiseDeg: 3},
			{ID: "mmsi:2", Party: "NATO", Domain: deconflict.Sea, Start: geo.Destination(geo.Destination(geo.LatLon{Lat: 56, Lon: 19}, 0, 30e3), 90, 2*nm), AltM: math.NaN(), IntervalS: 6,
				Legs: []sim.Leg{{DurationS: math.Inf(1), SpeedMS: 8, CourseDeg: 180}}, NoiseM: 15, NoiseDeg: 3},
		}
		s = sim.Custom(s, seed)
		e := MustEngine(t, detect.Config{})
		evs := run(e, s.All())
		opened := 0
		for _, ev := range evs {
			if ev.Type == detect.Opened {
				opened++
			}
		}
		if opened > 1 {
			t.Errorf("seed %d: opened %d times: %s", seed, opened, summary(lifecycle(evs)))
		}
	}
}

func TestTrackLost(t *testing.T) {
	start := geo.LatLon{Lat: 56, Lon: 19}
	rs := merge(
		mover("mmsi:1", "RU", deconflict.Sea, start, 0, 5, 0, 0, 10, 600),
		mover("mmsi:2", "NATO", deconflict.Sea, geo.Destination(start, 0, 5000), 0, 0, 0, 0, 10, 60),
	)
	e := MustEngine(t, detect.Config{})
	evs := lifecycle(run(e, rs))
	if got, want := summary(evs), "opened mmsi:1/mmsi:2 critical ;closed mmsi:1/mmsi:2 critical track-lost;"; got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
	// mmsi:2's last report is at +60 s; lost 8 min later.
	if got, want := evs[1].Time, t0.Add(60*time.Second+8*time.Minute+time.Second); got != want {
		t.Errorf("closed at %v, want %v", got, want)
	}
	if got := e.Stats().Tracks; got != 1 {
		t.Errorf("%d tracks left, want 1", got)
	}
}

func TestPairHook(t *testing.T) {
	start := geo.LatLon{Lat: 56, Lon: 19}
	rs := merge(
		mover("mmsi:1", "RU", deconflict.Sea, start, 0, 5, 0, 0, 10, 600),
		// Stationary, 50 m east of mmsi:1's path.
		mover("mmsi:2", "NATO", deconflict.Sea, geo.Destination(geo.Destination(start, 0, 5000), 90, 50), 0, 0, 0, 0, 10, 600),
		// Stationary, 3 km west of mmsi:1's path, 4.3 km from mmsi:2.
		mover("mmsi:3", "RU", deconflict.Sea, geo.Destination(geo.Destination(start, 0, 8000), 270, 3000), 0, 0, 0, 0, 10, 600),
	)
	for _, tc := range []struct {
		name string
		pair func(a, b string) (detect.Thresholds, bool)
		want string
	}{
		{"Default", nil, "opened mmsi:1/mmsi:2 critical ;"},
		{"NotShared", func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, false }, ""},
		{"All", func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true },
			"opened mmsi:1/mmsi:2 critical ;opened mmsi:1/mmsi:3 advisory ;"},
		{"WiderChannel", func(a, b string) (detect.Thresholds, bool) {
			th := detect.DefaultThresholds()
			th.Sea.CriticalM = 10
			return th, a != b
		}, "opened mmsi:1/mmsi:2 dangerous ;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEngine(t, detect.Config{Pair: tc.pair})
			if got := summary(lifecycle(run(e, rs))); got != tc.want {
				t.Fatalf("events %q, want %q", got, tc.want)
			}
		})
	}
}

func TestZones(t *testing.T) {
	s := sim.Baltic(1)
	e := MustEngine(t, detect.Config{})
	for _, z := range s.Zones {
		if _, err := e.AddZone(z, s.Start); err != nil {
			t.Fatal(err)
		}
	}
	evs := run(e, s.All())
	got := map[string][]string{}
	for _, ev := range lifecycle(evs) {
		if en := ev.Encounter; en.Zone != "" {
			got[en.A+"/"+en.Zone] = append(got[en.A+"/"+en.Zone], fmt.Sprintf("%s %s %s", ev.Time.Sub(s.Start).Round(10*time.Second), ev.Type, en.Severity))
		}
	}
	want := map[string][]string{
		// Predicted entry at once (1,390 s ahead, within 30 min), inside at 23 min.
		"NATO:bainbridge/RU-EX-2026-17": {"0s opened advisory", "23m10s escalated intrusion"},
		// Predicted entry when the area activates at 5 min; inside then;
		// out after crossing the 20 km circle at 180 m/s; closed after the
		// hold.
		"RU:tu142-55/NATO-MHA-0601": {"0s opened advisory", "5m0s escalated intrusion", "6m10s closed intrusion"},
	}
	for k, w := range want {
		if g := got[k]; !slices.Equal(g, w) {
			t.Errorf("%s: %q, want %q", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("zone encounters %v, want only %v", got, want)
	}
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, z := range []detect.Zone{
			{ID: "", Center: geo.LatLon{Lat: 1, Lon: 1}, RadiusM: 10},
			{ID: "z", RadiusM: -1},
			{ID: "z", Polygon: []geo.LatLon{{Lat: 1, Lon: 1}, {Lat: 1, Lon: 2}}},
			{ID: "z", Center: geo.LatLon{Lat: 1, Lon: 1}, RadiusM: 10, MinAltM: 100, MaxAltM: 50},
			{ID: "z", Center: geo.LatLon{Lat: 1, Lon: 1}, RadiusM: 10, From: t0, Until: t0},
		} {
			if _, err := e.AddZone(z, t0); deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Errorf("AddZone(%+v) error %v, want EINVALID", z, err)
			}
		}
		if _, err := e.RemoveZone("nope", t0); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
			t.Errorf("RemoveZone error %v, want ENOTFOUND", err)
		}
	})
}

// TestBaltic checks every scripted encounter of the Baltic scenario in the
// live engine (highest tier of the pair's encounters) and in Replay (the
// tier actually reached), and that the live engine warned in advance.
func TestBaltic(t *testing.T) {
	s := sim.Baltic(1)
	e := MustEngine(t, detect.Config{})
	evs := run(e, s.All())
	live := map[string]detect.Severity{}
	for _, ev := range evs {
		if ev.Encounter.Zone == "" {
			k := ev.Encounter.A + "/" + ev.Encounter.B
			live[k] = max(live[k], ev.Encounter.Severity)
		}
	}
	rows, _, err := detect.Replay(s.All(), detect.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]detect.Row{}
	for _, r := range rows {
		got[r.A+"/"+r.B] = r
	}
	shadows := map[string]time.Time{}
	for _, ev := range evs {
		if ev.Encounter.Kind == detect.Shadowing && ev.Type == detect.Opened {
			shadows[ev.Encounter.A+"/"+ev.Encounter.B] = ev.Time
		}
	}
	kinds := map[deconflict.Domain]bool{}
	for _, x := range s.Expected {
		if x.B == "" {
			continue
		}
		k := x.A + "/" + x.B
		if x.Kind == detect.Shadowing {
			kinds["shadowing"] = true
			if at, ok := shadows[k]; !ok || at.Before(x.At) || at.After(x.At.Add(20*time.Second)) {
				t.Errorf("%s: shadowing opened at %v (%v), want at %v", k, at, ok, x.At)
			}
			found := false
			for _, r := range rows {
				found = found || r.Kind == detect.Shadowing && r.A+"/"+r.B == k && math.Abs(r.ClosestM-x.MissM) < 100
			}
			if !found {
				t.Errorf("%s: no shadowing row at %.0f m", k, x.MissM)
			}
			continue
		}
		kinds[x.Domain] = true
		if live[k] != x.Severity {
			t.Errorf("%s: live severity %s, want %s", k, live[k], x.Severity)
		}
		r, ok := got[k]
		if !ok {
			t.Errorf("%s: no row", k)
			continue
		}
		if r.Severity != x.Severity {
			t.Errorf("%s: row severity %s, want %s", k, r.Severity, x.Severity)
		}
		tol := 5 * time.Second
		if x.Domain == deconflict.Sea {
			tol = 30 * time.Second // slow relative motion: a shallow minimum
		}
		if d := r.ClosestTime.Sub(x.At); d < -tol || d > tol {
			t.Errorf("%s: closest at %v, scripted %v", k, r.ClosestTime, x.At)
		}
		if math.Abs(r.ClosestM-x.MissM) > 0.02*x.MissM+40 {
			t.Errorf("%s: closest %.1f m, scripted %.1f m", k, r.ClosestM, x.MissM)
		}
		lead := time.Minute
		if x.Domain == deconflict.AirSea {
			lead = 60 * time.Second // the air-sea lookahead is 120 s
		}
		if r.FirstAlert.IsZero() || !r.FirstAlert.Before(x.At.Add(-lead)) {
			t.Errorf("%s: first alert %v, want more than %v before %v", k, r.FirstAlert, lead, x.At)
		}
	}
	for _, k := range []deconflict.Domain{deconflict.Sea, deconflict.Air, deconflict.AirSea, "shadowing"} {
		if !kinds[k] {
			t.Errorf("no planted %s encounter", k)
		}
	}
}

func TestRemoveAndSetPair(t *testing.T) {
	start := geo.LatLon{Lat: 56, Lon: 19}
	rs := merge(
		mover("mmsi:1", "RU", deconflict.Sea, start, 0, 5, 0, 0, 10, 100),
		mover("mmsi:2", "NATO", deconflict.Sea, geo.Destination(start, 0, 3000), 0, 0, 0, 0, 10, 100),
	)
	t.Run("Remove", func(t *testing.T) {
		e := MustEngine(t, detect.Config{})
		run(e, rs)
		evs := e.Remove("mmsi:2", t0.Add(2*time.Minute))
		if got, want := summary(evs), "closed mmsi:1/mmsi:2 critical track-lost;"; got != want {
			t.Fatalf("events %q, want %q", got, want)
		}
		if got := len(e.Open()); got != 0 {
			t.Fatalf("%d open, want 0", got)
		}
	})
	t.Run("SetPair", func(t *testing.T) {
		e := MustEngine(t, detect.Config{})
		run(e, rs[:2])
		e.SetPair(func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, false })
		evs := run(e, rs[2:])
		if got, want := summary(lifecycle(evs)), "closed mmsi:1/mmsi:2 critical not-shared;"; got != want {
			t.Fatalf("events %q, want %q", got, want)
		}
	})
}

func TestZoneWindow(t *testing.T) {
	e := MustEngine(t, detect.Config{})
	z := detect.Zone{ID: "z", Owner: "NATO", Kind: detect.SpecialCautionArea, Center: geo.LatLon{Lat: 56, Lon: 19}, RadiusM: 5000,
		MinAltM: math.NaN(), MaxAltM: math.NaN(), From: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}
	if _, err := e.AddZone(z, t0); err != nil {
		t.Fatal(err)
	}
	// A ship sitting inside: predicted (the zone activates within the
	// lookahead), inside at 1 min, closed when the window ends at 3 min.
	evs := run(e, mover("mmsi:1", "RU", deconflict.Sea, geo.LatLon{Lat: 56, Lon: 19.01}, 0, 0, 0, 0, 10, 300))
	var got []string
	for _, ev := range lifecycle(evs) {
		got = append(got, fmt.Sprintf("%s %s %s %s", ev.Time.Sub(t0), ev.Type, ev.Encounter.Severity, ev.Encounter.Reason))
	}
	want := []string{"0s opened advisory ", "1m0s escalated intrusion ", "3m0s closed intrusion zone-inactive"}
	if !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	// The owner's own ships never trigger it.
	e2 := MustEngine(t, detect.Config{})
	if _, err := e2.AddZone(z, t0); err != nil {
		t.Fatal(err)
	}
	if evs := run(e2, mover("mmsi:2", "NATO", deconflict.Sea, geo.LatLon{Lat: 56, Lon: 19.01}, 0, 0, 0, 0, 10, 300)); len(evs) != 0 {
		t.Fatalf("owner's ship: %s", summary(evs))
	}
}

// TestMembersZone: a zone of Members (a measure every member signed)
// binds them all: its proposer's own ship triggers it (PartyB: the other
// member), as the other member's does; a non-member's ship does not. The
// same zone owned by its proposer alone leaves the proposer's ship out
// (and, without a Pair hook, any other party's ship triggers it).
func TestMembersZone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members []string
		want    []string
	}{
		{"Members", []string{"NATO", "RU"}, []string{"mmsi:1/NATO/RU intrusion", "mmsi:2/RU/NATO intrusion"}},
		{"OwnerOnly", nil, []string{"mmsi:2/RU/NATO intrusion", "mmsi:3/FR/NATO intrusion"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEngine(t, detect.Config{})
			z := detect.Zone{ID: "sca", Owner: "NATO", Members: tc.members, Kind: detect.SpecialCautionArea, Center: geo.LatLon{Lat: 56, Lon: 19}, RadiusM: 5000,
				MinAltM: math.NaN(), MaxAltM: math.NaN()}
			if _, err := e.AddZone(z, t0); err != nil {
				t.Fatal(err)
			}
			evs := run(e, merge(
				mover("mmsi:1", "NATO", deconflict.Sea, geo.LatLon{Lat: 56, Lon: 19.01}, 0, 0, 0, 0, 10, 60),
				mover("mmsi:2", "RU", deconflict.Sea, geo.LatLon{Lat: 56, Lon: 19.02}, 0, 0, 0, 0, 10, 60),
				mover("mmsi:3", "FR", deconflict.Sea, geo.LatLon{Lat: 56, Lon: 18.99}, 0, 0, 0, 0, 10, 60),
			))
			var got []string
			for _, ev := range evs {
				if en := ev.Encounter; ev.Type == detect.Opened && en.Zone == "sca" {
					got = append(got, fmt.Sprintf("%s/%s/%s %s", en.A, en.PartyA, en.PartyB, en.Severity))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("zone openings %q, want %q", got, tc.want)
			}
		})
	}
}
