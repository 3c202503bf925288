package detect_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/sim"
)

// alerts returns the events that alert, as "type severity".
func alerts(evs []detect.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Alert {
			fmt.Fprintf(&b, "%s %s/%s%s %s;", ev.Type, ev.Encounter.A, ev.Encounter.B, ev.Encounter.Zone, ev.Encounter.Severity)
		}
	}
	return b.String()
}

// TestCivilianPairs: affiliation is not an asset. Two merchant ships of
// different flags on a collision course make no encounter; the same
// course with one of them a state asset makes a critical one.
func TestCivilianPairs(t *testing.T) {
	start := geo.LatLon{Lat: 56, Lon: 19}
	collide := func(assetA, assetB bool) []deconflict.Report {
		rs := merge(
			mover("mmsi:273000001", "RU", deconflict.Sea, start, 0, 5, 0, 0, 10, 600),
			mover("mmsi:219000001", "NATO", deconflict.Sea, geo.Destination(start, 0, 5000), 0, 5, 180, 0, 10, 600),
		)
		for i := range rs {
			rs[i].Asset = rs[i].ID == "mmsi:273000001" && assetA || rs[i].ID == "mmsi:219000001" && assetB
		}
		return rs
	}
	for _, tc := range []struct {
		name           string
		assetA, assetB bool
		cfg            detect.Config
		want           string
	}{
		{"Civilian", false, false, detect.Config{}, ""},
		{"OneAsset", true, false, detect.Config{}, "opened mmsi:219000001/mmsi:273000001 critical ;"},
		{"BothAssets", true, true, detect.Config{}, "opened mmsi:219000001/mmsi:273000001 critical ;"},
		{"CivilianWidened", false, false, detect.Config{Civilian: true}, "opened mmsi:219000001/mmsi:273000001 critical ;"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := run(MustEngine(t, tc.cfg), collide(tc.assetA, tc.assetB))
			got := ""
			for _, ev := range evs {
				if ev.Type == detect.Opened {
					got += summary([]detect.Event{ev})
				}
			}
			if got != tc.want {
				t.Fatalf("openings %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWidenedCivilianPairs: Config.Widen (a channel's relevance measure)
// makes two merchant ships of different parties an encounter while one
// of them is inside the widened area, and nowhere else; the recording's
// replay (scan) gives the same encounter, or none.
func TestWidenedCivilianPairs(t *testing.T) {
	start := geo.LatLon{Lat: 56, Lon: 19}
	rs := merge(
		mover("mmsi:273000001", "RU", deconflict.Sea, start, 0, 5, 0, 0, 10, 600),
		mover("mmsi:219000001", "NATO", deconflict.Sea, geo.Destination(start, 0, 5000), 0, 5, 180, 0, 10, 600),
	)
	for i := range rs {
		rs[i].Asset = false // merchant ships: civilian tracks of their flags' parties
	}
	circle := func(c geo.LatLon, r float64) geo.Area {
		a, err := geo.NewCircle(c, r)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	here := circle(geo.Destination(start, 0, 2500), 10000)
	elsewhere := circle(geo.LatLon{Lat: 58, Lon: 19}, 10000)
	for _, tc := range []struct {
		name  string
		widen func(a, b string) []geo.Area
		want  string
	}{
		{"NoMeasure", nil, ""},
		{"AreaHoldsThem", func(a, b string) []geo.Area { return []geo.Area{here} }, "opened mmsi:219000001/mmsi:273000001 critical ;"},
		{"AreaElsewhere", func(a, b string) []geo.Area { return []geo.Area{elsewhere} }, ""},
		{"OtherParties", func(a, b string) []geo.Area {
			if a == "FR" || b == "FR" {
				return []geo.Area{here}
			}
			return nil
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs := run(MustEngine(t, detect.Config{Widen: tc.widen}), rs)
			got := ""
			for _, ev := range evs {
				if ev.Type == detect.Opened {
					got += summary([]detect.Event{ev})
				}
			}
			if got != tc.want {
				t.Fatalf("openings %q, want %q", got, tc.want)
			}
			rows, _, err := detect.Replay(rs, detect.Config{Widen: tc.widen}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (len(rows) == 1) != (tc.want != "") || len(rows) > 1 {
				t.Fatalf("replay: %d rows %+v, want %v", len(rows), rows, tc.want != "")
			}
			if len(rows) == 1 && (rows[0].Severity != detect.Critical || rows[0].FirstAlert.IsZero()) {
				t.Fatalf("replay row %+v, want critical and alerted", rows[0])
			}
		})
	}
}

// TestMooredWarships: two state ships of different parties moored 26 m
// apart (the Kiel pair of issue 12, as warships) raise nothing, whether
// they report status moored or a speed under 0.5 kn; when one of them
// gets under way, the encounter opens.
func TestMooredWarships(t *testing.T) {
	kiel := geo.LatLon{Lat: 54.3233, Lon: 10.1394}
	for _, tc := range []struct {
		name   string
		moored bool
		speed  float64 // m/s
	}{
		{"StatusMoored", true, 0.3},
		{"Slow", false, 0.2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := merge(
				mover("mmsi:273000001", "RU", deconflict.Sea, kiel, 0, tc.speed, 90, 0, 10, 1800),
				mover("mmsi:211000001", "NATO", deconflict.Sea, geo.Destination(kiel, 0, 26), 0, tc.speed, 90, 0, 10, 1800),
			)
			for i := range rs {
				rs[i].Moored = tc.moored
			}
			if evs := run(MustEngine(t, detect.Config{}), rs); len(evs) != 0 {
				t.Fatalf("events %s, want none for a moored pair", summary(evs))
			}
			// The NATO ship casts off after 30 min and passes 26 m off.
			berth := geo.Destination(geo.Destination(kiel, 0, 26), 90, tc.speed*1800)
			off := mover("mmsi:211000001", "NATO", deconflict.Sea, berth, 0, 3, 270, 0, 10, 300)
			for i := range off {
				off[i].Time = off[i].Time.Add(1810 * time.Second)
			}
			more := merge(rs, off)
			evs := run(MustEngine(t, detect.Config{}), more)
			if got := alerts(evs); !strings.HasPrefix(got, "opened mmsi:211000001/mmsi:273000001 critical;") {
				t.Fatalf("alerts %q, want a critical opening once one ship moves", got)
			}
		})
	}
}

// TestRealert: a pair whose encounter closed alerts again within the
// re-arm time only at a higher tier. A NATO ship passes an RU ship at 300
// m (dangerous), turns back and passes at 300 m again (the same tier:
// quiet), turns again and heads straight at it (critical: alerts).
func TestRealert(t *testing.T) {
	a := geo.LatLon{Lat: 56, Lon: 19}
	bStart := geo.Destination(geo.Destination(a, 180, 5000), 90, 300)
	// Leg ends: north 30 min (9.4 km north of a), south 40 min (9.8 km
	// south), then towards a.
	turn2 := geo.Destination(bStart, 0, 8*1800-8*2400)
	toA := geo.Bearing(turn2, a)
	sc := &sim.Scenario{Name: "realert", Start: t0, Duration: 100 * time.Minute}
	sc.Movers = []*sim.Mover{
		{ID: "mmsi:273000001", Party: "RU", Domain: deconflict.Sea, Start: a, AltM: math.NaN(), IntervalS: 10,
			Legs: []sim.Leg{{DurationS: math.Inf(1), SpeedMS: 0.6, CourseDeg: 0}}},
		{ID: "mmsi:211000001", Party: "NATO", Domain: deconflict.Sea, Start: bStart, AltM: math.NaN(), IntervalS: 10,
			Legs: []sim.Leg{{DurationS: 1800, SpeedMS: 8, CourseDeg: 0}, {DurationS: 2400, SpeedMS: 8, CourseDeg: 180},
				{DurationS: math.Inf(1), SpeedMS: 8, CourseDeg: toA}}},
	}
	rs := sim.Custom(sc, 1).All()
	evs := run(MustEngine(t, detect.Config{}), rs)
	openings := strings.Count(summary(evs), "opened")
	if openings != 3 {
		t.Fatalf("%d openings, want 3: %s", openings, summary(lifecycle(evs)))
	}
	const pair = "mmsi:211000001/mmsi:273000001"
	if got, want := alerts(evs), "opened "+pair+" dangerous;closed "+pair+" dangerous;opened "+pair+" critical;"; !strings.HasPrefix(got, want) {
		t.Fatalf("alerts %q, want %q first", got, want)
	}
	// Without re-arming every opening alerts.
	evs = run(MustEngine(t, detect.Config{SeaRearm: -1}), rs)
	if got := strings.Count(alerts(evs), "opened"); got != 3 {
		t.Fatalf("without re-arming %d alerted openings, want 3: %s", got, alerts(evs))
	}
}
