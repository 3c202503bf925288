package detect_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/sim"
)

var places = []struct {
	name string
	at   geo.LatLon
}{
	{"Baltic", geo.LatLon{Lat: 56, Lon: 19}},
	{"Antimeridian", geo.LatLon{Lat: 52, Lon: 180}},
	{"NorthPole", geo.LatLon{Lat: 89.85, Lon: 40}},
	// Where three faces of the index's cube meet.
	{"CubeCorner", geo.LatLon{Lat: 35.26439, Lon: 45}},
}

// jitter adds noise of random size to reports, as real feeds have: from
// none (a steady track keeps its entries in the index) to tens of metres
// and a few degrees (it rewrites them).
func jitter(rs []deconflict.Report, seed uint64) []deconflict.Report {
	rng := rand.New(rand.NewPCG(seed, 0x7177e4))
	out := slices.Clone(rs)
	for i := range out {
		r := &out[i]
		a := []float64{0, 0, 1e-4, 0.01, 0.1, 1}[rng.IntN(6)]
		r.Lat += rng.NormFloat64() * a * 3e-4
		r.Lon += rng.NormFloat64() * a * 3e-4
		r.SpeedMS = math.Max(0, r.SpeedMS+rng.NormFloat64()*a*0.3)
		r.CourseDeg = math.Mod(r.CourseDeg+rng.NormFloat64()*a*3+360, 360)
		if r.AltM == r.AltM {
			r.AltM += rng.NormFloat64() * a * 10
		}
		if r.ClimbMS == r.ClimbMS {
			r.ClimbMS += rng.NormFloat64() * a * 0.5
		}
	}
	return out
}

func denseScenario(place geo.LatLon, seed uint64) *sim.Scenario {
	return sim.Dense(110, seed, place, 25e3, 15*time.Minute)
}

// eventKey identifies an event independently of encounter IDs and of the
// order of events within one update.
func eventKey(ev detect.Event) string {
	en := ev.Encounter
	p := en.Prediction
	return fmt.Sprintf("%s %s %s %s/%s%s %s %s cpa=%.6f tcpa=%.6f d=%.6f", ev.Time.Format(time.RFC3339Nano), ev.Type, en.Kind, en.A, en.B, en.Zone,
		en.Severity, en.Reason, p.CPAM, p.TCPAS, p.DistanceM)
}

func keys(evs []detect.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = eventKey(ev)
	}
	sort.Strings(out)
	return out
}

// TestIndexMatchesBruteForce: the spatial index changes nothing: the same
// reports give the engine the same pair events as the all-pairs reference
// (allPairs) gets by comparing every pair. The zone is there so that zone
// encounters run beside the pairs' (they share the tracks' lists of open
// encounters); the reference does not model zones.
func TestIndexMatchesBruteForce(t *testing.T) {
	for _, pl := range places {
		for seed := uint64(1); seed <= 4; seed++ {
			t.Run(fmt.Sprintf("%s/%d", pl.name, seed), func(t *testing.T) {
				s := denseScenario(pl.at, seed)
				rs := s.All()
				if seed%2 == 0 {
					rs = jitter(rs, seed)
				}
				zone := detect.Zone{ID: "z", Owner: "A", Center: geo.Destination(pl.at, 45, 8e3), RadiusM: 4e3, MinAltM: math.NaN(), MaxAltM: 3300}
				e := MustEngine(t, detect.Config{AirCellM: 25e3, SeaCellM: 10e3, CompactEvery: 20 * time.Second})
				if _, err := e.AddZone(zone, s.Start); err != nil {
					t.Fatal(err)
				}
				got := run(e, rs)
				if c := e.Stats().Compactions; c < 10 {
					t.Fatalf("%d compactions, want the index engine renumbered often", c)
				}
				if !slices.ContainsFunc(got, func(ev detect.Event) bool { return ev.Encounter.Zone != "" }) {
					t.Fatal("no zone event: the zone is not where the traffic is")
				}
				want := runRef(newAllPairs(), rs)
				got = pairEvents(got)
				sameEvents(t, got, want, len(rs))
			})
		}
	}
}

// refTrack is the reference's own view of a recorded track.
type refTrack struct {
	id, party string
	dom       deconflict.Domain
	t         []float64 // s from base
	p         []geo.Vec3
	alt       []float64
}

