package detect

import (
	"cmp"
	"math"
	"slices"

	"github.com/deconflict/deconflict/geo"
)

// Default cell sizes of the index (m), chosen by benchmark on sim.Load.
const (
	DefaultSeaCellM = 30e3
	DefaultAirCellM = 90e3
)

// A track's entries in the index keep the motion of an earlier report (its
// reference) while the paths predicted from its later reports stay within
// skinM horizontally and vskinM vertically of the reference's over the
// horizon, so that a track moving steadily does not rewrite its entries on
// every report: the entries' reach is grown by skinM, and apartEntry's
// vertical threshold by vskinM.
const (
	skinM  = 100
	vskinM = 15
)

// entry is a track's packed copy in a cell of the index: what the
// candidate loop reads, in sequence, for a quick rejection (apartEntry)
// without touching the track. A report that moves the track's path by
// more than the skin rewrites it in every cell of the track.
type entry struct {
	p, v  [3]float32 // as track.m.P, track.m.V
	reach float32    // track's reach (m), see Engine.reach
	alt   float32    // as track.m.AltM (NaN unknown, and at sea)
	climb float32
	ms    int32  // time of the report, ms since Engine.epoch, rounded down
	id    int32  // track index
	label uint16 // as track.label
}

// A cell of the index: its entries, sorted by label then track; the
// cell's runs, one per label in the same order, each with its label and
// where it ends, so that the candidate loop skips the runs of labels not
// watched without reading their entries; and (in the air grid) the
// entries' altitude bands (levelBand) in the same order, which the
// candidate loop reads first (two bytes an entry instead of 48) to skip
// aircraft at other levels.
type cell struct {
	es    []entry
	runs  []run
	bands []uint16
}

// run is a label's run of entries in a cell: es[start:end], where start
// is the previous run's end (0 for the first).
type run struct {
	label uint16
	end   int32
}

// Altitude bands. Band 0 is for the entries the candidate loop must
// always read (unknown altitude, ships, aircraft climbing or descending
// faster than levelMS); bands 1 and up are for the level aircraft, by
// altitude in steps of bandM from bandBaseM. An aircraft looking for
// candidates reads, of the level ones, only those in the bands its
// vertical reach can meet (vertWindow): on traffic spread over 11 km of
// altitude (BlueSky's traffic box, issue 18), about a tenth. A level
// aircraft's entries are rewritten at least every quarter of its horizon
// (Update), which bounds how far their altitude drifts.
const (
	bandM     = 150
	bandBaseM = -2000
	levelMS   = 0.35
)

// bandOf returns the band of a level entry at altitude alt (m, not NaN):
// non-decreasing in alt, 1 and up.
func bandOf(alt float64) uint16 {
	// A product by a positive constant is non-decreasing, and so is the
	// conversion, which truncates (rounds down, from 0 up).
	x := (alt - bandBaseM) * (1.0 / bandM)
	switch {
	case !(x >= 0):
		return 1
	case x >= math.MaxUint16-1:
		return math.MaxUint16
	}
	return uint16(x) + 1
}

// levelBand returns x's altitude band (0: always read).
func (x *entry) levelBand() uint16 {
	if x.alt != x.alt || !(math.Abs(float64(x.climb)) <= levelMS) {
		return 0
	}
	return bandOf(float64(x.alt))
}

// vertWindow returns the bands (lo to hi) in which lie the level entries
// that me (just reported, at now) can come within the vertical threshold
// vert (m) of within look (s): a level entry's altitude drifts by at most
// levelMS over its age and look, and its age is at most the air lost time
// plus a quarter of the air horizon (Update rewrites older ones), or how
// far the latest report is ahead of me. false when me's altitude is
// unknown (or not finite): every entry must then be read.
func (e *Engine) vertWindow(me *entry, now int64, look, vert float64) (lo, hi uint16, ok bool) {
	alt, climb := float64(me.alt), float64(me.climb)
	if !(math.Abs(alt) < 1e7 && math.Abs(climb) < 1e4) {
		return 0, 0, false
	}
	age := float64(e.lost[air])/1e9 + e.horizon[air]/4
	age = max(age, float64(e.latest-now)/1e9) + 2e-3 // ms rounding, both ways
	d := vert + 1e-3 + levelMS*(age+look) + 1
	a0, a1 := alt, alt+climb*look
	return bandOf(min(a0, a1) - d), bandOf(max(a0, a1) + d), true
}

