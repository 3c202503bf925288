package adsb

import (
	"bytes"
	"math"
	"strconv"
	"time"

	"github.com/deconflict/deconflict"
)

// SBS-1 BaseStation field positions (0-based), as dump1090 and readsb
// write them on port 30003.
const (
	sbsMsg = iota
	sbsType
	sbsSession
	sbsAircraftID
	sbsHex
	sbsFlightID
	sbsDateGen
	sbsTimeGen
	sbsDateLog
	sbsTimeLog
	sbsCallsign
	sbsAlt
	sbsSpeed
	sbsTrack
	sbsLat
	sbsLon
	sbsVertRate
	sbsSquawk
	sbsAlert
	sbsEmergency
	sbsSPI
	sbsGround
	sbsFields // number of fields in a complete line
)

// maxSBSFields bounds the fields of a line: the 22 of SBS-1, a stratux
// time prefix, and fields some feeders append (ignored).
const maxSBSFields = 32

var sbsFieldNames = [sbsFields]string{"message type", "transmission type", "session id", "aircraft id",
	"hex ident", "flight id", "date generated", "time generated", "date logged", "time logged",
	"callsign", "altitude", "ground speed", "track", "latitude", "longitude", "vertical rate",
	"squawk", "alert", "emergency", "spi", "is on ground"}

// DefaultMergeAge is how old (s) the velocity, altitude and callsign of an
// aircraft may be, relative to a new position, to be merged into the
// report of that position: DESIGN.md's air track loss time (60 s).
const DefaultMergeAge = 60 * time.Second

// DefaultStateExpiry is how long (s) an SBSDecoder keeps the merged state
// of an aircraft it has not heard from: DESIGN.md's air track removal
// time (5 min).
const DefaultStateExpiry = 5 * time.Minute

// SBSDecoder decodes SBS-1 BaseStation lines (MSG transmission types 1-8)
// one at a time. It keeps two kinds of state between lines: the base time
// of stratux recordings (a "START,<date>" header, after which every line
// is prefixed with the nanoseconds since that time and the SBS date and
// time fields are empty), and, for Merge, the latest velocity, altitude,
// callsign and squawk of each aircraft, because SBS splits them across
// lines. The zero SBSDecoder is ready to use; it is not safe for
// concurrent use.
type SBSDecoder struct {
	// Now, when not nil, gives the time of messages that carry none
	// (a live feed without timestamps). When nil they have a zero Time.
	Now func() time.Time
	// Location is the time zone of the SBS date and time fields, which
	// the format does not state; nil means UTC, what readsb writes.
	// Decoders that write the receiver's local time (BaseStation itself,
	// some dump1090 builds) need the receiver's zone here.
	Location *time.Location

	base time.Time // stratux START time; zero when none seen
	Merger
}

// Merger merges the messages of each aircraft into reports: SBS and Mode S
// spread position, altitude, velocity and callsign over separate
// messages. The zero Merger is ready to use; it is not safe for
// concurrent use.
type Merger struct {
	state  map[uint32]*sbsState
	latest time.Time // latest message time seen by Merge, for expiry
	merges int
}

// sbsState is what Merge remembers of one aircraft. Each group of fields
// has the time it was last set.
type sbsState struct {
	altFt                    float64
	altT                     time.Time
	speedKt, trackDeg, vrFPM float64
	velT                     time.Time
	flight, squawk           string
	flightT                  time.Time
	ground                   bool
	last                     time.Time
	id                       string // the aircraft's track identity, made once
}

