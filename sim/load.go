package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

func icao(addr int) string { return fmt.Sprintf("icao:%06x", addr&0xffffff) }
func mmsi(n int) string    { return fmt.Sprintf("mmsi:%09d", n) }

type hotspot struct {
	lat, lon, weight, sigmaKm float64
}

// Sea hotspots: ports, straits and shipping areas, weighted roughly by
// AIS traffic, including the antimeridian (Bering Sea approaches) and the
// high Arctic (Svalbard).
var seaSpots = []hotspot{
	{1.2, 103.8, 10, 80}, {51.0, 1.5, 8, 100}, {52.0, 3.5, 6, 120}, {36.0, -5.5, 4, 80},
	{29.5, 32.6, 3, 150}, {40.9, 29.0, 3, 80}, {56.5, 19.0, 4, 250}, {31.2, 122.2, 10, 150},
	{22.2, 114.0, 8, 100}, {35.4, 139.8, 5, 100}, {35.1, 129.1, 4, 100}, {3.0, 100.8, 6, 150},
	{29.3, -94.5, 4, 200}, {40.4, -73.8, 3, 120}, {33.7, -118.3, 3, 120}, {9.0, -79.6, 3, 100},
	{-24.0, -46.3, 2, 150}, {26.5, 56.3, 4, 150}, {18.9, 72.8, 3, 150}, {38.0, 24.5, 3, 200},
	{44.0, 34.0, 2, 300}, {60.4, 5.0, 2, 200}, {52.0, 179.5, 0.5, 400}, {78.5, 15.0, 0.3, 200},
	{-34.5, 18.5, 1, 200}, {-33.9, 151.3, 1, 150}, {13.0, 80.3, 2, 150}, {-6.1, 106.9, 4, 150},
	{14.5, 120.9, 3, 150}, {25.1, 121.7, 3, 120}, {53.5, 8.5, 4, 100}, {57.7, 11.9, 2, 100},
	{45.4, -73.5, 1, 150}, {49.3, -123.1, 1, 120}, {61.2, -149.9, 0.3, 200}, {-12.0, -77.1, 1, 150},
}

// Air hotspots: busy airspace, weighted roughly by ADS-B traffic.
var airSpots = []hotspot{
	{50.5, 6.0, 10, 700}, {39.0, -77.0, 6, 800}, {36.0, -118.0, 4, 600}, {38.0, -95.0, 5, 900},
	{31.0, 116.0, 5, 900}, {35.5, 137.0, 2, 400}, {25.0, 54.0, 2, 500}, {22.0, 78.0, 2, 900},
	{55.0, -30.0, 2, 1200}, {10.0, 105.0, 2, 800}, {-20.0, -45.0, 1, 800}, {-32.0, 148.0, 1, 700},
	{75.0, -100.0, 0.3, 1000}, {40.0, 180.0, 0.5, 1000}, {41.0, 29.0, 1.5, 500}, {55.8, 37.6, 1.5, 600},
}

var loadParties = []string{"RU", "US", "UK", "FR", "DE", "CN", "TR", "NO"}

func pick(rng *rand.Rand, spots []hotspot) hotspot {
	var total float64
	for _, h := range spots {
		total += h.weight
	}
	x := rng.Float64() * total
	for _, h := range spots {
		if x -= h.weight; x < 0 {
			return h
		}
	}
	return spots[len(spots)-1]
}

