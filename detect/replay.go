package detect

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

// Sample is one recorded position of a track.
type Sample struct {
	Time      time.Time
	Lat, Lon  float64 // degrees
	AltM      float64 // m, NaN unknown (always at sea)
	P         geo.Vec3
	SpeedMS   float64
	CourseDeg float64
	Still     bool // stationary: under StillSpeedMS, or AIS status at anchor or moored
}

// RecordedTrack is a track of a recording: its samples in time order (one
// per instant, the last report winning).
type RecordedTrack struct {
	ID      string
	Party   string // the first non-empty party its reports name
	Asset   bool   // a report said the track is a state asset
	Name    string // the last name or callsign its reports gave
	Domain  deconflict.Domain
	Samples []Sample
}

// Row is an encounter found in a recording: one row of the encounters CSV
// of DESIGN.md, plus the interval it lasted.
type Row struct {
	A, B           string // A < B
	PartyA, PartyB string
	Domain         deconflict.Domain
	Kind           Kind      // Approach, or Shadowing (an episode of the live engine's)
	Severity       Severity  // highest tier actually reached along the recorded tracks
	FirstAlert     time.Time // when the live engine first alerted for the pair (an alert open during the encounter); zero: never
	ClosestTime    time.Time
	ClosestM       float64 // horizontal, m
	ClosestVertM   float64 // altitude of B minus A at ClosestTime, m; NaN at sea or unknown
	Start, End     time.Time
	TrackA, TrackB *RecordedTrack
}

// ReplayStats summarises a replay.
type ReplayStats struct {
	Reports, Tracks int
	Alerts          int // encounters the live engine opened
	Candidates      int // pairs examined along the recorded tracks
}

