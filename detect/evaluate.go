package detect

import (
	"math"

	"github.com/deconflict/deconflict/geo"
)

// evaluate compares track idx (whose new report's entry is me) with its
// candidates and its zones at now, first rewriting its entries when
// rewrite is set.
func (e *Engine) evaluate(idx int32, now int64, me *entry, rewrite bool) {
	e.stamp++
	t := &e.tracks[idx]
	t.stamp, t.paired = e.stamp, e.stamp
	dom := t.domain
	// Its own domain's grid: pairs of the domain, and for a ship the
	// aircraft registered there (low ones): air-sea pairs. A low
	// aircraft then looks for ships in the sea grid. A track of a label
	// watched with none would find no run watched: it only rewrites its
	// entries.
	if e.isAlone(t.label) {
		if rewrite {
			e.rewrite(idx, dom, t.cells)
			e.rewrite(idx, sea, t.cells2)
		}
	} else {
		e.scan(idx, now, me, rewrite, dom, t.cells, false)
		if dom == air && len(t.cells2) > 0 {
			e.scan(idx, now, me, rewrite, sea, t.cells2, true)
		}
	}
	// Open encounters not run above (the other track is not among the
	// candidates, or was skipped as not watched or out of reach), unless
	// the other track is lost, as the all-pairs reference of the tests
	// does (reference_test.go): it closes those no longer watched.
	tracks := e.tracks
	if len(tracks[idx].encs) > 0 {
		e.encBuf = append(e.encBuf[:0], tracks[idx].encs...)
		for _, en := range e.encBuf {
			if en.b < 0 {
				continue
			}
			other := en.a
			if other == idx {
				other = en.b
			}
			if o := &tracks[other]; o.paired != e.stamp && o.live && now-o.t <= e.lost[o.domain] {
				o.stamp, o.paired = e.stamp, e.stamp
				e.pair(idx, other, now)
			}
		}
	}
	e.zonesFor(idx, now)
}

// scan is the candidate loop, the engine's hottest code: in each of the
// cells (of grid g) of track idx it rewrites the track's own entry (when
// rewrite), then goes through the cell's runs (their labels and ends, not
// the entries) and reads in sequence the entries of the runs of labels
// watched with the track's, skipping level aircraft outside the altitude bands it
// can meet (by the cell's band list, before reading their entries: see
// vertWindow) and those lost or that cannot come within reach
// (apartEntry): no encounter can open with those; one already open is run
// by evaluate. Entries of a track in several of the cells are told apart
// by the stamp only when they pass. Whether a run's label is watched is
// asked once per run (the pair cache), and remembered for the last label
// asked, since the same few labels' runs follow each other from cell to
// cell. Runs of the other domain are air-sea candidates, compared over
// the air-sea lookahead; cross takes only those (a low aircraft in the
// sea grid, where the aircraft it meets are found in its own).
func (e *Engine) scan(idx int32, now int64, me *entry, rewrite bool, g uint8, cellList []int32, cross bool) {
	stamp := e.stamp
	tracks := e.tracks
	dom := tracks[idx].domain
	cells := e.cells[g]
	vert := e.vert + vskinM
	n := uint64(0)
	lastP, lastW, lastLook := uint16(0), false, 0.0
	asked := false
	// The bands of level aircraft that me can meet vertically, in the air
	// grid (the sea grid keeps no bands: a ship has no altitude, and a low
	// aircraft looks for ships there).
	bandLo, bandHi := uint16(0), uint16(math.MaxUint16)
	if g == air {
		if lo, hi, ok := e.vertWindow(me, now, e.vlook, vert); ok {
			bandLo, bandHi = lo, hi
		}
	}
	// Read every cell's list of runs first: the cache misses of the
	// cells and their lists then overlap instead of following one
	// another.
	touch := int32(0)
	for _, c := range cellList {
		if rs := cells[c].runs; len(rs) > 0 {
			touch += rs[0].end
		}
	}
	// Then read the first entry of each cell's first watched run, for
	// the same reason: the loop below would otherwise wait for the first
	// cell's entries before it reads the next cell's. (Reading every
	// watched run's first entry was slower.)
	for _, c := range cellList {
		x := &cells[c]
		k := int32(0)
		for _, r := range x.runs {
			if p := r.label; !asked || p != lastP {
				lastP, asked = p, true
				lastW, _ = e.runLook(me.label, p, dom, cross)
			}
			if lastW {
				if k < r.end && int(k) < len(x.es) {
					touch += x.es[k].id
				}
				break
			}
			k = r.end
		}
	}
	e.touched = touch
	asked = false
	for _, c := range cellList {
		x := &cells[c]
		es := x.es
		var bands []uint16 // as long as es, in the air grid only
		if g == air {
			bands = x.bands[:len(es):len(es)]
		}
		if rewrite {
			x.rewrite(&tracks[idx].ref, g)
		}
		k := 0
		for _, r := range x.runs {
			end := int(r.end)
			if p := r.label; !asked || p != lastP {
				lastP, asked = p, true
				lastW, lastLook = e.runLook(me.label, p, dom, cross)
			}
			if !lastW {
				k = end
				continue
			}
			// Band 0 and the bands within reach (b-bandLo wraps around
			// below bandLo).
			for ; k < end; k++ {
				if bands != nil {
					if b := bands[k]; b != 0 && b-bandLo > bandHi-bandLo {
						continue
					}
				}
				n++
				o := &es[k]
				if o.id == idx || apartEntry(me, o, lastLook, vert) {
					continue
				}
				j := o.id
				h := &tracks[j]
				if h.stamp == stamp {
					continue
				}
				h.stamp = stamp
				if now-h.t > e.lost[h.domain] {
					continue
				}
				h.paired = stamp
				e.pair(idx, j, now)
			}
		}
	}
	e.stats.Candidate += n
}