// ms returns now as entry.ms, rebasing the epoch first when now is too
// far from it for an int32 of milliseconds.
func (e *Engine) ms(now int64) int32 {
	if e.epoch == 0 {
		e.epoch = now
	}
	d := (now - e.epoch) / 1e6
	if d < -1<<30 || d > 1<<30 {
		e.rebase(now)
		d = (now - e.epoch) / 1e6
	}
	return int32(d)
}

// rebase moves the epoch to now and every entry's time with it (every
// twelve days of engine time). Times further back than int32 allows are
// clamped: those tracks are long lost.
func (e *Engine) rebase(now int64) {
	shift := (now - e.epoch) / 1e6
	move := func(ms int32) int32 { return int32(max(int64(ms)-shift, math.MinInt32)) }
	for d := range e.cells {
		for _, c := range e.cells[d] {
			for k := range c.es {
				c.es[k].ms = move(c.es[k].ms)
			}
		}
	}
	for i := range e.tracks {
		e.tracks[i].ref.ms = move(e.tracks[i].ref.ms)
	}
	e.epoch += shift * 1e6
}

// steady reports whether the track's entries (t.ref) still stand for its
// new report me: over the horizon, the path predicted from me stays within
// the entries' reach less me's of the reference's, and within vskinM
// vertically.
func (e *Engine) steady(t *track, me *entry) bool {
	ref := &t.ref
	if ref.id != me.id || (ref.alt == ref.alt) != (me.alt == me.alt) {
		return false
	}
	h := e.horizon[t.domain]
	dt := float64(me.ms-ref.ms) / 1e3
	var d, dv float64
	for k := range 3 {
		x := float64(me.p[k]) - float64(ref.p[k]) - float64(ref.v[k])*dt
		y := float64(me.v[k]) - float64(ref.v[k])
		d += x * x
		dv += y * y
	}
	if float64(me.reach)+math.Sqrt(d)+math.Sqrt(dv)*h+1 > float64(ref.reach) {
		return false
	}
	if me.alt == me.alt {
		dz := math.Abs(float64(me.alt)-float64(ref.alt)-float64(ref.climb)*dt) + math.Abs(float64(me.climb-ref.climb))*h
		if dz > vskinM-1 {
			return false
		}
	}
	return true
}

// reach returns the radius (m) around the track's path that the index
// must cover: half the grown advisory radius plus the bound on how far the
// tangent-plane measure can fall short of the straight ECEF distance (see
// docs/detection.md).
func (e *Engine) reach(t *track) float64 { return e.reachV(t.domain, t.m.V) }

// reachV is reach for a track of domain dom moving at v.
func (e *Engine) reachV(dom uint8, v geo.Vec3) float64 {
	h := e.horizon[dom&1]
	r := e.radius[dom&1]
	c := v.Norm()*h + r
	return r + c*c/geo.WGS84B + 100
}

// box returns the ECEF box around the path the track can travel from its
// last report over its horizon, grown by its reach.
func (e *Engine) box(t *track) geo.Box {
	return geo.SegmentBox(t.m.P, t.m.V, e.horizon[t.domain], e.reach(t))
}

