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

const ft = deconflict.MetresPerFoot

// TestAirSeaTiers: an RU aircraft flying at 120 m/s straight over a NATO
// ship (stopped) with a lateral offset and height: critical
// within 0.25 NM below 500 ft, dangerous within 1 NM below 1,500 ft,
// nothing above or wide of those, and nothing between two tracks of one
// party.
func TestAirSeaTiers(t *testing.T) {
	ship := geo.LatLon{Lat: 55.5, Lon: 16}
	for _, tc := range []struct {
		name             string
		offsetM, heightM float64
		want             string
	}{
		{"LowPass", 100, 100 * ft, "critical"},
		{"Donald Cook", 1000 * 0.9144, 30 * ft, "dangerous"}, // 1,000 yd, 30 ft: wide of 0.25 NM
		{"Dangerous", 0.8 * nm, 1200 * ft, "dangerous"},
		{"High", 0, 2000 * ft, ""},
		{"Wide", 1.2 * nm, 300 * ft, ""},
		{"SameParty", 0, 100 * ft, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			party := "RU"
			if tc.name == "SameParty" {
				party = "NATO"
			}
			// A great circle through the point offsetM north of the ship,
			// from 60 km west of it.
			abeam := geo.Destination(ship, 0, tc.offsetM)
			start := geo.Destination(abeam, 270, 60e3)
			rs := merge(
				mover("mmsi:211000001", "NATO", deconflict.Sea, ship, 0, 0, 0, 0, 10, 900),
				mover("icao:151abc", party, deconflict.Air, start, tc.heightM, 120, geo.Bearing(start, abeam), 0, 2, 900),
			)
			evs := run(MustEngine(t, detect.Config{}), rs)
			got := ""
			for _, ev := range evs {
				if ev.Type == detect.Closed {
					got = ev.Encounter.Severity.String()
					if ev.Encounter.Domain != deconflict.AirSea {
						t.Fatalf("domain %s, want air-sea", ev.Encounter.Domain)
					}
				}
			}
			if got != tc.want {
				t.Fatalf("closed at %q, want %q: %s", got, tc.want, summary(lifecycle(evs)))
			}
			if tc.want == "" {
				return
			}
			// The warning comes before the pass, within the 120 s lookahead
			// of entering the tier's circle (the aircraft passes the ship at
			// about 500 s, and crosses a 1 NM circle in 31 s at most).
			first := evs[0]
			if at := first.Time.Sub(t0).Seconds(); at < 500-120-16 || at > 500-100 {
				t.Errorf("opened %.0f s after the start, want within 120 s before the pass", at)
			}
		})
	}
}

// TestAirSeaMatchesReference: ships and low aircraft (helicopters and
// maritime patrol aircraft from 30 m to 700 m, some descending from
// 1,500 m, some climbing away) in one area: the engine, which finds
// air-sea pairs through the aircraft it registers in the sea grid while
// they can be low, gives the same events as the all-pairs reference,
// which compares every aircraft with every ship.
func TestAirSeaMatchesReference(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rs := airSeaScenario(seed).All()
			got := pairEvents(run(MustEngine(t, detect.Config{AirCellM: 20e3, SeaCellM: 8e3, CompactEvery: 30 * time.Second}), rs))
			want := runRef(newAllPairs(), rs)
			airSea := 0
			for _, ev := range want {
				if ev.Type == detect.Opened && ev.Encounter.Domain == deconflict.AirSea {
					airSea++
				}
			}
			if airSea < 5 {
				t.Fatalf("only %d air-sea encounters: the scenario tests too little", airSea)
			}
			sameEvents(t, got, want, len(rs))
			t.Logf("%d air-sea encounters", airSea)
		})
	}
}

// airSeaScenario is ships and low aircraft in one area (see
// TestAirSeaMatchesReference).
func airSeaScenario(seed uint64) *sim.Scenario {
	rng := rand.New(rand.NewPCG(seed, 77))
	center := geo.LatLon{Lat: 57, Lon: 20}
	sc := &sim.Scenario{Name: "airsea", Start: t0, Duration: 40 * time.Minute}
	parties := []string{"RU", "NATO", "SE"}
	for i := range 40 {
		sc.Movers = append(sc.Movers, &sim.Mover{ID: fmt.Sprintf("mmsi:2%08d", i), Party: parties[i%3], Domain: deconflict.Sea,
			Start: geo.Destination(center, rng.Float64()*360, math.Sqrt(rng.Float64())*15e3), AltM: math.NaN(), IntervalS: 10,
			Legs: []sim.Leg{{DurationS: math.Inf(1), SpeedMS: rng.Float64() * 9, CourseDeg: rng.Float64() * 360}}, NoiseM: 5, NoiseDeg: 1})
	}
	for i := range 30 {
		alt := 30 + rng.Float64()*670
		climb := 0.0
		switch i % 5 {
		case 0:
			alt, climb = 1500, -4-rng.Float64()*6
		case 1:
			climb = 3 + rng.Float64()*5
		}
		speed := 40 + rng.Float64()*100
		sc.Movers = append(sc.Movers, &sim.Mover{ID: fmt.Sprintf("icao:%06x", 0x100000+i), Party: parties[(i+1)%3], Domain: deconflict.Air,
			Start: geo.Destination(center, rng.Float64()*360, 10e3+rng.Float64()*30e3), AltM: alt, OffsetS: rng.Float64() * 600, IntervalS: 2,
			Legs: []sim.Leg{{DurationS: 120 + rng.Float64()*300, SpeedMS: speed, CourseDeg: rng.Float64() * 360, ClimbMS: climb},
				{DurationS: math.Inf(1), SpeedMS: speed, CourseDeg: rng.Float64() * 360}},
			NoiseM: 10, NoiseDeg: 2})
	}
	return sim.Custom(sc, seed)
}
