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

	// DefaultAirSeaDangerous* and DefaultAirSeaCritical* are the air-sea
	// tiers (proposed, DESIGN.md): an aircraft of one party predicted
	// within 1 NM horizontally of another party's ship below 1,500 ft
	// within 120 s (INCSEA Art. IV: no simulated attacks or aerobatics
	// over ships), and within 0.25 NM below 500 ft (the April 2016 Baltic
	// passes over USS Donald Cook were reported at about 30 ft and
	// 1,000 yd). Heights are above the sea (the aircraft's altitude).
	DefaultAirSeaDangerousM       = 1 * deconflict.MetresPerNM
	DefaultAirSeaDangerousHeightM = 1500 * deconflict.MetresPerFoot
	DefaultAirSeaCriticalM        = 0.25 * deconflict.MetresPerNM
	DefaultAirSeaCriticalHeightM  = 500 * deconflict.MetresPerFoot
	DefaultAirSeaLookaheadS       = 120

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
	// DefaultSeaRearm and DefaultAirRearm are how long after an encounter
	// closes a new encounter of the same pair alerts only at a higher tier
	// (proposed: the lookahead of the domain, so that two ships that part
	// and meet again within the half hour of OpenCPN's TCPA limit, or a
	// pair whose CPA hovers at a threshold, alert once; OpenCPN's users ask
	// for such re-arming, OpenCPN issue 4872).
	DefaultSeaRearm = 30 * time.Minute
	DefaultAirRearm = 5 * time.Minute
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

// AirSeaThresholds are the tiers between an aircraft and a ship: a tier
// holds when the aircraft is predicted within its Volume of the ship
// within its lookahead, the ship taken at height 0 (VerticalM is the
// height under which the aircraft counts), by the same state-based
// definition as in the air. There is no advisory tier.
type AirSeaThresholds struct {
	Dangerous, Critical Volume
}

// Thresholds are the tiers applied to one pair of parties.
type Thresholds struct {
	Sea    SeaThresholds
	Air    AirThresholds
	AirSea AirSeaThresholds
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
		AirSea: AirSeaThresholds{
			Dangerous: Volume{DefaultAirSeaDangerousM, DefaultAirSeaDangerousHeightM, DefaultAirSeaLookaheadS},
			Critical:  Volume{DefaultAirSeaCriticalM, DefaultAirSeaCriticalHeightM, DefaultAirSeaLookaheadS},
		},
	}
}