// registered reports whether the track's registration contains its
// capsule: the path it can travel over the horizon from its last report,
// grown by its reach.
func (e *Engine) registered(t *track) bool {
	h := e.horizon[t.domain]
	r := e.reach(t)
	p0, p1 := t.m.P, t.m.P.Add(t.m.V.Scale(h))
	return segDist(p0, t.reg0, t.reg1)+r <= t.regR && segDist(p1, t.reg0, t.reg1)+r <= t.regR
}

// register registers the track in every grid cell within its reach of its
// path over the horizon (a capsule). A registration covers a quarter more
// path and a little more radius (slack) than needed, and is kept while it
// still contains the capsule (registered), so that most reports move no
// registration at all. Cells the track joins get a copy of me; evaluate
// rewrites it in the others.
//
// An aircraft that can be under the air-sea height within its horizon
// (lowNow) is registered with the same capsule in the sea grid as well,
// where ships are: both domains meet in that index, and the air-sea
// pairs are found there.
func (e *Engine) register(idx int32, me *entry) {
	t := &e.tracks[idx]
	dom := t.domain
	h := e.horizon[dom]
	r := e.reach(t)
	p0 := t.m.P
	t.reg0, t.reg1 = p0, t.m.P.Add(t.m.V.Scale(h*1.25))
	t.regR = r + e.slack[dom]
	t.cells = e.place(dom, idx, me, t.cells, true)
	if dom == air {
		t.low = e.lowNow(t)
		t.cells2 = e.place(sea, idx, me, t.cells2, t.low)
	}
}

// place moves track idx's entries in grid dom from the cells old to those
// its registered capsule covers (none unless in), and returns the new
// list (old's storage reused).
func (e *Engine) place(dom uint8, idx int32, me *entry, old []int32, in bool) []int32 {
	t := &e.tracks[idx]
	g := e.grid[dom]
	cells := e.bufs[:0]
	if in {
		e.keys = g.CapsuleKeys(e.keys[:0], t.reg0, t.reg1, t.regR)
		for _, k := range e.keys {
			cells = append(cells, g.Cell(k, true))
		}
		for n := g.Cells(); len(e.cells[dom]) < n; {
			e.cells[dom] = append(e.cells[dom], cell{})
		}
		slices.Sort(cells)
	}
	// Merge the sorted old and new cell lists.
	i, j := 0, 0
	for i < len(old) || j < len(cells) {
		switch {
		case j == len(cells) || i < len(old) && old[i] < cells[j]:
			e.unindex(dom, old[i], idx)
			i++
		case i == len(old) || cells[j] < old[i]:
			c := &e.cells[dom][cells[j]]
			k := c.insert(*me)
			if dom == air {
				c.bands = slices.Insert(c.bands, k, me.levelBand())
			}
			j++
		default:
			i++
			j++
		}
	}
	e.bufs = cells
	return append(old[:0], cells...)
}

// lowNow reports whether aircraft t can be under the grown air-sea height
// within its horizon, at its present altitude and climb (unknown
// altitude: always, conservatively). Ships are never low.
func (e *Engine) lowNow(t *track) bool {
	if t.domain != air {
		return false
	}
	alt := t.m.AltM
	if alt != alt {
		return true
	}
	if c := t.m.ClimbMS; c == c && c < 0 {
		alt += c * e.horizon[air]
	}
	return alt < e.ceilAS
}

// unindexAll removes track idx from every cell it is in.
func (e *Engine) unindexAll(idx int32) {
	t := &e.tracks[idx]
	for _, c := range t.cells {
		e.unindex(t.domain, c, idx)
	}
	for _, c := range t.cells2 {
		e.unindex(sea, c, idx)
	}
	t.cells, t.cells2, t.low = t.cells[:0], t.cells2[:0], false
}

// unindex removes track idx's entry from cell c of domain dom.
func (e *Engine) unindex(dom uint8, c, idx int32) {
	x := &e.cells[dom][c]
	if k := x.delete(e.tracks[idx].label, idx); k >= 0 && dom == air {
		x.bands = slices.Delete(x.bands, k, k+1)
	}
}

