// Package adsb decodes ADS-B traffic as receiver networks deliver it:
// SBS-1 BaseStation CSV lines (port 30003, also the stratux recordings),
// readsb/dump1090 aircraft.json snapshots, readsb trace_full files, the
// traffic library's JSON exports of OpenSky data, and raw Mode S
// extended squitters in the Beast binary format (port 30005).
// Decoders are pure functions over bytes: they do no I/O, never panic,
// and report malformed input as *deconflict.Error with code EINVALID
// naming the field and the reason.
//
// Every decoder yields Messages in the source's own units (feet, knots,
// feet per minute), named as readsb names them; Message.Report converts
// one to a deconflict.Report in SI units.
package adsb

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

// Formats, as Message.Format and Report.Source name them.
const (
	FormatSBS          = "sbs"
	FormatAircraftJSON = "aircraft-json"
	FormatTrace        = "trace"
)

// Message is one decoded ADS-B observation of one aircraft. Numeric
// fields the source did not give are NaN (deconflict.Unknown).
type Message struct {
	Format  string    // FormatSBS, FormatAircraftJSON, FormatTrace, FormatTraffic or FormatBeast
	MsgType int       // SBS transmission type 1-8 (for Beast, that of the same content); 0 for other formats
	ICAO    uint32    // 24-bit ICAO aircraft address
	NonICAO bool      // the address is not an ICAO address (readsb "~" prefix: TIS-B, anonymous)
	Time    time.Time // when the message (or position) was received, UTC; zero when unknown

	Flight   string // callsign or flight number, trimmed
	Squawk   string // Mode A code, 4 octal digits
	Category string // emitter category (A0-D7)
	Reg      string // registration (readsb database "r")
	TypeCode string // ICAO aircraft type designator (readsb database "t")

	AltBaroFt   float64 // barometric (pressure) altitude, feet
	AltGeomFt   float64 // geometric (GNSS) altitude, feet
	Ground      bool    // on the ground (alt_baro "ground", SBS is-on-ground flag)
	SpeedKt     float64 // ground speed, knots
	TrackDeg    float64 // track over ground, degrees true
	BaroRateFPM float64 // barometric vertical rate, feet per minute
	GeomRateFPM float64 // geometric vertical rate, feet per minute
	Lat, Lon    float64 // degrees, WGS 84

	Military  bool // readsb database flag (dbFlags bit 0)
	Alert     bool // SBS: squawk changed
	Emergency bool // SBS: emergency squawk
	SPI       bool // SBS: ident (special position identification)
}

func newMessage(format string) Message {
	nan := math.NaN()
	return Message{Format: format, AltBaroFt: nan, AltGeomFt: nan, SpeedKt: nan, TrackDeg: nan,
		BaroRateFPM: nan, GeomRateFPM: nan, Lat: nan, Lon: nan}
}

// HasPosition reports whether m carries a position.
func (m *Message) HasPosition() bool { return m.Lat == m.Lat && m.Lon == m.Lon }

// ID returns the track identity of m's aircraft: "icao:" and six lowercase
// hex digits, or "nonicao:" and six hex digits for addresses readsb marks
// as not ICAO (these say nothing about the aircraft's state of registry).
func (m *Message) ID() string { return ID(m.ICAO, m.NonICAO) }

// ID returns the track identity of a 24-bit address (see Message.ID).
func ID(icao uint32, nonICAO bool) string {
	var b [16]byte
	p := append(b[:0], "icao:"...)
	if nonICAO {
		p = append(b[:0], "nonicao:"...)
	}
	p = appendHex6(p, icao)
	return string(p)
}

// Hex returns the six lowercase hex digits of a 24-bit address.
func Hex(icao uint32) string {
	var b [6]byte
	return string(appendHex6(b[:0], icao))
}

func appendHex6(p []byte, v uint32) []byte {
	const digits = "0123456789abcdef"
	for s := 20; s >= 0; s -= 4 {
		p = append(p, digits[(v>>uint(s))&0xf])
	}
	return p
}

// ParseICAO parses a 24-bit address written as 1 to 6 hex digits (any
// case), optionally prefixed "~" for a non-ICAO address as readsb writes
// them.
func ParseICAO(s string) (icao uint32, nonICAO bool, ok bool) {
	if strings.HasPrefix(s, "~") {
		nonICAO = true
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 6 {
		return 0, false, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false, false
		}
		icao = icao<<4 | uint32(d)
	}
	return icao, nonICAO, true
}

// Report converts m to a deconflict.Report: domain air, source m.Format,
// altitude in metres (barometric where known, else geometric), ground
// speed in m/s, vertical rate in m/s (the one matching the altitude
// chosen, else the other). A message without a position gives a report
// carrying static data only.
func (m *Message) Report() deconflict.Report { return m.report(m.ID()) }

