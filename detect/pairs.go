package detect

// Party labels and the pair cache: which pairs of tracks the engine
// watches, and with which thresholds.
//
// Tracks carry a label: a small number standing for their party, whether
// they are a state asset or civilian, and their domain (intern). Whether two labels' tracks are watched, and with which
// thresholds, is the Pair hook's answer (Config.Pair), which the engine
// remembers in a fixed number of slots (pairCache): its memory does not
// grow with the number of parties, as a table of every pair did (10,000
// party labels, one per aircraft, ran `scan` out of memory).

import "github.com/deconflict/deconflict/geo"

// pairSlots is the number of answers the cache keeps (a power of two):
// 16,384 slots of 8 bytes, 128 KiB, in pairs (two ways). A pair whose
// slots other pairs took is asked again, which costs the hook's call and
// nothing else.
const (
	pairBits  = 14
	pairSlots = 1 << pairBits
)

// pairSlot is one cached answer: key is 1 + the pair's labels (a<<16|b,
// a <= b), 0 when empty; th is the index of its thresholds in
// pairCache.ths, or -1 when the pair is not watched.
type pairSlot struct {
	key uint32
	th  int32
}

// pairCache remembers the Pair hook's answers. The thresholds of watched
// pairs are kept once per distinct value (channels agree few).
type pairCache struct {
	slots []pairSlot
	ths   []Thresholds
	thIdx map[Thresholds]int32
	// wide caches Config.Widen's answers per pair of civilian labels.
	wide map[uint32]*widening
}

func (c *pairCache) reset() {
	c.slots = nil
	c.ths = c.ths[:0]
	clear(c.thIdx)
	clear(c.wide)
}

// widening is a pair of civilian labels' Config.Widen answer: the areas
// inside which the pair is watched, with these thresholds.
type widening struct {
	areas []geo.Area
	th    Thresholds
}

// MaxParties bounds the labels an engine tells apart (16 bits): a label
// is a party with its tracks' kind (asset or civilian) and domain, so
// there are up to four per party. Reports that would need one more are
// ignored.
const MaxParties = 1<<16 - 1

// label is what a track's label stands for: its party (its owner for an
// asset, its affiliation for a civilian track; "" unattributed), whether
// it is a state asset, and its domain.
type label struct {
	party string
	asset bool
	dom   uint8
}

// intern returns the label of (party, asset, dom), making a new one;
// false when MaxParties labels are known and this is not one of them.
func (e *Engine) intern(party string, asset bool, dom uint8) (uint16, bool) {
	l := label{party, asset, dom}
	if i, ok := e.labelIdx[l]; ok {
		return i, true
	}
	if len(e.labels) >= MaxParties {
		return 0, false
	}
	i := uint16(len(e.labels))
	e.labels = append(e.labels, l)
	e.labelIdx[l] = i
	if e.aloneOK && len(e.labels) <= aloneMax {
		e.alone = append(e.alone, true)
		for m := range e.labels {
			if (e.alone[m] || e.alone[i]) && e.watched(uint16(m), i) {
				e.alone[m], e.alone[i] = false, false
			}
		}
	}
	return i, true
}

// aloneMax bounds the labels for which the engine keeps whether each is
// alone: watched with no label known (with itself neither), so that its
// tracks' updates skip the candidate loop, which would find no run
// watched (sim.Load's unattributed half, DESIGN.md's civilian tracks
// without a party). Keeping it asks the pair cache (and the hooks) for
// every pair of labels, as labels come: beyond aloneMax labels (a party
// per track, say) no label is taken as alone, and every track runs the
// loop.
const aloneMax = 128

// isAlone reports whether label l is alone (see aloneMax), working it out
// for every label afresh after the hooks changed (resetPairs).
func (e *Engine) isAlone(l uint16) bool {
	if len(e.labels) > aloneMax {
		return false
	}
	if !e.aloneOK {
		n := len(e.labels)
		e.alone = e.alone[:0]
		for range n {
			e.alone = append(e.alone, true)
		}
		for a := range n {
			for b := a; b < n; b++ {
				if (e.alone[a] || e.alone[b]) && e.watched(uint16(a), uint16(b)) {
					e.alone[a], e.alone[b] = false, false
				}
			}
		}
		e.aloneOK = true
	}
	return e.alone[l]
}

// resetPairs forgets the pair cache's answers and which labels are
// alone: the hooks or the envelope changed.
func (e *Engine) resetPairs() {
	e.pc.reset()
	e.aloneOK = false
}

// sameLabel reports whether label i stands for party and asset (in its
// domain): most reports keep their track's label.
func (e *Engine) sameLabel(i uint16, party string, asset bool) bool {
	l := &e.labels[i]
	return l.party == party && l.asset == asset
}