// Replay runs a recording through the engine configured by cfg, in time
// order (reports are sorted by time, stably), as a live node would have
// seen it, and returns the encounters actually reached along the recorded
// tracks, linearly interpolated between reports (ECEF chords) as long as
// the gap is under the track's lost time.
//
// An encounter is a maximal time interval during which the pair is within
// the advisory thresholds grown by the close margin (sea: horizontal
// distance under AdvisoryM·(1+margin); air: horizontal under
// Advisory.HorizontalM·(1+margin) while vertical is under
// Advisory.VerticalM·(1+margin)), containing at least one instant within
// the advisory thresholds themselves. Its severity is the highest tier
// whose distance (and vertical) thresholds were met at one instant; its
// closest point is the instant of least horizontal distance among those
// within the advisory thresholds. Lookahead times play no part: this is
// what happened, not what was predicted. FirstAlert comes from the live
// engine. progress, when not nil, is called with the number of reports
// replayed so far.
func Replay(reports []deconflict.Report, cfg Config, progress func(done int)) ([]Row, ReplayStats, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, ReplayStats{}, err
	}
	var rs []deconflict.Report
	for _, r := range reports {
		if r.HasPosition() && r.ID != "" && (r.Domain == deconflict.Air || r.Domain == deconflict.Sea) && !r.Time.IsZero() && r.Lat >= -90 && r.Lat <= 90 {
			rs = append(rs, r)
		}
	}
	slices.SortStableFunc(rs, func(a, b deconflict.Report) int { return a.Time.Compare(b.Time) })
	stats := ReplayStats{Reports: len(rs)}
	quiet := int((max(e.lost[sea], e.lost[air]) + max(e.hold[sea], e.hold[air])) / int64(time.Second))

	// Live engine: first alerts per pair.
	type alert struct{ open, close int64 }
	alerts := map[[2]string][]alert{}
	openAt := map[uint64]int{}
	// Shadowing episodes are the live engine's: a row each.
	var shadows []Row
	shadowRow := func(en *Encounter, end time.Time) {
		shadows = append(shadows, Row{A: en.A, B: en.B, PartyA: en.PartyA, PartyB: en.PartyB, Domain: en.Domain, Kind: Shadowing,
			Severity: en.Severity, FirstAlert: en.Opened, ClosestTime: en.ClosestAt, ClosestM: en.Prediction.CPAM,
			ClosestVertM: math.NaN(), Start: en.Since, End: end})
	}
	record := func(evs []Event) {
		for _, ev := range evs {
			en := ev.Encounter
			if en.Zone != "" {
				continue
			}
			if en.Kind == Shadowing {
				if ev.Type == Closed {
					shadowRow(&en, ev.Time)
				}
				continue
			}
			k := [2]string{en.A, en.B}
			switch ev.Type {
			case Opened:
				stats.Alerts++
				openAt[en.ID] = len(alerts[k])
				alerts[k] = append(alerts[k], alert{ev.Time.UnixNano(), math.MaxInt64})
			case Closed:
				alerts[k][openAt[en.ID]].close = ev.Time.UnixNano()
			}
		}
	}
	var next time.Time
	for i := 0; i < len(rs); {
		r := rs[i]
		if next.IsZero() {
			next = r.Time.Truncate(time.Second).Add(time.Second)
		}
		for ticks := 0; !r.Time.Before(next); ticks++ {
			if ticks == quiet {
				// Past the longest lost time plus hold every track is
				// lost and every encounter closed: skip the rest of a
				// long silence.
				next = r.Time.Truncate(time.Second)
			}
			record(e.Tick(next))
			next = next.Add(time.Second)
		}
		// The reports up to the next tick in one batch: UpdateBatch gives
		// Update's events, loading a run of new tracks (the recording's
		// first second) in bulk.
		j := i + 1
		for j < len(rs) && rs[j].Time.Before(next) {
			j++
		}
		record(e.UpdateBatch(rs[i:j]))
		if progress != nil && (i == 0 || i/4096 != j/4096) {
			progress(j)
		}
		i = j
	}
	if progress != nil {
		progress(len(rs))
	}
	for _, en := range e.Open() {
		if en.Kind == Shadowing {
			shadowRow(&en, rs[len(rs)-1].Time)
		}
	}

	// Recorded tracks.
	byID := map[string]*RecordedTrack{}
	var tracks []*RecordedTrack
	for _, r := range rs {
		t := byID[r.ID]
		if t == nil {
			t = &RecordedTrack{ID: r.ID, Domain: r.Domain}
			byID[r.ID] = t
			tracks = append(tracks, t)
		}
		if t.Party == "" {
			t.Party = r.Party
		}
		t.Asset = t.Asset || r.Asset
		if r.Name != "" {
			t.Name = r.Name
		} else if r.Callsign != "" && t.Name == "" {
			t.Name = r.Callsign
		}
		if r.Domain != t.Domain {
			continue
		}
		s := Sample{Time: r.Time, Lat: r.Lat, Lon: r.Lon, AltM: r.AltM, P: geo.ECEF(r.Lat, r.Lon), SpeedMS: r.SpeedMS, CourseDeg: r.CourseDeg, Still: still(&r)}
		if t.Domain == deconflict.Sea {
			s.AltM = math.NaN()
		}
		if n := len(t.Samples); n > 0 && t.Samples[n-1].Time.Equal(r.Time) {
			t.Samples[n-1] = s
		} else {
			t.Samples = append(t.Samples, s)
		}
	}
	slices.SortFunc(tracks, func(a, b *RecordedTrack) int { return cmp.Compare(a.ID, b.ID) })
	stats.Tracks = len(tracks)
	if len(rs) == 0 {
		return nil, stats, nil
	}
	base := rs[0].Time

	// Candidate pairs: tracks whose interpolated paths come within the
	// grown advisory radius share a (minute, cell) of the grid.
	pairs := e.candidates(tracks, base)
	stats.Candidates = len(pairs)
	var rows []Row
	for _, p := range pairs {
		a, b := tracks[p[0]], tracks[p[1]]
		pa, okA := e.intern(a.Party, a.Asset, sea)
		pb, okB := e.intern(b.Party, b.Asset, sea)
		if !okA || !okB {
			continue
		}
		th := e.pairInfo(pa, pb)
		var wide *widening
		if th == nil {
			if wide = e.widening(pa, pb); wide != nil {
				th = &wide.th
			}
		}
		if th == nil {
			continue
		}
		for _, o := range observe(a, b, th, e.margin, e.lost, base) {
			if a.still(at(base, o.start), at(base, o.end)) && b.still(at(base, o.start), at(base, o.end)) {
				continue // a stationary pair is no encounter (DESIGN.md "Relevance")
			}
			if wide != nil && !wide.holds(a, at(base, o.start), at(base, o.end)) && !wide.holds(b, at(base, o.start), at(base, o.end)) {
				continue // a widened civilian pair counts only inside its areas (Config.Widen)
			}
			dom := a.Domain
			if a.Domain != b.Domain {
				dom = deconflict.AirSea
			}
			row := Row{A: a.ID, B: b.ID, PartyA: a.Party, PartyB: b.Party, Domain: dom, Kind: Approach,
				Severity: o.sev, ClosestM: o.closestM, ClosestVertM: o.closestVert,
				ClosestTime: at(base, o.closestT), Start: at(base, o.start), End: at(base, o.end),
				TrackA: a, TrackB: b}
			s, en := row.Start.UnixNano(), row.End.UnixNano()
			for _, al := range alerts[[2]string{a.ID, b.ID}] {
				if al.open <= en && al.close >= s {
					row.FirstAlert = time.Unix(0, al.open).UTC()
					break
				}
			}
			rows = append(rows, row)
		}
	}
	for _, r := range shadows {
		r.TrackA, r.TrackB = byID[r.A], byID[r.B]
		rows = append(rows, r)
	}
	SortRows(rows)
	return rows, stats, nil
}

