package detect_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/sim"
)

// shadowPair is an RU ship keeping 0.8 NM on a NATO ship's beam for the
// first legs' duration (s), then turning away, in a scenario of dur.
func shadowPair(t *testing.T, shadowS float64, civilian bool) []deconflict.Report {
	t.Helper()
	start := geo.LatLon{Lat: 55.8, Lon: 18}
	sc := &sim.Scenario{Name: "shadow", Start: t0, Duration: time.Duration(shadowS+1800) * time.Second}
	sc.Movers = []*sim.Mover{
		{ID: "mmsi:211000001", Party: "NATO", Domain: deconflict.Sea, Start: start, AltM: math.NaN(), IntervalS: 10,
			Legs: []sim.Leg{{DurationS: math.Inf(1), SpeedMS: 7, CourseDeg: 90}}, NoiseM: 10, NoiseDeg: 1},
		{ID: "mmsi:273000001", Party: "RU", Domain: deconflict.Sea, Start: geo.Destination(start, 0, 0.8*nm), AltM: math.NaN(), IntervalS: 10,
			Legs: []sim.Leg{{DurationS: shadowS, SpeedMS: 7, CourseDeg: 90}, {DurationS: math.Inf(1), SpeedMS: 7, CourseDeg: 0}}, NoiseM: 10, NoiseDeg: 1},
	}
	rs := sim.Custom(sc, 1).All()
	if civilian {
		for i := range rs {
			rs[i].Asset = rs[i].ID == "mmsi:211000001"
		}
	}
	return rs
}

// TestShadowing: an RU ship keeping 0.8 NM from a NATO ship for 45
// minutes is one shadowing encounter, opened 30 minutes into the episode
// and closed 10 minutes after it turns away, with the episode's start;
// 20 minutes is none; a civilian ship doing the same is none.
func TestShadowing(t *testing.T) {
	shadowing := func(evs []detect.Event) []detect.Event {
		var out []detect.Event
		for _, ev := range evs {
			if ev.Encounter.Kind == detect.Shadowing {
				out = append(out, ev)
			}
		}
		return out
	}
	evs := shadowing(run(MustEngine(t, detect.Config{}), shadowPair(t, 2700, false)))
	if len(evs) != 2 || evs[0].Type != detect.Opened || evs[1].Type != detect.Closed {
		t.Fatalf("shadowing events %s, want one opened and one closed", summary(evs))
	}
	op, cl := evs[0], evs[1]
	if got, want := op.Time, t0.Add(30*time.Minute); got.Before(want) || got.After(want.Add(20*time.Second)) {
		t.Errorf("opened at %v, want 30 min after the start", got.Sub(t0))
	}
	if !op.Alert || !cl.Alert {
		t.Errorf("alerts: opened %v, closed %v, want both", op.Alert, cl.Alert)
	}
	if got := cl.Encounter.Since; !got.Equal(t0) {
		t.Errorf("since %v, want the start", got.Sub(t0))
	}
	// It turns north at 45 min: beyond 1.25 NM within a minute or two,
	// then 10 min.
	if got := cl.Time.Sub(t0); got < 55*time.Minute || got > 60*time.Minute || cl.Encounter.Reason != detect.Parted {
		t.Errorf("closed at %v (%s), want parted about 57 min after the start", got, cl.Encounter.Reason)
	}
	if p := cl.Encounter.Prediction; math.Abs(p.CPAM-0.8*nm) > 150 {
		t.Errorf("closest %.0f m, want about 0.8 NM", p.CPAM)
	}
	if evs := shadowing(run(MustEngine(t, detect.Config{}), shadowPair(t, 1200, false))); len(evs) != 0 {
		t.Errorf("20 min: events %s, want none", summary(evs))
	}
	if evs := shadowing(run(MustEngine(t, detect.Config{}), shadowPair(t, 2700, true))); len(evs) != 0 {
		t.Errorf("civilian shadower: events %s, want none", summary(evs))
	}
}

