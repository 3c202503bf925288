// Package detect predicts encounters between tracks of different parties
// and intrusions into declared zones, and runs their lifecycle (opened,
// escalated, updated, closed) with hysteresis. It is pure: no I/O, no
// goroutines, and no clock of its own: time comes from the reports and
// from Tick, which the node calls with its injected clock.
//
// Cost: Update costs O(local density): each track is registered in the
// cells of a surface grid (geo.Surface) covered by the path it can travel
// within the lookahead plus its lost time, and is compared only with the
// tracks sharing one of those cells, whose packed copies each cell holds
// so that the comparison reads memory in sequence. See docs/detection.md.
package detect

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

// Config configures an Engine. The zero value gives the defaults of
// DESIGN.md for every pair of tracks of different, known parties.
type Config struct {
	// Thresholds are the default tiers (zero: DefaultThresholds()).
	Thresholds Thresholds
	// Pair says whether the engine watches pairs of tracks (and zones)
	// of partyA and partyB (partyA <= partyB, "" for unattributed), and
	// with which thresholds: the node answers from the channels the two
	// parties share. Nil means every pair of different non-empty parties,
	// with Thresholds. Thresholds larger than Envelope are clamped to it.
	// The engine caches answers per party pair: call SetPair to change it.
	Pair func(partyA, partyB string) (Thresholds, bool)
	// Envelope bounds the thresholds Pair may return; the spatial index is
	// sized for it (zero: Thresholds).
	Envelope Thresholds
	// CloseMargin (fraction, zero: DefaultCloseMargin; negative: none),
	// SeaCloseHold and AirCloseHold (zero: defaults) set the hysteresis.
	CloseMargin                float64
	SeaCloseHold, AirCloseHold time.Duration
	// SeaLost and AirLost (zero: defaults) are how long a track lives
	// without a report.
	SeaLost, AirLost time.Duration
	// ZoneMarginM (m, zero: DefaultZoneMarginM).
	ZoneMarginM float64
	// SeaCellM and AirCellM are the sides (m) of the spatial grid's cells
	// (zero: DefaultSeaCellM, DefaultAirCellM, chosen by benchmark).
	SeaCellM, AirCellM float64
	// CompactEvery is how often Tick renumbers the tracks for locality
	// (see Compact; zero: DefaultCompactEvery; negative: never).
	CompactEvery time.Duration
	// Tracks is the number of tracks expected, to size the engine's tables
	// up front (zero: grow as needed).
	Tracks int
	// BruteForce compares every track with every other on each update
	// instead of using the spatial index: the all-pairs reference for
	// tests and benchmarks. Same results, O(N) per update.
	BruteForce bool
}