// holds reports whether a sample of t in [from, to] is inside one of the
// widening's areas (as the live engine asks at each report).
func (w *widening) holds(t *RecordedTrack, from, to time.Time) bool {
	for _, s := range t.Samples {
		if s.Time.Before(from) || s.Time.After(to) {
			continue
		}
		for _, a := range w.areas {
			if a.Contains(s.P) {
				return true
			}
		}
	}
	return false
}

// SortRows orders rows by closest time, then A, then B.
func SortRows(rows []Row) {
	slices.SortFunc(rows, func(x, y Row) int {
		if c := x.ClosestTime.Compare(y.ClosestTime); c != 0 {
			return c
		}
		if c := cmp.Compare(x.A, y.A); c != 0 {
			return c
		}
		return cmp.Compare(x.B, y.B)
	})
}

func at(base time.Time, s float64) time.Time {
	return base.Add(time.Duration(math.Round(s * 1e9))).UTC()
}

// candidates returns the pairs (indices into tracks, a < b) of tracks of
// the same domain whose recorded paths share a minute and a grid cell,
// each path piece's box grown by half the grown advisory radius.
func (e *Engine) candidates(tracks []*RecordedTrack, base time.Time) [][2]int32 {
	type cellKey struct {
		minute  int64
		x, y, z int16
		dom     uint8
	}
	cells := map[cellKey][]int32{}
	grids := [2]*geo.Grid{geo.NewGrid(e.cfg.SeaCellM), geo.NewGrid(e.cfg.AirCellM)}
	var last []cellKey // per track, to skip repeats
	for i, t := range tracks {
		dom := uint8(sea)
		if t.Domain == deconflict.Air {
			dom = air
		}
		inflate := e.radius[dom] + 200
		last = last[:0]
		// add registers the piece in grid gd; an aircraft's pieces under
		// the air-sea height go into the sea grid too, where the ships
		// are (air-sea candidates).
		add1 := func(gd uint8, minute int64, box geo.Box) {
			r := grids[gd].Range(box)
			for x := r.X0; x <= r.X1; x++ {
				for y := r.Y0; y <= r.Y1; y++ {
					for z := r.Z0; z <= r.Z1; z++ {
						k := cellKey{minute, x, y, z, gd}
						if slices.Contains(last, k) {
							continue
						}
						last = append(last, k)
						if len(last) > 64 {
							last = last[32:]
						}
						cells[k] = append(cells[k], int32(i))
					}
				}
			}
		}
		ss := t.Samples
		low := func(k int) bool {
			alt := ss[k].AltM
			if k+1 < len(ss) && ss[k+1].AltM == ss[k+1].AltM {
				alt = math.Min(alt, ss[k+1].AltM)
			}
			return !(alt >= e.ceilAS)
		}
		for k := range ss {
			add := func(minute int64, box geo.Box) {
				add1(dom, minute, box)
				if dom == air && low(k) {
					add1(sea, minute, box)
				}
			}
			m0 := int64(ss[k].Time.Sub(base) / time.Minute)
			if k+1 < len(ss) && ss[k+1].Time.Sub(ss[k].Time) <= time.Duration(e.lost[dom]) {
				m1 := int64(ss[k+1].Time.Sub(base) / time.Minute)
				t0, t1 := ss[k].Time.Sub(base).Seconds(), ss[k+1].Time.Sub(base).Seconds()
				for m := m0; m <= m1; m++ {
					// The piece of the segment within minute m.
					u := math.Max(t0, float64(m)*60)
					w := math.Min(t1, float64(m+1)*60)
					pu := lerp(ss[k].P, ss[k+1].P, (u-t0)/(t1-t0))
					pw := lerp(ss[k].P, ss[k+1].P, (w-t0)/(t1-t0))
					add(m, geo.Box{Min: pu, Max: pu}.Extend(pw).Inflate(inflate))
				}
			} else {
				add(m0, geo.Box{Min: ss[k].P, Max: ss[k].P}.Inflate(inflate))
			}
		}
	}
	seen := map[[2]int32]bool{}
	var out [][2]int32
	keys := make([]cellKey, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b cellKey) int {
		return cmp.Or(cmp.Compare(a.minute, b.minute), cmp.Compare(a.x, b.x), cmp.Compare(a.y, b.y), cmp.Compare(a.z, b.z), cmp.Compare(a.dom, b.dom))
	})
	for _, k := range keys {
		items := cells[k]
		for i := 0; i < len(items); i++ {
			for j := i + 1; j < len(items); j++ {
				p := [2]int32{min(items[i], items[j]), max(items[i], items[j])}
				if p[0] == p[1] || seen[p] {
					continue
				}
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]int32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	return out
}

func lerp(a, b geo.Vec3, f float64) geo.Vec3 {
	if !(f > 0) {
		return a
	}
	if f >= 1 {
		return b
	}
	return a.Add(b.Sub(a).Scale(f))
}

// observed is one encounter along recorded tracks, times in s from base.
type observed struct {
	start, end  float64
	sev         Severity
	closestT    float64
	closestM    float64
	closestVert float64
}

// piece is a stretch [u, w] (s) on which both tracks move linearly:
// horizontal separation D0 + DV·(t-u), vertical Z0 + ZV·(t-u) (B - A).
type piece struct {
	u, w   float64
	d0, dv geo.Vec3
	z0, zv float64
}

// pieces returns the stretches on which both a and b are interpolable, in
// time order (a lone sample, or both tracks' samples at one instant, gives
// a zero-length piece).
//
// Each track is interpolated across gaps under its own domain's lost time;
// in a pair of an aircraft and a ship the ship's height is 0.
func pieces(a, b *RecordedTrack, lost [2]int64, base time.Time) []piece {
	gap := func(t *RecordedTrack) float64 {
		if t.Domain == deconflict.Air {
			return float64(lost[air]) / 1e9
		}
		return float64(lost[sea]) / 1e9
	}
	gapA, gapB := gap(a), gap(b)
	cross := a.Domain != b.Domain
	ta := times(a.Samples, base)
	tb := times(b.Samples, base)
	var out []piece
	i, j := 0, 0
	for i < len(ta) && j < len(tb) {
		// Current segment of each: [ta[i], ta[i+1]] valid when the gap is
		// under the lost time; a single instant otherwise.
		ea := ta[i]
		if i+1 < len(ta) && ta[i+1]-ta[i] <= gapA {
			ea = ta[i+1]
		}
		eb := tb[j]
		if j+1 < len(tb) && tb[j+1]-tb[j] <= gapB {
			eb = tb[j+1]
		}
		u := math.Max(ta[i], tb[j])
		w := math.Min(ea, eb)
		if u <= w {
			pa, va := motion(a.Samples, ta, i, ea)
			pb, vb := motion(b.Samples, tb, j, eb)
			za, zva := altMotion(a.Samples, ta, i, ea)
			zb, zvb := altMotion(b.Samples, tb, j, eb)
			if cross && a.Domain == deconflict.Sea {
				za, zva = 0, 0
			} else if cross {
				zb, zvb = 0, 0
			}
			// Positions at u.
			pa = pa.Add(va.Scale(u - ta[i]))
			pb = pb.Add(vb.Scale(u - tb[j]))
			za += zva * (u - ta[i])
			zb += zvb * (u - tb[j])
			out = append(out, piece{u: u, w: w, d0: pb.Sub(pa), dv: vb.Sub(va), z0: zb - za, zv: zvb - zva})
		}
		// Advance whichever segment ends first (both on a tie).
		switch {
		case ea < eb:
			i++
		case eb < ea:
			j++
		default:
			i++
			j++
		}
	}
	return out
}

func times(ss []Sample, base time.Time) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = s.Time.Sub(base).Seconds()
	}
	return out
}

