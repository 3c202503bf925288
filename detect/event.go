package detect

import (
	"time"

	"github.com/deconflict/deconflict"
)

// EventType says what happened to an encounter.
type EventType uint8

// Event types.
const (
	Opened    EventType = iota + 1 // first prediction at or above Advisory
	Escalated                      // the predicted or observed tier rose above every earlier one
	Updated                        // the prediction changed materially (see Engine)
	Closed                         // separation opened beyond the thresholds plus margin, or a track was lost
)

func (t EventType) String() string {
	switch t {
	case Opened:
		return "opened"
	case Escalated:
		return "escalated"
	case Updated:
		return "updated"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// CloseReason says why an encounter closed.
type CloseReason string

// Close reasons.
const (
	Separated    CloseReason = "separated"     // prediction outside thresholds plus margin for the close hold
	TrackLost    CloseReason = "track-lost"    // a track went without reports past its lost time, or was removed
	NotShared    CloseReason = "not-shared"    // the pair's parties no longer share a channel (or a party changed)
	ZoneInactive CloseReason = "zone-inactive" // the zone's time window ended
	Parted       CloseReason = "parted"        // shadowing: the pair stayed beyond the grown ShadowM for ShadowGap
	ZoneRemoved  CloseReason = "zone-removed"  // the zone was withdrawn
)

// Position is a predicted position: degrees, and metres (NaN unknown).
type Position struct {
	Lat, Lon, AltM float64
}

// Prediction is the engine's estimate for an encounter at Time.
//
// For a pair: distances are horizontal, in the tangent plane at the pair's
// midpoint; vertical values are altitude of B minus altitude of A (NaN at
// sea or when either altitude is unknown). For a zone encounter: TCPAS is
// the time to entry (0 inside), CPAM is 0, DistanceM is the distance
// outside the zone now (0 inside), and PosA the predicted entry point.
type Prediction struct {
	Time        time.Time
	Severity    Severity // the tier predicted now (may be below the encounter's highest)
	DistanceM   float64  // now, m
	VerticalM   float64  // now, m
	TCPAS       float64  // time to the closest point of approach, s, >= 0
	CPAM        float64  // horizontal distance at the CPA, m
	CPAVertical float64  // vertical separation at the CPA, m
	// ConflictInS and ConflictOutS bound the predicted loss of advisory
	// separation (air, BlueSky's tin and tout, s from Time; In < 0 when
	// already inside, Out may be +Inf); NaN at sea and for zones.
	ConflictInS, ConflictOutS float64
	PosA, PosB                Position // positions at the CPA (zone: PosA at entry)
}

// CPATime returns the absolute time of the closest point of approach
// (zero when TCPAS is NaN: a zone encounter with no predicted entry).
func (p Prediction) CPATime() time.Time {
	if p.TCPAS != p.TCPAS {
		return time.Time{}
	}
	return p.Time.Add(time.Duration(p.TCPAS * float64(time.Second)))
}

// Encounter is two tracks of different parties (or a track and another
// party's zone) predicted or observed to come closer than the pair's
// thresholds. Pair encounters have A < B (track IDs); zone encounters have
// the track in A, B empty, PartyB the zone's owner and Zone its ID.
type Encounter struct {
	ID             uint64 // unique within the Engine, increasing in order of opening
	Kind           Kind
	A, B           string
	PartyA, PartyB string
	Domain         deconflict.Domain
	Zone           string
	ZoneKind       ZoneKind
	Severity       Severity // the highest tier reached
	Opened         time.Time
	// Since is, for shadowing, when the episode began: the pair has been
	// within ShadowM since (Opened is ShadowFor later); zero otherwise.
	Since time.Time
	// ClosestAt is, for shadowing, when the episode's least distance
	// (Prediction.CPAM) was seen; zero otherwise.
	ClosestAt  time.Time
	Prediction Prediction
	Reason     CloseReason // set on Closed
	// Widened: two civilian tracks, watched only inside the areas of
	// Config.Widen (a channel's relevance measure).
	Widened bool
}

// Kind is what an encounter is (the encounters CSV's kind column).
type Kind string

// Encounter kinds.
const (
	Approach  Kind = "approach"  // a predicted or observed close approach of two tracks
	ZoneEntry Kind = "zone"      // a track predicted to enter, or inside, a zone
	Shadowing Kind = "shadowing" // a state asset staying near another party's asset (see ShadowM)
)

// Event is a change in an encounter's lifecycle, carrying a copy of the
// encounter as it stands after the change.
type Event struct {
	Type      EventType
	Time      time.Time
	Encounter Encounter
	// Alert says whether the event is worth an alert (the hotline's):
	// an opening, unless the pair's last encounter closed less than the
	// re-arm time ago (Config.SeaRearm, AirRearm) at the same tier or
	// higher; an escalation above every tier the pair was alerted for in
	// that time; a closing of an encounter that alerted. Updates never
	// alert: what is merely updated is not news.
	Alert bool
}