// refPos returns the interpolated position at time x, if the track is
// interpolable there (at a sample, or between samples closer than
// maxGap).
func (r *refTrack) pos(x, maxGap float64) (geo.Vec3, float64, bool) {
	k := sort.SearchFloat64s(r.t, x)
	if k < len(r.t) && r.t[k] == x {
		return r.p[k], r.alt[k], true
	}
	if k == 0 || k == len(r.t) || r.t[k]-r.t[k-1] > maxGap {
		return geo.Vec3{}, 0, false
	}
	f := (x - r.t[k-1]) / (r.t[k] - r.t[k-1])
	return r.p[k-1].Add(r.p[k].Sub(r.p[k-1]).Scale(f)), r.alt[k-1] + (r.alt[k]-r.alt[k-1])*f, true
}

type refRow struct {
	a, b     string
	sev      detect.Severity
	first    time.Time
	closestT float64
	closestM float64
	vert     float64
}

// reference computes the encounters of DESIGN.md's encounters CSV by brute
// force: every pair of tracks, every elementary interval between
// consecutive report times of either track, the exact quadratic for the
// horizontal distance. It shares only the definitions with detect.Replay.
func reference(rs []deconflict.Report, alerts map[[2]string][][2]int64) []refRow {
	base := rs[0].Time
	byID := map[string]*refTrack{}
	var ids []string
	for _, r := range rs {
		tr := byID[r.ID]
		if tr == nil {
			tr = &refTrack{id: r.ID, dom: r.Domain}
			byID[r.ID] = tr
			ids = append(ids, r.ID)
		}
		if tr.party == "" {
			tr.party = r.Party
		}
		x := r.Time.Sub(base).Seconds()
		alt := r.AltM
		if r.Domain == deconflict.Sea {
			alt = math.NaN()
		}
		if n := len(tr.t); n > 0 && tr.t[n-1] == x {
			tr.p[n-1], tr.alt[n-1] = geo.ECEF(r.Lat, r.Lon), alt
			continue
		}
		tr.t = append(tr.t, x)
		tr.p = append(tr.p, geo.ECEF(r.Lat, r.Lon))
		tr.alt = append(tr.alt, alt)
	}
	sort.Strings(ids)
	th := detect.DefaultThresholds()
	const m = 1 + detect.DefaultCloseMargin
	var out []refRow
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			A, B := byID[ids[i]], byID[ids[j]]
			if A.party == B.party || A.party == "" || B.party == "" {
				continue
			}
			gapOf := func(tr *refTrack) float64 {
				if tr.dom == deconflict.Air {
					return deconflict.DefaultAirLost.Seconds()
				}
				return deconflict.DefaultSeaLost.Seconds()
			}
			gapA, gapB := gapOf(A), gapOf(B)
			cross := A.dom != B.dom
			type vol struct {
				r, h float64
				sev  detect.Severity
			}
			vols := []vol{{th.Sea.AdvisoryM, math.NaN(), detect.Advisory}, {th.Sea.DangerousM, math.NaN(), detect.Dangerous}, {th.Sea.CriticalM, math.NaN(), detect.Critical}}
			switch {
			case cross:
				// The ship at height 0: the heights are the band the
				// aircraft is under.
				v := th.AirSea
				vols = []vol{{v.Dangerous.HorizontalM, v.Dangerous.VerticalM, detect.Dangerous}, {v.Critical.HorizontalM, v.Critical.VerticalM, detect.Critical}}
			case A.dom == deconflict.Air:
				a := th.Air
				vols = []vol{{a.Advisory.HorizontalM, a.Advisory.VerticalM, detect.Advisory}, {a.Warning.HorizontalM, a.Warning.VerticalM, detect.Warning},
					{a.Critical.HorizontalM, a.Critical.VerticalM, detect.Critical}, {a.NMAC.HorizontalM, a.NMAC.VerticalM, detect.NMAC}}
			}
			// seaLevel puts a ship of a cross pair at height 0.
			seaLevel := func(tr *refTrack, z float64) float64 {
				if cross && tr.dom == deconflict.Sea {
					return 0
				}
				return z
			}
			grown := vol{vols[0].r * m, vols[0].h * m, 0}
			// All instants either track reported, in the common span.
			ts := append(slices.Clone(A.t), B.t...)
			slices.Sort(ts)
			ts = slices.Compact(ts)
			// inside returns the interval of [x0, x1] (linear motion
			// between the two instants) within v; ok false when empty.
			inside := func(x0, x1 float64, d0, d1 geo.Vec3, z0, z1 float64, v vol) (float64, float64, bool) {
				span := x1 - x0
				lo, hi := 0.0, span
				var dv geo.Vec3
				zv := 0.0
				if span > 0 {
					dv = d1.Sub(d0).Scale(1 / span)
					zv = (z1 - z0) / span
				}
				qa, qb, qc := dv.Dot(dv), 2*d0.Dot(dv), d0.Dot(d0)-v.r*v.r
				if qa == 0 {
					if qc >= 0 {
						return 0, 0, false
					}
				} else {
					disc := qb*qb - 4*qa*qc
					if disc <= 0 {
						return 0, 0, false
					}
					lo = math.Max(lo, (-qb-math.Sqrt(disc))/(2*qa))
					hi = math.Min(hi, (-qb+math.Sqrt(disc))/(2*qa))
				}
				if v.h == v.h && z0 == z0 {
					if zv == 0 {
						if !(math.Abs(z0) < v.h) {
							return 0, 0, false
						}
					} else {
						a1, a2 := (-v.h-z0)/zv, (v.h-z0)/zv
						lo = math.Max(lo, math.Min(a1, a2))
						hi = math.Min(hi, math.Max(a1, a2))
					}
				}
				if lo > hi || lo == hi && span > 0 {
					return 0, 0, false
				}
				return x0 + lo, x0 + hi, true
			}
			var cur *refRow
			curEnd := math.NaN()
			flush := func() {
				if cur != nil && cur.sev != detect.None {
					out = append(out, *cur)
				}
				cur = nil
			}
			for k := range ts {
				x0 := ts[k]
				// An elementary interval [x0, x1], or the instant x0 when
				// either track cannot be interpolated past it.
				x1 := x0
				if k+1 < len(ts) {
					_, _, okA := A.pos((x0+ts[k+1])/2, gapA)
					_, _, okB := B.pos((x0+ts[k+1])/2, gapB)
					if okA && okB {
						x1 = ts[k+1]
					}
				}
				pa0, za0, okA := A.pos(x0, gapA)
				pb0, zb0, okB := B.pos(x0, gapB)
				if !okA || !okB {
					continue
				}
				if x1 == x0 && k+1 < len(ts) {
					// The instant alone: skip it when both are mid-segment
					// and it was already covered by the previous interval.
					if _, _, ok := A.pos((x0+ts[k+1])/2, gapA); ok {
						if _, _, ok := B.pos((x0+ts[k+1])/2, gapB); ok {
							continue
						}
					}
				}
				if x1 == x0 && k > 0 {
					_, _, okA := A.pos((ts[k-1]+x0)/2, gapA)
					_, _, okB := B.pos((ts[k-1]+x0)/2, gapB)
					if okA && okB {
						continue // the end of the previous interval
					}
				}
				pa1, za1, _ := A.pos(x1, gapA)
				pb1, zb1, _ := B.pos(x1, gapB)
				za0, za1, zb0, zb1 = seaLevel(A, za0), seaLevel(A, za1), seaLevel(B, zb0), seaLevel(B, zb1)
				d0, d1 := pb0.Sub(pa0), pb1.Sub(pa1)
				z0, z1 := zb0-za0, zb1-za1
				glo, ghi, ok := inside(x0, x1, d0, d1, z0, z1, grown)
				if !ok {
					continue
				}
				if cur != nil && glo != curEnd {
					flush()
				}
				if cur == nil {
					cur = &refRow{a: A.id, b: B.id, closestM: math.Inf(1)}
				}
				curEnd = math.NaN()
				if ghi == x1 {
					curEnd = x1
				}
				lo, hi, ok := inside(x0, x1, d0, d1, z0, z1, vols[0])
				if !ok {
					continue
				}
				// Least distance on [lo, hi]: golden-section would do, but
				// the quadratic's vertex is exact.
				span := x1 - x0
				s := lo
				if span > 0 {
					dv := d1.Sub(d0).Scale(1 / span)
					if a2 := dv.Dot(dv); a2 > 0 {
						s = math.Max(lo, math.Min(hi, x0-d0.Dot(dv)/a2))
					}
				}
				f := 0.0
				if span > 0 {
					f = (s - x0) / span
				}
				d := d0.Add(d1.Sub(d0).Scale(f)).Norm()
				if d < cur.closestM {
					cur.closestM, cur.closestT, cur.vert = d, s, z0+(z1-z0)*f
				}
				for _, v := range vols {
					if v.sev > cur.sev {
						if _, _, ok := inside(x0, x1, d0, d1, z0, z1, v); ok {
							cur.sev = v.sev
						}
					}
				}
			}
			flush()
		}
	}
	// First alerts: a live alert of the pair open at some time during the
	// encounter. The interval is recomputed from the rows' own span.
	_ = alerts
	return out
}

