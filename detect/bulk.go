package detect

// The batch path: a full pass (start-up, a feed's first snapshot, `scan`'s
// first second) hands the engine thousands of reports of tracks it does
// not know yet. UpdateBatch gives the events Update would give on each in
// turn, from the same internal state, but finds each track's candidates in
// cells sorted by altitude band once for the whole run, instead of
// reading the band list of every cell of the track on every report.

import (
	"math"
	"slices"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

// bulkMinRun is the shortest run of new tracks that UpdateBatch loads in
// bulk, and bulkShare how many times it must be at least the live tracks
// (4: a quarter; see UpdateBatch). Shorter runs go through Update. The
// tests lower both, to load every run in bulk.
var bulkMinRun, bulkShare = 256, 4

// UpdateBatch applies the reports in order and returns their events: the
// same events, in the same order, and the same engine state as calling
// Update on each in turn and concatenating what it returns (only
// Stats.Candidate, the entries examined, differs). Runs of reports of
// tracks the engine does not know, at least bulkMinRun long and a quarter
// of the live tracks, are loaded in bulk (see bulk); the other reports go
// through Update.
func (e *Engine) UpdateBatch(rs []deconflict.Report) []Event {
	var out []Event
	add := func(evs []Event) {
		if out == nil {
			out = evs
		} else {
			out = append(out, evs...)
		}
	}
	for i := 0; i < len(rs); {
		n := e.freshRun(rs[i:])
		if n >= bulkMinRun && bulkShare*n >= e.byID.len() {
			if m := e.bulk(rs[i : i+n]); m > 0 {
				add(e.flush())
				i += m
				continue
			}
		}
		n = max(n, 1)
		for _, r := range rs[i : i+n] {
			add(e.Update(r))
		}
		i += n
	}
	return out
}

// freshRun returns how many of the leading reports have IDs the engine
// does not know (an ID repeated among them is found by bulk).
func (e *Engine) freshRun(rs []deconflict.Report) int {
	for k := range rs {
		if _, ok := e.byID.get(rs[k].ID); ok {
			return k
		}
	}
	return len(rs)
}

// bulkTrack is what bulk keeps of each new track of its run.
type bulkTrack struct {
	idx    int32
	now    int64
	latest int64   // Engine.latest when Update would have evaluated the track
	ref    entry   // the track's reference entry (t.ref), which its cells hold
	reach  float32 // the report's own reach: the report's entry (Update's me) is ref with it
	cands  int32   // its candidates: bulkState.cands[cands:cands+nc]
	nc     int32
}

// bulkCell is a cell the run reaches, for step 3: room for all its
// entries (the tracks' reference entries, as in the cell) in
// bulkState.ents[start:start+n], by label (its runs, bulkState.runs[r0:
// r0+nr], in the cell's order) and in each label by band (see bulkRun).
type bulkCell struct {
	start, n int32
	r0, nr   int32
}

// bulkRun is a label's run in a bulkCell, in segments: the first for band
// 0, then one per band from minB up (nb of them; the sea grid keeps no
// bands: one segment), segment i starting at bulkState.offs[off+i] (from
// the cell's start) and holding, up to bulkState.fill[off+i], the entries
// of tracks known before the run and then of the run's tracks scanned so
// far: those Update would find there.
type bulkRun struct {
	label uint16
	minB  uint16
	nb    int32
	off   int32
}

// seg returns the segment of band bd in r.
func (r *bulkRun) seg(bd uint16) int {
	if bd == 0 || r.nb == 0 {
		return 0
	}
	return 1 + int(bd-r.minB)
}

// bulkState is bulk's scratch.
type bulkState struct {
	run    []bulkTrack
	cellAt [2][]int32 // per grid, per cell: its bulkCell, -1 if the run reaches it not
	cells  []bulkCell
	runs   []bulkRun
	ents   []entry
	fill   []int32
	offs   []int32
	cands  []int32 // the run's candidates, track by track (bulkTrack.cands)
	seen   []int32
	pass   []int32
	slab   []int32 // storage for the tracks' cell lists (bulkCells)
	lonely []int8  // per label: 1 alone, -1 not, 0 not asked yet (alone)
	// msMin is the entry time of the run's earliest report; short, that
	// the run spans less than the shorter lost time, less 2 ms (an
	// entry's time is rounded to the ms towards the epoch, so an entry at
	// msMin or later is of a report less than 2 ms before the earliest):
	// then a track whose entry is at msMin or later is not lost at any
	// report of the run.
	msMin int32
	short bool
}

// alone reports whether label l is watched with no label known
// (Engine.isAlone), once all the run's labels are known: then no track can
// find its entries as candidates, nor find any, and Update, whose answer
// can only have been alone too when it evaluated the track (a label stops
// being alone as labels come), skips its scan.
func (b *bulkState) alone(e *Engine, l uint16) bool {
	for int(l) >= len(b.lonely) {
		b.lonely = append(b.lonely, 0)
	}
	if b.lonely[l] == 0 {
		b.lonely[l] = -1
		if e.isAlone(l) {
			b.lonely[l] = 1
		}
	}
	return b.lonely[l] > 0
}

// bulk loads a run of reports of new tracks (freshRun) and returns how
// many it took (it stops before a report whose ID it has met in the run,
// or that would rebase the epoch). Its events are left in e.events, in
// Update's order. It works in four steps:
//
//  1. each report is applied as Update applies a new track's (its track,
//     label, motion, entry and the cells its capsule covers), in order, so
//     that the ID table, the track indices and the cell numbers are those
//     Update would leave;
//  2. each cell the run reaches is written once, with its new entries
//     among the old, sorted by party then track, with their runs, as
//     Update's insertions leave them; and copied, for step 3 only, ordered by altitude band
//     and by position in the run;
//  3. each new track reads, in its cells, only the entries of tracks that
//     Update would have found there (known before, or before it in the
//     run: a prefix of each band), of band 0 and of the bands its vertical
//     reach meets (vertWindow), with scan's tests (watched, apartEntry,
//     lost): the candidates Update would evaluate, in its order (cell by
//     cell, by party then track in each, each track once);
//  4. in run order, each track's candidates are evaluated (pair: the
//     same evaluation and lifecycle) and then its zones (zonesFor), which
//     opens the encounters in Update's order with Update's IDs.
func (e *Engine) bulk(run []deconflict.Report) int {
	b := &bulkState{run: make([]bulkTrack, 0, len(run))}
	taken := 0
	for m := range run {
		r := &run[m]
		dom, ok := usable(r)
		if !ok {
			e.stats.Ignored++
			taken++
			continue
		}
		now := r.Time.UnixNano()
		if e.epoch != 0 {
			if d := (now - e.epoch) / 1e6; d < -1<<30 || d > 1<<30 {
				break // Update rebases
			}
		}
		// Most of a run's reports share their label with the one before.
		var label uint16
		if len(b.run) > 0 && e.tracks[b.run[len(b.run)-1].idx].domain == dom && e.sameLabel(b.run[len(b.run)-1].ref.label, r.Party, r.Asset) {
			label = b.run[len(b.run)-1].ref.label
		} else {
			var ok bool
			if label, ok = e.intern(r.Party, r.Asset, dom); !ok {
				e.stats.Ignored++
				taken++
				continue
			}
		}
		idx := int32(len(e.tracks))
		if n := len(e.free); n > 0 {
			idx = e.free[n-1]
		}
		if !e.byID.add(r.ID, idx) {
			break // met earlier in the run: Update takes it
		}
		if n := len(e.free); n > 0 {
			e.free = e.free[:n-1]
			old := &e.tracks[idx]
			e.tracks[idx] = track{id: r.ID, domain: dom, live: true, label: label, encs: old.encs[:0], cells: old.cells[:0], cells2: old.cells2[:0], ref: entry{id: -1}}
		} else {
			// The same, in place: the new slot is zero (a composite
			// literal would be built aside and copied).
			e.tracks = append(e.tracks, track{})
			t := &e.tracks[idx]
			t.id, t.domain, t.live, t.label, t.ref.id = r.ID, dom, true, label, -1
		}
		e.stats.Reports++
		e.latest = max(e.latest, now)
		t := &e.tracks[idx]
		t.t = now
		t.still = still(r)
		alt := r.AltM
		if dom == sea {
			alt = math.NaN()
		}
		t.m = geo.NewMotion(r.Lat, r.Lon, alt, r.SpeedMS, r.CourseDeg, r.ClimbMS)
		reach := e.reach(t)
		me := entry{
			p:     [3]float32{float32(t.m.P.X), float32(t.m.P.Y), float32(t.m.P.Z)},
			v:     [3]float32{float32(t.m.V.X), float32(t.m.V.Y), float32(t.m.V.Z)},
			reach: float32(reach), alt: float32(t.m.AltM), climb: float32(t.m.ClimbMS),
			ms: e.ms(now), id: idx, label: label,
		}
		t.ref = me
		t.ref.reach += skinM
		t.refReg = true
		// register's capsule and cells, the entries written in step 2.
		h := e.horizon[dom]
		t.reg0, t.reg1 = t.m.P, t.m.P.Add(t.m.V.Scale(h*1.25))
		t.regR = reach + e.slack[dom]
		t.cells = e.bulkCells(b, dom, t, t.cells)
		if dom == air {
			if t.low = e.lowNow(t); t.low {
				t.cells2 = e.bulkCells(b, sea, t, t.cells2)
			}
		}
		b.run = append(b.run, bulkTrack{idx: idx, now: now, latest: e.latest, ref: t.ref, reach: me.reach})
		taken++
	}
	if len(b.run) == 0 {
		return taken
	}
	lo, hi := b.run[0].now, b.run[0].now
	for _, bt := range b.run {
		lo, hi = min(lo, bt.now), max(hi, bt.now)
	}
	b.msMin = int32((lo - e.epoch) / 1e6)
	b.short = hi-lo+2*int64(time.Millisecond) < min(e.lost[sea], e.lost[air])
	e.bulkWrite(b)
	e.bulkCandidates(b)
	latest := e.latest
	// Each candidate opens at most one encounter (the run's tracks are
	// new), about half of them in BlueSky's box: room for half, in the
	// events and in slabs of encounters (newEncounter).
	if e.events == nil {
		e.events = make([]Event, 0, len(b.cands)/2+16)
	}
	if len(e.open) == 0 {
		e.open = make(map[uint64]*encounter, len(b.cands)/2)
	}
	e.encChunk = max(64, len(b.cands)/8)
	for p := range b.run {
		bt := &b.run[p]
		e.latest = bt.latest
		for _, j := range b.cands[bt.cands : bt.cands+bt.nc] {
			e.pair(bt.idx, j, bt.now)
		}
		e.zonesFor(bt.idx, bt.now)
	}
	e.encSlab, e.encChunk, e.encPtrs = nil, 0, nil
	e.latest = latest
	return taken
}

// bulkCells returns the cells of grid dom that track t's registered
// capsule covers, sorted, as place lists them: in dst's storage when it
// has room, else carved from a slab shared by the run's tracks (capped,
// so that a later append moves it out).
func (e *Engine) bulkCells(b *bulkState, dom uint8, t *track, dst []int32) []int32 {
	g := e.grid[dom]
	e.keys = g.CapsuleKeys(e.keys[:0], t.reg0, t.reg1, t.regR)
	if n := len(e.keys); cap(dst) < n {
		if len(b.slab)+n > cap(b.slab) {
			b.slab = make([]int32, 0, max(4096, n))
		}
		k := len(b.slab)
		b.slab = b.slab[:k+n]
		dst = b.slab[k : k : k+n]
	}
	dst = dst[:0]
	for _, k := range e.keys {
		dst = append(dst, g.Cell(k, true))
	}
	for n := g.Cells(); len(e.cells[dom]) < n; {
		e.cells[dom] = append(e.cells[dom], cell{})
	}
	slices.Sort(dst)
	return dst
}

// bulkWrite writes the run's entries in the cells they reach (step 2 of
// bulk): each such cell once, its old entries and the new merged by party
// then track, with their runs and bands, as insert leaves them; and
// copies them ordered by band and position in the run (bulkCell).
func (e *Engine) bulkWrite(b *bulkState) {
	for g := range 2 {
		// Count the new entries of each cell, in cell order.
		at := b.cellAt[g][:0]
		for range e.cells[g] {
			at = append(at, -1)
		}
		b.cellAt[g] = at
		count := make([]int32, len(e.cells[g])+1)
		for p := range b.run {
			t := &e.tracks[b.run[p].idx]
			for _, c := range e.listIn(t, uint8(g)) {
				count[c+1]++
			}
		}
		for c := 1; c < len(count); c++ {
			count[c] += count[c-1]
		}
		total := count[len(count)-1]
		if total == 0 {
			continue
		}
		// The new entries of each cell, by position in the run.
		news := make([]int32, total)
		fill := slices.Clone(count[:len(count)-1])
		for p := range b.run {
			t := &e.tracks[b.run[p].idx]
			for _, c := range e.listIn(t, uint8(g)) {
				news[fill[c]] = int32(p)
				fill[c]++
			}
		}
		// Room for the copies of every cell reached (bulkCopy).
		room := 0
		for c := range e.cells[g] {
			if count[c+1] > count[c] {
				room += len(e.cells[g][c].es) + int(count[c+1]-count[c])
			}
		}
		b.ents = slices.Grow(b.ents, room)
		var sorted []int32
		for c := range e.cells[g] {
			nw := news[count[c]:count[c+1]]
			if len(nw) == 0 {
				continue
			}
			x := &e.cells[g][c]
			old := len(x.es)
			// By party then track: in run order already when the run's
			// tracks are of one party and numbered in order (a fresh
			// engine's load).
			sorted = append(sorted[:0], nw...)
			byEntry := func(p, q int32) int {
				a, c := &b.run[p].ref, &b.run[q].ref
				if a.label != c.label {
					return int(a.label) - int(c.label)
				}
				return int(a.id) - int(c.id)
			}
			if !slices.IsSortedFunc(sorted, byEntry) {
				slices.SortFunc(sorted, byEntry)
			}
			oldEs := x.es
			es := make([]entry, 0, old+len(nw))
			i := 0
			for _, p := range sorted {
				ref := &b.run[p].ref
				for i < old && (x.es[i].label < ref.label || x.es[i].label == ref.label && x.es[i].id < ref.id) {
					es = append(es, x.es[i])
					i++
				}
				es = append(es, *ref)
			}
			es = append(es, x.es[i:]...)
			x.es = es
			x.setRuns()
			if g == air {
				bands := make([]uint16, len(es))
				for k := range es {
					bands[k] = es[k].levelBand()
				}
				x.bands = bands
			}
			at[c] = int32(len(b.cells))
			b.cells = append(b.cells, e.bulkCopy(b, uint8(g), x, oldEs))
		}
	}
}

// listIn returns t's cells in grid g (its own, or the sea grid's of a low
// aircraft).
func (e *Engine) listIn(t *track, g uint8) []int32 {
	if t.domain == g {
		return t.cells
	}
	if g == sea {
		return t.cells2
	}
	return nil
}

// bulkCopy makes room for cell x's entries for step 3 (see bulkCell)
// and copies its old ones (those it had before the run) in their
// segments.
func (e *Engine) bulkCopy(b *bulkState, g uint8, x *cell, old []entry) bulkCell {
	n := len(x.es)
	bc := bulkCell{start: int32(len(b.ents)), n: int32(n), r0: int32(len(b.runs)), nr: int32(len(x.runs))}
	b.ents = slices.Grow(b.ents, n)[:int(bc.start)+n]
	from := 0
	for _, xr := range x.runs {
		to := int(xr.end)
		r := bulkRun{label: xr.label, off: int32(len(b.offs))}
		if g == air {
			lo, hi := uint16(math.MaxUint16), uint16(0)
			for _, bd := range x.bands[from:to] {
				if bd != 0 {
					lo, hi = min(lo, bd), max(hi, bd)
				}
			}
			if lo <= hi {
				r.minB, r.nb = lo, int32(hi-lo)+1
			}
		}
		ns := int(r.nb) + 1
		for range ns + 1 {
			b.offs = append(b.offs, 0)
		}
		offs := b.offs[r.off:]
		offs[0] = int32(from)
		if r.nb == 0 {
			offs[1] = int32(to - from)
		} else {
			for _, bd := range x.bands[from:to] {
				offs[r.seg(bd)+1]++
			}
		}
		for i := 1; i <= ns; i++ {
			offs[i] += offs[i-1]
		}
		b.fill = append(b.fill, offs[:ns+1]...) // (one more, to keep fill aligned with offs)
		b.runs = append(b.runs, r)
		from = to
	}
	ents := b.ents[bc.start:]
	for k := range old {
		if b.alone(e, old[k].label) {
			continue // no track can have it as a candidate
		}
		i := b.runOf(&bc, old[k].label)
		r := &b.runs[i]
		f := int(r.off) + r.seg(old[k].levelBand())
		ents[b.fill[f]] = old[k]
		b.fill[f]++
	}
	return bc
}

// runOf returns the index in b.runs of label's run in c (which has one).
func (b *bulkState) runOf(c *bulkCell, label uint16) int {
	rs := b.runs[c.r0 : c.r0+c.nr]
	lo, hi := 0, len(rs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if rs[m].label < label {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return int(c.r0) + lo
}

// bulkCandidates finds each new track's candidates (step 3 of bulk), in
// run order: a track's entries join its cells' segments once it is
// scanned.
func (e *Engine) bulkCandidates(b *bulkState) {
	b.cands = b.cands[:0]
	saved := e.latest
	for p := range b.run {
		bt := &b.run[p]
		bt.cands = int32(len(b.cands))
		t := &e.tracks[bt.idx]
		b.seen = b.seen[:0]
		e.latest = bt.latest
		// A track of a label watched with none (isAlone: Update's
		// evaluate skips its scan) has no candidate.
		if !b.alone(e, bt.ref.label) {
			e.bulkScan(b, int32(p), t.domain, t.cells, false)
			if t.domain == air && len(t.cells2) > 0 {
				e.bulkScan(b, int32(p), sea, t.cells2, true)
			}
		}
		bt.nc = int32(len(b.cands)) - bt.cands
		if b.alone(e, bt.ref.label) {
			continue // no track can have it as a candidate
		}
		bd := bt.ref.levelBand()
		for g := range 2 {
			at := b.cellAt[g]
			for _, c := range e.listIn(t, uint8(g)) {
				bc := &b.cells[at[c]]
				r := &b.runs[b.runOf(bc, bt.ref.label)]
				i := int(r.off) + r.seg(bd)
				b.ents[int(bc.start)+int(b.fill[i])] = bt.ref
				b.fill[i]++
			}
		}
	}
	e.latest = saved
}

// bulkScan is scan for the run's track p (step 3 of bulk): it appends to
// b.cands the track's candidates in grid g's cells of list, in scan's
// order, reading of each band only the prefix of entries of tracks known
// before or before it in the run, of band 0 and of the bands within its
// vertical reach.
func (e *Engine) bulkScan(b *bulkState, p int32, g uint8, list []int32, cross bool) {
	bt := &b.run[p]
	mine := bt.ref
	mine.reach = bt.reach
	me, now := &mine, bt.now
	tracks := e.tracks
	dom := tracks[bt.idx].domain
	vert := e.vert + vskinM
	n := uint64(0)
	lastP, lastW, lastLook := uint16(0), false, 0.0
	asked := false
	bandLo, bandHi, banded := uint16(0), uint16(math.MaxUint16), false
	if g == air {
		bandLo, bandHi, banded = e.vertWindow(me, now, e.vlook, vert)
	}
	meAlt, meMS := float64(me.alt), me.ms
	mp0, mp1, mp2 := float64(me.p[0]), float64(me.p[1]), float64(me.p[2])
	mv0, mv1, mv2 := float64(me.v[0]), float64(me.v[1]), float64(me.v[2])
	known := me.alt == me.alt
	pass := b.pass[:0]
	for _, c := range list {
		bc := &b.cells[b.cellAt[g][c]]
		ents := b.ents[bc.start : bc.start+bc.n]
		pass = pass[:0]
		for _, r := range b.runs[bc.r0 : bc.r0+bc.nr] {
			if pl := r.label; !asked || pl != lastP {
				lastP, asked = pl, true
				lastW, lastLook = e.runLook(me.label, pl, dom, cross)
			}
			if !lastW {
				continue
			}
			offs, fill := b.offs[r.off:], b.fill[r.off:]
			// The segments to read: band 0, and the bands within reach.
			lo, hi := 0, int(r.nb)-1
			if banded && r.nb > 0 {
				lo = max(int(bandLo), int(r.minB)) - int(r.minB)
				hi = min(int(bandHi), int(r.minB)+int(r.nb)-1) - int(r.minB)
			}
			for t, nt := 0, 1+max(0, hi-lo+1); t < nt; t++ {
				sg := 0 // band 0, then the bands lo to hi
				if t > 0 {
					sg = lo + t
				}
				for i := offs[sg]; i < fill[sg]; i++ {
					n++
					o := &ents[i]
					// apartEntry(me, o, lastLook, vert), inline, with me's
					// coordinates converted once.
					tb := 0.0 // float64(meMS-o.ms) / 1e3, without the division in a snapshot
					if o.ms != meMS {
						tb = float64(meMS-o.ms) / 1e3
					}
					if known && o.alt == o.alt {
						z0 := float64(o.alt) + float64(o.climb)*(tb+1e-3) - meAlt
						z1 := z0 + float64(o.climb-me.climb)*lastLook
						h := vert + math.Abs(float64(o.climb))*1e-3
						if z0 >= h && z1 >= h || z0 <= -h && z1 <= -h {
							continue
						}
					}
					dpx := float64(o.p[0]) - mp0 + float64(o.v[0])*tb
					dpy := float64(o.p[1]) - mp1 + float64(o.v[1])*tb
					dpz := float64(o.p[2]) - mp2 + float64(o.v[2])*tb
					dvx := float64(o.v[0]) - mv0
					dvy := float64(o.v[1]) - mv1
					dvz := float64(o.v[2]) - mv2
					t := 0.0
					if v2 := dvx*dvx + dvy*dvy + dvz*dvz; v2 > 0 {
						// max(0, min(look, -dot/v2)) as apartEntry has it
						// (the builtins are math.Max and math.Min), without
						// the division when it gives 0: diverging.
						if dot := dpx*dvx + dpy*dvy + dpz*dvz; !(dot >= 0) {
							t = max(0, min(lastLook, -dot/v2))
						}
					}
					mx, my, mz := dpx+dvx*t, dpy+dvy*t, dpz+dvz*t
					rr := float64(me.reach+o.reach) + 3 + 1e-4*lastLook
					if mx*mx+my*my+mz*mz > rr*rr {
						continue
					}
					pass = append(pass, i)
				}
			}
		}
		// scan's order: by party then track in the cell; a track met in
		// an earlier cell (or grid) is not evaluated again.
		if len(pass) > 1 {
			slices.SortFunc(pass, func(x, y int32) int {
				a, c := &ents[x], &ents[y]
				if a.label != c.label {
					return int(a.label) - int(c.label)
				}
				return int(a.id) - int(c.id)
			})
		}
		for _, i := range pass {
			j := ents[i].id
			if slices.Contains(b.seen, j) {
				continue
			}
			b.seen = append(b.seen, j)
			// Lost? Not when its entry is of the run's time span and the
			// span is shorter than any lost time (a snapshot): no need
			// to read the track. (A track of the run has its report's
			// time already.)
			if (ents[i].ms < b.msMin || !b.short) && now-tracks[j].t > e.lost[tracks[j].domain] {
				continue
			}
			b.cands = append(b.cands, j)
		}
	}
	b.pass = pass
	e.stats.Candidate += n
}

// newEncounter returns storage for a new pair encounter: during a bulk
// load (encChunk > 0), carved from slabs of encChunk encounters, one
// allocation for many (a slab stays allocated while any of its
// encounters is referenced: at most the bulk load's encounters, which
// were opened together); otherwise its own allocation.
func (e *Engine) newEncounter() *encounter {
	if e.encChunk == 0 {
		return new(encounter)
	}
	if len(e.encSlab) == 0 {
		e.encSlab = make([]encounter, e.encChunk)
	}
	en := &e.encSlab[0]
	e.encSlab = e.encSlab[1:]
	return en
}

// addEnc adds en to track i's open encounters. During a bulk load, a
// track's first list (room for two) is carved from a slab shared by the
// run's tracks (capped, so that a third encounter moves it out).
func (e *Engine) addEnc(i int32, en *encounter) {
	t := &e.tracks[i]
	if cap(t.encs) == 0 && e.encChunk > 0 {
		if len(e.encPtrs)+2 > cap(e.encPtrs) {
			e.encPtrs = make([]*encounter, 0, 2*e.encChunk)
		}
		k := len(e.encPtrs)
		e.encPtrs = e.encPtrs[:k+2]
		t.encs = e.encPtrs[k : k : k+2]
	}
	t.encs = append(t.encs, en)
}