func (m *Message) report(id string) deconflict.Report {
	r := deconflict.Report{
		Time:      m.Time,
		ID:        id,
		Domain:    deconflict.Air,
		Source:    m.Format,
		Lat:       m.Lat,
		Lon:       m.Lon,
		AltM:      math.NaN(),
		SpeedMS:   m.SpeedKt * deconflict.KnotMS,
		CourseDeg: m.TrackDeg,
		ClimbMS:   math.NaN(),
		Name:      m.Reg,
		Callsign:  m.Flight,
		Type:      m.TypeCode,
		Military:  m.Military,
	}
	if r.Type == "" {
		r.Type = m.Category
	}
	if known(m.AltBaroFt) {
		r.AltM = m.AltBaroFt * deconflict.MetresPerFoot
		r.ClimbMS = firstKnown(m.BaroRateFPM, m.GeomRateFPM) * deconflict.FPMMS
	} else if known(m.AltGeomFt) {
		r.AltM = m.AltGeomFt * deconflict.MetresPerFoot
		r.ClimbMS = firstKnown(m.GeomRateFPM, m.BaroRateFPM) * deconflict.FPMMS
	} else {
		r.ClimbMS = firstKnown(m.BaroRateFPM, m.GeomRateFPM) * deconflict.FPMMS
	}
	if known(r.CourseDeg) && r.CourseDeg >= 360 {
		r.CourseDeg = math.Mod(r.CourseDeg, 360)
	}
	return r
}

func known(v float64) bool { return v == v }

func firstKnown(a, b float64) float64 {
	if known(a) {
		return a
	}
	return b
}

// AppendJSON appends m to dst as one JSON object (no newline) with
// readsb's field names and units: format, type (SBS only), hex, nonicao,
// time (RFC 3339, UTC), flight, squawk, category, r, t, alt_baro (feet,
// or "ground"), alt_geom (feet), ground, gs (knots), track (degrees),
// baro_rate and geom_rate (ft/min), lat, lon, military, alert, emergency,
// spi. Absent values and false flags are left out.
func (m *Message) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"format":"`...)
	dst = append(dst, m.Format...)
	dst = append(dst, '"')
	if m.MsgType != 0 {
		dst = append(dst, `,"type":`...)
		dst = strconv.AppendInt(dst, int64(m.MsgType), 10)
	}
	dst = append(dst, `,"hex":"`...)
	dst = appendHex6(dst, m.ICAO)
	dst = append(dst, '"')
	if m.NonICAO {
		dst = append(dst, `,"nonicao":true`...)
	}
	if !m.Time.IsZero() {
		dst = append(dst, `,"time":"`...)
		dst = m.Time.UTC().AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, '"')
	}
	dst = appendString(dst, "flight", m.Flight)
	dst = appendString(dst, "squawk", m.Squawk)
	dst = appendString(dst, "category", m.Category)
	dst = appendString(dst, "r", m.Reg)
	dst = appendString(dst, "t", m.TypeCode)
	if m.Ground && !known(m.AltBaroFt) {
		dst = append(dst, `,"alt_baro":"ground"`...)
	} else {
		dst = appendNum(dst, "alt_baro", m.AltBaroFt)
	}
	dst = appendNum(dst, "alt_geom", m.AltGeomFt)
	dst = appendBool(dst, "ground", m.Ground)
	dst = appendNum(dst, "gs", m.SpeedKt)
	dst = appendNum(dst, "track", m.TrackDeg)
	dst = appendNum(dst, "baro_rate", m.BaroRateFPM)
	dst = appendNum(dst, "geom_rate", m.GeomRateFPM)
	dst = appendNum(dst, "lat", m.Lat)
	dst = appendNum(dst, "lon", m.Lon)
	dst = appendBool(dst, "military", m.Military)
	dst = appendBool(dst, "alert", m.Alert)
	dst = appendBool(dst, "emergency", m.Emergency)
	dst = appendBool(dst, "spi", m.SPI)
	return append(dst, '}')
}

func appendNum(dst []byte, name string, v float64) []byte {
	if !known(v) || math.IsInf(v, 0) {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	return strconv.AppendFloat(dst, v, 'f', -1, 64)
}

func appendBool(dst []byte, name string, v bool) []byte {
	if !v {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	return append(dst, `":true`...)
}

func appendString(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	return strconv.AppendQuote(dst, v)
}

func invalid(format string, args ...any) error {
	return deconflict.Errorf(deconflict.EINVALID, format, args...)
}

// cleanText trims s of spaces and drops bytes that are not printable
// ASCII, so that callsigns from damaged input stay printable.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			b := make([]byte, 0, len(s))
			for j := 0; j < len(s); j++ {
				if s[j] >= 0x20 && s[j] <= 0x7e {
					b = append(b, s[j])
				}
			}
			return strings.TrimSpace(string(b))
		}
	}
	return s
}
