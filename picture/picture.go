// Package picture holds the live picture: a table of tracks, one per
// moving object, fed by position reports from any source (AIS, ADS-B,
// the parties' own reports), queryable by area, party and domain, and
// streaming its changes to subscribers.
//
// The table is built for global traffic on one core: an update is a map
// lookup from track identity to an index into a slice of Track values, a
// few stores, and no allocation once the track exists. A single mutex
// guards it, so the node may feed and query it from several goroutines.
package picture

import (
	"math"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
)

// Track limits from DESIGN.md: a track is lost when no report came for
// the lost time (deconflict.DefaultSeaLost, DefaultAirLost), and removed
// from the table after the removal time.
const (
	// DefaultSeaRemove is OpenCPN's AIS target removal time (10 min).
	DefaultSeaRemove = 10 * time.Minute
	// DefaultAirRemove is DESIGN.md's air track removal time (5 min).
	DefaultAirRemove = 5 * time.Minute
)

// DefaultEventBuffer is the channel capacity of a subscription when
// Subscribe is given 0.
const DefaultEventBuffer = 1024

// Track is the live state of one moving object. Numbers the reports did
// not give are NaN (deconflict.Unknown).
type Track struct {
	ID     string            // identity: "mmsi:211234560", "icao:3c6444", "PARTY:asset"
	Domain deconflict.Domain // air or sea
	Source string            // source of the latest position report ("ais", "sbs", ...)

	Time time.Time // time of the latest position (UTC); zero when only static data came
	Seen time.Time // time of the latest report of any kind; the lost and removal clocks start here

	Lat, Lon    float64 // degrees, WGS 84
	AltM        float64 // metres above mean sea level
	SpeedMS     float64 // ground speed, m/s
	CourseDeg   float64 // course over ground, degrees true
	EastMS      float64 // velocity east, m/s (from speed and course)
	NorthMS     float64 // velocity north, m/s
	ClimbMS     float64 // vertical rate, m/s, positive up
	Name        string  // ship name or aircraft registration
	Callsign    string  // callsign or flight number
	Type        string  // ship type or aircraft type, as text
	Destination string  // where a ship says it is bound (AIS static reports)
	Military    bool    // a source flagged the object as military
	SourceParty string  // the party a source named (positions CSV), if any
	Party       string  // the party the track is attributed to; "" unattributed
	How         string  // how it was attributed (attrib's "asset", "mid", "icao", ...)
	Lost        bool    // no report for the domain's lost time

	histMS int64 // Unix ms of the latest position in the history ring; noHistory when none
}

// HasPosition reports whether t has a position.
func (t *Track) HasPosition() bool { return t.Lat == t.Lat && t.Lon == t.Lon }

// Result says what Update did with a report.
type Result int

// Results of Update.
const (
	Created   Result = iota + 1 // a new track
	Updated                     // the track moved on to the report
	Duplicate                   // same time as the track: merged (another receiver's copy), no event unless it added something
	Old                         // older than the track's position: ignored
	Invalid                     // no identity, an unknown domain or a position out of range: ignored
)

var resultNames = [...]string{"", "created", "updated", "duplicate", "old", "invalid"}

func (r Result) String() string {
	if r > 0 && int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "unknown"
}

// AttributeFunc names the party of a report and how it was found; ""
// for unattributed. attrib.(*Attributor).Attribute is one.
type AttributeFunc func(r *deconflict.Report) (party, how string)

// Limits are the lost and removal times of a domain.
type Limits struct {
	Lost, Remove time.Duration
}

// Options configure a Table. Zero values take the defaults.
type Options struct {
	// Now is the clock that Sweep compares report times with. When
	// replaying a recording, give the replay clock. Default time.Now.
	Now func() time.Time
	// Attribute names a new track's party, and again when its callsign
	// changes or on Reattribute. Default: the party the report names.
	Attribute AttributeFunc
	// Sea and Air default to deconflict.DefaultSeaLost and DefaultSeaRemove, deconflict.DefaultAirLost and DefaultAirRemove.
	Sea, Air Limits
	// History bounds the ring of positions each track keeps (History).
	History HistoryOptions
}

