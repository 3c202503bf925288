package detect

import (
	"math"
	"slices"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

// ZoneKind is what a zone is declared for.
type ZoneKind string

// Zone kinds (DESIGN.md "Zone"; the 1989 Dangerous Military Activities
// agreement's special caution areas; INCSEA and launch notifications'
// hazard areas).
const (
	ExerciseArea       ZoneKind = "exercise-area"
	MissileHazardArea  ZoneKind = "missile-hazard-area"
	SpecialCautionArea ZoneKind = "special-caution-area"
	DeconflictionZone  ZoneKind = "deconfliction-zone"
)

// Zone is a declared area. Give either Polygon (at least three vertices,
// degrees, within a hemisphere) or Center and RadiusM (m). The altitude
// band is [MinAltM, MaxAltM] (m; NaN means unbounded on that side; ships
// are at 0 m; aircraft of unknown altitude count as inside the band). The
// zone is active from From until Until (zero: unbounded). Tracks of the
// Owner's party never trigger it; other parties' tracks do when the
// Engine's Pair hook allows the pair (Owner, track party). A zone with
// Members (a measure every member signed) binds them all instead: a
// member's track triggers it when the Pair hook allows the pair of its
// party and another member's (the encounter's PartyB, the first such in
// Members' order); Owner then only names the zone's proposer.
type Zone struct {
	ID      string
	Name    string
	Kind    ZoneKind
	Owner   string
	Members []string
	Polygon []geo.LatLon
	Center  geo.LatLon
	RadiusM float64
	MinAltM float64
	MaxAltM float64
	From    time.Time
	Until   time.Time
}

type zone struct {
	Zone
	area     geo.Area
	label    uint16   // the owner's (see intern)
	members  []uint16 // the members' (civilian, see AddZone), when Members
	from, to int64    // unix ns; math.MinInt64 / MaxInt64 when unbounded
	ranges   [2]geo.CellRange
}

func newZone(z Zone) (*zone, error) {
	if z.ID == "" {
		return nil, deconflict.Errorf(deconflict.EINVALID, "zone: empty ID")
	}
	var area geo.Area
	var err error
	switch {
	case len(z.Polygon) > 0 && z.RadiusM != 0:
		return nil, deconflict.Errorf(deconflict.EINVALID, "zone %s: both a polygon and a radius", z.ID)
	case len(z.Polygon) > 0:
		area, err = geo.NewPolygon(z.Polygon)
	default:
		area, err = geo.NewCircle(z.Center, z.RadiusM)
	}
	if err != nil {
		return nil, deconflict.Errorf(deconflict.EINVALID, "zone %s: %v", z.ID, err)
	}
	if z.MinAltM == z.MinAltM && z.MaxAltM == z.MaxAltM && z.MinAltM > z.MaxAltM {
		return nil, deconflict.Errorf(deconflict.EINVALID, "zone %s: altitude band %g..%g m is empty", z.ID, z.MinAltM, z.MaxAltM)
	}
	zz := &zone{Zone: z, area: area, from: math.MinInt64, to: math.MaxInt64}
	if !z.From.IsZero() {
		zz.from = z.From.UnixNano()
	}
	if !z.Until.IsZero() {
		zz.to = z.Until.UnixNano()
	}
	if zz.to <= zz.from {
		return nil, deconflict.Errorf(deconflict.EINVALID, "zone %s: time window %v..%v is empty", z.ID, z.From, z.Until)
	}
	return zz, nil
}

func (z *zone) active(now int64) bool { return now >= z.from && now < z.to }

// altInterval returns the time interval (s, within [t0, t1]) during which
// an altitude altM + climbMS·t is inside the band.
func (z *zone) altInterval(altM, climbMS, t0, t1 float64) (float64, float64) {
	if altM != altM {
		return t0, t1
	}
	lo, hi := t0, t1
	for _, bound := range []struct {
		v     float64
		upper bool
	}{{z.MinAltM, false}, {z.MaxAltM, true}} {
		if bound.v != bound.v {
			continue
		}
		// Need alt(t) >= min (or <= max).
		d := altM - bound.v
		if bound.upper {
			d = -d
		}
		r := climbMS
		if bound.upper {
			r = -r
		}
		// d + r·t >= 0
		switch {
		case r == 0:
			if d < 0 {
				return 1, 0
			}
		case r > 0:
			lo = math.Max(lo, -d/r)
		default:
			hi = math.Min(hi, -d/r)
		}
	}
	return lo, hi
}

// AddZone declares (or replaces, by ID) a zone. It fails with EINVALID
// when the zone's geometry, band or window is malformed. Replacing a zone
// closes its open encounters (ZoneRemoved, stamped now); tracks are
// checked against the new zone at their next report.
func (e *Engine) AddZone(z Zone, now time.Time) ([]Event, error) {
	zz, err := newZone(z)
	if err != nil {
		return nil, err
	}
	// The owner's label is a civilian one, so that only state assets
	// (pairTh), or every track under Config.Civilian, trigger the zone.
	owner, ok := e.intern(z.Owner, false, sea)
	if !ok {
		return nil, deconflict.Errorf(deconflict.EINVALID, "zone %s: owner %q past the engine's %d parties", z.ID, z.Owner, MaxParties)
	}
	if i, ok := e.zoneIdx[z.ID]; ok {
		e.removeZone(i, now.UnixNano())
	}
	zz.label = owner
	for _, m := range z.Members {
		l, ok := e.intern(m, false, sea)
		if !ok {
			return nil, deconflict.Errorf(deconflict.EINVALID, "zone %s: member %q past the engine's %d parties", z.ID, m, MaxParties)
		}
		zz.members = append(zz.members, l)
	}
	b := zz.area.Bounds().Inflate(e.cfg.ZoneMarginM)
	idx := int32(len(e.zones))
	for d := range e.zgrid {
		zz.ranges[d] = e.zgrid[d].Range(b)
		e.zgrid[d].Insert(idx, zz.ranges[d])
	}
	e.zones = append(e.zones, zz)
	e.zoneIdx[z.ID] = idx
	return e.flush(), nil
}

// RemoveZone withdraws the zone id at now, closing its encounters
// (ZoneRemoved). It fails with ENOTFOUND for an unknown zone.
func (e *Engine) RemoveZone(id string, now time.Time) ([]Event, error) {
	i, ok := e.zoneIdx[id]
	if !ok {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "zone %q not found", id)
	}
	e.removeZone(i, now.UnixNano())
	return e.flush(), nil
}