// TestShadowingMatchesReference: ships in pairs keeping 0.4 to 1.4 NM
// apart with noise, some parting and rejoining, for 90 minutes: the
// engine's shadowing episodes (and every other pair event) are the
// all-pairs reference's.
func TestShadowingMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	center := geo.LatLon{Lat: 56.5, Lon: 19.5}
	sc := &sim.Scenario{Name: "shadows", Start: t0, Duration: 90 * time.Minute}
	parties := []string{"RU", "NATO", "SE"}
	for i := range 12 {
		at := geo.Destination(center, rng.Float64()*360, rng.Float64()*20e3)
		crs, speed := rng.Float64()*360, 4+rng.Float64()*6
		sc.Movers = append(sc.Movers, &sim.Mover{ID: fmt.Sprintf("mmsi:2%08d", 2*i), Party: parties[i%3], Domain: deconflict.Sea,
			Start: at, AltM: math.NaN(), IntervalS: 10, Legs: []sim.Leg{{DurationS: math.Inf(1), SpeedMS: speed, CourseDeg: crs}}, NoiseM: 15, NoiseDeg: 2})
		var legs []sim.Leg
		for range 4 {
			d := (10 + rng.Float64()*40) * 60
			c := crs
			if rng.IntN(3) == 0 {
				c += 90 * float64(rng.IntN(2)*2-1) * 0.2 // drift off and back
			}
			legs = append(legs, sim.Leg{DurationS: d, SpeedMS: speed, CourseDeg: math.Mod(c+360, 360)})
		}
		legs[len(legs)-1].DurationS = math.Inf(1)
		sc.Movers = append(sc.Movers, &sim.Mover{ID: fmt.Sprintf("mmsi:2%08d", 2*i+1), Party: parties[(i+1)%3], Domain: deconflict.Sea,
			Start: geo.Destination(at, crs+90, (0.4+rng.Float64())*nm), AltM: math.NaN(), IntervalS: 10, Legs: legs, NoiseM: 15, NoiseDeg: 2})
	}
	rs := sim.Custom(sc, 5).All()
	got := pairEvents(run(MustEngine(t, detect.Config{CompactEvery: time.Minute}), rs))
	want := runRef(newAllPairs(), rs)
	shadows := 0
	for _, ev := range want {
		if ev.Type == detect.Opened && ev.Encounter.Kind == detect.Shadowing {
			shadows++
		}
	}
	if shadows < 4 {
		t.Fatalf("only %d shadowing episodes: the scenario tests too little", shadows)
	}
	sameEvents(t, got, want, len(rs))
	t.Logf("%d shadowing episodes", shadows)
}

// TestReplayShadowing: scan's replay reports the episode as one row of
// kind shadowing, from its start to its end, with its least distance.
func TestReplayShadowing(t *testing.T) {
	rows, _, err := detect.Replay(shadowPair(t, 2700, false), detect.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var sh []detect.Row
	for _, r := range rows {
		if r.Kind == detect.Shadowing {
			sh = append(sh, r)
		}
	}
	if len(sh) != 1 {
		t.Fatalf("%d shadowing rows, want 1", len(sh))
	}
	r := sh[0]
	if !r.Start.Equal(t0) || r.End.Sub(t0) < 55*time.Minute || r.End.Sub(t0) > 60*time.Minute || math.Abs(r.ClosestM-0.8*nm) > 150 ||
		r.FirstAlert.Sub(t0) < 30*time.Minute || r.TrackA == nil || r.ClosestTime.Before(r.Start) || r.ClosestTime.After(r.End) {
		t.Fatalf("row %s/%s from %v to %v, closest %.0f m at %v, first alert %v", r.A, r.B, r.Start.Sub(t0), r.End.Sub(t0), r.ClosestM, r.ClosestTime.Sub(t0), r.FirstAlert.Sub(t0))
	}
}
