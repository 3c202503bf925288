package detect

import (
	"fmt"
	"time"

	"github.com/deconflict/deconflict"
)

// Default thresholds, from DESIGN.md "Default thresholds". Distances in
// metres, times in seconds.
const (
	// DefaultSeaAdvisoryCPAM and DefaultSeaLookaheadS are OpenCPN's AIS CPA
	// alarm defaults: CPA under 2 NM with TCPA under 30 minutes.
	DefaultSeaAdvisoryCPAM = 2 * deconflict.MetresPerNM
	DefaultSeaLookaheadS   = 30 * 60
	// DefaultSeaDangerousCPAM (0.5 NM) and DefaultSeaCriticalCPAM (0.1 NM)
	// are proposed defaults (DESIGN.md), within the same TCPA.
	DefaultSeaDangerousCPAM = 0.5 * deconflict.MetresPerNM
	DefaultSeaCriticalCPAM  = 0.1 * deconflict.MetresPerNM

	// DefaultAirAdvisory* are standard radar separation (5 NM, 1,000 ft)
	// and BlueSky's conflict-detection defaults (asas_pzr = 5 NM,
	// asas_pzh = 1,000 ft, asas_dtlookahead = 300 s).
	DefaultAirAdvisoryM          = 5 * deconflict.MetresPerNM
	DefaultAirAdvisoryVerticalM  = 1000 * deconflict.MetresPerFoot
	DefaultAirAdvisoryLookaheadS = 300
	// DefaultAirWarning* are TCAS II v7.1's traffic advisory at
	// sensitivity level 7: DMOD 1.3 NM, ZTHR 850 ft, TAU 48 s.
	DefaultAirWarningM          = 1.3 * deconflict.MetresPerNM
	DefaultAirWarningVerticalM  = 850 * deconflict.MetresPerFoot
	DefaultAirWarningLookaheadS = 48
	// DefaultAirCritical* are TCAS II v7.1's resolution advisory at
	// sensitivity level 7: DMOD 1.1 NM, ZTHR 700 ft, TAU 35 s.
	DefaultAirCriticalM          = 1.1 * deconflict.MetresPerNM
	DefaultAirCriticalVerticalM  = 700 * deconflict.MetresPerFoot
	DefaultAirCriticalLookaheadS = 35
	// DefaultNMACM and DefaultNMACVerticalM are the FAA's near mid-air
	// collision definition: under 500 ft horizontally and 100 ft
	// vertically, observed (not predicted).
	DefaultNMACM         = 500 * deconflict.MetresPerFoot
	DefaultNMACVerticalM = 100 * deconflict.MetresPerFoot

	// DefaultCloseMargin is the hysteresis of the lifecycle (proposed): an
	// open encounter stays open until its prediction is outside the
	// advisory thresholds grown by this fraction (horizontal distance,
	// vertical distance and lookahead alike), e.g. 2.5 NM at sea.
	DefaultCloseMargin = 0.25
	// DefaultSeaCloseHold and DefaultAirCloseHold are how long the
	// prediction must stay outside the grown thresholds before an encounter
	// closes (proposed): a few report intervals, so that one noisy course
	// does not close and reopen it.
	DefaultSeaCloseHold = 60 * time.Second
	DefaultAirCloseHold = 10 * time.Second
	// DefaultSeaLost and DefaultAirLost are how long a track lives without
	// a report (DESIGN.md, after OpenCPN for AIS): its encounters then
	// close with reason TrackLost.
	DefaultSeaLost = 8 * time.Minute
	DefaultAirLost = 60 * time.Second
	// DefaultZoneMarginM is how far (m) outside a zone a track must be,
	// besides not being predicted to enter it, before its zone encounter
	// closes (proposed).
	DefaultZoneMarginM = 500
	// DefaultCompactEvery is how often Tick renumbers the tracks for
	// memory locality (see Engine.Compact): tracks move a few kilometres
	// in that time.
	DefaultCompactEvery = 5 * time.Minute
)

// SeaThresholds are the CPA tiers at sea: a tier holds when the predicted
// CPA is under its distance with a TCPA under LookaheadS.
type SeaThresholds struct {
	AdvisoryM, DangerousM, CriticalM float64 // CPA, m
	LookaheadS                       float64 // TCPA limit, s
}

