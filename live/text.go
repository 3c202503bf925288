package live

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
)

// AlertText is the text of an alert about encounter e (event t) that a
// duty officer reads: the tracks by name or callsign with their identity,
// party, speed in knots and course (track, the lookup), distances in nautical
// miles and heights in feet with metres in brackets, flight levels in
// the air, the time of closest approach in UTC and how far ahead, and
// the position; zone entries say when the track enters the zone.
func AlertText(t detect.EventType, e *detect.Encounter, track func(id string) TrackLabel) string {
	p := e.Prediction
	sev := strings.ToUpper(e.Severity.String())
	who := func(id, party string) string {
		l := track(id)
		motion := ""
		if l.SpeedKnown && l.SpeedMS == l.SpeedMS {
			motion = ", " + knots(l.SpeedMS)
			if l.CourseDeg == l.CourseDeg && l.SpeedMS >= 0.5*deconflict.KnotMS {
				motion += fmt.Sprintf(" on %03.0f°", math.Mod(math.Round(l.CourseDeg)+360, 360))
			}
		}
		if l.Name != "" {
			return fmt.Sprintf("%s (%s, %s%s)", l.Name, id, party, motion)
		}
		return fmt.Sprintf("%s (%s%s)", id, party, motion)
	}
	a := who(e.A, e.PartyA)
	var what, detail string
	switch {
	case e.Zone != "":
		zone := fmt.Sprintf("%s %s of %s", e.ZoneKind, e.Zone, e.PartyB)
		switch {
		case t == detect.Closed:
			what = fmt.Sprintf("%s and %s", a, zone)
		case p.Severity == detect.Intrusion:
			what = fmt.Sprintf("%s inside %s", a, zone)
		case p.TCPAS == p.TCPAS:
			what = fmt.Sprintf("%s enters %s in %s (%s)", a, zone, duration(p.TCPAS), clock(p.CPATime()))
		default:
			what = fmt.Sprintf("%s near %s, %s outside", a, zone, nm(p.DistanceM))
		}
		detail = "at " + latLon(p.PosA.Lat, p.PosA.Lon)
	case e.Kind == detect.Shadowing:
		what = fmt.Sprintf("%s and %s within %s of each other since %s (%s)", a, who(e.B, e.PartyB), nm(detect.ShadowM),
			clock(e.Since), duration(p.Time.Sub(e.Since).Seconds()))
		detail = fmt.Sprintf("closest %s, now %s; at %s", nm(p.CPAM), nm(p.DistanceM), midpoint(p))
	default:
		what = fmt.Sprintf("%s and %s", a, who(e.B, e.PartyB))
		cpa := fmt.Sprintf("CPA %s", nm(p.CPAM))
		switch e.Domain {
		case deconflict.Air:
			if p.CPAVertical == p.CPAVertical {
				cpa += fmt.Sprintf(", %s vertical", ft(math.Abs(p.CPAVertical)))
			}
			if fl := levels(p.PosA.AltM, p.PosB.AltM); fl != "" {
				cpa += " at " + fl
			}
		case deconflict.AirSea:
			h := p.PosA.AltM
			if h != h {
				h = p.PosB.AltM
			}
			if h == h {
				cpa += fmt.Sprintf(" at %s", ft(h))
			}
		}
		if p.TCPAS == p.TCPAS {
			cpa += fmt.Sprintf(" at %s, in %s", clock(p.CPATime()), duration(p.TCPAS))
		}
		detail = fmt.Sprintf("%s; now %s apart; at %s", cpa, nm(p.DistanceM), midpoint(p))
	}
	kind := string(e.Domain)
	if e.Kind == detect.Shadowing {
		kind = "shadowing"
	}
	switch t {
	case detect.Closed:
		if e.Kind == detect.Shadowing {
			return fmt.Sprintf("Shadowing ended (%s) after %s: %s; closest %s", e.Reason, duration(p.Time.Sub(e.Since).Seconds()), what, nm(p.CPAM))
		}
		return fmt.Sprintf("Encounter closed (%s), %s %s: %s", e.Reason, sev, kind, what)
	case detect.Escalated:
		return fmt.Sprintf("Encounter escalated to %s (%s): %s; %s", sev, kind, what, detail)
	}
	return fmt.Sprintf("%s %s encounter: %s; %s", sev, kind, what, detail)
}

