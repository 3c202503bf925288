package adsb

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// FormatTraffic names the JSON export of the traffic library (Xavier
// Olive's Python library for OpenSky Network data), as in the recordings
// testdata/adsb/traffic/*.json.gz.
const FormatTraffic = "traffic-json"

// jsonState is one record of a traffic JSON export; numbers are NaN
// before decoding so that absent and null values stay NaN.
type jsonState struct {
	Timestamp    float64 `json:"timestamp"` // Unix milliseconds
	ICAO24       string  `json:"icao24"`
	Callsign     string  `json:"callsign"`
	Latitude     float64 `json:"latitude"`
	Longitude    float64 `json:"longitude"`
	Altitude     float64 `json:"altitude"`    // barometric, feet
	GeoAltitude  float64 `json:"geoaltitude"` // geometric, feet
	Groundspeed  float64 `json:"groundspeed"` // knots
	Track        float64 `json:"track"`       // degrees
	VerticalRate float64 `json:"vertical_rate"`
	OnGround     bool    `json:"onground"`
	Squawk       string  `json:"squawk"`
}

// Traffic is a decoded traffic JSON export.
type Traffic struct {
	Points []Message // one per record decoded, in file order
	Errors []error   // one per record that could not be decoded, naming its index and reason
}

// ParseTrafficJSON decodes a traffic library JSON export: an array of
// state records {"timestamp" (Unix ms), "icao24", "callsign", "latitude",
// "longitude", "altitude" (barometric, ft), "geoaltitude" (ft),
// "groundspeed" (kt), "track" (deg), "vertical_rate" (ft/min),
// "onground", "squawk"}; other fields are ignored. It returns an error
// when data is not such an array; records that cannot be decoded are
// listed in Traffic.Errors.
func ParseTrafficJSON(data []byte) (*Traffic, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, invalid("traffic-json: %v", jsonReason(err))
	}
	t := &Traffic{Points: make([]Message, 0, len(raws))}
	for i, raw := range raws {
		m, err := decodeState(raw)
		if err != nil {
			t.Errors = append(t.Errors, invalid("traffic-json: record %d: %v", i, err))
			continue
		}
		t.Points = append(t.Points, m)
	}
	return t, nil
}

func decodeState(raw []byte) (Message, error) {
	nan := math.NaN()
	s := jsonState{Timestamp: nan, Latitude: nan, Longitude: nan, Altitude: nan, GeoAltitude: nan,
		Groundspeed: nan, Track: nan, VerticalRate: nan}
	if err := json.Unmarshal(raw, &s); err != nil {
		return Message{}, fmt.Errorf("%s", jsonReason(err))
	}
	icao, non, ok := ParseICAO(s.ICAO24)
	if !ok || len(s.ICAO24)-boolToInt(non) != 6 {
		return Message{}, fmt.Errorf("icao24 %.12q: want 6 hex digits", s.ICAO24)
	}
	if !known(s.Timestamp) || s.Timestamp < 0 || s.Timestamp > 1e14 {
		return Message{}, fmt.Errorf("icao24 %s: timestamp %v: want Unix milliseconds", s.ICAO24, s.Timestamp)
	}
	m := newMessage(FormatTraffic)
	m.ICAO, m.NonICAO = icao, non
	m.Time = time.UnixMilli(int64(s.Timestamp)).UTC()
	m.Flight = cleanText(s.Callsign)
	m.Squawk = cleanText(s.Squawk)
	m.Lat, m.Lon = s.Latitude, s.Longitude
	m.AltBaroFt, m.AltGeomFt = s.Altitude, s.GeoAltitude
	m.Ground = s.OnGround
	m.SpeedKt, m.TrackDeg, m.BaroRateFPM = s.Groundspeed, s.Track, s.VerticalRate
	if known(m.TrackDeg) && m.TrackDeg < 0 {
		m.TrackDeg += 360
	}
	if err := checkRanges(&m); err != nil {
		return m, fmt.Errorf("icao24 %s: %v", s.ICAO24, err)
	}
	return m, nil
}