// span returns the run of label in c (r: its index in c.runs, or where it
// would go) and its entries' bounds, es[start:end] (start = end when the
// cell holds no entry of label).
func (c *cell) span(label uint16) (r, start, end int) {
	lo, hi := 0, len(c.runs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.runs[m].label < label {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo > 0 {
		start = int(c.runs[lo-1].end)
	}
	if lo < len(c.runs) && c.runs[lo].label == label {
		return lo, start, int(c.runs[lo].end)
	}
	return lo, start, start
}

// find returns where the entry of track id of label lies in c (sorted by
// label, then track), or should be inserted, and whether it is there.
func (c *cell) find(label uint16, id int32) (int, bool) {
	_, lo, end := c.span(label)
	k := lo + findID(c.es[lo:end], id)
	return k, k < end && c.es[k].id == id
}

// findID returns where the entry of track id lies in es (one label's
// run, sorted by track) or should be inserted.
func findID(es []entry, id int32) int {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// insert inserts x into c, keeping the entries sorted and the runs, and
// returns where x went. x's track must not be in c under x's label.
func (c *cell) insert(x entry) int {
	r, start, end := c.span(x.label)
	if start == end {
		c.runs = slices.Insert(c.runs, r, run{label: x.label, end: int32(start)})
	}
	k := start + findID(c.es[start:end], x.id)
	c.es = slices.Insert(c.es, k, x)
	for i := r; i < len(c.runs); i++ {
		c.runs[i].end++
	}
	return k
}

// delete removes the entry of track id of label from c, keeping the runs,
// and returns where it was (-1: not there).
func (c *cell) delete(label uint16, id int32) int {
	r, start, end := c.span(label)
	k := start + findID(c.es[start:end], id)
	if k == end || c.es[k].id != id {
		return -1
	}
	c.es = slices.Delete(c.es, k, k+1)
	for i := r; i < len(c.runs); i++ {
		c.runs[i].end--
	}
	if end-start == 1 {
		c.runs = slices.Delete(c.runs, r, r+1)
	}
	return k
}

// setRuns sets c's runs from its entries (sorted by label, then track).
func (c *cell) setRuns() {
	c.runs = c.runs[:0]
	for k, x := range c.es {
		if n := len(c.runs); n == 0 || c.runs[n-1].label != x.label {
			c.runs = append(c.runs, run{label: x.label})
		}
		c.runs[len(c.runs)-1].end = int32(k + 1)
	}
}

// segDist returns the distance (m) from p to the segment a-b.
func segDist(p, a, b geo.Vec3) float64 {
	d := b.Sub(a)
	l2 := d.Dot(d)
	f := 0.0
	if l2 > 0 {
		f = math.Max(0, math.Min(1, p.Sub(a).Dot(d)/l2))
	}
	return p.Sub(a.Add(d.Scale(f))).Norm()
}

// Compact renumbers the tracks so that tracks near each other are stored
// next to each other (in Morton order of their grid cells), which turns
// most of the candidate loop's cache misses into hits. It costs
// O(N log N) (tens of milliseconds for 200,000 tracks) and changes no
// result; Tick calls it every CompactEvery of engine time, and callers
// may call it after a bulk load.
func (e *Engine) Compact() {
	n := len(e.tracks)
	order := make([]int32, 0, e.byID.len())
	codes := make([]uint64, n)
	for i := range e.tracks {
		if t := &e.tracks[i]; t.live {
			order = append(order, int32(i))
			codes[i] = uint64(t.domain)<<63 | e.grid[t.domain].Morton(t.m.P)>>1
		}
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Or(cmp.Compare(codes[a], codes[b]), cmp.Compare(a, b)) })
	remap := make([]int32, n)
	for i := range remap {
		remap[i] = -1
	}
	tracks := make([]track, len(order), max(cap(e.tracks), len(order)))
	for k, old := range order {
		remap[old] = int32(k)
		tracks[k] = e.tracks[old]
		tracks[k].ref.id = int32(k)
	}
	e.byID.remap(remap)
	for d := range e.cells {
		for c := range e.cells[d] {
			x := &e.cells[d][c]
			es, bands := x.es, x.bands
			for k := range es {
				es[k].id = remap[es[k].id]
			}
			slices.SortFunc(es, func(a, b entry) int { return cmp.Or(cmp.Compare(a.label, b.label), cmp.Compare(a.id, b.id)) })
			x.setRuns()
			for k := range bands {
				bands[k] = es[k].levelBand()
			}
		}
	}
	open := make(map[uint64]*encounter, len(e.open))
	for _, en := range e.open {
		en.a = remap[en.a]
		if en.b >= 0 {
			en.b = remap[en.b]
			if en.a > en.b {
				en.a, en.b = en.b, en.a
			}
			en.key = uint64(en.a)<<32 | uint64(uint32(en.b))
			if en.pub.Kind == Shadowing {
				en.key |= shadowKey
			}
		} else {
			en.key = uint64(en.a)<<32 | 1<<31 | uint64(-1-en.b)
		}
		open[en.key] = en
	}
	e.open = open
	shadows := make(map[uint64]*shadowState, len(e.shadows))
	for key, st := range e.shadows {
		a, b := remap[int32(key>>32)], remap[int32(uint32(key))]
		shadows[uint64(min(a, b))<<32|uint64(uint32(max(a, b)))] = st
	}
	e.shadows = shadows
	e.tracks = tracks
	e.free = e.free[:0]
	e.stats.Compactions++
}

// apartEntry reports whether a (just reported) and b (extrapolated from
// its last report to a's time) cannot come within the advisory thresholds
// within the lookahead look (s, grown): the least straight-line (ECEF)
// distance over that time is more than the sum of their reaches (grown),
// which bounds the horizontal distance in the pair's tangent plane from
// below (see reach); or, both altitudes known, the vertical separation
// stays above vert (the advisory vertical threshold, m, not grown: see
// Engine.sized) throughout.
func apartEntry(a, b *entry, look, vert float64) bool {
	// b's time is good to a millisecond: it may be extrapolated up to
	// 1 ms short, which moves it by under 1 m below 1,000 m/s.
	tb := float64(a.ms-b.ms) / 1e3
	if a.alt == a.alt && b.alt == b.alt {
		// Vertical first: aircraft at other levels are most of those
		// rejected, and this is cheaper.
		z0 := float64(b.alt) + float64(b.climb)*(tb+1e-3) - float64(a.alt)
		z1 := z0 + float64(b.climb-a.climb)*look
		h := vert + math.Abs(float64(b.climb))*1e-3
		if z0 >= h && z1 >= h || z0 <= -h && z1 <= -h {
			return true
		}
	}
	dpx := float64(b.p[0]) - float64(a.p[0]) + float64(b.v[0])*tb
	dpy := float64(b.p[1]) - float64(a.p[1]) + float64(b.v[1])*tb
	dpz := float64(b.p[2]) - float64(a.p[2]) + float64(b.v[2])*tb
	dvx := float64(b.v[0]) - float64(a.v[0])
	dvy := float64(b.v[1]) - float64(a.v[1])
	dvz := float64(b.v[2]) - float64(a.v[2])
	s := 0.0
	if v2 := dvx*dvx + dvy*dvy + dvz*dvz; v2 > 0 {
		s = max(0, min(look, -(dpx*dvx+dpy*dvy+dpz*dvz)/v2))
	}
	mx, my, mz := dpx+dvx*s, dpy+dvy*s, dpz+dvz*s
	// float32 positions are good to 0.5 m, velocities to 1e-5 m/s.
	r := float64(a.reach+b.reach) + 3 + 1e-4*look
	return mx*mx+my*my+mz*mz > r*r
}