// TestReplayMatchesReference: Replay (grid of candidate pairs, pieces)
// finds exactly the encounters of the brute-force reference, with the
// same tiers and closest points; first alerts match those of the
// all-pairs reference engine (allPairs).
func TestReplayMatchesReference(t *testing.T) {
	type scenario struct {
		name string
		rs   func() []deconflict.Report
	}
	var scs []scenario
	for _, pl := range places {
		scs = append(scs, scenario{pl.name, func() []deconflict.Report { return denseScenario(pl.at, 7).All() }})
	}
	scs = append(scs, scenario{"AirSea", func() []deconflict.Report { return airSeaScenario(4).All() }})
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			rs := sc.rs()
			rows, _, err := detect.Replay(rs, detect.Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Shadowing rows are the live engine's episodes, which
			// TestShadowingMatchesReference checks; the reference here
			// is of approaches.
			rows = slices.DeleteFunc(rows, func(r detect.Row) bool { return r.Kind == detect.Shadowing })
			want := reference(rs, nil)
			slices.SortFunc(want, func(x, y refRow) int {
				return cmp.Or(cmp.Compare(x.closestT, y.closestT), cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b))
			})
			// First alerts from the all-pairs reference.
			type span struct{ open, close time.Time }
			live := map[[2]string][]span{}
			for _, ev := range runRef(newAllPairs(), rs) {
				k := [2]string{ev.Encounter.A, ev.Encounter.B}
				switch ev.Type {
				case detect.Opened:
					live[k] = append(live[k], span{ev.Time, time.Time{}})
				case detect.Closed:
					live[k][len(live[k])-1].close = ev.Time
				}
			}
			if len(rows) != len(want) {
				t.Errorf("%d rows, reference %d", len(rows), len(want))
			}
			base := rs[0].Time
			severities := map[detect.Severity]int{}
			for i := range min(len(rows), len(want)) {
				g, w := rows[i], want[i]
				severities[g.Severity]++
				gt := g.ClosestTime.Sub(base).Seconds()
				if g.A != w.a || g.B != w.b || g.Severity != w.sev || math.Abs(gt-w.closestT) > 1e-3 ||
					math.Abs(g.ClosestM-w.closestM) > 1e-3 || !(math.Abs(g.ClosestVertM-w.vert) < 1e-3 || g.ClosestVertM != g.ClosestVertM && w.vert != w.vert) {
					t.Fatalf("row %d: got %s/%s %s at %.3f s, %.3f m, %.3f m; reference %s/%s %s at %.3f s, %.3f m, %.3f m",
						i, g.A, g.B, g.Severity, gt, g.ClosestM, g.ClosestVertM, w.a, w.b, w.sev, w.closestT, w.closestM, w.vert)
				}
				var first time.Time
				for _, sp := range live[[2]string{g.A, g.B}] {
					if !sp.open.After(g.End) && (sp.close.IsZero() || !sp.close.Before(g.Start)) {
						first = sp.open
						break
					}
				}
				if !g.FirstAlert.Equal(first) {
					t.Errorf("row %d %s/%s: first alert %v, all-pairs reference %v", i, g.A, g.B, g.FirstAlert, first)
				}
			}
			if len(rows) < 10 {
				t.Fatalf("only %d encounters: too sparse", len(rows))
			}
			t.Logf("%d reports, %d encounters by tier %v", len(rs), len(rows), severities)
		})
	}
}

