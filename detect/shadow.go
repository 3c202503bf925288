package detect

import (
	"math"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

// Shadowing (DESIGN.md "Relevance"): a state asset staying within ShadowM
// of another party's state asset at sea for ShadowFor or more is an
// encounter of its own kind, one per episode, whatever the approaches
// within it. Global Fishing Watch's encounter rule, its civilian analogue
// (two vessels within 500 m for 2 h at under 2 kn, positions resampled
// every 10 min, gaps of up to 1 h bridged), is compared in
// docs/detection.md.
const (
	// ShadowM is the distance (m) within which an episode runs: 1 NM.
	ShadowM = 1 * deconflict.MetresPerNM
	// ShadowFor is how long the pair must stay within ShadowM before the
	// episode is an encounter.
	ShadowFor = 30 * time.Minute
	// ShadowGap is how long the pair may be beyond ShadowM grown by the
	// close margin (1.25 NM) before the episode ends (Parted): a turn
	// away and back does not start a new one.
	ShadowGap = 10 * time.Minute
)

// shadowState is the running episode of a pair of state ships.
type shadowState struct {
	since   int64 // unix ns: the pair came within ShadowM
	within  int64 // unix ns: last seen within the grown ShadowM
	closest float64
	closeAt int64      // unix ns: when closest was seen
	en      *encounter // open once the episode lasted ShadowFor
}

// shadowKey is the key of a pair's shadowing encounter in Engine.open:
// the pair's key with the top bit set.
const shadowKey = 1 << 63

// shadow runs the shadowing episode of sea tracks i < j at now, given the
// pair's watched thresholds (nil: not watched) and their motions at now.
func (e *Engine) shadow(i, j int32, key uint64, now int64, watched bool, ma, mb geo.Motion) {
	a, b := &e.tracks[i], &e.tracks[j]
	st := e.shadows[key]
	d := math.NaN()
	if watched && e.isAsset(a.label) && e.isAsset(b.label) && !(a.still && b.still) {
		d = geo.ClosestApproach(ma, mb).DistanceM
	}
	grown := ShadowM * e.margin
	switch {
	case d < ShadowM:
		if st == nil {
			st = &shadowState{since: now, closest: d, closeAt: now}
			e.shadows[key] = st
		}
		st.within = now
	case d < grown && st != nil:
		st.within = now
	case st == nil:
		return
	case !watched:
		e.endShadow(key, st, now, NotShared)
		return
	}
	if d == d && st.closest > d {
		st.closest, st.closeAt = d, now
	}
	if st.en == nil && now-st.within < int64(ShadowGap) && now-st.since >= int64(ShadowFor) && st.within == now {
		en := &encounter{key: key | shadowKey, a: i, b: j, pub: Encounter{
			Kind: Shadowing, A: a.id, B: b.id, PartyA: e.party(a.label), PartyB: e.party(b.label),
			Domain: deconflict.Sea, Since: nsToTime(st.since), ClosestAt: nsToTime(st.closeAt),
		}}
		x, y := ma, mb
		if a.id > b.id {
			en.pub.A, en.pub.B, en.pub.PartyA, en.pub.PartyB = b.id, a.id, en.pub.PartyB, en.pub.PartyA
			x, y = mb, ma
		}
		st.en = en
		e.openEnc(en, shadowPrediction(now, Advisory, d, st.closest, x, y), now)
		return
	}
	if st.en != nil {
		x, y := ma, mb
		if st.en.pub.A != a.id {
			x, y = mb, ma
		}
		st.en.pub.Prediction = shadowPrediction(now, Advisory, d, st.closest, x, y)
		st.en.pub.ClosestAt = nsToTime(st.closeAt)
	}
}

// shadowPrediction is a shadowing encounter's prediction: the distance
// now (dM), the least of the episode (closestM) as its CPA, and the two
// positions now.
func shadowPrediction(now int64, sev Severity, dM, closestM float64, x, y geo.Motion) Prediction {
	return Prediction{Time: nsToTime(now), Severity: sev, DistanceM: dM, VerticalM: math.NaN(),
		TCPAS: math.NaN(), CPAM: closestM, CPAVertical: math.NaN(), ConflictInS: math.NaN(), ConflictOutS: math.NaN(),
		PosA: position(x), PosB: position(y)}
}

// endShadow ends the episode st of the pair key at now, closing its
// encounter for reason why.
func (e *Engine) endShadow(key uint64, st *shadowState, now int64, why CloseReason) {
	delete(e.shadows, key)
	if st.en != nil && e.open[st.en.key] == st.en {
		e.close(st.en, now, why)
	}
}

// tickShadows ends the episodes whose pair has been apart for ShadowGap,
// or one of whose tracks is gone.
func (e *Engine) tickShadows(now int64) {
	for key, st := range e.shadows {
		i, j := int32(key>>32), int32(uint32(key))
		gone := !e.tracks[i].live || !e.tracks[j].live
		if gone || now-st.within >= int64(ShadowGap) {
			e.endShadow(key, st, now, Parted)
		}
	}
}

func (e *Engine) isAsset(label uint16) bool { return e.labels[label].asset }