// Volume is a protected zone: HorizontalM (m) radius, VerticalM (m) half
// height, and the lookahead (s) within which an intrusion counts.
type Volume struct {
	HorizontalM, VerticalM, LookaheadS float64
}

// AirThresholds are the tiers in the air: a tier holds when the two
// aircraft are predicted to be within its Volume at the same time within
// its lookahead, by BlueSky's state-based definition (geo.StateBased).
// NMAC is observed: the current separation is under it (its LookaheadS is
// ignored).
type AirThresholds struct {
	Advisory, Warning, Critical, NMAC Volume
}

// Thresholds are the tiers applied to one pair of parties.
type Thresholds struct {
	Sea SeaThresholds
	Air AirThresholds
}

// DefaultThresholds returns the defaults of DESIGN.md.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Sea: SeaThresholds{DefaultSeaAdvisoryCPAM, DefaultSeaDangerousCPAM, DefaultSeaCriticalCPAM, DefaultSeaLookaheadS},
		Air: AirThresholds{
			Advisory: Volume{DefaultAirAdvisoryM, DefaultAirAdvisoryVerticalM, DefaultAirAdvisoryLookaheadS},
			Warning:  Volume{DefaultAirWarningM, DefaultAirWarningVerticalM, DefaultAirWarningLookaheadS},
			Critical: Volume{DefaultAirCriticalM, DefaultAirCriticalVerticalM, DefaultAirCriticalLookaheadS},
			NMAC:     Volume{DefaultNMACM, DefaultNMACVerticalM, 0},
		},
	}
}

// Validate reports whether the tiers are positive and nested (each tier
// inside the one below), as the lifecycle assumes.
func (th Thresholds) Validate() error {
	s, a := th.Sea, th.Air
	if !(s.AdvisoryM > 0 && s.DangerousM > 0 && s.CriticalM > 0 && s.LookaheadS > 0) {
		return deconflict.Errorf(deconflict.EINVALID, "sea thresholds must be positive: %+v", s)
	}
	if !(s.CriticalM <= s.DangerousM && s.DangerousM <= s.AdvisoryM) {
		return deconflict.Errorf(deconflict.EINVALID, "sea thresholds not nested: critical %g m <= dangerous %g m <= advisory %g m", s.CriticalM, s.DangerousM, s.AdvisoryM)
	}
	vs := []struct {
		name string
		v    Volume
	}{{"advisory", a.Advisory}, {"warning", a.Warning}, {"critical", a.Critical}}
	for i, v := range vs {
		if !(v.v.HorizontalM > 0 && v.v.VerticalM > 0 && v.v.LookaheadS > 0) {
			return deconflict.Errorf(deconflict.EINVALID, "air %s thresholds must be positive: %+v", v.name, v.v)
		}
		if i > 0 {
			p := vs[i-1].v
			if v.v.HorizontalM > p.HorizontalM || v.v.VerticalM > p.VerticalM || v.v.LookaheadS > p.LookaheadS {
				return deconflict.Errorf(deconflict.EINVALID, "air %s thresholds %+v exceed %s %+v", v.name, v.v, vs[i-1].name, p)
			}
		}
	}
	if !(a.NMAC.HorizontalM > 0 && a.NMAC.VerticalM > 0) {
		return deconflict.Errorf(deconflict.EINVALID, "NMAC thresholds must be positive: %+v", a.NMAC)
	}
	return nil
}

// Severity is an encounter's tier. Sea encounters use Advisory,
// Dangerous and Critical; air encounters Advisory, Warning, Critical and
// NMAC; zone encounters Advisory (predicted entry) and Intrusion (inside).
// Within a domain a higher value is more severe.
type Severity uint8

// Severities.
const (
	None Severity = iota
	Advisory
	Warning
	Dangerous
	Critical
	NMAC
	Intrusion
)

var severityNames = [...]string{"none", "advisory", "warning", "dangerous", "critical", "nmac", "intrusion"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", s)
}

// ParseSeverity returns the Severity named s (as String writes it).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n == s {
			return Severity(i), nil
		}
	}
	return None, deconflict.Errorf(deconflict.EINVALID, "unknown severity %q", s)
}