// TrackName is how a track is named to an officer: its name, else its
// callsign, with the callsign beside a name when they differ.
func TrackName(name, callsign string) string {
	name, callsign = strings.TrimSpace(name), strings.TrimSpace(callsign)
	switch {
	case name == "":
		return callsign
	case callsign == "" || strings.EqualFold(name, callsign):
		return name
	}
	return name + " " + callsign
}

// nm formats a distance: nautical miles (2 decimals under 1 NM) and
// metres in brackets.
func nm(m float64) string {
	if m != m {
		return "unknown"
	}
	d := m / deconflict.MetresPerNM
	prec := 1
	if d < 1 {
		prec = 2
	}
	return fmt.Sprintf("%s NM (%s m)", strconv.FormatFloat(d, 'f', prec, 64), thousands(m))
}

// ft formats a height or vertical distance: feet to the nearest 10, and
// metres in brackets.
func ft(m float64) string {
	f := math.Round(m/deconflict.MetresPerFoot/10) * 10
	return fmt.Sprintf("%s ft (%s m)", thousands(f), thousands(m))
}

// levels formats two altitudes as flight levels (hundreds of feet).
func levels(a, b float64) string {
	fl := func(m float64) string {
		if m != m {
			return "unknown level"
		}
		return fmt.Sprintf("FL%03d", int(math.Round(m/deconflict.MetresPerFoot/100)))
	}
	if a != a && b != b {
		return ""
	}
	return fl(a) + " and " + fl(b)
}

func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// duration formats seconds as "45 s", "1 min 40 s", "25 min", "1 h 20 min".
func duration(s float64) string {
	switch {
	case s != s:
		return "unknown"
	case s < 90:
		return fmt.Sprintf("%.0f s", math.Max(0, s))
	case s < 600:
		total := int(math.Round(s))
		m, r := total/60, total%60
		if r == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %d s", m, r)
	case s < 3600:
		return fmt.Sprintf("%.0f min", s/60)
	}
	h := int(s / 3600)
	return fmt.Sprintf("%d h %d min", h, int(s-float64(h)*3600)/60)
}

func clock(t time.Time) string {
	if t.IsZero() {
		return "unknown time"
	}
	return t.UTC().Format("15:04:05 UTC")
}

// latLon formats a position as degrees and decimal minutes.
func latLon(lat, lon float64) string {
	if lat != lat || lon != lon {
		return "unknown position"
	}
	f := func(v float64, pos, neg string) string {
		h := pos
		if v < 0 {
			h, v = neg, -v
		}
		d := math.Floor(v)
		return fmt.Sprintf("%.0f°%06.3f'%s", d, (v-d)*60, h)
	}
	return f(lat, "N", "S") + " " + f(lon, "E", "W")
}

// midpoint formats the middle of the two positions at the CPA.
func midpoint(p detect.Prediction) string {
	if p.PosB.Lat != p.PosB.Lat {
		return latLon(p.PosA.Lat, p.PosA.Lon)
	}
	lon := p.PosA.Lon + math.Remainder(p.PosB.Lon-p.PosA.Lon, 360)/2
	return latLon((p.PosA.Lat+p.PosB.Lat)/2, math.Remainder(lon, 360))
}

// TrackLabel is what an alert says of a track besides its id and party:
// its name (TrackName, "" for none) and, when SpeedKnown, its ground speed
// (m/s) and course (degrees true, NaN when unknown) at the alert. The
// zero value says nothing of the track.
type TrackLabel struct {
	Name               string
	SpeedKnown         bool
	SpeedMS, CourseDeg float64
}

// knots returns a speed in knots, as officers read it.
func knots(ms float64) string {
	return fmt.Sprintf("%.0f kn", ms/deconflict.KnotMS)
}
