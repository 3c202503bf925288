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
	stamp := e.stamp
	t := &e.tracks[idx]
	tracks := e.tracks
	t.stamp, t.paired = stamp, stamp
	dom := t.domain
	lost := e.lost[dom]
	// The candidate loop: the engine's hottest code. In each of the
	// track's cells it rewrites the track's own entry, then reads in
	// sequence the runs of entries of parties watched with the track's,
	// skipping those lost or that cannot come within reach (apartEntry):
	// no encounter can open with those; one already open is run below.
	// Entries of a track in several of the cells are told apart by the
	// stamp only when they pass. Whether a run's party is watched is asked
	// once per run (the pair cache), and remembered for the last party
	// asked, since the same few parties' runs follow each other from cell
	// to cell.
	look, vert := e.look[dom], e.vert+vskinM
	cells := e.cells[dom]
	n := uint64(0)
	lastP, lastW := uint16(0), false
	asked := false
	for _, c := range t.cells {
		es := cells[c]
		if rewrite {
			if k, ok := find(es, me.label, idx); ok {
				run := es[k].run
				es[k] = t.ref
				es[k].run = run
			}
		}
		for k := 0; k < len(es); {
			end := k + int(es[k].run)
			if end == k || end-k == math.MaxUint16 {
				end = runEnd(es, k)
			}
			p := es[k].label
			if !asked || p != lastP {
				lastP, lastW, asked = p, e.watched(me.label, p), true
			}
			if !lastW {
				k = end
				continue
			}
			n += uint64(end - k)
			for ; k < end; k++ {
				o := &es[k]
				if o.id == idx || apartEntry(me, o, look, vert) {
					continue
				}
				j := o.id
				h := &tracks[j]
				if h.stamp == stamp {
					continue
				}
				h.stamp = stamp
				if now-h.t > lost {
					continue
				}
				h.paired = stamp
				e.pair(idx, j, now)
			}
		}
	}
	e.stats.Candidate += n
	// Open encounters not run above (the other track is not among the
	// candidates, or was skipped as not watched or out of reach), unless
	// the other track is lost, as the all-pairs reference of the tests
	// does (property_test.go): it closes those no longer watched.
	if len(e.tracks[idx].encs) > 0 {
		e.encBuf = append(e.encBuf[:0], e.tracks[idx].encs...)
		for _, en := range e.encBuf {
			if en.b < 0 {
				continue
			}
			other := en.a
			if other == idx {
				other = en.b
			}
			if o := &tracks[other]; o.paired != stamp && o.live && now-o.t <= lost {
				o.stamp, o.paired = stamp, stamp
				e.pair(idx, other, now)
			}
		}
	}
	e.zonesFor(idx, now)
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
			e.judge(en, None, false, now, e.rulesFor(th, a.domain, false), func(bool) Prediction { return en.pub.Prediction })
		}
		return
	}
	ma := a.m.At(float64(now-a.t) / 1e9)
	mb := b.m.At(float64(now-b.t) / 1e9)
	var sev Severity
	var stay bool
	var c geo.Conflict
	if a.domain == sea {
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
	} else {
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
		if a.domain == air && sev != None {
			p.ConflictInS, p.ConflictOutS = c.InS, c.OutS
		}
		if withPos {
			p.PosA = position(x.At(ap.TCPAS))
			p.PosB = position(y.At(ap.TCPAS))
		}
		return p
	}
	if en == nil {
		en = &encounter{key: key, a: i, b: j, pub: Encounter{
			A: a.id, B: b.id, PartyA: e.party(a.label), PartyB: e.party(b.label),
			Domain: domainName(a.domain),
		}}
		if a.id > b.id {
			en.pub.A, en.pub.B, en.pub.PartyA, en.pub.PartyB = b.id, a.id, en.pub.PartyB, en.pub.PartyA
		}
		e.openEnc(en, pred(true), now)
		return
	}
	e.judge(en, sev, stay, now, e.rulesFor(th, a.domain, false), pred)
}
