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
	// with which thresholds (zero or invalid: Thresholds): the node
	// answers from the channels the two parties share. Nil means every
	// pair of different non-empty parties, with Thresholds. Thresholds
	// larger than Envelope are clamped to it. The engine caches answers
	// (in memory independent of the number of parties, see pairs.go):
	// call SetPair to change it.
	Pair func(partyA, partyB string) (Thresholds, bool)
	// Civilian also watches pairs of two civilian tracks (reports whose
	// Asset is false), which DESIGN.md's "Relevance" excludes by default:
	// `scan --all`.
	Civilian bool
	// Widen returns the areas (none: nil) inside which pairs of two
	// civilian tracks of partyA and partyB (partyA < partyB, both
	// non-empty) are watched too, with the thresholds Pair gives the two
	// parties (a pair Pair does not watch stays unwatched): a channel's
	// relevance measure ("merchant traffic of the members inside a
	// declared area"). A pair is inside while either track's position is
	// in one of the areas; outside, an open encounter closes (NotShared).
	// Answers are cached with Pair's (SetPair forgets them).
	Widen func(partyA, partyB string) []geo.Area
	// Envelope bounds the thresholds Pair may return; the spatial index is
	// sized for it (zero: Thresholds). The node gives the widest of the
	// thresholds its channels agree (Thresholds.Widest): a wider envelope
	// costs candidates on every update.
	Envelope Thresholds
	// CloseMargin (fraction, zero: DefaultCloseMargin; negative: none),
	// SeaCloseHold and AirCloseHold (zero: defaults) set the hysteresis.
	CloseMargin                float64
	SeaCloseHold, AirCloseHold time.Duration
	// SeaRearm and AirRearm (zero: defaults; negative: none) are how long
	// after an encounter closes a new one of the same pair (track and
	// zone) alerts only when its tier is higher (Event.Alert). Air-sea
	// encounters take AirRearm.
	SeaRearm, AirRearm time.Duration
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
}

const (
	sea = 0
	air = 1
	// airSea is the kind of a pair of an aircraft and a ship (no track's
	// domain, no grid's).
	airSea = 2
)

// track is a track's state. The fields an evaluation of a pair reads come
// first, within two cache lines.
type track struct {
	t      int64  // unix ns of the last report
	label  uint16 // party, asset or civilian, domain: see intern
	domain uint8
	live   bool
	refReg bool         // ref was set when the track was last registered (see Update)
	still  bool         // stationary (see still): a pair of stationary tracks opens nothing
	stamp  uint32       // evaluate: seen as a candidate
	paired uint32       // evaluate: pair run
	encs   []*encounter // open encounters involving the track
	ref    entry        // the track's entries in the index (reach grown by skinM); id < 0: none
	m      geo.Motion
	id     string
	cells  []int32 // index cells the track is registered in (sorted)
	// low: an aircraft that can be under the air-sea height within its
	// horizon, registered in the sea grid too (in cells2, sorted), where
	// ships find it and it finds ships.
	low    bool
	cells2 []int32
	reg0   geo.Vec3 // the registered capsule: segment reg0-reg1 (ECEF, m)
	reg1   geo.Vec3
	regR   float64 // and radius (m)
}

type encounter struct {
	pub  Encounter
	key  uint64
	a, b int32 // track indices (a's ID < b's); b < 0: zone -1-b
	life lifecycle
	// alerted is the highest tier the pair was alerted for (with its
	// recent encounters, see closed); alertedAny whether an event of this
	// encounter alerted.
	alerted    Severity
	alertedAny bool
}

// pairName names a pair (or a track and a zone) across encounters, for
// the re-arm memory.
type pairName struct {
	kind       Kind
	a, b, zone string
}