// Table is the live picture. Its methods are safe for concurrent use.
type Table struct {
	now       func() time.Time
	limits    [2]Limits // [sea, air]
	mu        sync.RWMutex
	attribute AttributeFunc // guarded by mu
	tracks    []Track       // guarded by mu; dense, order not meaningful
	hist      []ring        // guarded by mu; hist[i] is the history of tracks[i]
	index     map[string]int32
	subs      []*Subscription // guarded by mu
	history   HistoryOptions
	sources   []string // guarded by mu; the source names history points refer to
}

// New returns an empty table.
func New(opts Options) *Table {
	t := &Table{now: opts.Now, attribute: opts.Attribute, index: make(map[string]int32), history: opts.History.withDefaults()}
	if t.now == nil {
		t.now = time.Now
	}
	if t.attribute == nil {
		t.attribute = func(r *deconflict.Report) (string, string) {
			if r.Party != "" {
				return r.Party, "source"
			}
			return "", ""
		}
	}
	t.limits[0] = orDefault(opts.Sea, Limits{deconflict.DefaultSeaLost, DefaultSeaRemove})
	t.limits[1] = orDefault(opts.Air, Limits{deconflict.DefaultAirLost, DefaultAirRemove})
	return t
}

func orDefault(l, def Limits) Limits {
	if l.Lost <= 0 {
		l.Lost = def.Lost
	}
	if l.Remove <= 0 {
		l.Remove = def.Remove
	}
	return l
}

// Update applies one report to its track and tells subscribers. A report
// with a position older than the track's is ignored (Old); one with the
// same time is a duplicate (another receiver heard the same message):
// only values the track lacks are taken from it. A report without a
// position updates the static data (name, callsign, type) only.
func (t *Table) Update(r *deconflict.Report) Result {
	t.mu.Lock()
	res := t.update(r)
	t.mu.Unlock()
	return res
}

// UpdateBatch applies reports in order under one lock, which is cheaper
// than one Update each. It returns how many created or updated a track.
func (t *Table) UpdateBatch(rs []deconflict.Report) (changed int) {
	t.mu.Lock()
	for i := range rs {
		if res := t.update(&rs[i]); res == Created || res == Updated {
			changed++
		}
	}
	t.mu.Unlock()
	return changed
}

// UpdateEach applies reports in order under one lock, as UpdateBatch
// does, and calls fn with each one's result and its track as that report
// left it (nil when the report made no track: Invalid). Under one lock,
// no Sweep falls between two reports of a batch: a backlog whose first
// reports are older than the removal time keeps its track and history
// ring, whenever the sweep runs. fn must not call the table.
func (t *Table) UpdateEach(rs []deconflict.Report, fn func(i int, res Result, tr *Track)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range rs {
		res := t.update(&rs[i])
		var tr *Track
		if j, ok := t.index[rs[i].ID]; ok && res != Invalid {
			tr = &t.tracks[j]
		}
		fn(i, res, tr)
	}
}

func domainIndex(d deconflict.Domain) int {
	switch d {
	case deconflict.Sea:
		return 0
	case deconflict.Air:
		return 1
	}
	return -1
}

func (t *Table) update(r *deconflict.Report) Result {
	if r.ID == "" || domainIndex(r.Domain) < 0 {
		return Invalid
	}
	hasPos := r.HasPosition()
	if hasPos && (r.Lat < -90 || r.Lat > 90 || r.Lon < -180 || r.Lon > 180) {
		return Invalid
	}
	i, ok := t.index[r.ID]
	if !ok {
		t.tracks = append(t.tracks, Track{ID: r.ID, Domain: r.Domain, Lat: math.NaN(), Lon: math.NaN(),
			AltM: math.NaN(), SpeedMS: math.NaN(), CourseDeg: math.NaN(), EastMS: math.NaN(),
			NorthMS: math.NaN(), ClimbMS: math.NaN(), histMS: noHistory})
		t.hist = append(t.hist, ring{})
		i = int32(len(t.tracks) - 1)
		t.index[r.ID] = i
		tr := &t.tracks[i]
		if !t.setStatic(tr, r) || (tr.Callsign == "" && tr.SourceParty == "") {
			tr.Party, tr.How = t.attribute(r) // else setStatic did
		}
		if hasPos {
			setPosition(tr, r)
			t.record(i, tr)
		}
		tr.Seen = r.Time
		t.publish(EventUpdated, tr)
		return Created
	}
	tr := &t.tracks[i]
	if r.Domain != tr.Domain {
		return Invalid
	}
	if !hasPos {
		changed := t.setStatic(tr, r)
		if r.Time.After(tr.Seen) {
			tr.Seen = r.Time
			if tr.Lost {
				tr.Lost, changed = false, true
			}
		}
		if !changed {
			return Duplicate
		}
		t.publish(EventUpdated, tr)
		return Updated
	}
	switch {
	case r.Time.Before(tr.Time):
		return Old
	case r.Time.Equal(tr.Time) && tr.HasPosition():
		if fillUnknown(tr, r) || t.setStatic(tr, r) {
			t.publish(EventUpdated, tr)
		}
		return Duplicate
	}
	t.setStatic(tr, r)
	setPosition(tr, r)
	t.record(i, tr)
	if r.Time.After(tr.Seen) {
		tr.Seen = r.Time
	}
	tr.Lost = false
	t.publish(EventUpdated, tr)
	return Updated
}

