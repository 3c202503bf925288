package detect

import (
	"math"

	"github.com/deconflict/deconflict"
)

// lifecycle decides an open encounter's events from its successive
// predictions, whatever produced them (a pair's CPA, a state-based
// conflict, a zone entry). It is plain data: the tests drive it with
// plain predictions (lifecycle_test.go), and the all-pairs reference of
// the property tests runs the same rules on predictions of its own.
type lifecycle struct {
	highest    Severity   // the highest tier reached
	clearSince int64      // unix ns since when the prediction has been outside the grown thresholds; 0: not
	emitted    Prediction // the prediction of the last event
}

// lifeRules are one encounter's lifecycle parameters: how long (ns) the
// prediction must stay outside the grown thresholds before it closes and
// before an Updated event may follow another event, and the changes that
// make a prediction material: its CPA distance by more than materialM (m;
// +Inf: never, as for zones) or its CPA time by more than materialS (s).
type lifeRules struct {
	hold      int64
	materialM float64
	materialS float64
}

// rulesFor returns the lifecycle rules for thresholds th and a pair of
// kind sea, air or airSea (zone: a zone encounter): updates are material
// when the CPA moves by a quarter of the lowest tier's distance, or its
// time by a tenth of its lookahead, of the pair's own thresholds; air-sea
// encounters take the air's hold.
func (e *Engine) rulesFor(th *Thresholds, kind uint8, zone bool) lifeRules {
	r := lifeRules{hold: e.hold[sea], materialM: th.Sea.AdvisoryM / 4, materialS: th.Sea.LookaheadS / 10}
	switch kind {
	case air:
		r = lifeRules{hold: e.hold[air], materialM: th.Air.Advisory.HorizontalM / 4, materialS: th.Air.Advisory.LookaheadS / 10}
	case airSea:
		r = lifeRules{hold: e.hold[air], materialM: th.AirSea.Dangerous.HorizontalM / 4, materialS: th.AirSea.Dangerous.LookaheadS / 10}
	}
	if zone {
		r.materialM = math.Inf(1)
	}
	return r
}

// open starts the lifecycle with the first prediction (at or above
// Advisory).
func (l *lifecycle) open(p Prediction) {
	l.highest, l.clearSince, l.emitted = p.Severity, 0, p
}

// step runs the lifecycle of an open encounter at now given the tier
// predicted (sev) and whether the prediction is inside the thresholds
// grown by the close margin (stay), and returns the event to emit (0:
// none) with its prediction:
//   - Closed (reason Separated) once the prediction has been outside the
//     grown thresholds and below Advisory for the hold;
//   - Escalated when sev is above every tier reached before;
//   - Updated when, at least the hold after the last event, the
//     prediction differs materially from that event's.
//
// pred computes the prediction (with the positions at the CPA when
// withPos: two ECEF to geodetic conversions, so only for events); it is
// called without positions to judge whether a change is material.
func (l *lifecycle) step(now int64, sev Severity, stay bool, r lifeRules, pred func(withPos bool) Prediction) (EventType, Prediction) {
	if !stay && sev == None {
		if l.clearSince == 0 {
			l.clearSince = now
		}
		if now-l.clearSince >= r.hold {
			return Closed, pred(true)
		}
		return 0, Prediction{}
	}
	l.clearSince = 0
	if sev > l.highest {
		l.highest = sev
		l.emitted = pred(true)
		return Escalated, l.emitted
	}
	if now-l.emitted.Time.UnixNano() < r.hold {
		return 0, Prediction{} // as material would say, without a prediction
	}
	if l.material(pred(false), r) {
		l.emitted = pred(true)
		return Updated, l.emitted
	}
	return 0, Prediction{}
}

// due reports whether the lifecycle closes at now without a new
// prediction (Tick): the prediction has been outside the grown
// thresholds for the hold.
func (l *lifecycle) due(now, hold int64) bool {
	return l.clearSince != 0 && now-l.clearSince >= hold
}

// material reports whether p differs enough from the last emitted
// prediction to be worth an Updated event: at least the hold after it,
// and the CPA distance moved by more than r.materialM, or the CPA time
// (the time to entry for zones) by more than r.materialS, or the CPA
// became known or unknown.
func (l *lifecycle) material(p Prediction, r lifeRules) bool {
	q := l.emitted
	if p.Time.UnixNano()-q.Time.UnixNano() < r.hold {
		return false
	}
	if (p.TCPAS == p.TCPAS) != (q.TCPAS == q.TCPAS) {
		return true
	}
	dt := 0.0
	if p.TCPAS == p.TCPAS {
		dt = p.Time.Sub(q.Time).Seconds() + p.TCPAS - q.TCPAS
	}
	return math.Abs(p.CPAM-q.CPAM) > r.materialM || math.Abs(dt) > r.materialS
}

// openEnc opens en with its first prediction p and emits Opened.
func (e *Engine) openEnc(en *encounter, p Prediction, now int64) {
	e.nextID++
	en.pub.ID = e.nextID
	en.pub.Severity = p.Severity
	en.pub.Opened = nsToTime(now)
	en.pub.Prediction = p
	en.life.open(p)
	e.open[en.key] = en
	e.addEnc(en.a, en)
	if en.b >= 0 {
		e.addEnc(en.b, en)
	}
	en.alerted, en.alertedAny = p.Severity, true
	if c, ok := e.closed[en.name()]; ok && now < c.until && p.Severity <= c.sev {
		en.alerted, en.alertedAny = c.sev, false
	}
	e.emit(Opened, now, en, en.alertedAny)
}

// judge runs en's lifecycle at now (see lifecycle.step) and emits its
// event, if any. The encounter keeps the prediction of its last event.
func (e *Engine) judge(en *encounter, sev Severity, stay bool, now int64, r lifeRules, pred func(withPos bool) Prediction) {
	typ, p := en.life.step(now, sev, stay, r, pred)
	if typ == 0 {
		return
	}
	en.pub.Prediction = p
	en.pub.Severity = en.life.highest
	if typ == Closed {
		e.close(en, now, Separated)
		return
	}
	alert := false
	if typ == Escalated && en.life.highest > en.alerted {
		en.alerted, en.alertedAny, alert = en.life.highest, true, true
	}
	e.emit(typ, now, en, alert)
}

// close closes en at now for reason why and emits Closed.
func (e *Engine) close(en *encounter, now int64, why CloseReason) {
	en.pub.Reason = why
	delete(e.open, en.key)
	remove := func(i int32) {
		t := &e.tracks[i]
		for k, x := range t.encs {
			if x == en {
				t.encs = append(t.encs[:k], t.encs[k+1:]...)
				break
			}
		}
	}
	remove(en.a)
	if en.b >= 0 {
		remove(en.b)
	}
	if d := e.rearm[en.dom()]; d > 0 {
		e.closed[en.name()] = closedPair{en.alerted, now + d}
	}
	e.emit(Closed, now, en, en.alertedAny)
}

// name names en's pair for the re-arm memory.
func (en *encounter) name() pairName { return pairName{en.pub.Kind, en.pub.A, en.pub.B, en.pub.Zone} }

// dom returns the index of en's domain for the per-domain settings:
// air-sea encounters take the air's.
func (en *encounter) dom() uint8 {
	if en.pub.Domain == deconflict.Sea {
		return sea
	}
	return air
}

// forget drops the re-arm memory of pairs whose time has passed.
func (e *Engine) forget(now int64) {
	for k, c := range e.closed {
		if now >= c.until {
			delete(e.closed, k)
		}
	}
}