// closedPair is what the re-arm memory keeps of a pair's last encounter:
// the tier it was alerted for, and until when (unix ns) a new encounter
// of the pair alerts only above it.
type closedPair struct {
	sev   Severity
	until int64
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
	lookAS  float64    // s, grown air-sea lookahead of the envelope
	ceilAS  float64    // m, grown air-sea height of the envelope, plus the vertical skin
	vert    float64    // m, advisory vertical threshold of the envelope (air), see sized
	vlook   float64    // s, advisory lookahead of the envelope (air), see sized

	tracks []track
	keys   []uint64 // scratch
	bufs   []int32  // scratch
	encBuf []*encounter
	free   []int32
	byID   idMap
	grid   [2]*geo.Surface
	cells  [2][]cell // per domain, per cell number of grid
	zgrid  [2]*geo.Grid
	// epoch (unix ns) is the origin of entry.ms; see rebase.
	epoch int64
	// latest (unix ns) is the time of the latest report applied (see
	// vertWindow).
	latest int64

	labels   []label // see intern
	labelIdx map[label]uint16
	pc       pairCache
	// alone[l]: label l is watched with no label (see aloneMax); good
	// while aloneOK.
	alone   []bool
	aloneOK bool

	zones   []*zone
	zoneIdx map[string]int32

	open   map[uint64]*encounter
	rearm  [2]int64 // ns, Config.SeaRearm and AirRearm
	closed map[pairName]closedPair
	// shadows are the running shadowing episodes, by pair key.
	shadows map[uint64]*shadowState
	nextID  uint64
	stamp   uint32
	// compacted is the engine time (unix ns) of the last Compact by Tick.
	compacted int64
	events    []Event
	encSlab   []encounter  // bulk: storage for the encounters it opens (newEncounter)
	encChunk  int          // bulk: the slabs' size; 0: not in a bulk load
	encPtrs   []*encounter // bulk: storage for the tracks' first encounter lists (addEnc)
	stats     Stats
	touched   int32 // what scan reads ahead
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
	def(&cfg.SeaLost, deconflict.DefaultSeaLost)
	rearm := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		} else if *d < 0 {
			*d = 0
		}
	}
	rearm(&cfg.SeaRearm, DefaultSeaRearm)
	rearm(&cfg.AirRearm, DefaultAirRearm)
	def(&cfg.AirLost, deconflict.DefaultAirLost)
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
		rearm:    [2]int64{int64(cfg.SeaRearm), int64(cfg.AirRearm)},
		byID:     newIDMap(0),
		labelIdx: map[label]uint16{},
		pc:       pairCache{thIdx: map[Thresholds]int32{}},
		zoneIdx:  map[string]int32{},
		open:     map[uint64]*encounter{},
		closed:   map[pairName]closedPair{},
		shadows:  map[uint64]*shadowState{},
	}
	e.slack = [2]float64{500, 1500}
	e.sized(cfg.Envelope)
	e.grid = [2]*geo.Surface{geo.NewSurface(cfg.SeaCellM), geo.NewSurface(cfg.AirCellM)}
	if n := cfg.Tracks; n > 0 && n < 1<<26 {
		e.tracks = make([]track, 0, n)
		e.byID = newIDMap(n)
		for d := range e.grid {
			e.grid[d].Reserve(n)
			e.cells[d] = make([]cell, 0, n)
		}
	}
	e.zgrid = [2]*geo.Grid{geo.NewGrid(cfg.SeaCellM), geo.NewGrid(cfg.AirCellM)}
	return e, nil
}

// sized sets what the index is sized for from the envelope env.
func (e *Engine) sized(env Thresholds) {
	e.look = [2]float64{env.Sea.LookaheadS * e.margin, env.Air.Advisory.LookaheadS * e.margin}
	// The candidate loop's vertical test (apartEntry, vertWindow) takes
	// the advisory vertical threshold and lookahead as they are, not
	// grown: a pair beyond them cannot open an encounter, and a pair
	// whose encounter is open is evaluated apart (evaluate), grown
	// thresholds and all.
	e.vert = env.Air.Advisory.VerticalM + 1 // float32 copies of altitudes
	e.vlook = env.Air.Advisory.LookaheadS
	// Horizons and reaches cover the air-sea tiers too, in case a channel
	// sets them wider than a domain's own: an aircraft and a ship meet in
	// the sea grid, each registered there with its own.
	as := env.AirSea.Dangerous
	e.lookAS = as.LookaheadS * e.margin
	e.ceilAS = as.VerticalM*e.margin + vskinM + 1
	e.horizon[sea] = max(env.Sea.LookaheadS, as.LookaheadS)*e.margin + e.cfg.SeaLost.Seconds()
	e.horizon[air] = max(env.Air.Advisory.LookaheadS, as.LookaheadS)*e.margin + e.cfg.AirLost.Seconds()
	e.radius[sea] = max(env.Sea.AdvisoryM, as.HorizontalM) * e.margin / 2
	e.radius[air] = max(env.Air.Advisory.HorizontalM, as.HorizontalM) * e.margin / 2
}