// setPosition moves tr to r's position and velocity.
func setPosition(tr *Track, r *deconflict.Report) {
	tr.Time = r.Time
	tr.Source = r.Source
	tr.Lat, tr.Lon = r.Lat, r.Lon
	tr.AltM = r.AltM
	tr.SpeedMS, tr.CourseDeg = r.SpeedMS, r.CourseDeg
	tr.ClimbMS = r.ClimbMS
	tr.EastMS, tr.NorthMS = velocity(r.SpeedMS, r.CourseDeg)
	if r.Military {
		tr.Military = true
	}
}

// velocity returns the east and north components (m/s) of a speed (m/s)
// along a course (degrees true); NaN when either is unknown.
func velocity(speedMS, courseDeg float64) (east, north float64) {
	if speedMS != speedMS || courseDeg != courseDeg {
		return math.NaN(), math.NaN()
	}
	s, c := math.Sincos(courseDeg * (math.Pi / 180))
	return speedMS * s, speedMS * c
}

// fillUnknown copies into tr the values of r (same time and object) that
// tr lacks, and reports whether it copied any.
func fillUnknown(tr *Track, r *deconflict.Report) bool {
	changed := false
	fill := func(dst *float64, v float64) {
		if *dst != *dst && v == v {
			*dst = v
			changed = true
		}
	}
	fill(&tr.AltM, r.AltM)
	fill(&tr.ClimbMS, r.ClimbMS)
	if tr.SpeedMS != tr.SpeedMS || tr.CourseDeg != tr.CourseDeg {
		fill(&tr.SpeedMS, r.SpeedMS)
		fill(&tr.CourseDeg, r.CourseDeg)
		tr.EastMS, tr.NorthMS = velocity(tr.SpeedMS, tr.CourseDeg)
	}
	return changed
}

// setStatic copies r's static data into tr and reports whether anything
// changed. A new callsign (callsign patterns) or source party
// attributes the track again.
func (t *Table) setStatic(tr *Track, r *deconflict.Report) bool {
	changed := false
	if r.Name != "" && r.Name != tr.Name {
		tr.Name, changed = r.Name, true
	}
	if r.Type != "" && r.Type != tr.Type {
		tr.Type, changed = r.Type, true
	}
	if r.Destination != "" && r.Destination != tr.Destination {
		tr.Destination, changed = r.Destination, true
	}
	if r.Military && !tr.Military {
		tr.Military, changed = true, true
	}
	reattribute := false
	if r.Party != "" && r.Party != tr.SourceParty {
		tr.SourceParty, changed, reattribute = r.Party, true, true
	}
	if r.Callsign != "" && r.Callsign != tr.Callsign {
		tr.Callsign, changed, reattribute = r.Callsign, true, true
	}
	if reattribute {
		tr.Party, tr.How = t.attribute(r)
	}
	return changed
}

