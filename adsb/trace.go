package adsb

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// Trace is one readsb trace_full (or trace_recent) file: the history of
// one aircraft.
type Trace struct {
	ICAO     uint32
	NonICAO  bool
	Reg      string    // registration ("r")
	TypeCode string    // aircraft type designator ("t")
	Desc     string    // aircraft description ("desc")
	Military bool      // dbFlags bit 0
	Start    time.Time // "timestamp": the time the point offsets count from
	// Points holds one Message per point decoded, in file order. The
	// callsign, squawk and category are carried forward from the last
	// point whose details object gave them.
	Points []Message
	// Errors holds one error per point that could not be decoded,
	// naming its index and the reason; those points are left out.
	Errors []error
}

// Trace point flags (readsb README-json.md).
const (
	traceStale       = 1 // no position received for 20 s before this point
	traceNewLeg      = 2 // start of a new leg
	traceRateGeom    = 4 // the vertical rate is geometric, not barometric
	traceAltGeometry = 8 // the altitude is geometric, not barometric
)

// ParseTrace decodes a readsb trace file: {"icao", "r", "t", "dbFlags",
// "timestamp", "trace": [[dt, lat, lon, alt|"ground"|null, gs, track,
// flags, vertical rate, details|null, source, alt_geom, geom_rate, ias,
// roll], ...]} where dt is seconds after timestamp, altitudes are feet,
// gs knots and rates feet per minute; the last five fields are only in
// files written since 2022. It returns an error when data is not such a
// file; points that cannot be decoded are listed in Trace.Errors.
func ParseTrace(data []byte) (*Trace, error) {
	var doc struct {
		ICAO      string            `json:"icao"`
		R         string            `json:"r"`
		T         string            `json:"t"`
		Desc      string            `json:"desc"`
		DBFlags   int64             `json:"dbFlags"`
		Timestamp *float64          `json:"timestamp"`
		Trace     []json.RawMessage `json:"trace"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, invalid("trace: %v", jsonReason(err))
	}
	icao, non, ok := ParseICAO(doc.ICAO)
	if !ok || len(doc.ICAO)-boolToInt(non) != 6 {
		return nil, invalid("trace: icao %.12q: want 6 hex digits", doc.ICAO)
	}
	if doc.Timestamp == nil {
		return nil, invalid("trace: no \"timestamp\"")
	}
	start, err := unixTime(*doc.Timestamp)
	if err != nil {
		return nil, invalid("trace: timestamp: %v", err)
	}
	if doc.Trace == nil {
		return nil, invalid("trace: no \"trace\" array")
	}
	tr := &Trace{ICAO: icao, NonICAO: non, Reg: cleanText(doc.R), TypeCode: cleanText(doc.T),
		Desc: cleanText(doc.Desc), Military: doc.DBFlags&1 != 0, Start: start,
		Points: make([]Message, 0, len(doc.Trace))}
	var flight, squawk, category string
	for i, raw := range doc.Trace {
		m, details, err := tr.decodePoint(raw)
		if err != nil {
			tr.Errors = append(tr.Errors, invalid("trace: point %d: %v", i, err))
			continue
		}
		if details.Flight != "" {
			flight = cleanText(details.Flight)
		}
		if details.Squawk != "" {
			squawk = cleanText(details.Squawk)
		}
		if details.Category != "" {
			category = cleanText(details.Category)
		}
		m.Flight, m.Squawk, m.Category = flight, squawk, category
		tr.Points = append(tr.Points, m)
	}
	return tr, nil
}

type traceDetails struct {
	Flight   string `json:"flight"`
	Squawk   string `json:"squawk"`
	Category string `json:"category"`
}

func (tr *Trace) decodePoint(raw json.RawMessage) (Message, traceDetails, error) {
	var det traceDetails
	var p []json.RawMessage
	if err := json.Unmarshal(raw, &p); err != nil {
		return Message{}, det, fmt.Errorf("%s", jsonReason(err))
	}
	if len(p) < 8 {
		return Message{}, det, fmt.Errorf("%d fields, want at least 8", len(p))
	}
	m := newMessage(FormatTrace)
	m.ICAO, m.NonICAO = tr.ICAO, tr.NonICAO
	m.Reg, m.TypeCode, m.Military = tr.Reg, tr.TypeCode, tr.Military
	num := func(i int, name string) (float64, error) {
		if i >= len(p) {
			return math.NaN(), nil
		}
		b := bytes.TrimSpace(p[i])
		if string(b) == "null" {
			return math.NaN(), nil
		}
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return math.NaN(), fmt.Errorf("%s %.24s: not a number", name, b)
		}
		return v, nil
	}
	var errs [8]error
	var dt, flags float64
	dt, errs[0] = num(0, "seconds after timestamp")
	m.Lat, errs[1] = num(1, "lat")
	m.Lon, errs[2] = num(2, "lon")
	m.SpeedKt, errs[3] = num(4, "gs")
	m.TrackDeg, errs[4] = num(5, "track")
	flags, errs[5] = num(6, "flags")
	rate, err := num(7, "vertical rate")
	errs[6] = err
	altGeom, err := num(10, "alt_geom")
	errs[7] = err
	for _, err := range errs {
		if err != nil {
			return m, det, err
		}
	}
	geomRate, err := num(11, "geom_rate")
	if err != nil {
		return m, det, err
	}
	if !known(dt) || dt < 0 || dt > 1e8 {
		return m, det, fmt.Errorf("seconds after timestamp %g: out of range [0, 1e8]", dt)
	}
	m.Time = tr.Start.Add(time.Duration(dt * float64(time.Second)))
	if !known(flags) {
		flags = 0
	}
	fl := int64(flags)
	alt, ground, err := parseAltitude(p[3])
	if err != nil {
		return m, det, fmt.Errorf("altitude: %v", err)
	}
	m.Ground = ground
	if fl&traceAltGeometry != 0 {
		m.AltGeomFt = alt
	} else {
		m.AltBaroFt = alt
		m.AltGeomFt = altGeom
	}
	if fl&traceRateGeom != 0 {
		m.GeomRateFPM = rate
	} else {
		m.BaroRateFPM = rate
		m.GeomRateFPM = geomRate
	}
	if len(p) > 8 {
		if b := bytes.TrimSpace(p[8]); len(b) > 0 && b[0] == '{' {
			if err := json.Unmarshal(b, &det); err != nil {
				return m, det, fmt.Errorf("details: %s", jsonReason(err))
			}
		}
	}
	if err := checkRanges(&m); err != nil {
		return m, det, err
	}
	return m, det, nil
}
