package deconflict

import (
	"math"
	"time"
)

// Domain is where a track moves: in the air or at sea.
type Domain string

// Domains. AirSea is no track's: it is the domain of an encounter
// between an aircraft and a ship.
const (
	Air    Domain = "air"
	Sea    Domain = "sea"
	AirSea Domain = "air-sea"
)

// Unknown marks an absent numeric value in a Report (NaN). Test with Known.
var Unknown = math.NaN()

// Known reports whether v is a value rather than Unknown.
func Known(v float64) bool { return v == v }

// Report is one observation of a moving object from any source (AIS,
// ADS-B, a party's own report). Numeric fields that the source did not
// give are Unknown (NaN). A report with Unknown Lat/Lon carries static
// data only (name, callsign, type).
type Report struct {
	Time   time.Time // when the object was at that position (UTC)
	ID     string    // track identity: "mmsi:211234560", "icao:3c6444", or "PARTY:asset"
	Domain Domain
	Source string // where it came from: "ais", "sbs", "aircraft-json", "csv", "party"

	Lat, Lon  float64 // degrees, WGS 84
	AltM      float64 // metres above mean sea level (barometric where that is all there is)
	SpeedMS   float64 // ground speed, m/s
	CourseDeg float64 // course over ground, degrees true, [0, 360)
	ClimbMS   float64 // vertical rate, m/s, positive up

	Party    string // party named by the source itself (positions CSV); "" when not said
	Name     string // ship name or aircraft registration, when the source gives one
	Callsign string // callsign or flight number
	Type     string // ship type or aircraft category, as text
	// Destination is where a ship says it is bound, as its AIS static
	// report (type 5) gives it; "" when not said.
	Destination string
	// Military: the source marks the object as military or state: readsb
	// dbFlags bit 0 (ADS-B), AIS ship type 35 (military operations) or 55
	// (law enforcement) in a static report.
	Military bool
	// Moored: AIS navigational status 1 (at anchor) or 5 (moored).
	Moored bool
	// Asset is set by attribution, not by sources: the track is a state
	// ship or aircraft of Party (declared, named by the source, or marked
	// military or state; see attrib.IsAsset). False: a civilian track,
	// whose Party is only its affiliation (the country and alliance of
	// its flag). Two civilian tracks never make an encounter.
	Asset bool
}

// Track lost times (DESIGN.md "Tracks"): a track without a report for
// this long is lost, and its encounters close. The picture, the detector
// and the recordings' interpolation all use these.
const (
	// DefaultSeaLost is OpenCPN's AIS target "lost" time.
	DefaultSeaLost = 8 * time.Minute
	// DefaultAirLost is DESIGN.md's air track lost time.
	DefaultAirLost = 60 * time.Second
)

// HasPosition reports whether r carries a position.
func (r *Report) HasPosition() bool { return Known(r.Lat) && Known(r.Lon) }

// Unit conversions used across packages.
const (
	MetresPerNM   = 1852.0
	MetresPerFoot = 0.3048
	KnotMS        = 1852.0 / 3600.0 // one knot in m/s
	FPMMS         = 0.3048 / 60.0   // one foot per minute in m/s
)
