package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
)

// BalticStart is the Baltic scenario's start time.
var BalticStart = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// BalticDuration is the Baltic scenario's default length.
const BalticDuration = 40 * time.Minute

const ft = deconflict.MetresPerFoot
const nm = deconflict.MetresPerNM

// Baltic returns the Baltic scenario: Russian (party "RU") and NATO
// ("NATO") ships and aircraft on patrol, unattributed airliners and
// merchant ships in transit, a Russian exercise area and a NATO missile
// hazard area, and scripted close encounters of every tier at sea
// (advisory, dangerous, critical) and in the air (advisory, warning,
// critical, near mid-air collision), a low pass of a Russian aircraft
// over a NATO ship (air-sea, critical), a Russian intelligence ship
// shadowing a NATO frigate at 0.7 NM for the whole scenario (shadowing,
// an encounter from minute 30), and a zone intrusion in each domain, the
// approaches developing within the first minutes (see Expected). Ships report
// every 10 s, aircraft every 2 s, with realistic noise drawn from seed;
// the scripted geometry does not depend on the seed.
func Baltic(seed uint64) *Scenario {
	s := &Scenario{Name: "baltic", Start: BalticStart, Duration: BalticDuration, seed: seed}
	rng := rand.New(rand.NewPCG(seed, 0xba171c))
	ship := func(id, party, name string, at geo.LatLon, legs ...Leg) *Mover {
		m := &Mover{ID: id, Party: party, Name: name, Domain: deconflict.Sea, Start: at, AltM: math.NaN(),
			IntervalS: 10, Legs: legs, NoiseM: 8, NoiseDeg: 1}
		s.Movers = append(s.Movers, m)
		return m
	}
	plane := func(id, party, name string, at geo.LatLon, altM float64, legs ...Leg) *Mover {
		m := &Mover{ID: id, Party: party, Name: name, Domain: deconflict.Air, Start: at, AltM: altM,
			IntervalS: 2, Legs: legs, NoiseM: 10, NoiseDeg: 0.3}
		s.Movers = append(s.Movers, m)
		return m
	}
	forever := math.Inf(1)

	// Scripted encounters: A and B are laid out backwards from their
	// meeting so that at tMeet their separation is perpendicular to their
	// relative velocity (the CPA) and equal to miss.
	meet := func(domain deconflict.Domain, sev detect.Severity, where geo.LatLon, tMeetS float64,
		a, b *Mover, ca, va, cb, vb, missM, vertM float64) {
		sa, ca2 := math.Sincos(ca * math.Pi / 180)
		sb, cb2 := math.Sincos(cb * math.Pi / 180)
		re, rn := vb*sb-va*sa, vb*cb2-va*ca2 // relative velocity east, north
		side := math.Atan2(re, rn)*180/math.Pi + 90
		mb := where
		if missM > 0 {
			mb = geo.Destination(where, side, missM)
		}
		a.Start = geo.Destination(where, ca+180, va*tMeetS)
		b.Start = geo.Destination(mb, cb+180, vb*tMeetS)
		a.Legs = []Leg{{DurationS: forever, SpeedMS: va, CourseDeg: ca}}
		b.Legs = []Leg{{DurationS: forever, SpeedMS: vb, CourseDeg: cb}}
		if domain == deconflict.Air {
			b.AltM = a.AltM + vertM
		}
		// Great circles bend the courses: take the course each must leave
		// on to reach its meeting point.
		a.Legs[0].CourseDeg = geo.Bearing(a.Start, where)
		b.Legs[0].CourseDeg = geo.Bearing(b.Start, mb)
		x, y := a.ID, b.ID
		if x > y {
			x, y = y, x
		}
		s.Expected = append(s.Expected, Expected{A: x, B: y, Domain: domain, Severity: sev,
			At: s.Start.Add(time.Duration(tMeetS * float64(time.Second))), MissM: missM, VertM: vertM})
	}

	// Sea (speeds in m/s: 8 m/s is 15.5 kn).
	meet(deconflict.Sea, detect.Advisory, geo.LatLon{Lat: 56.20, Lon: 19.00}, 14*60,
		ship("RU:neustrashimy", "RU", "NEUSTRASHIMY", geo.LatLon{}), ship("NATO:tromp", "NATO", "HNLMS TROMP", geo.LatLon{}),
		200, 8, 290, 7, 1.2*nm, 0)
	meet(deconflict.Sea, detect.Dangerous, geo.LatLon{Lat: 55.60, Lon: 18.40}, 18*60,
		ship("RU:soobrazitelny", "RU", "SOOBRAZITELNY", geo.LatLon{}), ship("NATO:haugesund", "NATO", "HNOMS HAUGESUND", geo.LatLon{}),
		90, 9, 0, 5, 0.3*nm, 0)
	meet(deconflict.Sea, detect.Critical, geo.LatLon{Lat: 55.90, Lon: 17.60}, 12*60,
		ship("RU:raptor-412", "RU", "P-412", geo.LatLon{}), ship("NATO:karlsruhe", "NATO", "FGS KARLSRUHE", geo.LatLon{}),
		45, 12, 270, 9, 100, 0)
	// Air.
	meet(deconflict.Air, detect.Advisory, geo.LatLon{Lat: 56.80, Lon: 20.20}, 7*60,
		plane("RU:su27-24", "RU", "SU-27 RF-92224", geo.LatLon{}, 9000), plane("NATO:p8-168", "NATO", "P-8A 168", geo.LatLon{}, 0),
		300, 230, 180, 200, 3*nm, 150)
	meet(deconflict.Air, detect.Warning, geo.LatLon{Lat: 57.30, Lon: 21.00}, 9*60,
		plane("RU:su30-41", "RU", "SU-30SM RF-33741", geo.LatLon{}, 7000), plane("NATO:typhoon-31", "NATO", "EF2000 31+02", geo.LatLon{}, 0),
		270, 220, 90, 230, 1.2*nm, 150)
	meet(deconflict.Air, detect.Critical, geo.LatLon{Lat: 56.00, Lon: 21.00}, 11*60,
		plane("RU:il20-11", "RU", "IL-20M RF-93610", geo.LatLon{}, 8000), plane("NATO:f35-220", "NATO", "F-35A 220", geo.LatLon{}, 0),
		350, 160, 80, 250, 0.8*nm, 100)
	meet(deconflict.Air, detect.NMAC, geo.LatLon{Lat: 55.50, Lon: 19.50}, 13*60,
		plane("RU:su27-36", "RU", "SU-27 RF-92236", geo.LatLon{}, 9020), plane("NATO:rc135-64", "NATO", "RC-135W 64-14845", geo.LatLon{}, 0),
		60, 230, 60, 200, 60, -20)
	// Air-sea: an Su-24 at 100 ft passing 250 m from a destroyer (the
	// April 2016 passes over USS Donald Cook, closer).
	meet(deconflict.AirSea, detect.Critical, geo.LatLon{Lat: 55.30, Lon: 17.20}, 6*60,
		ship("NATO:donald-cook", "NATO", "USS DONALD COOK", geo.LatLon{}), plane("RU:su24-07", "RU", "SU-24MR RF-95007", geo.LatLon{}, 100*ft),
		100, 6, 280, 200, 250, 0)
	// Shadowing: an intelligence ship keeping 0.7 NM off a frigate's
	// starboard beam.
	absalon := geo.LatLon{Lat: 56.60, Lon: 16.30}
	ship("NATO:absalon", "NATO", "HDMS ABSALON", absalon, Leg{DurationS: forever, SpeedMS: 7, CourseDeg: 45})
	ship("RU:vasily-tatishchev", "RU", "VASILY TATISHCHEV", geo.Destination(absalon, 135, 0.7*nm), Leg{DurationS: forever, SpeedMS: 7, CourseDeg: 45})
	s.Expected = append(s.Expected, Expected{A: "NATO:absalon", B: "RU:vasily-tatishchev", Kind: detect.Shadowing, Domain: deconflict.Sea,
		Severity: detect.Advisory, At: s.Start.Add(detect.ShadowFor), MissM: 0.7 * nm})

	// Zones: a Russian exercise area west of Kaliningrad, surface to
	// 6,000 m, and a NATO missile hazard area off Gotland, active from
	// minute 5 to minute 25.
	s.Zones = []detect.Zone{
		{ID: "RU-EX-2026-17", Name: "Baltic Fleet gunnery exercise", Kind: detect.ExerciseArea, Owner: "RU",
			Polygon: []geo.LatLon{ll(55.0, 18.6), ll(55.0, 19.4), ll(55.4, 19.4), ll(55.4, 18.6)},
			MinAltM: math.NaN(), MaxAltM: 6000},
		{ID: "NATO-MHA-0601", Name: "Live firing, surface to air", Kind: detect.MissileHazardArea, Owner: "NATO",
			Center: geo.LatLon{Lat: 57.0, Lon: 17.0}, RadiusM: 10e3, MinAltM: math.NaN(), MaxAltM: math.NaN(),
			From: s.Start.Add(5 * time.Minute), Until: s.Start.Add(25 * time.Minute)},
	}
	ship("NATO:bainbridge", "NATO", "USS BAINBRIDGE", geo.LatLon{Lat: 55.50, Lon: 19.05}, Leg{DurationS: forever, SpeedMS: 8, CourseDeg: 180})
	plane("RU:tu142-55", "RU", "TU-142MK RF-34055", geo.LatLon{Lat: 57.02, Lon: 17.9}, 8000, Leg{DurationS: forever, SpeedMS: 180, CourseDeg: 270})
	s.Expected = append(s.Expected,
		Expected{A: "NATO:bainbridge", Domain: deconflict.Sea, Severity: detect.Intrusion, At: s.Start.Add(1380 * time.Second)},
		Expected{A: "RU:tu142-55", Domain: deconflict.Air, Severity: detect.Intrusion, At: s.Start.Add(5 * time.Minute)},
	)
	for i := range s.Expected[len(s.Expected)-2:] {
		s.Expected[len(s.Expected)-2+i].B = ""
	}

	// Background: patrols in their own waters, AWACS, airliners and
	// merchant ships (unattributed).
	racetrack := func(course, speed, legS float64) []Leg {
		var legs []Leg
		for i := 0; i < 12; i++ {
			legs = append(legs, Leg{DurationS: legS, SpeedMS: speed, CourseDeg: math.Mod(course+float64(i%2)*180, 360)})
		}
		return append(legs, Leg{DurationS: forever, SpeedMS: speed, CourseDeg: course})
	}
	jit := func(p geo.LatLon, km float64) geo.LatLon {
		return geo.Destination(p, rng.Float64()*360, rng.Float64()*km*1000)
	}
	ship("RU:stoikiy", "RU", "STOIKIY", jit(geo.LatLon{Lat: 59.95, Lon: 27.0}, 5), racetrack(80, 6, 900)...)
	ship("RU:boiky", "RU", "BOIKIY", jit(geo.LatLon{Lat: 59.80, Lon: 25.5}, 5), racetrack(260, 7, 1200)...)
	ship("RU:zelenyy-dol", "RU", "ZELENYY DOL", jit(geo.LatLon{Lat: 54.75, Lon: 19.55}, 3), racetrack(300, 5, 600)...)
	ship("NATO:hamina", "NATO", "FNS HAMINA", jit(geo.LatLon{Lat: 59.75, Lon: 23.0}, 5), racetrack(90, 10, 900)...)
	ship("NATO:esbern-snare", "NATO", "HDMS ESBERN SNARE", jit(geo.LatLon{Lat: 55.20, Lon: 14.5}, 5), racetrack(30, 8, 1200)...)
	ship("NATO:visby", "NATO", "HSWMS VISBY", jit(geo.LatLon{Lat: 57.60, Lon: 18.2}, 5), racetrack(0, 9, 900)...)
	plane("NATO:e3a-443", "NATO", "E-3A LX-N90443", geo.LatLon{Lat: 56.0, Lon: 15.2}, 9100, racetrack(20, 160, 420)...)
	plane("RU:a50-37", "RU", "A-50U RF-50608", geo.LatLon{Lat: 54.9, Lon: 21.2}, 8500, racetrack(330, 150, 400)...)
	plane("RU:il38-21", "RU", "IL-38N RF-75321", geo.LatLon{Lat: 59.6, Lon: 28.0}, 6000, Leg{DurationS: forever, SpeedMS: 170, CourseDeg: 245})
	airways := []struct {
		from, to geo.LatLon
		alt      float64
	}{
		{geo.LatLon{Lat: 59.65, Lon: 17.9}, geo.LatLon{Lat: 60.3, Lon: 24.9}, 11000},
		{geo.LatLon{Lat: 60.3, Lon: 24.9}, geo.LatLon{Lat: 59.65, Lon: 17.9}, 11600},
		{geo.LatLon{Lat: 56.9, Lon: 24.1}, geo.LatLon{Lat: 55.6, Lon: 12.6}, 10400},
		{geo.LatLon{Lat: 55.6, Lon: 12.6}, geo.LatLon{Lat: 56.9, Lon: 24.1}, 11300},
		{geo.LatLon{Lat: 54.4, Lon: 18.5}, geo.LatLon{Lat: 59.65, Lon: 17.9}, 10700},
		{geo.LatLon{Lat: 59.4, Lon: 24.8}, geo.LatLon{Lat: 52.4, Lon: 13.5}, 11900},
	}
	for i := 0; i < 12; i++ {
		w := airways[i%len(airways)]
		d := geo.Distance(w.from, w.to) * rng.Float64()
		p := geo.Destination(w.from, geo.Bearing(w.from, w.to), d)
		addr := 0x4ca000 + i*0x111
		plane(icao(addr), "", "", p, w.alt+float64(rng.IntN(3))*300,
			Leg{DurationS: forever, SpeedMS: 220 + rng.Float64()*30, CourseDeg: geo.Bearing(p, w.to)})
	}
	lane := []geo.LatLon{ll(55.3, 14.2), ll(55.9, 17.8), ll(57.6, 20.0), ll(59.3, 22.5), ll(59.9, 26.5)}
	for i := 0; i < 14; i++ {
		k := rng.IntN(len(lane) - 1)
		a, b := lane[k], lane[k+1]
		if i%2 == 1 {
			a, b = b, a
		}
		p := geo.Destination(a, geo.Bearing(a, b), geo.Distance(a, b)*rng.Float64())
		p = geo.Destination(p, geo.Bearing(a, b)+90, (rng.Float64()-0.5)*6000)
		ship(mmsi(2190000+i*37), "", "", p, Leg{DurationS: forever, SpeedMS: 5 + rng.Float64()*4, CourseDeg: geo.Bearing(p, b)})
	}
	return s.finish()
}

func ll(lat, lon float64) geo.LatLon { return geo.LatLon{Lat: lat, Lon: lon} }