// thresholdFields enumerates every number of Thresholds once, with what
// Validate, Widest, Scale and clamp need of it: its name in errors,
// whether it must be positive, and the field (index here) it must not
// exceed for the tiers to nest (-1: none). Adding a tier means adding it
// here, and nowhere else.
var thresholdFields = [...]struct {
	name     string
	at       func(*Thresholds) *float64
	positive bool
	within   int
}{
	{"sea advisory CPA", func(t *Thresholds) *float64 { return &t.Sea.AdvisoryM }, true, -1},                   // 0
	{"sea dangerous CPA", func(t *Thresholds) *float64 { return &t.Sea.DangerousM }, true, 0},                  // 1
	{"sea critical CPA", func(t *Thresholds) *float64 { return &t.Sea.CriticalM }, true, 1},                    // 2
	{"sea lookahead", func(t *Thresholds) *float64 { return &t.Sea.LookaheadS }, true, -1},                     // 3
	{"air advisory horizontal", func(t *Thresholds) *float64 { return &t.Air.Advisory.HorizontalM }, true, -1}, // 4
	{"air advisory vertical", func(t *Thresholds) *float64 { return &t.Air.Advisory.VerticalM }, true, -1},     // 5
	{"air advisory lookahead", func(t *Thresholds) *float64 { return &t.Air.Advisory.LookaheadS }, true, -1},   // 6
	{"air warning horizontal", func(t *Thresholds) *float64 { return &t.Air.Warning.HorizontalM }, true, 4},    // 7
	{"air warning vertical", func(t *Thresholds) *float64 { return &t.Air.Warning.VerticalM }, true, 5},        // 8
	{"air warning lookahead", func(t *Thresholds) *float64 { return &t.Air.Warning.LookaheadS }, true, 6},      // 9
	{"air critical horizontal", func(t *Thresholds) *float64 { return &t.Air.Critical.HorizontalM }, true, 7},  // 10
	{"air critical vertical", func(t *Thresholds) *float64 { return &t.Air.Critical.VerticalM }, true, 8},      // 11
	{"air critical lookahead", func(t *Thresholds) *float64 { return &t.Air.Critical.LookaheadS }, true, 9},    // 12
	{"NMAC horizontal", func(t *Thresholds) *float64 { return &t.Air.NMAC.HorizontalM }, true, -1},             // 13
	{"NMAC vertical", func(t *Thresholds) *float64 { return &t.Air.NMAC.VerticalM }, true, -1},                 // 14
	// NMAC is observed, not predicted: its lookahead is not used.
	{"NMAC lookahead", func(t *Thresholds) *float64 { return &t.Air.NMAC.LookaheadS }, false, -1},                       // 15
	{"air-sea dangerous horizontal", func(t *Thresholds) *float64 { return &t.AirSea.Dangerous.HorizontalM }, true, -1}, // 16
	{"air-sea dangerous height", func(t *Thresholds) *float64 { return &t.AirSea.Dangerous.VerticalM }, true, -1},       // 17
	{"air-sea dangerous lookahead", func(t *Thresholds) *float64 { return &t.AirSea.Dangerous.LookaheadS }, true, -1},   // 18
	{"air-sea critical horizontal", func(t *Thresholds) *float64 { return &t.AirSea.Critical.HorizontalM }, true, 16},   // 19
	{"air-sea critical height", func(t *Thresholds) *float64 { return &t.AirSea.Critical.VerticalM }, true, 17},         // 20
	{"air-sea critical lookahead", func(t *Thresholds) *float64 { return &t.AirSea.Critical.LookaheadS }, true, 18},     // 21
}

// Validate reports whether the tiers are positive and nested (each tier
// inside the one below), as the lifecycle assumes. It fails with
// EINVALID naming the first number that is not.
func (th Thresholds) Validate() error {
	for _, f := range thresholdFields {
		v := *f.at(&th)
		if f.positive && !(v > 0) || !f.positive && !(v >= 0) {
			return deconflict.Errorf(deconflict.EINVALID, "%s threshold %g must be positive", f.name, v)
		}
		if f.within >= 0 {
			w := thresholdFields[f.within]
			if lim := *w.at(&th); v > lim {
				return deconflict.Errorf(deconflict.EINVALID, "thresholds not nested: %s %g exceeds %s %g", f.name, v, w.name, lim)
			}
		}
	}
	return nil
}

// Widest returns, number by number, the larger of th and o: parties that
// share several channels are watched by the most cautious, and the
// engine's index is sized for the widest its pairs use. Nested inputs
// give a nested result.
func (th Thresholds) Widest(o Thresholds) Thresholds {
	for _, f := range thresholdFields {
		*f.at(&th) = max(*f.at(&th), *f.at(&o))
	}
	return th
}

// Scale returns th with every number multiplied by k.
func (th Thresholds) Scale(k float64) Thresholds {
	for _, f := range thresholdFields {
		*f.at(&th) *= k
	}
	return th
}

// clamp returns th with every number at most env's, and the tiers
// nested again (a tier at most the one it lies within): th then stays
// within what the index is sized for.
func clamp(th, env Thresholds) Thresholds {
	for _, f := range thresholdFields {
		p := f.at(&th)
		*p = min(*p, *f.at(&env))
		if f.within >= 0 {
			*p = min(*p, *thresholdFields[f.within].at(&th))
		}
	}
	return th
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