func motion(ss []Sample, ts []float64, i int, end float64) (geo.Vec3, geo.Vec3) {
	if end == ts[i] {
		return ss[i].P, geo.Vec3{}
	}
	return ss[i].P, ss[i+1].P.Sub(ss[i].P).Scale(1 / (ts[i+1] - ts[i]))
}

func altMotion(ss []Sample, ts []float64, i int, end float64) (float64, float64) {
	if end == ts[i] || ss[i+1].AltM != ss[i+1].AltM {
		return ss[i].AltM, 0
	}
	return ss[i].AltM, (ss[i+1].AltM - ss[i].AltM) / (ts[i+1] - ts[i])
}

// within returns the sub-interval of [0, w-u] (s from u) during which
// |d0 + dv·s| < r and |z0 + zv·s| < h (h NaN or vertical unknown: no
// vertical condition); ok is false when empty.
func (p *piece) within(r, h float64) (lo, hi float64, ok bool) {
	lo, hi = 0, p.w-p.u
	a := p.dv.Dot(p.dv)
	b := 2 * p.d0.Dot(p.dv)
	c := p.d0.Dot(p.d0) - r*r
	if a == 0 {
		if c >= 0 {
			return 0, 0, false
		}
	} else {
		disc := b*b - 4*a*c
		if disc <= 0 {
			return 0, 0, false
		}
		s := math.Sqrt(disc)
		lo = math.Max(lo, (-b-s)/(2*a))
		hi = math.Min(hi, (-b+s)/(2*a))
	}
	if h == h && p.z0 == p.z0 {
		if p.zv == 0 {
			if !(math.Abs(p.z0) < h) {
				return 0, 0, false
			}
		} else {
			t1, t2 := (-h-p.z0)/p.zv, (h-p.z0)/p.zv
			lo = math.Max(lo, math.Min(t1, t2))
			hi = math.Min(hi, math.Max(t1, t2))
		}
	}
	if lo > hi || lo == hi && p.w > p.u {
		return 0, 0, false
	}
	return lo, hi, true
}