// SetEnvelope sizes the index for env (see Config.Envelope), which the
// node takes as the widest thresholds its channels agree, so that a
// channel's wider tiers are not clamped and narrower ones cost nothing:
// every track is registered again (O(N), for a change of channels or
// measures), and the pair cache forgotten. It fails (EINVALID) when env is
// not valid, changing nothing. Config.Thresholds is clamped to the new
// envelope.
func (e *Engine) SetEnvelope(env Thresholds) error {
	if err := env.Validate(); err != nil {
		return err
	}
	if env == e.cfg.Envelope {
		return nil
	}
	e.cfg.Envelope = env
	e.cfg.Thresholds = clamp(e.cfg.Thresholds, env)
	e.sized(env)
	e.resetPairs()
	for i := range e.tracks {
		t := &e.tracks[i]
		if !t.live {
			continue
		}
		e.unindexAll(int32(i))
		t.ref = entry{
			p:     [3]float32{float32(t.m.P.X), float32(t.m.P.Y), float32(t.m.P.Z)},
			v:     [3]float32{float32(t.m.V.X), float32(t.m.V.Y), float32(t.m.V.Z)},
			reach: float32(e.reach(t)) + skinM, alt: float32(t.m.AltM), climb: float32(t.m.ClimbMS),
			ms: e.ms(t.t), id: int32(i), label: t.label,
		}
		t.refReg = true
		e.register(int32(i), &t.ref)
	}
	return nil
}

// Envelope returns the thresholds the index is sized for.
func (e *Engine) Envelope() Thresholds { return e.cfg.Envelope }

// SetPair replaces the Pair hook (see Config) and forgets cached answers.
// Open encounters of pairs no longer watched close with reason NotShared
// at their next evaluation.
func (e *Engine) SetPair(fn func(partyA, partyB string) (Thresholds, bool)) {
	e.cfg.Pair = fn
	e.resetPairs()
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Tracks = e.byID.len()
	s.Open = len(e.open)
	return s
}

func nsToTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// Update applies one position report and returns the events it causes
// (nil when none). The report's time is the evaluation time: every other
// track is extrapolated to it at constant velocity. Reports without a
// position, ID or known domain, and reports older than their track's last
// one, are ignored (counted in Stats). Unknown speed or course count as
// at rest; unknown climb as level; an aircraft of unknown altitude is
// treated as co-altitude with everything (conservative).
func (e *Engine) Update(r deconflict.Report) []Event {
	dom, ok := usable(&r)
	if !ok {
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
	var label uint16
	if known && e.sameLabel(e.tracks[idx].label, r.Party, r.Asset) {
		label = e.tracks[idx].label // most reports keep their label: no map lookup
	} else {
		var ok bool
		if label, ok = e.intern(r.Party, r.Asset, dom); !ok {
			e.stats.Ignored++
			return nil
		}
	}
	if !known {
		if n := len(e.free); n > 0 {
			idx = e.free[n-1]
			e.free = e.free[:n-1]
		} else {
			idx = int32(len(e.tracks))
			e.tracks = append(e.tracks, track{})
		}
		old := &e.tracks[idx]
		e.tracks[idx] = track{id: r.ID, domain: dom, live: true, label: label, encs: old.encs[:0], cells: old.cells[:0], cells2: old.cells2[:0], ref: entry{id: -1}}
		e.byID.set(r.ID, idx)
	}
	e.stats.Reports++
	e.latest = max(e.latest, now)
	t := &e.tracks[idx]
	placed := known
	if known && label != t.label {
		// Entries are sorted by label: leave every cell, and join again
		// below under the new label.
		e.unindexAll(idx)
		placed = false
	}
	t.label = label
	t.t = now
	t.still = still(&r)
	alt := r.AltM
	if dom == sea {
		alt = math.NaN()
	}
	m := geo.NewMotion(r.Lat, r.Lon, alt, r.SpeedMS, r.CourseDeg, r.ClimbMS)
	t.m = m
	// me is written field by field from m, not from t.m nor as a
	// composite literal: the literal is built aside in narrow stores and
	// copied in wide loads, which cannot be forwarded and so wait for the
	// stores before them, t.m's, whose cache line is usually missing.
	var me entry
	me.p = [3]float32{float32(m.P.X), float32(m.P.Y), float32(m.P.Z)}
	me.v = [3]float32{float32(m.V.X), float32(m.V.Y), float32(m.V.Z)}
	me.reach = float32(e.reachV(dom, m.V))
	me.alt, me.climb = float32(m.AltM), float32(m.ClimbMS)
	me.ms, me.id, me.label = e.ms(now), idx, label
	// A steady track whose entries were written when it was registered
	// needs no registration check for a quarter of its horizon: its path
	// stays within skinM of the one registered, whose capsule is a quarter
	// longer and slack wider (see register).
	//
	// The entries of a level aircraft are rewritten when older than a
	// quarter of the horizon, so that the candidate loop's band window
	// can bound their drift (vertWindow).
	aged := float64(me.ms-t.ref.ms) > e.horizon[dom]*250
	steady := placed && e.steady(t, &me) && !(aged && t.ref.levelBand() != 0)
	rewrite := !steady
	if !steady || !t.refReg || aged {
		moved := !placed || !e.registered(t) || e.lowNow(t) != t.low
		if moved || !steady {
			t.ref = me
			t.ref.reach += skinM
			rewrite = true
			t.refReg = moved
		}
		if moved {
			e.register(idx, &t.ref)
		}
		// A track placed afresh has its reference in every cell.
		rewrite = rewrite && placed
	}
	e.evaluate(idx, now, &me, rewrite)
	return e.flush()
}

func (e *Engine) flush() []Event {
	if len(e.events) == 0 {
		return nil
	}
	out := e.events
	e.events = nil
	return out
}

func (e *Engine) emit(typ EventType, now int64, en *encounter, alert bool) {
	// Written in place (every field): a composite literal would be
	// built aside and copied.
	n := len(e.events)
	if n < cap(e.events) {
		e.events = e.events[:n+1]
	} else {
		e.events = append(e.events, Event{})
	}
	ev := &e.events[n]
	ev.Type, ev.Time, ev.Alert = typ, nsToTime(now), alert
	ev.Encounter = en.pub
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
	for key := range e.shadows {
		if int32(key>>32) == idx || int32(uint32(key)) == idx {
			delete(e.shadows, key)
		}
	}
	e.unindexAll(idx)
	e.byID.del(t.id)
	encs, cells, cells2 := t.encs[:0], t.cells[:0], t.cells2[:0]
	*t = track{encs: encs, cells: cells, cells2: cells2, ref: entry{id: -1}}
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
	if every := int64(e.cfg.CompactEvery); every > 0 {
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
		if en.life.due(ns, e.hold[en.dom()]) {
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
	e.tickShadows(ns)
	e.forget(ns)
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

func domainName(d uint8) deconflict.Domain {
	switch d {
	case air:
		return deconflict.Air
	case airSea:
		return deconflict.AirSea
	}
	return deconflict.Sea
}

func position(m geo.Motion) Position {
	ll := geo.ToLatLon(m.P)
	return Position{ll.Lat, ll.Lon, m.AltM}
}

// usable returns a report's domain (sea or air) and whether the engine
// takes the report at all: an ID, a known domain, a position with a
// valid latitude, a time.
func usable(r *deconflict.Report) (uint8, bool) {
	var dom uint8
	switch r.Domain {
	case deconflict.Sea:
		dom = sea
	case deconflict.Air:
		dom = air
	default:
		return 0, false
	}
	if r.ID == "" || !r.HasPosition() || r.Lat < -90 || r.Lat > 90 || r.Time.IsZero() {
		return 0, false
	}
	return dom, true
}
