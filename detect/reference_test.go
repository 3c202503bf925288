package detect_test

import (
	"math"
	"slices"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
)

// allPairs is the all-pairs reference the engine's index is checked
// against: on every report it compares the track with every other live
// track of its domain, and decides each pair's tier by its own plain
// evaluation. It has no spatial index, no packed entries, no quick
// rejection, no party labels or pair cache, no renumbering.
//
// What it shares with the engine, and why: the geometry (geo.NewMotion,
// Motion.At, geo.ClosestApproach, geo.StateBased), which geo's tests
// check against independent references (Vincenty distances, BlueSky's
// formula), so that the two predictions agree to the bit and events can
// be compared exactly; and the lifecycle rules (detect.Lifecycle), which
// lifecycle_test.go checks on plain predictions. Zones are not modelled:
// the property tests compare pair events only (zone_test and
// TestZones check zones).
type allPairs struct {
	th     detect.Thresholds
	margin float64
	hold   [2]time.Duration
	lost   [2]time.Duration
	pair   func(a, b string) (detect.Thresholds, bool) // nil: different non-empty parties
	// civilian also watches pairs of civilian tracks (Config.Civilian).
	civilian bool

	tracks map[string]*refMover
	byDom  [2][]*refMover // in order of creation
	open   map[[2]string]*refEnc
	// shadows are the pairs' shadowing episodes.
	shadows map[[2]string]*refShadow
	nextID  uint64
	events  []detect.Event
	// Pairs counts pair evaluations, as Stats.Pairs does.
	Pairs uint64
}

type refMover struct {
	id, party string
	asset     bool // a state asset; else civilian
	still     bool // stationary: under detect.StillSpeedMS, or moored
	dom       int
	t         time.Time
	m         geo.Motion
	gone      bool
}

type refEnc struct {
	pub  detect.Encounter
	life *detect.Lifecycle
}

type refShadow struct {
	since, within time.Time
	closest       float64
	en            *refEnc
}

func newAllPairs() *allPairs {
	return &allPairs{
		th: detect.DefaultThresholds(), margin: 1 + detect.DefaultCloseMargin,
		hold:   [2]time.Duration{detect.DefaultSeaCloseHold, detect.DefaultAirCloseHold},
		lost:   [2]time.Duration{deconflict.DefaultSeaLost, deconflict.DefaultAirLost},
		tracks: map[string]*refMover{}, open: map[[2]string]*refEnc{}, shadows: map[[2]string]*refShadow{},
	}
}

func domIndex(d deconflict.Domain) int {
	if d == deconflict.Air {
		return 1
	}
	return 0
}

// thresholds returns the pair's thresholds, or false when the pair is not
// watched.
func (r *allPairs) thresholds(a, b string) (detect.Thresholds, bool) {
	if r.pair == nil {
		return r.th, a != b && a != "" && b != ""
	}
	if a > b {
		a, b = b, a
	}
	th, ok := r.pair(a, b)
	if th == (detect.Thresholds{}) || th.Validate() != nil {
		th = r.th
	}
	return th, ok
}

// Update applies a report as Engine.Update does and returns the events.
func (r *allPairs) Update(rep deconflict.Report) []detect.Event {
	if rep.Domain != deconflict.Air && rep.Domain != deconflict.Sea || rep.ID == "" || !rep.HasPosition() ||
		rep.Lat < -90 || rep.Lat > 90 || rep.Time.IsZero() {
		return nil
	}
	dom := domIndex(rep.Domain)
	tr := r.tracks[rep.ID]
	if tr != nil && tr.dom != dom {
		r.drop(tr, rep.Time)
		tr = nil
	}
	if tr != nil && rep.Time.Before(tr.t) {
		return nil
	}
	if tr == nil {
		tr = &refMover{id: rep.ID, dom: dom}
		r.tracks[rep.ID] = tr
		r.byDom[dom] = append(r.byDom[dom], tr)
	}
	alt := rep.AltM
	if dom == 0 {
		alt = math.NaN()
	}
	tr.party, tr.asset, tr.t = rep.Party, rep.Asset, rep.Time
	tr.still = dom == 0 && (rep.Moored || rep.SpeedMS < detect.StillSpeedMS)
	tr.m = geo.NewMotion(rep.Lat, rep.Lon, alt, rep.SpeedMS, rep.CourseDeg, rep.ClimbMS)
	// Every other live track, of both domains: an aircraft and a ship
	// are an air-sea pair.
	for _, d := range r.byDom {
		for _, o := range d {
			if o == tr || o.gone || rep.Time.Sub(o.t) > r.lost[o.dom] {
				continue
			}
			r.evaluate(tr, o, rep.Time)
		}
	}
	return r.flush()
}

