package adsb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Snapshot is one readsb/dump1090 aircraft.json document: the receiver's
// view of every aircraft at time Now.
type Snapshot struct {
	Now      time.Time // the document's "now"; zero when absent
	Messages int64     // the receiver's message count since start, when given
	// Aircraft holds one Message per aircraft decoded, in document order.
	// Its Time is Now minus seen_pos when the aircraft has a position,
	// else Now minus seen.
	Aircraft []Message
	// Errors holds one error per aircraft that could not be decoded,
	// naming its index (and hex when readable) and the reason. Those
	// aircraft are left out of Aircraft.
	Errors []error
}

// jsonAircraft is one element of aircraft.json's "aircraft" array, with
// readsb's names and the older dump1090-mutability ones (altitude, speed,
// vert_rate). Numbers are NaN before decoding so that absent and null
// values stay NaN.
type jsonAircraft struct {
	Hex      string          `json:"hex"`
	Flight   string          `json:"flight"`
	AltBaro  json.RawMessage `json:"alt_baro"`
	Altitude json.RawMessage `json:"altitude"`
	AltGeom  float64         `json:"alt_geom"`
	GS       float64         `json:"gs"`
	Speed    float64         `json:"speed"`
	Track    float64         `json:"track"`
	BaroRate float64         `json:"baro_rate"`
	GeomRate float64         `json:"geom_rate"`
	VertRate float64         `json:"vert_rate"`
	Lat      float64         `json:"lat"`
	Lon      float64         `json:"lon"`
	SeenPos  float64         `json:"seen_pos"`
	Seen     float64         `json:"seen"`
	DBFlags  int64           `json:"dbFlags"`
	Squawk   string          `json:"squawk"`
	Category string          `json:"category"`
	R        string          `json:"r"`
	T        string          `json:"t"`
}