func (e *Engine) removeZone(i int32, now int64) {
	z := e.zones[i]
	var encs []*encounter
	for _, en := range e.open {
		if en.b == -1-i {
			encs = append(encs, en)
		}
	}
	slices.SortFunc(encs, func(x, y *encounter) int { return cmpU64(x.pub.ID, y.pub.ID) })
	for _, en := range encs {
		e.close(en, now, ZoneRemoved)
	}
	for d := range e.zgrid {
		e.zgrid[d].Remove(i, z.ranges[d])
	}
	delete(e.zoneIdx, z.ID)
	e.zones[i] = nil
}

// zonesFor evaluates track idx against the zones near its path.
func (e *Engine) zonesFor(idx int32, now int64) {
	t := &e.tracks[idx]
	if len(e.zones) == 0 {
		return
	}
	var seen [8]int32
	done := seen[:0]
	check := func(zi int32) {
		if slices.Contains(done, zi) {
			return
		}
		done = append(done, zi)
		e.zone(idx, zi, now)
	}
	zg := e.zgrid[t.domain]
	zg.Each(zg.Range(e.box(t)), func(items []int32) {
		for _, zi := range items {
			check(zi)
		}
	})
	for _, en := range slices.Clone(e.tracks[idx].encs) {
		if en.b < 0 {
			check(-1 - en.b)
		}
	}
}