// LoadStart is the load scenario's start time.
var LoadStart = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// Load returns n tracks at realistic densities for benchmarks: 80% ships
// and 20% aircraft (live AIS and ADS-B counts are of that order). Some
// (35% of ships, 50% of aircraft) are drawn around a weighted hotspot
// (ports and straits at sea, busy airspace in the air) with a Gaussian
// spread, the others along lanes: great circles between two hotspots,
// within 30 km (ships) or 50 km (aircraft) of the line, heading along it.
// At n = 200,000 the densest areas hold about 3,600 ships within 100 km
// of Singapore and 2,900 of the Dover Strait (the real figures are of the
// order of 1,500 to 3,000: this errs on the dense side), and 5,900
// aircraft within 1,000 km of central Europe; smaller n thin every area
// in proportion. A third of the ships are at anchor or moored;
// aircraft cruise at 9-12.5 km or climb and descend below. Half the
// tracks belong to one of eight parties, the rest are unattributed. Ships
// report every 10 s, aircraft every 5 s, on straight legs; the default
// duration is 10 minutes.
func Load(n int, seed uint64) *Scenario {
	s := &Scenario{Name: "load", Start: LoadStart, Duration: 10 * time.Minute, seed: seed}
	rng := rand.New(rand.NewPCG(seed, 0x10ad))
	// place returns a start position and, along a lane, its course (NaN
	// around a hotspot).
	place := func(spots []hotspot, pHot, spread, laneKm float64) (geo.LatLon, float64) {
		h := pick(rng, spots)
		c := geo.LatLon{Lat: h.lat, Lon: h.lon}
		if rng.Float64() < pHot {
			return geo.Destination(c, rng.Float64()*360, math.Abs(rng.NormFloat64())*h.sigmaKm*spread*1000), math.NaN()
		}
		o := pick(rng, spots)
		to := geo.LatLon{Lat: o.lat, Lon: o.lon}
		d := geo.Distance(c, to)
		if d < 1000 {
			return geo.Destination(c, rng.Float64()*360, math.Abs(rng.NormFloat64())*h.sigmaKm*spread*1000), math.NaN()
		}
		// A point along the great circle (Destination's sphere), shifted
		// across it.
		brg := geo.Bearing(c, to)
		p := geo.Destination(c, brg, rng.Float64()*geo.Haversine(c, to))
		crs := geo.Bearing(p, to)
		p = geo.Destination(p, crs+90, rng.NormFloat64()*laneKm*1000/2)
		if rng.IntN(2) == 0 {
			crs = math.Mod(crs+180, 360)
		}
		return p, crs
	}
	for i := 0; i < n; i++ {
		m := &Mover{AltM: math.NaN()}
		if rng.Float64() < 0.5 {
			m.Party = loadParties[rng.IntN(len(loadParties))]
		}
		if rng.Float64() < 0.8 {
			m.Domain = deconflict.Sea
			m.ID = mmsi(200000000 + i)
			var crs float64
			m.Start, crs = place(seaSpots, 0.35, 1.5, 30)
			speed := 3 + rng.Float64()*9
			if crs != crs {
				crs = rng.Float64() * 360
				if rng.Float64() < 0.95 {
					speed = rng.Float64() * 0.3 // at anchor or moored: most of those around hotspots
				}
			}
			m.Legs = []Leg{{DurationS: math.Inf(1), SpeedMS: speed, CourseDeg: crs}}
			m.IntervalS = 10
		} else {
			m.Domain = deconflict.Air
			m.ID = icao(i)
			var crs float64
			m.Start, crs = place(airSpots, 0.5, 1, 50)
			if crs != crs {
				crs = rng.Float64() * 360
			}
			l := Leg{DurationS: math.Inf(1), CourseDeg: crs}
			if rng.Float64() < 0.7 {
				m.AltM = 9000 + float64(rng.IntN(12))*300
				l.SpeedMS = 200 + rng.Float64()*60
			} else {
				m.AltM = 1000 + rng.Float64()*8000
				l.SpeedMS = 100 + rng.Float64()*100
				l.ClimbMS = (rng.Float64()*2 - 1) * 10
				if m.AltM+l.ClimbMS*600 < 300 {
					l.ClimbMS = 0
				}
			}
			m.Legs = []Leg{l}
			m.IntervalS = 5
		}
		m.OffsetS = rng.Float64() * m.IntervalS
		s.Movers = append(s.Movers, m)
	}
	return s.finish()
}

// Dense returns n tracks of both domains moving on random multi-leg paths
// within radiusM (m) of center for duration, among parties A, B, C and
// unattributed: crowded enough that many pairs meet at every tier. Report
// intervals vary from 1 to 10 s (air) and 5 to 30 s (sea), tracks appear
// at random times and some fall silent for longer than their lost time.
// It is the input of the property tests that compare the engine with
// brute force.
func Dense(n int, seed uint64, center geo.LatLon, radiusM float64, duration time.Duration) *Scenario {
	s := &Scenario{Name: "dense", Start: LoadStart, Duration: duration, seed: seed}
	rng := rand.New(rand.NewPCG(seed, 0xde45e))
	parties := []string{"A", "B", "C", ""}
	for i := 0; i < n; i++ {
		m := &Mover{Party: parties[rng.IntN(len(parties))], AltM: math.NaN()}
		m.Start = geo.Destination(center, rng.Float64()*360, math.Sqrt(rng.Float64())*radiusM)
		m.OffsetS = rng.Float64() * duration.Seconds() / 3
		var legs []Leg
		if rng.IntN(2) == 0 {
			m.Domain = deconflict.Sea
			m.ID = mmsi(100 + i)
			m.IntervalS = 5 + float64(rng.IntN(26))
			for k := 0; k < 4; k++ {
				legs = append(legs, Leg{DurationS: 60 + rng.Float64()*600, SpeedMS: rng.Float64() * 12, CourseDeg: rng.Float64() * 360})
			}
		} else {
			m.Domain = deconflict.Air
			m.ID = icao(0x100 + i)
			m.IntervalS = 1 + float64(rng.IntN(10))
			m.AltM = 3000 + rng.Float64()*600
			for k := 0; k < 4; k++ {
				legs = append(legs, Leg{DurationS: 20 + rng.Float64()*200, SpeedMS: 80 + rng.Float64()*170,
					CourseDeg: rng.Float64() * 360, ClimbMS: (rng.Float64() - 0.5) * 4})
			}
		}
		if rng.IntN(8) == 0 {
			// A silent spell: report rarely, beyond the lost time.
			m.IntervalS *= 40
		}
		m.Legs = legs
		s.Movers = append(s.Movers, m)
	}
	return s.finish()
}