// ParseAircraftJSON decodes one aircraft.json document. It returns an
// error when data is not such a document (not JSON, no "aircraft" array);
// aircraft that cannot be decoded are listed in Snapshot.Errors and the
// others are still returned.
func ParseAircraftJSON(data []byte) (*Snapshot, error) {
	var doc struct {
		Now      *float64          `json:"now"`
		Messages int64             `json:"messages"`
		Aircraft []json.RawMessage `json:"aircraft"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, invalid("aircraft-json: %v", jsonReason(err))
	}
	if doc.Aircraft == nil {
		return nil, invalid("aircraft-json: no \"aircraft\" array")
	}
	s := &Snapshot{Messages: doc.Messages, Aircraft: make([]Message, 0, len(doc.Aircraft))}
	if doc.Now != nil {
		t, err := unixTime(*doc.Now)
		if err != nil {
			return nil, invalid("aircraft-json: now: %v", err)
		}
		s.Now = t
	}
	for i, raw := range doc.Aircraft {
		m, err := decodeAircraft(raw, s.Now)
		if err != nil {
			s.Errors = append(s.Errors, invalid("aircraft-json: aircraft[%d]: %v", i, err))
			continue
		}
		s.Aircraft = append(s.Aircraft, m)
	}
	return s, nil
}

func decodeAircraft(raw []byte, now time.Time) (Message, error) {
	nan := math.NaN()
	a := jsonAircraft{AltGeom: nan, GS: nan, Speed: nan, Track: nan, BaroRate: nan, GeomRate: nan,
		VertRate: nan, Lat: nan, Lon: nan, SeenPos: nan, Seen: nan}
	if err := json.Unmarshal(raw, &a); err != nil {
		return Message{}, fmt.Errorf("%s", jsonReason(err))
	}
	icao, non, ok := ParseICAO(a.Hex)
	if !ok || len(a.Hex)-boolToInt(non) != 6 {
		return Message{}, fmt.Errorf("hex %.12q: want 6 hex digits", a.Hex)
	}
	m := newMessage(FormatAircraftJSON)
	m.ICAO, m.NonICAO = icao, non
	m.Flight = cleanText(a.Flight)
	m.Squawk = cleanText(a.Squawk)
	m.Category = cleanText(a.Category)
	m.Reg = cleanText(a.R)
	m.TypeCode = cleanText(a.T)
	m.Military = a.DBFlags&1 != 0
	alt := a.AltBaro
	if len(alt) == 0 {
		alt = a.Altitude
	}
	var err error
	if m.AltBaroFt, m.Ground, err = parseAltitude(alt); err != nil {
		return m, fmt.Errorf("hex %s: alt_baro: %v", a.Hex, err)
	}
	m.AltGeomFt = a.AltGeom
	m.SpeedKt = firstKnown(a.GS, a.Speed)
	m.TrackDeg = a.Track
	m.BaroRateFPM = firstKnown(a.BaroRate, a.VertRate)
	m.GeomRateFPM = a.GeomRate
	m.Lat, m.Lon = a.Lat, a.Lon
	if err := checkRanges(&m); err != nil {
		return m, fmt.Errorf("hex %s: %v", a.Hex, err)
	}
	if !now.IsZero() {
		age := a.Seen
		if m.HasPosition() && known(a.SeenPos) {
			age = a.SeenPos
		}
		if known(age) {
			if age < 0 || age > 1e6 {
				return m, fmt.Errorf("hex %s: seen_pos/seen %g s: out of range [0, 1e6]", a.Hex, age)
			}
			m.Time = now.Add(-time.Duration(age * float64(time.Second)))
		} else {
			m.Time = now
		}
	}
	return m, nil
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseAltitude decodes a readsb altitude: feet, "ground", or null.
func parseAltitude(raw json.RawMessage) (ft float64, ground bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return math.NaN(), false, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s != "ground" {
			return math.NaN(), false, fmt.Errorf("%.24s: want feet or \"ground\"", raw)
		}
		return math.NaN(), true, nil
	}
	if err := json.Unmarshal(raw, &ft); err != nil {
		return math.NaN(), false, fmt.Errorf("%.24s: want feet or \"ground\"", raw)
	}
	return ft, false, nil
}

// checkRanges rejects values no aircraft can have, which only damaged
// input produces.
func checkRanges(m *Message) error {
	checks := [...]struct {
		name     string
		v        float64
		min, max float64
	}{
		{"lat", m.Lat, -90, 90},
		{"lon", m.Lon, -180, 180},
		{"alt_baro", m.AltBaroFt, -2000, 200000},
		{"alt_geom", m.AltGeomFt, -2000, 200000},
		{"gs", m.SpeedKt, 0, 5000},
		{"track", m.TrackDeg, 0, 360},
		{"baro_rate", m.BaroRateFPM, -100000, 100000},
		{"geom_rate", m.GeomRateFPM, -100000, 100000},
	}
	for _, c := range checks {
		if known(c.v) && (c.v < c.min || c.v > c.max) {
			return fmt.Errorf("%s %g: out of range [%g, %g]", c.name, c.v, c.min, c.max)
		}
	}
	if known(m.Lat) != known(m.Lon) {
		return fmt.Errorf("lat and lon: one without the other")
	}
	return nil
}

// unixTime converts Unix seconds with a fraction to a UTC time.
func unixTime(sec float64) (time.Time, error) {
	if !known(sec) || sec < 0 || sec > 1e11 {
		return time.Time{}, fmt.Errorf("%g: not a Unix time in seconds", sec)
	}
	s, frac := math.Modf(sec)
	return time.Unix(int64(s), int64(math.Round(frac*1e6))*1000).UTC(), nil
}

// jsonReason shortens encoding/json's errors to what a user needs: the
// byte offset of a syntax error, the field of a type error.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case asErr(err, &se):
		return fmt.Sprintf("offset %d: %v", se.Offset, se)
	case asErr(err, &te):
		return fmt.Sprintf("%s: %s where %s was expected", te.Field, te.Value, te.Type)
	}
	return err.Error()
}