// zonePair returns the thresholds under which a track of label tl is
// watched against z, and the party on the zone's side (its owner, or the
// member whose pair with the track's party is watched); nil when the
// track does not trigger z.
func (e *Engine) zonePair(tl uint16, z *zone) (*Thresholds, string) {
	p := e.party(tl)
	if len(z.members) == 0 {
		if p == z.Owner {
			return nil, ""
		}
		return e.pairInfo(tl, z.label), z.Owner
	}
	if !slices.Contains(z.Members, p) {
		return nil, ""
	}
	for i, ml := range z.members {
		if z.Members[i] == p {
			continue
		}
		if th := e.pairInfo(tl, ml); th != nil {
			return th, z.Members[i]
		}
	}
	return nil, ""
}

// zone evaluates track idx against zone zi at now.
func (e *Engine) zone(idx, zi int32, now int64) {
	t := &e.tracks[idx]
	z := e.zones[zi]
	if z == nil {
		return
	}
	key := uint64(idx)<<32 | 1<<31 | uint64(zi)
	var en *encounter
	if len(t.encs) > 0 {
		en = e.open[key]
	}
	th, partyB := e.zonePair(t.label, z)
	if th == nil {
		if en != nil {
			e.close(en, now, NotShared)
		}
		return
	}
	look := th.Sea.LookaheadS
	if t.domain == air {
		look = th.Air.Advisory.LookaheadS
	}
	m := t.m.At(float64(now-t.t) / 1e9)
	alt := m.AltM
	if t.domain == sea {
		alt = 0
	}
	// Earliest time in [0, look·margin] inside the area, the band and the
	// window.
	wlo, whi := 0.0, look*e.margin
	if z.from > now {
		wlo = float64(z.from-now) / 1e9
	}
	if z.to != math.MaxInt64 {
		whi = math.Min(whi, float64(z.to-now)/1e9)
	}
	alo, ahi := z.altInterval(alt, m.ClimbMS, wlo, whi)
	entry := math.Inf(1)
	if wlo < whi && alo <= ahi {
		z.area.Inside(m.P, m.V, alo, ahi, func(in, out float64) {
			if in < entry {
				entry = in
			}
		})
	}
	inside := entry == 0 && z.active(now)
	var sev Severity
	switch {
	case inside:
		sev = Intrusion
	case entry < look:
		sev = Advisory
	}
	outside := z.area.OutsideM(m.P)
	stay := sev != None || entry < math.Inf(1) || outside < e.cfg.ZoneMarginM && z.active(now)
	if en == nil && sev == None {
		return
	}
	pred := func(withPos bool) Prediction {
		p := Prediction{
			Time: nsToTime(now), Severity: sev, DistanceM: outside, VerticalM: math.NaN(),
			CPAVertical: math.NaN(), ConflictInS: math.NaN(), ConflictOutS: math.NaN(),
			PosB: Position{math.NaN(), math.NaN(), math.NaN()},
		}
		if entry < math.Inf(1) {
			p.TCPAS = entry
			if withPos {
				p.PosA = position(m.At(entry))
			}
		} else {
			p.TCPAS = math.NaN()
			if withPos {
				p.PosA = position(m)
			}
		}
		if t.domain == sea {
			p.PosA.AltM = math.NaN()
		}
		return p
	}
	if en == nil {
		en = &encounter{key: key, a: idx, b: -1 - zi, pub: Encounter{
			A: t.id, PartyA: e.party(t.label), PartyB: partyB,
			Kind: ZoneEntry, Domain: domainName(t.domain), Zone: z.ID, ZoneKind: z.Kind,
		}}
		e.openEnc(en, pred(true), now)
		return
	}
	e.judge(en, sev, stay, now, e.rulesFor(th, t.domain, true), pred)
}