// Reattribute replaces the attribution function (nil keeps the current
// one) and attributes every track again, telling subscribers of those
// whose party changed. Call it when the parties' declared assets change.
func (t *Table) Reattribute(f AttributeFunc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f != nil {
		t.attribute = f
	}
	for i := range t.tracks {
		tr := &t.tracks[i]
		r := deconflict.Report{ID: tr.ID, Domain: tr.Domain, Time: tr.Time, Source: tr.Source, Lat: tr.Lat, Lon: tr.Lon,
			AltM: tr.AltM, SpeedMS: tr.SpeedMS, CourseDeg: tr.CourseDeg, ClimbMS: tr.ClimbMS, Name: tr.Name,
			Callsign: tr.Callsign, Type: tr.Type, Military: tr.Military, Party: tr.SourceParty}
		party, how := t.attribute(&r)
		if party != tr.Party || how != tr.How {
			tr.Party, tr.How = party, how
			t.publish(EventUpdated, tr)
		}
	}
}

// Sweep marks lost the tracks that had no report for their domain's lost
// time before Now, removes those past the removal time, tells
// subscribers, and returns how many it marked lost and removed. The
// owner of the table calls it periodically (every few seconds; see Run).
func (t *Table) Sweep() (lost, removed int) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := 0; i < len(t.tracks); {
		tr := &t.tracks[i]
		lim := t.limits[domainIndex(tr.Domain)]
		age := now.Sub(tr.Seen)
		switch {
		case age > lim.Remove:
			removed++
			t.publish(EventRemoved, tr)
			t.remove(i)
			continue // the last track moved into i
		case age > lim.Lost && !tr.Lost:
			lost++
			tr.Lost = true
			t.publish(EventLost, tr)
		}
		i++
	}
	return lost, removed
}

// remove deletes track i by moving the last track into its place.
func (t *Table) remove(i int) {
	last := len(t.tracks) - 1
	delete(t.index, t.tracks[i].ID)
	if i != last {
		t.tracks[i] = t.tracks[last]
		t.hist[i] = t.hist[last]
		t.index[t.tracks[i].ID] = int32(i)
	}
	t.tracks[last] = Track{}
	t.hist[last] = ring{}
	t.tracks = t.tracks[:last]
	t.hist = t.hist[:last]
}

// Len returns the number of tracks, lost ones included.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.tracks)
}

// Get returns the track with the given identity. The error has code
// ENOTFOUND when there is none.
func (t *Table) Get(id string) (Track, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.index[id]
	if !ok {
		return Track{}, deconflict.Errorf(deconflict.ENOTFOUND, "no track %q", id)
	}
	return t.tracks[i], nil
}

// Box is an area bounded by two parallels and two meridians, degrees.
// When West > East the box crosses the antimeridian.
type Box struct {
	South, West, North, East float64
}

// Contains reports whether the position lat, lon (degrees) is in b,
// edges included.
func (b *Box) Contains(lat, lon float64) bool {
	if lat < b.South || lat > b.North {
		return false
	}
	if b.West <= b.East {
		return lon >= b.West && lon <= b.East
	}
	return lon >= b.West || lon <= b.East
}

// Query selects tracks. Zero fields select everything.
type Query struct {
	Box         *Box              // only tracks with a position in the box
	Party       string            // only tracks attributed to this party; Unattributed for those that are not
	Domain      deconflict.Domain // only this domain
	IncludeLost bool              // also lost tracks
}

// Unattributed as Query.Party selects the tracks attributed to no party.
const Unattributed = "-"

// Match reports whether tr is selected by q.
func (q *Query) Match(tr *Track) bool {
	if tr.Lost && !q.IncludeLost {
		return false
	}
	if q.Domain != "" && tr.Domain != q.Domain {
		return false
	}
	if q.Party != "" {
		if q.Party == Unattributed {
			if tr.Party != "" {
				return false
			}
		} else if tr.Party != q.Party {
			return false
		}
	}
	if q.Box != nil && (!tr.HasPosition() || !q.Box.Contains(tr.Lat, tr.Lon)) {
		return false
	}
	return true
}

// Query returns copies of the tracks q selects, in no particular order.
// It scans the whole table (about 3 ms per 100,000 tracks, BenchmarkQuery); the
// spatial index for detection lives with the detector.
func (t *Table) Query(q Query) []Track {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []Track
	for i := range t.tracks {
		if q.Match(&t.tracks[i]) {
			out = append(out, t.tracks[i])
		}
	}
	return out
}
