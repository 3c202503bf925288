// Package sim generates seeded, deterministic traffic scenarios as
// position reports: a Baltic scenario with scripted close encounters of
// every tier (for the demo, tests and docs), a load generator with N
// tracks clustered like real traffic (for benchmarks), and dense random
// traffic (for property tests). The same seed gives the same reports.
package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
)

// Leg is a stretch of constant speed, great-circle course and climb.
type Leg struct {
	DurationS float64 // s
	SpeedMS   float64 // m/s
	CourseDeg float64 // initial course, degrees true
	ClimbMS   float64 // m/s, positive up
}

// Mover is one simulated object: it starts at Start (altitude AltM, NaN at
// sea) at the scenario's start plus OffsetS, flies or sails its legs (the
// last one extends forever) and reports every IntervalS seconds.
type Mover struct {
	// ID, Party and Name of the track; a mover with a party is that
	// party's state asset (its reports have Asset set, as the positions
	// CSV's party column makes them), one without is civilian traffic.
	ID, Party, Name string
	Domain          deconflict.Domain
	Start           geo.LatLon
	AltM            float64
	OffsetS         float64 // s after the scenario start when it appears
	IntervalS       float64 // s between reports
	Legs            []Leg
	// NoiseM (m, position) and NoiseDeg (course) are standard deviations
	// of the report noise; 0 gives exact reports.
	NoiseM, NoiseDeg float64

	starts []geo.LatLon // start of each leg
	begins []float64    // s from the mover's start
	alts   []float64
}

// Scenario is a set of movers over a time span, with the parties and
// zones they belong to.
type Scenario struct {
	Name     string
	Start    time.Time
	Duration time.Duration
	Parties  []string // parties of the movers, sorted ("" not included)
	Zones    []detect.Zone
	Movers   []*Mover
	// Expected lists the scripted encounters (Baltic only): pairs (A < B)
	// and the tier each is built to reach.
	Expected []Expected
	seed     uint64
	next     time.Time // Step's cursor
}

// Expected is a scripted encounter.
type Expected struct {
	A, B     string
	Kind     detect.Kind // zero: an approach (or a zone entry, B empty)
	Domain   deconflict.Domain
	Severity detect.Severity
	At       time.Time // scripted time of closest approach
	MissM    float64   // scripted horizontal miss distance, m
	VertM    float64   // scripted vertical separation, m
}

func (m *Mover) prepare() {
	if m.IntervalS <= 0 {
		m.IntervalS = 10
	}
	if len(m.Legs) == 0 {
		m.Legs = []Leg{{DurationS: math.Inf(1)}}
	}
	m.starts = m.starts[:0]
	m.begins = m.begins[:0]
	m.alts = m.alts[:0]
	p, t, alt := m.Start, 0.0, m.AltM
	for _, l := range m.Legs {
		m.starts = append(m.starts, p)
		m.begins = append(m.begins, t)
		m.alts = append(m.alts, alt)
		if math.IsInf(l.DurationS, 1) {
			break
		}
		p = geo.Destination(p, l.CourseDeg, l.SpeedMS*l.DurationS)
		t += l.DurationS
		alt += l.ClimbMS * l.DurationS
	}
}

// State returns the mover's true position, altitude, speed, course and
// climb at dt seconds after its start.
func (m *Mover) State(dt float64) (p geo.LatLon, altM, speedMS, courseDeg, climbMS float64) {
	i := len(m.starts) - 1
	for i > 0 && dt < m.begins[i] {
		i--
	}
	l := m.Legs[i]
	s := dt - m.begins[i]
	p = geo.Destination(m.starts[i], l.CourseDeg, l.SpeedMS*s)
	courseDeg = l.CourseDeg
	if l.SpeedMS > 0 {
		q := geo.Destination(m.starts[i], l.CourseDeg, l.SpeedMS*s+1)
		courseDeg = geo.Bearing(p, q)
	}
	altM = m.alts[i]
	if altM == altM {
		altM += l.ClimbMS * s
	}
	return p, altM, l.SpeedMS, courseDeg, l.ClimbMS
}