// party returns the party of label i.
func (e *Engine) party(i uint16) string { return e.labels[i].party }

// pairTh returns the index in e.pc.ths of the thresholds for labels pa
// and pb, or -1 when the pair is not watched. A pair of two civilian
// tracks is never watched (DESIGN.md "Relevance"), unless
// Config.Civilian. Without a Pair hook, pairs of different, non-empty
// parties are watched with Config.Thresholds (index 0).
func (e *Engine) pairTh(pa, pb uint16) int32 {
	la, lb := &e.labels[pa], &e.labels[pb]
	if !la.asset && !lb.asset && !e.cfg.Civilian {
		return -1
	}
	if e.cfg.Pair == nil {
		if la.party == lb.party || la.party == "" || lb.party == "" {
			return -1
		}
		return 0
	}
	if pa > pb {
		pa, pb = pb, pa
	}
	key := uint32(pa)<<16 | uint32(pb)
	c := &e.pc
	if c.slots == nil {
		c.slots = make([]pairSlot, pairSlots)
	}
	// Two ways: the slot the key hashes to and its neighbour; a new
	// answer goes first and moves the older one to the neighbour.
	h := (key * 0x9e3779b1) >> (32 - pairBits)
	s, s2 := &c.slots[h], &c.slots[h^1]
	if s.key == key+1 {
		return s.th
	}
	if s2.key == key+1 {
		return s2.th
	}
	a, b := e.labels[pa].party, e.labels[pb].party
	if a > b {
		a, b = b, a
	}
	k := int32(-1)
	if th, ok := e.cfg.Pair(a, b); ok {
		if th == (Thresholds{}) || th.Validate() != nil {
			th = e.cfg.Thresholds
		}
		th = clamp(th, e.cfg.Envelope)
		var known bool
		if k, known = c.thIdx[th]; !known {
			k = int32(len(c.ths))
			c.ths = append(c.ths, th)
			c.thIdx[th] = k
		}
	}
	*s2 = *s
	*s = pairSlot{key + 1, k}
	return k
}

// pairInfo returns the thresholds for labels pa and pb, or nil when the
// pair is not watched. The pointer is good until the next call.
func (e *Engine) pairInfo(pa, pb uint16) *Thresholds {
	k := e.pairTh(pa, pb)
	switch {
	case k < 0:
		return nil
	case e.cfg.Pair == nil:
		return &e.cfg.Thresholds
	}
	return &e.pc.ths[k]
}

// watched reports whether tracks of labels pa and pb are watched
// (somewhere: a widened pair of civilian labels is only inside its areas).
func (e *Engine) watched(pa, pb uint16) bool {
	return e.pairTh(pa, pb) >= 0 || e.widening(pa, pb) != nil
}

// widening returns Config.Widen's answer for two civilian labels of
// different, non-empty parties, or nil (not civilian, no hook, no area,
// or the parties share no channel: Pair says no).
func (e *Engine) widening(pa, pb uint16) *widening {
	if e.cfg.Widen == nil || e.cfg.Civilian {
		return nil
	}
	la, lb := &e.labels[pa], &e.labels[pb]
	if la.asset || lb.asset || la.party == lb.party || la.party == "" || lb.party == "" {
		return nil
	}
	if pa > pb {
		pa, pb = pb, pa
	}
	key := uint32(pa)<<16 | uint32(pb)
	c := &e.pc
	if w, ok := c.wide[key]; ok {
		return w
	}
	if c.wide == nil || len(c.wide) >= pairSlots {
		c.wide = map[uint32]*widening{} // bounded as the slots are
	}
	a, b := la.party, lb.party
	if a > b {
		a, b = b, a
	}
	var w *widening
	if areas := e.cfg.Widen(a, b); len(areas) > 0 {
		th, ok := e.cfg.Thresholds, true
		if e.cfg.Pair != nil {
			var pth Thresholds
			if pth, ok = e.cfg.Pair(a, b); ok && pth != (Thresholds{}) && pth.Validate() == nil {
				th = pth
			}
		}
		if ok {
			w = &widening{areas: areas, th: clamp(th, e.cfg.Envelope)}
		}
	}
	c.wide[key] = w
	return w
}

// widened returns the thresholds of a widened pair of civilian labels
// when one of its areas holds p or q (the two tracks' positions), else nil.
func (e *Engine) widened(pa, pb uint16, p, q geo.Vec3) *Thresholds {
	w := e.widening(pa, pb)
	if w == nil {
		return nil
	}
	for _, a := range w.areas {
		if a.Contains(p) || a.Contains(q) {
			return &w.th
		}
	}
	return nil
}