// TestBlueSkySnapshot reproduces BlueSky's state-based conflict detection
// (bluesky/traffic/asas/statebased.py) on a snapshot of N aircraft with
// position, ground speed, track, altitude and vertical speed: the pairs in
// conflict within 300 s for 5 NM / 1,000 ft. The reference is BlueSky's
// formula written out in flat local coordinates from Vincenty distances
// and spherical bearings (its qdrdist), evaluated on every pair; the
// engine fed the same snapshot must open an encounter for exactly those
// pairs. Pairs within 0.2% of a threshold, where the two geometries may
// honestly disagree, are counted but not compared.
func TestBlueSkySnapshot(t *testing.T) {
	const n = 400
	rng := rand.New(rand.NewPCG(42, 5))
	center := geo.LatLon{Lat: 52, Lon: 4}
	type ac struct {
		id               string
		pos              geo.LatLon
		gs, trk, alt, vs float64
	}
	fleet := make([]ac, n)
	for i := range fleet {
		fleet[i] = ac{id: fmt.Sprintf("icao:%06x", i), pos: geo.Destination(center, rng.Float64()*360, math.Sqrt(rng.Float64())*100e3),
			gs: 100 + rng.Float64()*150, trk: rng.Float64() * 360, alt: 9000 + float64(rng.IntN(8))*150, vs: 0}
		if rng.IntN(4) == 0 {
			fleet[i].vs = (rng.Float64() - 0.5) * 20
		}
	}
	const rpz, hpz, look = 5 * nm, 1000 * deconflict.MetresPerFoot, 300.0
	// conflict is BlueSky's StateBased.detect for one pair (i own, j
	// intruder), with rpz, hpz and the lookahead scaled by k.
	conflict := func(i, j int, k float64) bool {
		a, b := fleet[i], fleet[j]
		dist, _ := geo.Vincenty(a.pos, b.pos)
		qdr := geo.Bearing(a.pos, b.pos) * math.Pi / 180
		dx, dy := dist*math.Sin(qdr), dist*math.Cos(qdr)
		// Velocities in the local frame at a; b's track is turned by the
		// convergence of the meridians between a and b (BlueSky takes
		// both tracks as they are, which only matters far from the
		// equator or at long range; we do the same as the engine here).
		conv := geo.Bearing(b.pos, a.pos) - math.Mod(geo.Bearing(a.pos, b.pos)+180, 360)
		tb := (b.trk - conv) * math.Pi / 180
		ta := a.trk * math.Pi / 180
		du := b.gs*math.Sin(tb) - a.gs*math.Sin(ta)
		dv := b.gs*math.Cos(tb) - a.gs*math.Cos(ta)
		dv2 := du*du + dv*dv
		if math.Abs(dv2) < 1e-6 {
			dv2 = 1e-6
		}
		vrel := math.Sqrt(dv2)
		tcpa := -(du*dx + dv*dy) / dv2
		dcpa2 := math.Abs(dist*dist - tcpa*tcpa*dv2)
		R2 := (rpz * k) * (rpz * k)
		if !(dcpa2 < R2) {
			return false
		}
		dtin := math.Sqrt(math.Max(0, R2-dcpa2)) / vrel
		tinhor, touthor := tcpa-dtin, tcpa+dtin
		dalt := b.alt - a.alt
		dvs := b.vs - a.vs
		if math.Abs(dvs) < 1e-6 {
			dvs = 1e-6
		}
		hi := (dalt + hpz*k) / -dvs
		lo := (dalt - hpz*k) / -dvs
		tin := math.Max(math.Min(hi, lo), tinhor)
		tout := math.Min(math.Max(hi, lo), touthor)
		return tin <= tout && tout > 0 && tin < look*k
	}
	want := map[[2]string]bool{}
	borderline := map[[2]string]bool{}
	for i := range fleet {
		for j := i + 1; j < n; j++ {
			k := [2]string{fleet[i].id, fleet[j].id}
			in, out := conflict(i, j, 0.998), conflict(i, j, 1.002)
			if in != out {
				borderline[k] = true
			} else if in {
				want[k] = true
			}
		}
	}
	e := MustEngine(t, detect.Config{Civilian: true, Pair: func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }})
	got := map[[2]string]bool{}
	for _, a := range fleet {
		r := deconflict.Report{Time: t0, ID: a.id, Domain: deconflict.Air, Lat: a.pos.Lat, Lon: a.pos.Lon, AltM: a.alt,
			SpeedMS: a.gs, CourseDeg: a.trk, ClimbMS: a.vs}
		for _, ev := range e.Update(r) {
			got[[2]string{ev.Encounter.A, ev.Encounter.B}] = true
		}
	}
	for k := range borderline {
		delete(got, k)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("pair %v: BlueSky conflict, engine none", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("pair %v: engine conflict, BlueSky none", k)
		}
	}
	if len(want) < 20 {
		t.Fatalf("only %d conflicts: snapshot too sparse", len(want))
	}
	t.Logf("%d aircraft, %d conflicts, %d borderline pairs not compared", n, len(want), len(borderline))
}

