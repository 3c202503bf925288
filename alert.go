package deconflict

import (
	"math"
	"time"
)

// AlertBody is the body of a node-signed alert envelope (KindAlert): it is
// part of the logged record, so every member reads the same encounter
// from the same bytes.
type AlertBody struct {
	Event     string        `json:"event"`    // opened, escalated, closed
	Incident  string        `json:"incident"` // the incident this alert belongs to
	Encounter EncounterView `json:"encounter"`
}

// NoteBody is the body of a note (or message) about an incident.
type NoteBody struct {
	Incident string `json:"incident"`
}

// EncounterView is an encounter as alerts log it and the API shows it.
type EncounterView struct {
	ID       string `json:"id"`
	Incident string `json:"incident,omitempty"`
	// Kind is "approach", "zone" or "shadowing" (absent in alerts logged
	// before kinds existed: an approach, or a zone entry when Zone is set).
	Kind string `json:"kind,omitempty"`
	// Since is, for shadowing, when the episode began.
	Since      *time.Time     `json:"since,omitempty"`
	A          string         `json:"a"`
	B          string         `json:"b,omitempty"`
	PartyA     string         `json:"party_a"`
	PartyB     string         `json:"party_b"`
	Domain     Domain         `json:"domain"`
	Zone       string         `json:"zone,omitempty"`
	ZoneKind   string         `json:"zone_kind,omitempty"`
	Severity   string         `json:"severity"`
	Opened     time.Time      `json:"opened"`
	Prediction PredictionView `json:"prediction"`
	Reason     string         `json:"reason,omitempty"`
	// ExplainedBy lists the notifications ("channel:index") of a party
	// whose area and window held that party's track at the alert; empty:
	// unexplained. Alerts of one encounter on different channels may
	// differ: each channel's own notifications explain it.
	ExplainedBy []string `json:"explained_by,omitempty"`
}

// PredictionView is a prediction with units in its names; unknown values are null.
type PredictionView struct {
	Time         time.Time `json:"time"`
	Severity     string    `json:"severity"`
	DistanceM    *float64  `json:"distance_m"`
	VerticalM    *float64  `json:"vertical_m"`
	TCPAS        *float64  `json:"tcpa_s"`
	CPAM         *float64  `json:"cpa_m"`
	CPAVerticalM *float64  `json:"cpa_vertical_m"`
	PosA         PosView   `json:"pos_a"`
	PosB         PosView   `json:"pos_b"`
}

// PosView is a position; unknown values are null.
type PosView struct {
	Lat  *float64 `json:"lat"`
	Lon  *float64 `json:"lon"`
	AltM *float64 `json:"alt_m"`
}

// Nullable returns nil for an unknown (NaN) or infinite value, else &v:
// the JSON form of a number that may be missing.
func Nullable(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}