const (
	sea = 0
	air = 1
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

// track is a track's state. The fields an evaluation of a pair reads come
// first, within two cache lines.
type track struct {
	t      int64 // unix ns of the last report
	party  uint16
	domain uint8
	live   bool
	refReg bool         // ref was set when the track was last registered (see Update)
	stamp  uint32       // evaluate: seen as a candidate
	paired uint32       // evaluate: pair run
	encs   []*encounter // open encounters involving the track
	ref    entry        // the track's entries in the index (reach grown by skinM); id < 0: none
	m      geo.Motion
	id     string
	cells  []int32  // index cells the track is registered in (sorted)
	reg0   geo.Vec3 // the registered capsule: segment reg0-reg1 (ECEF, m)
	reg1   geo.Vec3
	regR   float64 // and radius (m)
}

// entry is a track's packed copy in a cell of the index: what the
// candidate loop reads, in sequence, for a quick rejection (apartEntry)
// without touching the track. Each report rewrites it in every cell of the
// track (the loop passes over them all anyway).
type entry struct {
	p, v  [3]float32 // as track.m.P, track.m.V
	reach float32    // track's reach (m), see Engine.reach
	alt   float32    // as track.m.AltM (NaN unknown, and at sea)
	climb float32
	ms    int32 // time of the report, ms since Engine.epoch, rounded down
	id    int32 // track index
	party uint16
	run   uint16 // first of a party's run in a cell: its length (65535: that or more); else 0
}

// hotTrack is what the all-pairs reference reads of every track, packed
// apart from the tracks for the cache. The engine keeps it only in that
// mode.
type hotTrack struct {
	t     int64 // unix ns of the last report
	party uint16
	open  uint16 // open encounters (saturating)
	live  bool
}

type encounter struct {
	pub        Encounter
	key        uint64
	a, b       int32 // track indices (a's ID < b's); b < 0: zone -1-b
	clearSince int64 // unix ns since when the prediction has been outside the grown thresholds; 0: not
	emitted    Prediction
}

type pairInfo struct {
	ok bool
	th Thresholds
}

// Engine predicts encounters. It is not safe for concurrent use: the node
// owns it and feeds it from one goroutine.
type Engine struct {
	cfg     Config
	margin  float64
	hold    [2]int64
	lost    [2]int64
	horizon [2]float64 // s, path length covered by a track's box
	radius  [2]float64 // m, half the grown advisory radius of the envelope
	slack   [2]float64 // m, extra radius of a registration, so that it lasts a few reports (500 m at sea, 1.5 km in the air)
	look    [2]float64 // s, grown advisory lookahead of the envelope
	vert    float64    // m, grown advisory vertical threshold of the envelope (air)

	tracks []track
	hot    []hotTrack // packed copies and marks, apart from tracks for the cache
	keys   []uint64   // scratch
	bufs   []int32    // scratch
	encBuf []*encounter
	free   []int32
	byID   idMap
	grid   [2]*geo.Surface
	cells  [2][][]entry // per domain, per cell number of grid: the entries, sorted by party then track
	zgrid  [2]*geo.Grid
	// epoch (unix ns) is the origin of entry.ms; see rebase.
	epoch int64

	parties  []string
	partyIdx map[string]uint16
	pairs    [][]int32 // [pa][pb] -> index in pairInfos, -1 unknown, -2 not watched
	infos    []pairInfo
	watch    [][]bool // [pa][pb]: pair watched (pairInfo != nil), see watchRow

	zones   []*zone
	zoneIdx map[string]int32

	open   map[uint64]*encounter
	nextID uint64
	stamp  uint32
	// compacted is the engine time (unix ns) of the last Compact by Tick.
	compacted int64
	events    []Event
	stats     Stats
}

// Stats are counters for monitoring and benchmarks.
type Stats struct {
	Tracks      int    // live tracks
	Open        int    // open encounters
	Reports     uint64 // reports applied
	Ignored     uint64 // reports without position, domain or ID, or older than their track
	Pairs       uint64 // pair evaluations (candidates that can come within reach)
	Candidate   uint64 // index entries examined (all-pairs: tracks examined)
	Compactions uint64 // calls of Compact
}

// New returns an engine with cfg. It fails (EINVALID) when the thresholds
// are not positive and nested.
func New(cfg Config) (*Engine, error) {
	if cfg.Thresholds == (Thresholds{}) {
		cfg.Thresholds = DefaultThresholds()
	}
	if err := cfg.Thresholds.Validate(); err != nil {
		return nil, err
	}
	if cfg.Envelope == (Thresholds{}) {
		cfg.Envelope = cfg.Thresholds
	}
	if err := cfg.Envelope.Validate(); err != nil {
		return nil, err
	}
	cfg.Thresholds = clamp(cfg.Thresholds, cfg.Envelope)
	if cfg.CloseMargin == 0 {
		cfg.CloseMargin = DefaultCloseMargin
	} else if cfg.CloseMargin < 0 {
		cfg.CloseMargin = 0
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SeaCloseHold, DefaultSeaCloseHold)
	def(&cfg.AirCloseHold, DefaultAirCloseHold)
	def(&cfg.SeaLost, DefaultSeaLost)
	def(&cfg.AirLost, DefaultAirLost)
	if cfg.CompactEvery == 0 {
		cfg.CompactEvery = DefaultCompactEvery
	}
	if cfg.ZoneMarginM <= 0 {
		cfg.ZoneMarginM = DefaultZoneMarginM
	}
	if cfg.SeaCellM <= 0 {
		cfg.SeaCellM = DefaultSeaCellM
	}
	if cfg.AirCellM <= 0 {
		cfg.AirCellM = DefaultAirCellM
	}
	e := &Engine{
		cfg:      cfg,
		margin:   1 + cfg.CloseMargin,
		hold:     [2]int64{int64(cfg.SeaCloseHold), int64(cfg.AirCloseHold)},
		lost:     [2]int64{int64(cfg.SeaLost), int64(cfg.AirLost)},
		byID:     newIDMap(0),
		partyIdx: map[string]uint16{},
		zoneIdx:  map[string]int32{},
		open:     map[uint64]*encounter{},
	}
	env := cfg.Envelope
	e.slack = [2]float64{500, 1500}
	e.look = [2]float64{env.Sea.LookaheadS * e.margin, env.Air.Advisory.LookaheadS * e.margin}
	e.vert = env.Air.Advisory.VerticalM*e.margin + 1 // float32 copies of altitudes
	e.horizon[sea] = env.Sea.LookaheadS*e.margin + cfg.SeaLost.Seconds()
	e.horizon[air] = env.Air.Advisory.LookaheadS*e.margin + cfg.AirLost.Seconds()
	e.radius[sea] = env.Sea.AdvisoryM * e.margin / 2
	e.radius[air] = env.Air.Advisory.HorizontalM * e.margin / 2
	e.grid = [2]*geo.Surface{geo.NewSurface(cfg.SeaCellM), geo.NewSurface(cfg.AirCellM)}
	if n := cfg.Tracks; n > 0 && n < 1<<26 {
		e.tracks = make([]track, 0, n)
		if cfg.BruteForce {
			e.hot = make([]hotTrack, 0, n)
		}
		e.byID = newIDMap(n)
		for d := range e.grid {
			e.grid[d].Reserve(n)
			e.cells[d] = make([][]entry, 0, n)
		}
	}
	e.zgrid = [2]*geo.Grid{geo.NewGrid(cfg.SeaCellM), geo.NewGrid(cfg.AirCellM)}
	return e, nil
}

func clamp(th, env Thresholds) Thresholds {
	m := math.Min
	th.Sea.AdvisoryM = m(th.Sea.AdvisoryM, env.Sea.AdvisoryM)
	th.Sea.DangerousM = m(th.Sea.DangerousM, th.Sea.AdvisoryM)
	th.Sea.CriticalM = m(th.Sea.CriticalM, th.Sea.DangerousM)
	th.Sea.LookaheadS = m(th.Sea.LookaheadS, env.Sea.LookaheadS)
	v := func(a, e Volume) Volume {
		return Volume{m(a.HorizontalM, e.HorizontalM), m(a.VerticalM, e.VerticalM), m(a.LookaheadS, e.LookaheadS)}
	}
	th.Air.Advisory = v(th.Air.Advisory, env.Air.Advisory)
	th.Air.Warning = v(th.Air.Warning, th.Air.Advisory)
	th.Air.Critical = v(th.Air.Critical, th.Air.Warning)
	th.Air.NMAC = v(th.Air.NMAC, env.Air.Advisory)
	return th
}

// SetPair replaces the Pair hook (see Config) and forgets cached answers.
// Open encounters of pairs no longer watched close with reason NotShared
// at their next evaluation.
func (e *Engine) SetPair(fn func(partyA, partyB string) (Thresholds, bool)) {
	e.cfg.Pair = fn
	e.pairs = nil
	e.infos = nil
	e.watch = nil
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Tracks = e.byID.len()
	s.Open = len(e.open)
	return s
}

func (e *Engine) intern(party string) uint16 {
	if i, ok := e.partyIdx[party]; ok {
		return i
	}
	i := uint16(len(e.parties))
	e.parties = append(e.parties, party)
	e.partyIdx[party] = i
	return i
}

// pairInfo returns the thresholds for parties pa and pb, or nil when the
// pair is not watched.
func (e *Engine) pairInfo(pa, pb uint16) *Thresholds {
	if pa > pb {
		pa, pb = pb, pa
	}
	if int(pa) < len(e.pairs) && int(pb) < len(e.pairs[pa]) {
		if k := e.pairs[pa][pb]; k >= 0 {
			return &e.infos[k].th
		} else if k == -2 {
			return nil
		}
	}
	for int(pa) >= len(e.pairs) {
		e.pairs = append(e.pairs, nil)
	}
	row := e.pairs[pa]
	for int(pb) >= len(row) {
		row = append(row, -1)
	}
	e.pairs[pa] = row
	if row[pb] == -1 {
		a, b := e.parties[pa], e.parties[pb]
		if a > b {
			a, b = b, a
		}
		var th Thresholds
		var ok bool
		if e.cfg.Pair != nil {
			th, ok = e.cfg.Pair(a, b)
			if ok && th == (Thresholds{}) {
				th = e.cfg.Thresholds
			}
			if ok && th.Validate() != nil {
				th = e.cfg.Thresholds
			}
			th = clamp(th, e.cfg.Envelope)
		} else {
			th, ok = e.cfg.Thresholds, a != b && a != "" && b != ""
		}
		if ok {
			row[pb] = int32(len(e.infos))
			e.infos = append(e.infos, pairInfo{true, th})
		} else {
			row[pb] = -2
		}
	}
	if row[pb] < 0 {
		return nil
	}
	return &e.infos[row[pb]].th
}

// watchRow returns, for party pa, whether each known party's tracks are
// watched against pa's (pairInfo != nil), indexed by party.
func (e *Engine) watchRow(pa uint16) []bool {
	for int(pa) >= len(e.watch) {
		e.watch = append(e.watch, nil)
	}
	row := e.watch[pa]
	if len(row) < len(e.parties) {
		for pb := len(row); pb < len(e.parties); pb++ {
			row = append(row, e.pairInfo(pa, uint16(pb)) != nil)
		}
		e.watch[pa] = row
	}
	return row
}

func nsToTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// ms returns now as entry.ms, rebasing the epoch first when now is too
// far from it for an int32 of milliseconds.
func (e *Engine) ms(now int64) int32 {
	if e.epoch == 0 {
		e.epoch = now
	}
	if d := (now - e.epoch) / 1e6; d < -1<<30 || d > 1<<30 {
		e.rebase(now)
	}
	return int32((now - e.epoch) / 1e6)
}

// rebase moves the epoch to now and every entry's time with it (every
// twelve days of engine time). Times further back than int32 allows are
// clamped: those tracks are long lost.
func (e *Engine) rebase(now int64) {
	shift := (now - e.epoch) / 1e6
	move := func(ms int32) int32 { return int32(max(int64(ms)-shift, math.MinInt32)) }
	for d := range e.cells {
		for _, es := range e.cells[d] {
			for k := range es {
				es[k].ms = move(es[k].ms)
			}
		}
	}
	for i := range e.tracks {
		e.tracks[i].ref.ms = move(e.tracks[i].ref.ms)
	}
	e.epoch += shift * 1e6
}

// Update applies one position report and returns the events it causes
// (nil when none). The report's time is the evaluation time: every other
// track is extrapolated to it at constant velocity. Reports without a
// position, ID or known domain, and reports older than their track's last
// one, are ignored (counted in Stats). Unknown speed or course count as
// at rest; unknown climb as level; an aircraft of unknown altitude is
// treated as co-altitude with everything (conservative).
func (e *Engine) Update(r deconflict.Report) []Event {
	var dom uint8
	switch r.Domain {
	case deconflict.Sea:
		dom = sea
	case deconflict.Air:
		dom = air
	default:
		e.stats.Ignored++
		return nil
	}
	if r.ID == "" || !r.HasPosition() || r.Lat < -90 || r.Lat > 90 || r.Time.IsZero() {
		e.stats.Ignored++
		return nil
	}
	now := r.Time.UnixNano()
	idx, known := e.byID.get(r.ID)
	if known && e.tracks[idx].domain != dom {
		// Changed domain: start the track afresh.
		e.drop(idx, now, TrackLost)
		known = false
	}
	if known && now < e.tracks[idx].t {
		e.stats.Ignored++
		return nil
	}
	var party uint16
	if known && r.Party == e.parties[e.tracks[idx].party] {
		party = e.tracks[idx].party // most reports keep their party: no map lookup
	} else {
		party = e.intern(r.Party)
	}
	if !known {
		if n := len(e.free); n > 0 {
			idx = e.free[n-1]
			e.free = e.free[:n-1]
		} else {
			idx = int32(len(e.tracks))
			e.tracks = append(e.tracks, track{})
		}
		e.tracks[idx] = track{id: r.ID, domain: dom, live: true, party: party, encs: e.tracks[idx].encs[:0], cells: e.tracks[idx].cells[:0], ref: entry{id: -1}}
		e.byID.set(r.ID, idx)
	}
	e.stats.Reports++
	t := &e.tracks[idx]
	placed := known
	if known && party != t.party {
		// Entries are sorted by party: leave every cell, and join again
		// below under the new party.
		for _, c := range t.cells {
			e.unindex(dom, c, idx)
		}
		t.cells = t.cells[:0]
		placed = false
	}
	t.party = party
	t.t = now
	alt := r.AltM
	if dom == sea {
		alt = math.NaN()
	}
	t.m = geo.NewMotion(r.Lat, r.Lon, alt, r.SpeedMS, r.CourseDeg, r.ClimbMS)
	if e.cfg.BruteForce {
		for int(idx) >= len(e.hot) {
			e.hot = append(e.hot, hotTrack{})
		}
		h := &e.hot[idx]
		h.t, h.party, h.live = now, party, true
		if !known {
			h.open = 0
		}
	}
	me := entry{
		p:     [3]float32{float32(t.m.P.X), float32(t.m.P.Y), float32(t.m.P.Z)},
		v:     [3]float32{float32(t.m.V.X), float32(t.m.V.Y), float32(t.m.V.Z)},
		reach: float32(e.reach(t)), alt: float32(t.m.AltM), climb: float32(t.m.ClimbMS),
		ms: e.ms(now), id: idx, party: party,
	}
	// A steady track whose entries were written when it was registered
	// needs no registration check for a quarter of its horizon: its path
	// stays within skinM of the one registered, whose capsule is a quarter
	// longer and slack wider (see register).
	steady := placed && e.steady(t, &me)
	rewrite := !steady
	if !steady || !t.refReg || float64(me.ms-t.ref.ms) > e.horizon[dom]*250 {
		moved := !placed || !e.registered(t)
		if moved || !steady {
			t.ref = me
			t.ref.reach += skinM
			rewrite = true
			t.refReg = moved
		}
		if moved {
			e.register(idx, &t.ref)
		}
	}
	e.evaluate(idx, now, &me, rewrite)
	return e.flush()
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
func (e *Engine) reach(t *track) float64 {
	h := e.horizon[t.domain]
	r := e.radius[t.domain]
	c := t.m.V.Norm()*h + r
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
func (e *Engine) register(idx int32, me *entry) {
	t := &e.tracks[idx]
	dom := t.domain
	g := e.grid[dom]
	h := e.horizon[dom]
	r := e.reach(t)
	p0 := t.m.P
	t.reg0, t.reg1 = p0, t.m.P.Add(t.m.V.Scale(h*1.25))
	t.regR = r + e.slack[dom]
	e.keys = g.CapsuleKeys(e.keys[:0], t.reg0, t.reg1, t.regR)
	cells := e.bufs[:0]
	for _, k := range e.keys {
		cells = append(cells, g.Cell(k, true))
	}
	for n := g.Cells(); len(e.cells[dom]) < n; {
		e.cells[dom] = append(e.cells[dom], nil)
	}
	slices.Sort(cells)
	// Merge the sorted old and new cell lists.
	old := t.cells
	i, j := 0, 0
	for i < len(old) || j < len(cells) {
		switch {
		case j == len(cells) || i < len(old) && old[i] < cells[j]:
			e.unindex(dom, old[i], idx)
			i++
		case i == len(old) || cells[j] < old[i]:
			e.cells[dom][cells[j]] = insertEntry(e.cells[dom][cells[j]], *me)
			j++
		default:
			i++
			j++
		}
	}
	e.bufs = cells
	t.cells = append(t.cells[:0], cells...)
}

// unindex removes track idx's entry from cell c of domain dom.
func (e *Engine) unindex(dom uint8, c, idx int32) {
	e.cells[dom][c] = deleteEntry(e.cells[dom][c], e.tracks[idx].party, idx)
}

// deleteEntry removes the entry of track id of party from es (sorted by
// party, then track) and keeps the run lengths.
func deleteEntry(es []entry, party uint16, id int32) []entry {
	s, _ := find(es, party, math.MinInt32) // the run's start
	k, ok := find(es[s:], party, id)
	if !ok {
		return es
	}
	k += s
	n := int(es[s].run) // the run's length, unless saturated
	es = slices.Delete(es, k, k+1)
	switch {
	case n >= math.MaxUint16:
		fixRun(es, party)
	case n > 1:
		es[s].run = uint16(n - 1) // a removed first hands the length on
	}
	return es
}

// insertEntry inserts x into es (sorted by party, then track) and keeps
// the run lengths.
func insertEntry(es []entry, x entry) []entry {
	s, _ := find(es, x.party, math.MinInt32) // the run's start
	k, _ := find(es[s:], x.party, x.id)
	k += s
	n := 0
	if s < len(es) && es[s].party == x.party {
		n = int(es[s].run)
	}
	x.run = 0
	es = slices.Insert(es, k, x)
	if n >= math.MaxUint16-1 {
		fixRun(es, x.party)
		return es
	}
	if k == s && n > 0 {
		es[s+1].run = 0 // the old first, moved up: x goes first
	}
	es[s].run = uint16(n + 1)
	return es
}

// fixRun sets the run lengths of party's entries in es.
func fixRun(es []entry, party uint16) {
	k, _ := find(es, party, math.MinInt32)
	if k == len(es) || es[k].party != party {
		return
	}
	setRun(es, k)
}

// setRun sets the run lengths of the run that starts at k and returns its
// end.
func setRun(es []entry, k int) int {
	end := runEnd(es, k)
	for i := k; i < end; i++ {
		es[i].run = 0
	}
	es[k].run = uint16(min(end-k, math.MaxUint16))
	return end
}

// find returns where the entry of track id of party lies in es (sorted by
// party, then track), or should be inserted, and whether it is there.
func find(es []entry, party uint16, id int32) (int, bool) {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if o := &es[m]; o.party < party || o.party == party && o.id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(es) && es[lo].party == party && es[lo].id == id
}

// runEnd returns the end of the run of entries of es[k]'s party that
// starts at k.
func runEnd(es []entry, k int) int {
	p := es[k].party
	lo, hi := k+1, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].party <= p {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
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

func (e *Engine) flush() []Event {
	if len(e.events) == 0 {
		return nil
	}
	out := e.events
	e.events = nil
	return out
}

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
	if e.cfg.BruteForce {
		hot := e.hot
		mine := hot[idx]
		for j := range tracks {
			if tracks[j].domain != dom || j == int(idx) {
				continue
			}
			o := &hot[j]
			e.stats.Candidate++
			if !o.live || now-o.t > lost {
				continue
			}
			if (mine.open == 0 || o.open == 0) && e.pairInfo(mine.party, o.party) == nil {
				continue
			}
			tracks[j].stamp, tracks[j].paired = stamp, stamp
			e.pair(idx, int32(j), now)
		}
	} else {
		// The candidate loop: the engine's hottest code. In each of the
		// track's cells it rewrites the track's own entry, then reads in
		// sequence the runs of entries of parties watched with the
		// track's, skipping those lost or that cannot come within reach
		// (apartEntry): no encounter can open with those; one already
		// open is run below. Entries of a track in several of the cells
		// are told apart by the stamp only when they pass.
		// A track whose party is watched with no known party's (most
		// often an unattributed one) has no candidates: every entry's
		// party is known.
		watch := e.watchRow(me.party)
		watched := slices.Contains(watch, true)
		look, vert := e.look[dom], e.vert+vskinM
		cells := e.cells[dom]
		n := uint64(0)
		for _, c := range t.cells {
			es := cells[c]
			if rewrite {
				if k, ok := find(es, me.party, idx); ok {
					run := es[k].run
					es[k] = t.ref
					es[k].run = run
				}
			}
			if !watched {
				continue
			}
			for k := 0; k < len(es); {
				end := k + int(es[k].run)
				if end == k || end-k == math.MaxUint16 {
					end = runEnd(es, k)
				}
				p := es[k].party
				if int(p) >= len(watch) {
					watch = e.watchRow(me.party)
				}
				if !watch[p] {
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
	}
	// Open encounters not run above (the other track is not among the
	// candidates, or was skipped as not watched or out of reach), unless
	// the other track is lost, as the all-pairs loop does.
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

// apartEntry reports whether a (just reported) and b (extrapolated from
// its last report to a's time) cannot come within the grown advisory
// thresholds within the grown lookahead look (s): the least straight-line
// (ECEF) distance over that time is more than the sum of their reaches,
// which bounds the horizontal distance in the pair's tangent plane from
// below (see reach); or, both altitudes known, the vertical separation
// stays above vert (the grown vertical threshold, m) throughout.
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
		s = math.Max(0, math.Min(look, -(dpx*dvx+dpy*dvy+dpz*dvz)/v2))
	}
	mx, my, mz := dpx+dvx*s, dpy+dvy*s, dpz+dvz*s
	// float32 positions are good to 0.5 m, velocities to 1e-5 m/s.
	r := float64(a.reach+b.reach) + 3 + 1e-4*look
	return mx*mx+my*my+mz*mz > r*r
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
	th := e.pairInfo(a.party, b.party)
	if th == nil {
		if en != nil {
			e.close(en, now, NotShared)
		}
		return
	}
	e.stats.Pairs++
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
			A: a.id, B: b.id, PartyA: e.parties[a.party], PartyB: e.parties[b.party],
			Domain: domainName(a.domain),
		}}
		if a.id > b.id {
			en.pub.A, en.pub.B, en.pub.PartyA, en.pub.PartyB = b.id, a.id, en.pub.PartyB, en.pub.PartyA
		}
		e.openEnc(en, sev, pred(true), now)
		return
	}
	e.judge(en, sev, stay, now, a.domain, pred)
}

func domainName(d uint8) deconflict.Domain {
	if d == air {
		return deconflict.Air
	}
	return deconflict.Sea
}

func position(m geo.Motion) Position {
	ll := geo.ToLatLon(m.P)
	return Position{ll.Lat, ll.Lon, m.AltM}
}

func (e *Engine) openEnc(en *encounter, sev Severity, p Prediction, now int64) {
	e.nextID++
	en.pub.ID = e.nextID
	en.pub.Severity = sev
	en.pub.Opened = nsToTime(now)
	en.pub.Prediction = p
	en.emitted = p
	e.open[en.key] = en
	e.tracks[en.a].encs = append(e.tracks[en.a].encs, en)
	if en.b >= 0 {
		e.tracks[en.b].encs = append(e.tracks[en.b].encs, en)
	}
	e.countOpen(en)
	e.emit(Opened, now, en)
}

// judge runs the lifecycle of an open encounter given the tier predicted
// now (sev) and whether the prediction is inside the grown thresholds.
// The encounter keeps the prediction of its last event: predicted
// positions cost two ECEF to geodetic conversions, so they are computed
// only for events.
func (e *Engine) judge(en *encounter, sev Severity, stay bool, now int64, dom uint8, pred func(withPos bool) Prediction) {
	if !stay && sev == None {
		if en.clearSince == 0 {
			en.clearSince = now
		}
		if now-en.clearSince >= e.hold[dom] {
			en.pub.Prediction = pred(true)
			e.close(en, now, Separated)
		}
		return
	}
	en.clearSince = 0
	if sev > en.pub.Severity {
		en.pub.Severity = sev
		en.pub.Prediction = pred(true)
		en.emitted = en.pub.Prediction
		e.emit(Escalated, now, en)
		return
	}
	if now-en.emitted.Time.UnixNano() < e.hold[dom] {
		return // as material would say, without a prediction
	}
	if e.material(en, pred(false), dom) {
		en.pub.Prediction = pred(true)
		en.emitted = en.pub.Prediction
		e.emit(Updated, now, en)
	}
}

// material reports whether p differs enough from the last emitted
// prediction to be worth an Updated event: at least the close hold
// (DefaultSeaCloseHold, DefaultAirCloseHold) after the last event of the
// encounter, the CPA distance moved by more than a quarter of the advisory
// distance (zones: the time to entry), or the CPA time by more than a
// tenth of the lookahead.
func (e *Engine) material(en *encounter, p Prediction, dom uint8) bool {
	q := en.emitted
	if p.Time.Sub(q.Time) < time.Duration(e.hold[dom]) {
		return false
	}
	th := e.cfg.Envelope
	dist, look := th.Sea.AdvisoryM, th.Sea.LookaheadS
	if dom == air {
		dist, look = th.Air.Advisory.HorizontalM, th.Air.Advisory.LookaheadS
	}
	if (p.TCPAS == p.TCPAS) != (q.TCPAS == q.TCPAS) {
		return true
	}
	dt := 0.0
	if p.TCPAS == p.TCPAS {
		dt = p.Time.Sub(q.Time).Seconds() + p.TCPAS - q.TCPAS
	}
	return en.b >= 0 && math.Abs(p.CPAM-q.CPAM) > dist/4 || math.Abs(dt) > look/10
}

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
	e.countOpen(en)
	e.emit(Closed, now, en)
}

// countOpen refreshes the all-pairs reference's counts of open
// encounters of en's tracks.
func (e *Engine) countOpen(en *encounter) {
	if !e.cfg.BruteForce {
		return
	}
	e.hot[en.a].open = sat(len(e.tracks[en.a].encs))
	if en.b >= 0 {
		e.hot[en.b].open = sat(len(e.tracks[en.b].encs))
	}
}

func sat(n int) uint16 { return uint16(min(n, math.MaxUint16)) }

func (e *Engine) emit(typ EventType, now int64, en *encounter) {
	e.events = append(e.events, Event{Type: typ, Time: nsToTime(now), Encounter: en.pub})
}

// Remove drops the track id (closing its encounters with reason TrackLost
// at now) and returns the events. Unknown IDs are ignored.
func (e *Engine) Remove(id string, now time.Time) []Event {
	if idx, ok := e.byID.get(id); ok {
		e.drop(idx, now.UnixNano(), TrackLost)
	}
	return e.flush()
}

func (e *Engine) drop(idx int32, now int64, why CloseReason) {
	t := &e.tracks[idx]
	for len(t.encs) > 0 {
		e.close(t.encs[0], now, why)
	}
	for _, c := range t.cells {
		e.unindex(t.domain, c, idx)
	}
	e.byID.del(t.id)
	encs, cells := t.encs[:0], t.cells[:0]
	*t = track{encs: encs, cells: cells, ref: entry{id: -1}}
	if e.cfg.BruteForce {
		e.hot[idx] = hotTrack{}
	}
	e.free = append(e.free, idx)
}

// Tick advances the engine's clock to now: tracks without a report for
// longer than their lost time are dropped (their encounters close with
// TrackLost), encounters whose prediction has stayed outside the grown
// thresholds for the close hold close (Separated), and zone encounters of
// zones whose window has ended close (ZoneInactive). Events are ordered by
// encounter ID. Tick costs O(tracks + open encounters): call it about once
// a second.
func (e *Engine) Tick(now time.Time) []Event {
	ns := now.UnixNano()
	if every := int64(e.cfg.CompactEvery); every > 0 && !e.cfg.BruteForce {
		if e.compacted == 0 {
			e.compacted = ns
		} else if ns-e.compacted >= every {
			e.compacted = ns
			e.Compact()
		}
	}
	for i := range e.tracks {
		t := &e.tracks[i]
		if t.live && ns-t.t > e.lost[t.domain] {
			e.drop(int32(i), ns, TrackLost)
		}
	}
	var due []*encounter
	for _, en := range e.open {
		dom := sea
		if en.pub.Domain == deconflict.Air {
			dom = air
		}
		if en.clearSince != 0 && ns-en.clearSince >= e.hold[dom] {
			due = append(due, en)
		} else if en.b < 0 && e.zones[-1-en.b].to <= ns {
			due = append(due, en)
		}
	}
	slices.SortFunc(due, func(x, y *encounter) int { return cmpU64(x.pub.ID, y.pub.ID) })
	for _, en := range due {
		why := Separated
		if en.b < 0 && e.zones[-1-en.b].to <= ns {
			why = ZoneInactive
		}
		e.close(en, ns, why)
	}
	out := e.flush()
	// Track drops close encounters in track order; keep the documented
	// order by ID.
	slices.SortStableFunc(out, func(x, y Event) int { return cmpU64(x.Encounter.ID, y.Encounter.ID) })
	return out
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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
	var hot []hotTrack
	if e.cfg.BruteForce {
		hot = make([]hotTrack, len(order), max(cap(e.hot), len(order)))
	}
	for k, old := range order {
		remap[old] = int32(k)
		tracks[k] = e.tracks[old]
		tracks[k].ref.id = int32(k)
		if hot != nil {
			hot[k] = e.hot[old]
		}
	}
	e.byID.remap(remap)
	for d := range e.cells {
		for _, es := range e.cells[d] {
			for k := range es {
				es[k].id = remap[es[k].id]
			}
			slices.SortFunc(es, func(a, b entry) int { return cmp.Or(cmp.Compare(a.party, b.party), cmp.Compare(a.id, b.id)) })
			for k := 0; k < len(es); {
				k = setRun(es, k)
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
		} else {
			en.key = uint64(en.a)<<32 | 1<<31 | uint64(-1-en.b)
		}
		open[en.key] = en
	}
	e.open = open
	e.tracks, e.hot = tracks, hot
	e.free = e.free[:0]
	e.stats.Compactions++
}

// Open returns the open encounters ordered by ID, each with the
// prediction of its last event.
func (e *Engine) Open() []Encounter {
	out := make([]Encounter, 0, len(e.open))
	for _, en := range e.open {
		out = append(out, en.pub)
	}
	slices.SortFunc(out, func(x, y Encounter) int { return cmpU64(x.ID, y.ID) })
	return out
}