// observe returns the encounters of a and b along their recorded tracks.
func observe(a, b *RecordedTrack, th *Thresholds, margin float64, lost [2]int64, base time.Time) []observed {
	type vol struct{ r, h float64 }
	var adv, grown vol
	var tiers []struct {
		v   vol
		sev Severity
	}
	lowest := Advisory
	if a.Domain != b.Domain {
		// Air-sea: the ship at height 0 (see pieces), the tiers' heights
		// the band the aircraft is under.
		v := th.AirSea
		lowest = Dangerous
		adv = vol{v.Dangerous.HorizontalM, v.Dangerous.VerticalM}
		grown = vol{adv.r * margin, adv.h * margin}
		tiers = append(tiers, struct {
			v   vol
			sev Severity
		}{vol{v.Critical.HorizontalM, v.Critical.VerticalM}, Critical})
	} else if a.Domain == deconflict.Sea {
		nan := math.NaN()
		adv, grown = vol{th.Sea.AdvisoryM, nan}, vol{th.Sea.AdvisoryM * margin, nan}
		tiers = append(tiers, struct {
			v   vol
			sev Severity
		}{vol{th.Sea.DangerousM, nan}, Dangerous}, struct {
			v   vol
			sev Severity
		}{vol{th.Sea.CriticalM, nan}, Critical})
	} else {
		v := th.Air
		adv = vol{v.Advisory.HorizontalM, v.Advisory.VerticalM}
		grown = vol{adv.r * margin, adv.h * margin}
		for _, t := range []struct {
			v   Volume
			sev Severity
		}{{v.Warning, Warning}, {v.Critical, Critical}, {v.NMAC, NMAC}} {
			tiers = append(tiers, struct {
				v   vol
				sev Severity
			}{vol{t.v.HorizontalM, t.v.VerticalM}, t.sev})
		}
	}
	var out []observed
	var cur *observed
	lastEnd := math.NaN()
	for _, p := range pieces(a, b, lost, base) {
		glo, ghi, ok := p.within(grown.r, grown.h)
		if !ok {
			continue
		}
		start, end := p.u+glo, p.u+ghi
		if ghi == p.w-p.u {
			end = p.w // exactly, so that the next piece can continue it
		}
		if cur != nil && start != lastEnd {
			if cur.sev != None {
				out = append(out, *cur)
			}
			cur = nil
		}
		if cur == nil {
			cur = &observed{start: start, closestM: math.Inf(1)}
		}
		cur.end = end
		lastEnd = end
		if end != p.w {
			lastEnd = math.NaN() // left the grown volume inside this piece
		}
		lo, hi, ok := p.within(adv.r, adv.h)
		if !ok {
			continue
		}
		if cur.sev == None {
			cur.sev = lowest
		}
		// Least horizontal distance over [lo, hi].
		s := lo
		if a2 := p.dv.Dot(p.dv); a2 > 0 {
			s = math.Max(lo, math.Min(hi, -p.d0.Dot(p.dv)/a2))
		}
		if d := p.d0.Add(p.dv.Scale(s)).Norm(); d < cur.closestM {
			cur.closestM = d
			cur.closestT = p.u + s
			cur.closestVert = p.z0 + p.zv*s
		}
		for _, t := range tiers {
			if t.sev > cur.sev {
				if _, _, ok := p.within(t.v.r, t.v.h); ok {
					cur.sev = t.sev
				}
			}
		}
	}
	if cur != nil && cur.sev != None {
		out = append(out, *cur)
	}
	return out
}

