package deconflict

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// IncidentTrack is a track of an incident as the node stored it: the
// positions the live picture held of it (its history ring) when the
// incident's alerts were raised, merged over those alerts, so that the
// incident can be replayed after the track has left the picture.
type IncidentTrack struct {
	Incident string
	Track    string // the track's identity
	Domain   Domain
	Party    string
	Label    string       // the track's name or callsign, for display
	Points   []TrackPoint // oldest first, at most MaxIncidentTrackPoints
}

// TrackPoint is one stored position of a track. Unknown numbers are NaN.
type TrackPoint struct {
	Time      time.Time
	Lat, Lon  float64 // degrees, WGS 84
	AltM      float64 // metres above mean sea level
	SpeedMS   float64 // ground speed, m/s
	CourseDeg float64 // course over ground, degrees true
}

// MaxIncidentTrackPoints bounds the points stored per track of an
// incident: 256 at the history ring's 30 s are two hours.
const MaxIncidentTrackPoints = 256

// EncodeTrackPoints returns the stored form of points: a JSON array of
// [Unix ms, lat, lon, alt_m, speed_ms, course_deg], unknown numbers null.
// Both stores keep this form.
func EncodeTrackPoints(points []TrackPoint) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	num := func(v float64) {
		b.WriteByte(',')
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b.WriteString("null")
			return
		}
		j, _ := json.Marshal(v)
		b.Write(j)
	}
	for i, p := range points {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "[%d", p.Time.UnixMilli())
		num(p.Lat)
		num(p.Lon)
		num(p.AltM)
		num(p.SpeedMS)
		num(p.CourseDeg)
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.Bytes()
}

// DecodeTrackPoints reads what EncodeTrackPoints wrote. The error names
// the point that is wrong.
func DecodeTrackPoints(data []byte) ([]TrackPoint, error) {
	var raw [][]*float64
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("track points: %w", err)
	}
	out := make([]TrackPoint, len(raw))
	for i, r := range raw {
		if len(r) != 6 || r[0] == nil || r[1] == nil || r[2] == nil {
			return nil, fmt.Errorf("track points: point %d: want [ms, lat, lon, alt, speed, course] with a time and a position", i)
		}
		v := func(k int) float64 {
			if r[k] == nil {
				return Unknown
			}
			return *r[k]
		}
		out[i] = TrackPoint{Time: time.UnixMilli(int64(*r[0])).UTC(), Lat: *r[1], Lon: *r[2], AltM: v(3), SpeedMS: v(4), CourseDeg: v(5)}
	}
	return out, nil
}

// Check returns an EINVALID error when t cannot be stored: no incident or
// track identity, or more than MaxIncidentTrackPoints points.
func (t *IncidentTrack) Check() error {
	switch {
	case t.Incident == "":
		return Errorf(EINVALID, "incident track %q: no incident", t.Track)
	case t.Track == "":
		return Errorf(EINVALID, "incident %s: track without identity", t.Incident)
	case len(t.Points) > MaxIncidentTrackPoints:
		return Errorf(EINVALID, "incident %s: track %s: %d points, at most %d", t.Incident, t.Track, len(t.Points), MaxIncidentTrackPoints)
	}
	return nil
}