// TestLongStraightTracks: tracks that keep course and speed for longer than
// their horizon, converging from far away, are found by the index as by
// brute force: a steady track keeps its entries and, for a while, its
// registration without checking it, and must still be registered again
// before its path leaves the registered capsule.
func TestLongStraightTracks(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	center := geo.LatLon{Lat: 43, Lon: 7}
	var sets [][]deconflict.Report
	for i := range 60 {
		party := []string{"A", "B", "C"}[i%3]
		if i%2 == 0 {
			// Aircraft meeting near the centre after 5 to 35 minutes.
			speed := 150 + rng.Float64()*100
			meet := (5 + rng.Float64()*30) * 60
			brg := rng.Float64() * 360
			start := geo.Destination(center, brg, speed*meet)
			crs := math.Mod(brg+180+rng.NormFloat64()*0.3, 360)
			sets = append(sets, mover(fmt.Sprintf("air%d", i), party, deconflict.Air, start, 9000+rng.Float64()*400, speed, crs, 0, 4, 80*60))
		} else {
			// Ships meeting near the centre after 15 to 75 minutes, slow
			// enough to stay steady for longer than a quarter of their
			// horizon.
			speed := 3 + rng.Float64()*5
			meet := (15 + rng.Float64()*60) * 60
			brg := rng.Float64() * 360
			start := geo.Destination(center, brg, speed*meet)
			crs := math.Mod(brg+180+rng.NormFloat64()*2, 360)
			sets = append(sets, mover(fmt.Sprintf("sea%d", i), party, deconflict.Sea, start, 0, speed, crs, 0, 20, 80*60))
		}
	}
	rs := merge(sets...)
	// Small cells, so that a registration that no longer covers a
	// track's path loses candidates.
	got := run(MustEngine(t, detect.Config{SeaCellM: 1000, AirCellM: 3000}), rs)
	want := runRef(newAllPairs(), rs)
	sameEvents(t, got, want, len(rs))
}

