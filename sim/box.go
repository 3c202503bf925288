package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

// BoxCenter is the centre of BlueSky's traffic box.
var BoxCenter = geo.LatLon{Lat: 55, Lon: 20}

// TrafficBox is BlueSky's traffic box, the workload TU Delft's
// state-based conflict detection is known for (issue 18): n civilian
// aircraft uniform over a square of side sideM (BlueSky: 1,000 km) around
// 55N 20E (east then north of the centre, in metres along great
// circles), altitudes uniform 1,000-12,000 m, ground speeds 100-250 m/s,
// random tracks, level flight, all starting at LoadStart and reporting
// every 5 s for duration. Its Snapshot at the start is the picture the
// benchmarks give the engine, the naive grid and BlueSky's own
// detection.
func TrafficBox(n int, seed uint64, sideM float64, duration time.Duration) *Scenario {
	s := &Scenario{Name: "box", Start: LoadStart, Duration: duration, seed: seed}
	rng := rand.New(rand.NewPCG(seed, 18))
	for i := 0; i < n; i++ {
		x, y := (rng.Float64()-0.5)*sideM, (rng.Float64()-0.5)*sideM
		m := &Mover{ID: icao(i), Domain: deconflict.Air, IntervalS: 5}
		m.Start = geo.Destination(geo.Destination(BoxCenter, 90, x), 0, y)
		m.AltM = 1000 + rng.Float64()*11000
		m.Legs = []Leg{{DurationS: math.Inf(1), SpeedMS: 100 + rng.Float64()*150, CourseDeg: rng.Float64() * 360}}
		s.Movers = append(s.Movers, m)
	}
	return s.finish()
}