// Decode decodes one line. ok is false, with a nil error, for lines that
// carry no message: blank lines, the stratux START header (whose time it
// keeps) and BaseStation record types other than MSG (SEL, ID, AIR, STA,
// CLK). An error names the field at fault and why; the decoder keeps its
// state and the next line decodes normally.
func (d *SBSDecoder) Decode(line []byte) (m Message, ok bool, err error) {
	line = bytes.TrimRight(line, "\r\n")
	line = bytes.TrimLeft(line, "\x00 \t")
	if i := bytes.Index(line, []byte("START,")); i >= 0 {
		// A header; when something stands before it, a line was cut
		// short by a restart of the recorder and the header follows.
		t, herr := parseStart(line[i+len("START,"):])
		if herr != nil {
			return m, false, herr
		}
		d.base = t
		if i > 0 {
			return m, false, invalid("sbs: line cut short before a START header: %.40q", line[:i])
		}
		return m, false, nil
	}
	if len(bytes.TrimSpace(line)) == 0 {
		return m, false, nil
	}
	var f [maxSBSFields][]byte
	n := 0
	rest := line
	for n < len(f) {
		i := bytes.IndexByte(rest, ',')
		if i < 0 {
			f[n] = rest
			n++
			rest = nil
			break
		}
		f[n] = rest[:i]
		n++
		rest = rest[i+1:]
	}
	if rest != nil {
		return m, false, invalid("sbs: more than %d fields", maxSBSFields)
	}
	var offsetNS int64 = -1
	fields := f[:n]
	if n > 0 && len(fields[0]) > 0 && isDigits(fields[0]) {
		// stratux: nanoseconds since the START header, then the SBS line.
		v, perr := strconv.ParseInt(string(fields[0]), 10, 64)
		if perr != nil {
			return m, false, invalid("sbs: time prefix %.24q: not nanoseconds", fields[0])
		}
		offsetNS = v
		fields = fields[1:]
		if len(fields) == 0 {
			return m, false, invalid("sbs: time prefix %.24q without a message", f[0])
		}
	}
	switch string(fields[0]) {
	case "MSG":
	case "SEL", "ID", "AIR", "STA", "CLK":
		return m, false, nil
	default:
		return m, false, invalid("sbs: record type %.12q, want MSG, SEL, ID, AIR, STA or CLK", fields[0])
	}
	if len(fields) <= sbsHex {
		return m, false, invalid("sbs: %d fields, want at least %d", len(fields), sbsHex+1)
	}
	m = newMessage(FormatSBS)
	get := func(i int) []byte {
		if i < len(fields) {
			return fields[i]
		}
		return nil
	}
	t := get(sbsType)
	if len(t) != 1 || t[0] < '1' || t[0] > '8' {
		return m, false, invalid("sbs: transmission type %.12q, want 1 to 8", t)
	}
	m.MsgType = int(t[0] - '0')
	icao, non, hok := ParseICAO(string(get(sbsHex)))
	if !hok || len(bytes.TrimPrefix(get(sbsHex), []byte("~"))) != 6 {
		return m, false, invalid("sbs: hex ident %.12q, want 6 hex digits", get(sbsHex))
	}
	m.ICAO, m.NonICAO = icao, non

	// Time: the generated date and time, else the logged ones, else the
	// stratux prefix, else Now.
	switch {
	case len(get(sbsDateGen)) > 0 && len(get(sbsTimeGen)) > 0:
		m.Time, err = parseSBSTime(get(sbsDateGen), get(sbsTimeGen), d.Location)
	case len(get(sbsDateLog)) > 0 && len(get(sbsTimeLog)) > 0:
		m.Time, err = parseSBSTime(get(sbsDateLog), get(sbsTimeLog), d.Location)
	case offsetNS >= 0 && !d.base.IsZero():
		m.Time = d.base.Add(time.Duration(offsetNS))
	case d.Now != nil:
		m.Time = d.Now().UTC()
	}
	if err != nil {
		return m, false, err
	}

	m.Flight = cleanText(string(get(sbsCallsign)))
	m.Squawk = cleanText(string(get(sbsSquawk)))
	nums := [...]struct {
		i        int
		dst      *float64
		min, max float64
	}{
		{sbsAlt, &m.AltBaroFt, -2000, 200000},
		{sbsSpeed, &m.SpeedKt, 0, 5000},
		{sbsTrack, &m.TrackDeg, -360, 360},
		{sbsLat, &m.Lat, -90, 90},
		{sbsLon, &m.Lon, -180, 180},
		{sbsVertRate, &m.BaroRateFPM, -100000, 100000},
	}
	for _, nf := range nums {
		b := get(nf.i)
		if len(b) == 0 {
			continue
		}
		v, perr := strconv.ParseFloat(string(b), 64)
		if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return m, false, invalid("sbs: %s %.24q: not a number", sbsFieldNames[nf.i], b)
		}
		if v < nf.min || v > nf.max {
			return m, false, invalid("sbs: %s %s: out of range [%g, %g]", sbsFieldNames[nf.i], b, nf.min, nf.max)
		}
		*nf.dst = v
	}
	if known(m.TrackDeg) && m.TrackDeg < 0 {
		m.TrackDeg += 360
	}
	if known(m.Lat) != known(m.Lon) {
		return m, false, invalid("sbs: latitude %q and longitude %q: one without the other", get(sbsLat), get(sbsLon))
	}
	flags := [...]struct {
		i   int
		dst *bool
	}{{sbsAlert, &m.Alert}, {sbsEmergency, &m.Emergency}, {sbsSPI, &m.SPI}, {sbsGround, &m.Ground}}
	for _, fl := range flags {
		switch string(get(fl.i)) {
		case "", "0":
		case "-1", "1":
			*fl.dst = true
		default:
			return m, false, invalid("sbs: %s flag %.12q, want -1, 0 or 1", sbsFieldNames[fl.i], get(fl.i))
		}
	}
	return m, true, nil
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseSBSTime parses BaseStation's "2006/01/02" and "15:04:05.000" in
// loc (nil: UTC), returning a UTC time.
func parseSBSTime(date, clock []byte, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if t, ok := fastSBSTime(date, clock, loc); ok {
		return t.UTC(), nil
	}
	s := string(date) + " " + string(clock)
	for _, layout := range []string{"2006/01/02 15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, invalid("sbs: date and time %.40q: want 2006/01/02 and 15:04:05.000", s)
}

// parseStart parses the date of a stratux "START," header, which is Go's
// time.Time String form without fractions: "Mon Sep 7 14:17:41 +0000 UTC 2015".
func parseStart(b []byte) (time.Time, error) {
	s := string(bytes.TrimSpace(b))
	for _, layout := range []string{"Mon Jan _2 15:04:05 -0700 MST 2006", time.UnixDate, time.RFC3339Nano, "2006-01-02 15:04:05.999999999 -0700 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, invalid("sbs: START header date %.48q: want \"Mon Jan 2 15:04:05 -0700 MST 2006\"", s)
}

// Merge records what m says about its aircraft and, when m carries a
// position (SBS MSG 2 or 3, or the same from Mode S), returns a report of that position with the
// latest altitude, velocity, vertical rate, callsign and squawk known for
// the aircraft, each only if no more than DefaultMergeAge older than the
// position (or newer: recordings restart). A MSG 1 with a new callsign
// gives a static report (no position). Other messages give none (ok
// false). Messages without a time are merged as if current.
func (d *Merger) Merge(m *Message) (r deconflict.Report, ok bool) {
	if d.state == nil {
		d.state = make(map[uint32]*sbsState)
	}
	key := m.ICAO
	if m.NonICAO {
		key |= 1 << 31
	}
	if !m.Time.IsZero() && m.Time.Before(d.latest.Add(-DefaultStateExpiry)) {
		// The clock went back (a recording restarted): forget the old
		// state rather than let it expire against the later time.
		clear(d.state)
		d.latest = m.Time
	}
	s := d.state[key]
	if s == nil {
		s = &sbsState{altFt: math.NaN(), speedKt: math.NaN(), trackDeg: math.NaN(), vrFPM: math.NaN(), id: m.ID()}
		d.state[key] = s
	}
	s.last = m.Time
	if m.Time.After(d.latest) {
		d.latest = m.Time
	}
	if d.merges++; d.merges%4096 == 0 {
		d.expire()
	}
	if known(m.AltBaroFt) {
		s.altFt, s.altT = m.AltBaroFt, m.Time
	}
	if known(m.SpeedKt) || known(m.TrackDeg) || known(m.BaroRateFPM) {
		if m.MsgType == 4 || m.MsgType == 2 {
			// A velocity message replaces the whole vector.
			s.speedKt, s.trackDeg = m.SpeedKt, m.TrackDeg
			if m.MsgType == 4 {
				s.vrFPM = firstKnown(m.BaroRateFPM, m.GeomRateFPM)
			}
		} else {
			if known(m.SpeedKt) {
				s.speedKt = m.SpeedKt
			}
			if known(m.TrackDeg) {
				s.trackDeg = m.TrackDeg
			}
			if known(m.BaroRateFPM) {
				s.vrFPM = m.BaroRateFPM
			}
		}
		s.velT = m.Time
	}
	s.ground = m.Ground
	if m.Squawk != "" {
		s.squawk = m.Squawk
	}
	newFlight := false
	if m.Flight != "" {
		newFlight = m.Flight != s.flight
		s.flight, s.flightT = m.Flight, m.Time
	}
	if !m.HasPosition() {
		if m.MsgType == 1 && newFlight {
			out := *m
			r = out.report(s.id)
			r.Lat, r.Lon = math.NaN(), math.NaN()
			return r, true
		}
		return r, false
	}
	out := *m
	if !known(out.AltBaroFt) && fresh(m.Time, s.altT) {
		out.AltBaroFt = s.altFt
	}
	if fresh(m.Time, s.velT) {
		if !known(out.SpeedKt) {
			out.SpeedKt = s.speedKt
		}
		if !known(out.TrackDeg) {
			out.TrackDeg = s.trackDeg
		}
		if !known(out.BaroRateFPM) {
			out.BaroRateFPM = s.vrFPM
		}
	}
	if out.Flight == "" && fresh(m.Time, s.flightT) {
		out.Flight = s.flight
	}
	if out.Squawk == "" {
		out.Squawk = s.squawk
	}
	return out.report(s.id), true
}

// fresh reports whether a value set at t may be merged into a position
// at pos.
func fresh(pos, t time.Time) bool {
	if t.IsZero() && !pos.IsZero() {
		return false
	}
	dt := pos.Sub(t)
	return dt <= DefaultMergeAge && dt >= -DefaultMergeAge
}

// expire drops the state of aircraft not heard for DefaultStateExpiry
// before the latest message, so a long-running feed stays bounded.
func (d *Merger) expire() {
	for k, s := range d.state {
		if d.latest.Sub(s.last) > DefaultStateExpiry || s.last.After(d.latest.Add(DefaultStateExpiry)) {
			delete(d.state, k)
		}
	}
}

// Aircraft returns the number of aircraft whose state Merge keeps.
func (d *Merger) Aircraft() int { return len(d.state) }

// fastSBSTime parses the exact form dump1090 and readsb write,
// "2006/01/02" and "15:04:05.000", without time.Parse's cost. ok is
// false for anything else, which parseSBSTime then tries in full.
func fastSBSTime(date, clock []byte, loc *time.Location) (t time.Time, ok bool) {
	if len(date) != 10 || date[4] != '/' || date[7] != '/' || len(clock) < 8 || clock[2] != ':' || clock[5] != ':' {
		return t, false
	}
	num := func(b []byte) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(date[0:4])
	mo, ok2 := num(date[5:7])
	d, ok3 := num(date[8:10])
	h, ok4 := num(clock[0:2])
	mi, ok5 := num(clock[3:5])
	sec, ok6 := num(clock[6:8])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return t, false
	}
	ns := 0
	if len(clock) > 8 {
		frac := clock[9:]
		if clock[8] != '.' || len(frac) == 0 || len(frac) > 9 {
			return t, false
		}
		f, okf := num(frac)
		if !okf {
			return t, false
		}
		for i := len(frac); i < 9; i++ {
			f *= 10
		}
		ns = f
	}
	t = time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc)
	if t.Day() != d { // 2024/02/31 and the like
		return time.Time{}, false
	}
	return t, true
}