// At returns the track's position interpolated at t (ECEF chord between
// the samples around t, dropped onto the surface) and its altitude; ok is
// false outside the track's time span or across a gap longer than maxGap.
func (t *RecordedTrack) At(when time.Time, maxGap time.Duration) (pos geo.LatLon, altM float64, ok bool) {
	ss := t.Samples
	i, found := slices.BinarySearchFunc(ss, when, func(s Sample, w time.Time) int { return s.Time.Compare(w) })
	if found {
		return geo.LatLon{Lat: ss[i].Lat, Lon: ss[i].Lon}, ss[i].AltM, true
	}
	if i == 0 || i == len(ss) {
		return geo.LatLon{}, math.NaN(), false
	}
	a, b := ss[i-1], ss[i]
	span := b.Time.Sub(a.Time)
	if span > maxGap {
		return geo.LatLon{}, math.NaN(), false
	}
	f := float64(when.Sub(a.Time)) / float64(span)
	return geo.ToLatLon(lerp(a.P, b.P, f)), a.AltM + (b.AltM-a.AltM)*f, true
}

// StillSpeedMS is the speed under which a ship is stationary (0.5 kn,
// DESIGN.md "Relevance"): a pair of stationary ships is not an encounter
// until one of them moves.
const StillSpeedMS = 0.5 * deconflict.KnotMS

// still reports whether r shows a stationary ship: a known speed under
// StillSpeedMS, or AIS status at anchor or moored. Aircraft are never
// stationary (one at 0 kn in the air is hovering; reports here do not
// say whether an aircraft is on the ground).
func still(r *deconflict.Report) bool {
	return r.Domain == deconflict.Sea && (r.Moored || r.SpeedMS == r.SpeedMS && r.SpeedMS < StillSpeedMS)
}

// still reports whether the track was stationary throughout [from, to]:
// the sample in force at from and every later one up to to.
func (t *RecordedTrack) still(from, to time.Time) bool {
	ss := t.Samples
	k, _ := slices.BinarySearchFunc(ss, from, func(s Sample, x time.Time) int { return s.Time.Compare(x) })
	if k > 0 && (k == len(ss) || ss[k].Time.After(from)) {
		k--
	}
	for ; k < len(ss) && !ss[k].Time.After(to); k++ {
		if !ss[k].Still {
			return false
		}
	}
	return true
}
