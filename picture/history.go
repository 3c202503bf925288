package picture

import (
	"math"
	"time"

	"github.com/deconflict/deconflict"
)

// History bounds (docs/picture.md "Track history"): each track keeps a
// ring of its recent positions, at most DefaultHistoryPoints of them, at
// least DefaultHistoryInterval apart (each the first report that far
// after the one kept before it), and History returns those within
// DefaultHistoryAge of the track's latest position, and that position.
const (
	// DefaultHistoryPoints bounds a track's ring: 64 points of 32 bytes,
	// 2 KiB per track when full.
	DefaultHistoryPoints = 64
	// DefaultHistoryInterval is the least time between two stored
	// points: with 64 points, about 32 minutes of a track reporting
	// every few seconds.
	DefaultHistoryInterval = 30 * time.Second
	// DefaultHistoryAge is how far back History reaches from the track's
	// latest position.
	DefaultHistoryAge = 30 * time.Minute
)

// HistoryOptions bound the ring of positions each track keeps. Zero
// values take the defaults; Points < 0 keeps no history.
type HistoryOptions struct {
	Points   int
	Interval time.Duration
	Age      time.Duration
}

// HistoryPoint is one stored position of a track. Unknown numbers are
// NaN. Positions are kept to 1e-7 degree (about 1 cm) and the other
// numbers as float32, time to the millisecond.
type HistoryPoint struct {
	Time      time.Time
	Lat, Lon  float64 // degrees, WGS 84
	AltM      float64 // metres above mean sea level
	SpeedMS   float64 // ground speed, m/s
	CourseDeg float64 // course over ground, degrees true
	Source    string  // the source of the report ("ais", "sbs", "party", ...)
}

// histPoint is a HistoryPoint as the ring stores it: 32 bytes.
type histPoint struct {
	ms                 int64 // Unix milliseconds
	lat, lon           int32 // 1e-7 degree
	alt, speed, course float32
	source             uint8 // index into Table.sources; 0 unknown
	_                  [3]byte
}

// ring is a track's stored positions: pts in time order from next (the
// oldest once the ring is full). It grows by append up to the table's
// bound, so a short-lived track costs little.
type ring struct {
	pts  []histPoint
	next int32 // when len(pts) is the bound: the index of the oldest point
}

func (h *HistoryOptions) withDefaults() HistoryOptions {
	o := *h
	if o.Points == 0 {
		o.Points = DefaultHistoryPoints
	}
	if o.Points > math.MaxInt32 {
		o.Points = math.MaxInt32
	}
	if o.Interval <= 0 {
		o.Interval = DefaultHistoryInterval
	}
	if o.Age <= 0 {
		o.Age = DefaultHistoryAge
	}
	return o
}

// at returns the i-th point from the oldest.
func (r *ring) at(i int) *histPoint {
	j := int(r.next) + i
	if j >= len(r.pts) {
		j -= len(r.pts)
	}
	return &r.pts[j]
}

// record keeps tr's position (just set from a report) in its ring when it
// is at least the interval after the last position kept (the first
// always). Between those, the track itself holds its latest position,
// which History adds, so an update between stored points touches only
// the track. Called with t.mu held.
func (t *Table) record(i int32, tr *Track) {
	if t.history.Points < 0 {
		return
	}
	ms := tr.Time.UnixMilli()
	if tr.histMS != noHistory && ms-tr.histMS < t.history.Interval.Milliseconds() {
		return
	}
	tr.histMS = ms
	p := histPoint{ms: ms, lat: degE7(tr.Lat), lon: degE7(tr.Lon),
		alt: float32(tr.AltM), speed: float32(tr.SpeedMS), course: float32(tr.CourseDeg), source: t.sourceIndex(tr.Source)}
	r := &t.hist[i]
	if len(r.pts) < t.history.Points {
		r.pts = append(r.pts, p)
		return
	}
	r.pts[r.next] = p
	r.next++
	if int(r.next) == len(r.pts) {
		r.next = 0
	}
}

// noHistory is Track.histMS of a track with no stored position.
const noHistory = math.MinInt64

func degE7(d float64) int32 { return int32(math.Round(d * 1e7)) }

// sourceIndex interns a source name; 0 when the table already knows 255
// others. Called with t.mu held.
func (t *Table) sourceIndex(s string) uint8 {
	if s == "" {
		return 0
	}
	for i, x := range t.sources {
		if x == s {
			return uint8(i + 1)
		}
	}
	if len(t.sources) == math.MaxUint8 {
		return 0
	}
	t.sources = append(t.sources, s)
	return uint8(len(t.sources))
}

// History returns the track with the given identity and its stored
// positions, oldest first, those within the history age of its latest
// position (the last one is the track's position). The error has code
// ENOTFOUND when there is no such track.
func (t *Table) History(id string) (Track, []HistoryPoint, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.index[id]
	if !ok {
		return Track{}, nil, deconflict.Errorf(deconflict.ENOTFOUND, "no track %q", id)
	}
	tr := t.tracks[i]
	if t.history.Points < 0 {
		return tr, nil, nil
	}
	r := &t.hist[i]
	from := tr.Time.UnixMilli() - t.history.Age.Milliseconds()
	out := make([]HistoryPoint, 0, len(r.pts)+1)
	for k := range r.pts {
		p := r.at(k)
		if p.ms < from {
			continue
		}
		src := ""
		if p.source > 0 {
			src = t.sources[p.source-1]
		}
		out = append(out, HistoryPoint{Time: time.UnixMilli(p.ms).UTC(), Lat: float64(p.lat) / 1e7, Lon: float64(p.lon) / 1e7,
			AltM: float64(p.alt), SpeedMS: float64(p.speed), CourseDeg: float64(p.course), Source: src})
	}
	if tr.HasPosition() && tr.histMS != tr.Time.UnixMilli() {
		out = append(out, HistoryPoint{Time: tr.Time, Lat: tr.Lat, Lon: tr.Lon, AltM: tr.AltM, SpeedMS: tr.SpeedMS, CourseDeg: tr.CourseDeg, Source: tr.Source})
		if len(out) > t.history.Points {
			out = out[1:]
		}
	}
	return tr, out, nil
}