// sameEvents fails unless the index's events (got) are the all-pairs
// reference's (want), and at least 20 encounters opened: fewer test too little.
func sameEvents(t *testing.T, got, want []detect.Event, reports int) {
	t.Helper()
	g, w := keys(got), keys(want)
	if !slices.Equal(g, w) {
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("%d events with the index, %d by the reference; first difference:\n got %s\nwant %s", len(g), len(w), g[i], w[i])
			}
		}
		t.Fatalf("%d events with the index, %d by the reference", len(g), len(w))
	}
	opened := 0
	for _, ev := range got {
		if ev.Type == detect.Opened {
			opened++
		}
	}
	if opened < 20 {
		t.Fatalf("only %d encounters: the scenario is too sparse to test anything", opened)
	}
	t.Logf("%d reports, %d events, %d encounters", reports, len(got), opened)
}

// TestManyPartiesMatchesReference: with a party per aircraft (10,000
// labels would give 50 million pairs, far more than the pair cache's
// slots) and a Pair hook that watches some pairs with thresholds of their
// own, the engine's events are the all-pairs reference's: an answer the
// cache lost is asked again, never guessed.
func TestManyPartiesMatchesReference(t *testing.T) {
	s := denseScenario(geo.LatLon{Lat: 56, Lon: 19}, 3)
	rs := slices.Clone(s.All())
	seen := map[string]int{}
	for i := range rs {
		k, ok := seen[rs[i].ID]
		if !ok {
			k = len(seen)
			seen[rs[i].ID] = k
		}
		rs[i].Party = fmt.Sprintf("P%03d", k)
	}
	calls := 0
	wide := detect.DefaultThresholds().Scale(1.5)
	pair := func(a, b string) (detect.Thresholds, bool) {
		calls++
		switch (a[len(a)-1] + b[len(b)-1]) % 3 {
		case 0:
			return detect.Thresholds{}, false
		case 1:
			return wide, true
		}
		return detect.Thresholds{}, true
	}
	e := MustEngine(t, detect.Config{Pair: pair, Envelope: wide})
	got := run(e, rs)
	engineCalls := calls
	ref := newAllPairs()
	ref.pair = pair
	want := runRef(ref, rs)
	sameEvents(t, got, want, len(rs))
	t.Logf("%d parties, %d calls of the hook by the engine", len(seen), engineCalls)
}