// report returns the k-th report of mover i.
func (s *Scenario) report(i int, m *Mover, k int) deconflict.Report {
	dt := float64(k) * m.IntervalS
	at := s.Start.Add(time.Duration((m.OffsetS + dt) * float64(time.Second)))
	p, alt, spd, crs, climb := m.State(dt)
	if m.NoiseM > 0 || m.NoiseDeg > 0 {
		rng := rand.New(rand.NewPCG(s.seed^uint64(i)*0x9e3779b97f4a7c15, uint64(k)))
		if m.NoiseM > 0 {
			p = geo.Destination(p, rng.Float64()*360, math.Abs(rng.NormFloat64())*m.NoiseM)
		}
		crs = math.Mod(crs+rng.NormFloat64()*m.NoiseDeg+360, 360)
		spd = math.Max(0, spd*(1+rng.NormFloat64()*0.01))
	}
	r := deconflict.Report{
		Time: at.UTC(), ID: m.ID, Domain: m.Domain, Source: "sim", Party: m.Party, Asset: m.Party != "", Name: m.Name,
		Lat: round(p.Lat, 1e7), Lon: round(p.Lon, 1e7), AltM: deconflict.Unknown, ClimbMS: deconflict.Unknown,
		SpeedMS: round(spd, 100), CourseDeg: round(crs, 100),
	}
	if r.CourseDeg >= 360 {
		r.CourseDeg = 0
	}
	if m.Domain == deconflict.Air {
		r.AltM, r.ClimbMS = round(alt, 10), round(climb, 100)
	}
	return r
}

// round keeps reports short in CSV and exactly reproducible.
func round(v, k float64) float64 { return math.Round(v*k) / k }

// Reports returns every report with a time in [from, to), ordered by
// time, then ID.
func (s *Scenario) Reports(from, to time.Time) []deconflict.Report {
	var out []deconflict.Report
	for i, m := range s.Movers {
		t0 := s.Start.Add(time.Duration(m.OffsetS * float64(time.Second)))
		end := s.Start.Add(s.Duration)
		if to.After(end) {
			to = end
		}
		k0 := 0
		if from.After(t0) {
			k0 = int(math.Ceil(from.Sub(t0).Seconds()/m.IntervalS - 1e-9))
		}
		for k := k0; ; k++ {
			at := t0.Add(time.Duration(float64(k) * m.IntervalS * float64(time.Second)))
			if !at.Before(to) {
				break
			}
			if at.Before(from) {
				continue
			}
			out = append(out, s.report(i, m, k))
		}
	}
	slices.SortStableFunc(out, func(a, b deconflict.Report) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Snapshot returns one report of every mover, all at time at (each
// mover's state then, as its report at that time would give it: at least
// its start), ordered by ID: a picture at one instant, such as BlueSky's
// state-based detection takes.
func (s *Scenario) Snapshot(at time.Time) []deconflict.Report {
	out := make([]deconflict.Report, 0, len(s.Movers))
	for i, m := range s.Movers {
		dt := math.Max(0, at.Sub(s.Start).Seconds()-m.OffsetS)
		r := s.report(i, m, 0)
		p, alt, spd, crs, climb := m.State(dt)
		r.Time = at.UTC()
		r.Lat, r.Lon = round(p.Lat, 1e7), round(p.Lon, 1e7)
		r.SpeedMS, r.CourseDeg = round(spd, 100), round(crs, 100)
		if r.CourseDeg >= 360 {
			r.CourseDeg = 0
		}
		if m.Domain == deconflict.Air {
			r.AltM, r.ClimbMS = round(alt, 10), round(climb, 100)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b deconflict.Report) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// All returns every report of the scenario, ordered by time, then ID.
func (s *Scenario) All() []deconflict.Report {
	return s.Reports(s.Start, s.Start.Add(s.Duration))
}

// Step returns the reports from the previous Step's t (the scenario start
// for the first call) up to t excluded, for driving a live node: call it
// with the simulated clock.
func (s *Scenario) Step(t time.Time) []deconflict.Report {
	from := s.next
	if from.IsZero() {
		from = s.Start
	}
	if !t.After(from) {
		return nil
	}
	s.next = t
	return s.Reports(from, t)
}

func (s *Scenario) finish() *Scenario {
	set := map[string]bool{}
	for _, m := range s.Movers {
		m.prepare()
		if m.Party != "" {
			set[m.Party] = true
		}
	}
	for _, z := range s.Zones {
		if z.Owner != "" {
			set[z.Owner] = true
		}
	}
	s.Parties = s.Parties[:0]
	for p := range set {
		s.Parties = append(s.Parties, p)
	}
	slices.Sort(s.Parties)
	return s
}

// Custom completes a hand-built scenario (movers, zones, start and
// duration set by the caller) with seed for its noise, for tests.
func Custom(s *Scenario, seed uint64) *Scenario {
	s.seed = seed
	return s.finish()
}