func refKey(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// evaluate is the reference's pair evaluation: a and b extrapolated to
// now, the tiers of DESIGN.md's table tested one by one.
func (r *allPairs) evaluate(a, b *refMover, now time.Time) {
	if a.id > b.id {
		a, b = b, a
	}
	k := [2]string{a.id, b.id}
	en := r.open[k]
	th, ok := r.thresholds(a.party, b.party)
	if !a.asset && !b.asset && !r.civilian {
		ok = false // two civilian tracks never make an encounter
	}
	if a.dom == 0 && b.dom == 0 {
		r.shadow(a, b, ok, now)
	}
	if !ok {
		if en != nil {
			r.close(en, now, detect.NotShared)
		}
		return
	}
	r.Pairs++
	if a.still && b.still {
		if en != nil {
			p := en.pub.Prediction
			p.Severity = detect.None
			r.step(en, p, false, now)
		}
		return
	}
	x := a.m.At(float64(now.UnixNano()-a.t.UnixNano()) / 1e9)
	y := b.m.At(float64(now.UnixNano()-b.t.UnixNano()) / 1e9)
	ap := geo.ClosestApproach(x, y)
	p := detect.Prediction{Time: now, DistanceM: ap.DistanceM, VerticalM: ap.VerticalNow, TCPAS: ap.TCPAS, CPAM: ap.CPAM,
		CPAVertical: ap.VerticalM, ConflictInS: math.NaN(), ConflictOutS: math.NaN()}
	var stay bool
	m := r.margin
	if a.dom != b.dom {
		// Air-sea: the ship at height 0, the tiers' heights the band the
		// aircraft must be under.
		if a.dom == 0 {
			x.AltM, x.ClimbMS = 0, 0
		} else {
			y.AltM, y.ClimbMS = 0, 0
		}
		ap = geo.ClosestApproach(x, y)
		p = detect.Prediction{Time: now, DistanceM: ap.DistanceM, VerticalM: ap.VerticalNow, TCPAS: ap.TCPAS, CPAM: ap.CPAM,
			CPAVertical: ap.VerticalM, ConflictInS: math.NaN(), ConflictOutS: math.NaN()}
		v := th.AirSea
		in := func(vol detect.Volume, k float64) (geo.Conflict, bool) {
			return geo.StateBased(x, y, vol.HorizontalM*k, vol.VerticalM*k, vol.LookaheadS*k)
		}
		_, stay = in(v.Dangerous, m)
		if c, ok := in(v.Dangerous, 1); stay && ok {
			p.Severity = detect.Dangerous
			p.ConflictInS, p.ConflictOutS = c.InS, c.OutS
			if _, ok := in(v.Critical, 1); ok {
				p.Severity = detect.Critical
			}
		}
	} else if a.dom == 0 {
		s := th.Sea
		stay = ap.TCPAS < s.LookaheadS*m && ap.CPAM < s.AdvisoryM*m
		if stay && ap.TCPAS < s.LookaheadS {
			for _, tier := range []struct {
				d   float64
				sev detect.Severity
			}{{s.AdvisoryM, detect.Advisory}, {s.DangerousM, detect.Dangerous}, {s.CriticalM, detect.Critical}} {
				if ap.CPAM < tier.d {
					p.Severity = tier.sev
				}
			}
		}
	} else {
		v := th.Air
		in := func(vol detect.Volume, k float64) (geo.Conflict, bool) {
			return geo.StateBased(x, y, vol.HorizontalM*k, vol.VerticalM*k, vol.LookaheadS*k)
		}
		_, stay = in(v.Advisory, m)
		if stay {
			if c, ok := in(v.Advisory, 1); ok {
				p.Severity = detect.Advisory
				p.ConflictInS, p.ConflictOutS = c.InS, c.OutS
				for _, tier := range []struct {
					vol detect.Volume
					sev detect.Severity
				}{{v.Warning, detect.Warning}, {v.Critical, detect.Critical}} {
					if _, ok := in(tier.vol, 1); !ok {
						break
					}
					p.Severity = tier.sev
				}
			}
			if ap.VerticalNow == ap.VerticalNow && ap.DistanceM < v.NMAC.HorizontalM && math.Abs(ap.VerticalNow) < v.NMAC.VerticalM {
				p.Severity = detect.NMAC
			}
		}
	}
	if en == nil && p.Severity == detect.None {
		return
	}
	if en == nil {
		r.nextID++
		dom := []deconflict.Domain{deconflict.Sea, deconflict.Air}[a.dom]
		dist, look, hold := th.Sea.AdvisoryM, th.Sea.LookaheadS, r.hold[0]
		switch {
		case a.dom != b.dom:
			dom = deconflict.AirSea
			dist, look, hold = th.AirSea.Dangerous.HorizontalM, th.AirSea.Dangerous.LookaheadS, r.hold[1]
		case a.dom == 1:
			dist, look, hold = th.Air.Advisory.HorizontalM, th.Air.Advisory.LookaheadS, r.hold[1]
		}
		en = &refEnc{pub: detect.Encounter{ID: r.nextID, Kind: detect.Approach, A: a.id, B: b.id, PartyA: a.party, PartyB: b.party,
			Domain: dom, Severity: p.Severity, Opened: now, Prediction: p}}
		en.life = detect.NewLifecycle(p, hold, dist/4, look/10)
		r.open[k] = en
		r.emit(detect.Opened, now, en)
		return
	}
	r.step(en, p, stay, now)
}

// step runs en's lifecycle with prediction p.
func (r *allPairs) step(en *refEnc, p detect.Prediction, stay bool, now time.Time) {
	p.Time = now
	typ, q := en.life.Step(p, stay)
	if typ == 0 {
		return
	}
	en.pub.Prediction, en.pub.Severity = q, en.life.Highest()
	if typ == detect.Closed {
		r.close(en, now, detect.Separated)
		return
	}
	r.emit(typ, now, en)
}

func (r *allPairs) close(en *refEnc, now time.Time, why detect.CloseReason) {
	en.pub.Reason = why
	delete(r.open, [2]string{en.pub.A, en.pub.B})
	r.emit(detect.Closed, now, en)
}

func (r *allPairs) emit(typ detect.EventType, now time.Time, en *refEnc) {
	r.events = append(r.events, detect.Event{Type: typ, Time: now, Encounter: en.pub})
}

func (r *allPairs) flush() []detect.Event {
	out := r.events
	r.events = nil
	return out
}

// shadow runs the shadowing episode of ships a and b (a.id < b.id):
// within detect.ShadowM it runs, beyond it grown by the close margin for
// detect.ShadowGap it ends; lasting detect.ShadowFor it is an encounter.
// Only state ships of a watched pair, not both stationary, count.
func (r *allPairs) shadow(a, b *refMover, watched bool, now time.Time) {
	k := [2]string{a.id, b.id}
	st := r.shadows[k]
	d := math.NaN()
	x := a.m.At(float64(now.UnixNano()-a.t.UnixNano()) / 1e9)
	y := b.m.At(float64(now.UnixNano()-b.t.UnixNano()) / 1e9)
	if watched && a.asset && b.asset && !(a.still && b.still) {
		d = geo.ClosestApproach(x, y).DistanceM
	}
	if d < detect.ShadowM {
		if st == nil {
			st = &refShadow{since: now, closest: d}
			r.shadows[k] = st
		}
		st.within = now
	} else if d < detect.ShadowM*r.margin && st != nil {
		st.within = now
	} else if st == nil {
		return
	} else if !watched {
		r.endShadow(k, st, now, detect.NotShared)
		return
	}
	st.closest = math.Min(st.closest, d)
	p := detect.Prediction{Time: now, Severity: detect.Advisory, DistanceM: d, VerticalM: math.NaN(), TCPAS: math.NaN(), CPAM: st.closest,
		CPAVertical: math.NaN(), ConflictInS: math.NaN(), ConflictOutS: math.NaN()}
	if st.en != nil {
		st.en.pub.Prediction = p
		return
	}
	if st.within.Equal(now) && now.Sub(st.since) >= detect.ShadowFor {
		r.nextID++
		st.en = &refEnc{pub: detect.Encounter{ID: r.nextID, Kind: detect.Shadowing, A: a.id, B: b.id, PartyA: a.party, PartyB: b.party,
			Domain: deconflict.Sea, Severity: detect.Advisory, Opened: now, Since: st.since, Prediction: p}}
		r.emit(detect.Opened, now, st.en)
	}
}

func (r *allPairs) endShadow(k [2]string, st *refShadow, now time.Time, why detect.CloseReason) {
	delete(r.shadows, k)
	if st.en != nil {
		st.en.pub.Reason = why
		r.emit(detect.Closed, now, st.en)
	}
}

// drop removes tr, closing its encounters (TrackLost).
func (r *allPairs) drop(tr *refMover, now time.Time) {
	for k, st := range r.shadows {
		if k[0] == tr.id || k[1] == tr.id {
			r.endShadow(k, st, now, detect.TrackLost)
		}
	}
	for k, en := range r.open {
		if k[0] == tr.id || k[1] == tr.id {
			r.close(en, now, detect.TrackLost)
		}
	}
	tr.gone = true
	delete(r.tracks, tr.id)
	r.byDom[tr.dom] = slices.DeleteFunc(r.byDom[tr.dom], func(x *refMover) bool { return x == tr })
}

// Tick drops lost tracks and closes the encounters due, as Engine.Tick.
func (r *allPairs) Tick(now time.Time) []detect.Event {
	for _, d := range r.byDom {
		for _, tr := range slices.Clone(d) {
			if now.Sub(tr.t) > r.lost[tr.dom] {
				r.drop(tr, now)
			}
		}
	}
	for _, en := range r.open {
		if en.life.Due(now) {
			r.close(en, now, detect.Separated)
		}
	}
	for k, st := range r.shadows {
		if now.Sub(st.within) >= detect.ShadowGap {
			r.endShadow(k, st, now, detect.Parted)
		}
	}
	return r.flush()
}

// runRef feeds reports to the reference as run feeds an engine.
func runRef(r *allPairs, reports []deconflict.Report) []detect.Event {
	var out []detect.Event
	var next time.Time
	for _, rep := range reports {
		if next.IsZero() {
			next = rep.Time.Truncate(time.Second).Add(time.Second)
		}
		for !rep.Time.Before(next) {
			out = append(out, r.Tick(next)...)
			next = next.Add(time.Second)
		}
		out = append(out, r.Update(rep)...)
	}
	return out
}

// pairEvents returns the events that are not about zones.
func pairEvents(evs []detect.Event) []detect.Event {
	return slices.DeleteFunc(slices.Clone(evs), func(ev detect.Event) bool { return ev.Encounter.Zone != "" })
}