// rewrite writes track idx's entry (its reference) in its cells of grid
// g.
func (e *Engine) rewrite(idx int32, g uint8, cellList []int32) {
	ref := &e.tracks[idx].ref
	for _, c := range cellList {
		e.cells[g][c].rewrite(ref, g)
	}
}

// rewrite writes ref over its track's entry in c, of grid g.
func (c *cell) rewrite(ref *entry, g uint8) {
	if k, ok := c.find(ref.label, ref.id); ok {
		c.es[k] = *ref
		if g == air {
			c.bands[k] = ref.levelBand()
		}
	}
}

// pair evaluates tracks i and j at now and runs the lifecycle.
func (e *Engine) pair(i, j int32, now int64) {
	if i > j {
		i, j = j, i
	}
	a, b := &e.tracks[i], &e.tracks[j]
	key := uint64(i)<<32 | uint64(uint32(j))
	var en *encounter
	if len(a.encs) > 0 && len(b.encs) > 0 {
		en = e.open[key]
	}
	th := e.pairInfo(a.label, b.label)
	kind := a.domain
	if a.domain != b.domain {
		kind = airSea
	}
	ma := a.m.At(float64(now-a.t) / 1e9)
	mb := b.m.At(float64(now-b.t) / 1e9)
	if kind == sea && (th != nil && a.label != b.label || len(e.shadows) > 0) {
		e.shadow(i, j, key, now, th != nil, ma, mb)
	}
	widened := false
	if th == nil && e.cfg.Widen != nil {
		th = e.widened(a.label, b.label, ma.P, mb.P)
		widened = th != nil
	}
	if th == nil {
		if en != nil {
			e.close(en, now, NotShared)
		}
		return
	}
	e.stats.Pairs++
	if a.still && b.still {
		// Not an encounter until one of them moves; one open closes
		// after the hold, as when separated.
		if en != nil {
			e.judge(en, None, false, now, e.rulesFor(th, kind, false), func(bool) Prediction { return en.pub.Prediction })
		}
		return
	}
	var sev Severity
	var stay bool
	var c geo.Conflict
	switch kind {
	case airSea:
		// The ship at height 0: the state-based test's vertical band is
		// then the height under which the aircraft counts.
		if a.domain == sea {
			ma.AltM, ma.ClimbMS = 0, 0
		} else {
			mb.AltM, mb.ClimbMS = 0, 0
		}
		v := &th.AirSea
		var ok bool
		c, ok = geo.StateBased(ma, mb, v.Dangerous.HorizontalM*e.margin, v.Dangerous.VerticalM*e.margin, v.Dangerous.LookaheadS*e.margin)
		stay = ok
		if ok {
			if c, ok = geo.StateBased(ma, mb, v.Dangerous.HorizontalM, v.Dangerous.VerticalM, v.Dangerous.LookaheadS); ok {
				sev = Dangerous
				if _, ok := geo.StateBased(ma, mb, v.Critical.HorizontalM, v.Critical.VerticalM, v.Critical.LookaheadS); ok {
					sev = Critical
				}
			}
		}
	case sea:
		s := &th.Sea
		ap := geo.ClosestApproach(ma, mb)
		if ap.TCPAS < s.LookaheadS*e.margin && ap.CPAM < s.AdvisoryM*e.margin {
			stay = true
			if ap.TCPAS < s.LookaheadS {
				switch {
				case ap.CPAM < s.CriticalM:
					sev = Critical
				case ap.CPAM < s.DangerousM:
					sev = Dangerous
				case ap.CPAM < s.AdvisoryM:
					sev = Advisory
				}
			}
		}
	default:
		v := &th.Air
		var ok bool
		c, ok = geo.StateBased(ma, mb, v.Advisory.HorizontalM*e.margin, v.Advisory.VerticalM*e.margin, v.Advisory.LookaheadS*e.margin)
		stay = ok
		if ok {
			if c, ok = geo.StateBased(ma, mb, v.Advisory.HorizontalM, v.Advisory.VerticalM, v.Advisory.LookaheadS); ok {
				sev = Advisory
				if _, ok := geo.StateBased(ma, mb, v.Warning.HorizontalM, v.Warning.VerticalM, v.Warning.LookaheadS); ok {
					sev = Warning
					if _, ok := geo.StateBased(ma, mb, v.Critical.HorizontalM, v.Critical.VerticalM, v.Critical.LookaheadS); ok {
						sev = Critical
					}
				}
			}
			if ma.AltM == ma.AltM && mb.AltM == mb.AltM {
				dp := mb.P.Sub(ma.P)
				if dp.Dot(dp) < v.NMAC.HorizontalM*v.NMAC.HorizontalM && math.Abs(mb.AltM-ma.AltM) < v.NMAC.VerticalM {
					sev = NMAC
				}
			}
		}
	}
	if en == nil && sev == None {
		return
	}
	// Encounters name the tracks in ID order (A < B); the pair key uses
	// index order, which is cheaper to keep. Comparing the IDs reads two
	// more strings: it is done only for a prediction.
	pred := func(withPos bool) Prediction {
		x, y := ma, mb
		if a.id > b.id {
			x, y = mb, ma
		}
		ap := geo.ClosestApproach(x, y)
		p := Prediction{
			Time: nsToTime(now), Severity: sev,
			DistanceM: ap.DistanceM, VerticalM: ap.VerticalNow,
			TCPAS: ap.TCPAS, CPAM: ap.CPAM, CPAVertical: ap.VerticalM,
			ConflictInS: math.NaN(), ConflictOutS: math.NaN(),
		}
		if kind != sea && sev != None {
			p.ConflictInS, p.ConflictOutS = c.InS, c.OutS
		}
		if withPos {
			p.PosA = position(x.At(ap.TCPAS))
			p.PosB = position(y.At(ap.TCPAS))
		}
		return p
	}
	if en == nil {
		// newEncounter's is zero: the fields are set in place (a
		// composite literal is built aside and copied, 552 bytes).
		en = e.newEncounter()
		en.key, en.a, en.b = key, i, j
		pub := &en.pub
		pub.Kind, pub.Domain, pub.Widened = Approach, domainName(kind), widened
		if a.id > b.id {
			pub.A, pub.B, pub.PartyA, pub.PartyB = b.id, a.id, e.party(b.label), e.party(a.label)
		} else {
			pub.A, pub.B, pub.PartyA, pub.PartyB = a.id, b.id, e.party(a.label), e.party(b.label)
		}
		e.openEnc(en, pred(true), now)
		return
	}
	e.judge(en, sev, stay, now, e.rulesFor(th, kind, false), pred)
}

// runLook says whether a track of label me in domain dom evaluates the
// run of label p (watched, and in a cross scan of another domain only)
// and with what lookahead: the domain's, or the air-sea one across
// domains.
func (e *Engine) runLook(me, p uint16, dom uint8, cross bool) (bool, float64) {
	w := e.watched(me, p)
	if e.labels[p].dom != dom {
		return w, e.lookAS
	}
	return w && !cross, e.look[dom]
}