// TestAloneLabels: the tracks of a label watched with no label known skip
// the candidate loop (Engine.isAlone) and give the all-pairs reference's
// events all the same, when a new label makes an alone one watched (party
// C, alone until some of its tracks become party D, watched with C) and
// when SetPair changes the hook mid-run (the unattributed civilians, alone
// until then, become watched with A, and C with A): the entries of alone
// tracks are kept current, and which labels are alone is worked out again.
func TestAloneLabels(t *testing.T) {
	s := denseScenario(geo.LatLon{Lat: 56, Lon: 19}, 2)
	rs := slices.Clone(s.All())
	third, twoThirds := s.Start.Add(s.Duration/3), s.Start.Add(2*s.Duration/3)
	for i := range rs {
		if r := &rs[i]; r.Party == "C" && !r.Time.Before(third) && r.ID[len(r.ID)-1]%2 == 0 {
			r.Party = "D"
		}
	}
	late := false
	pair := func(a, b string) (detect.Thresholds, bool) {
		switch [2]string{a, b} {
		case [2]string{"A", "B"}, [2]string{"C", "D"}:
			return detect.Thresholds{}, true
		case [2]string{"", "A"}, [2]string{"A", "C"}:
			return detect.Thresholds{}, late
		}
		return detect.Thresholds{}, false
	}
	e := MustEngine(t, detect.Config{Pair: pair})
	ref := newAllPairs()
	ref.pair = pair
	var got, want []detect.Event
	var next time.Time
	aloneC, aloneCivil, switched := false, false, false
	for _, r := range rs {
		if !late && !r.Time.Before(twoThirds) {
			late = true
			e.SetPair(pair)
			switched = true
		}
		if next.IsZero() {
			next = r.Time.Truncate(time.Second).Add(time.Second)
		}
		for !r.Time.Before(next) {
			got = append(got, e.Tick(next)...)
			want = append(want, ref.Tick(next)...)
			next = next.Add(time.Second)
		}
		got = append(got, e.Update(r)...)
		want = append(want, ref.Update(r)...)
		if r.Time.Before(third) {
			aloneC = aloneC || e.Alone("C", true, 0)
		} else if e.Alone("C", true, 0) {
			t.Fatalf("%s: party C alone after D appeared", r.Time.Format(time.TimeOnly))
		}
		if !late {
			aloneCivil = aloneCivil || e.Alone("", false, 0)
		} else if e.Alone("", false, 0) || e.Alone("", false, 1) {
			t.Fatalf("%s: the unattributed civilians alone after SetPair watched them", r.Time.Format(time.TimeOnly))
		}
	}
	if !aloneC || !aloneCivil || !switched {
		t.Fatalf("party C alone early: %v; civilians alone before SetPair: %v; switched: %v", aloneC, aloneCivil, switched)
	}
	sameEvents(t, got, pairEvents(want), len(rs))
	if !slices.ContainsFunc(got, func(ev detect.Event) bool {
		return ev.Type == detect.Opened && (ev.Encounter.PartyA == "" || ev.Encounter.PartyB == "")
	}) {
		t.Fatal("no encounter with an unattributed track after SetPair: the test tests nothing")
	}
}
