package regime

import (
	"fmt"
	"strings"
	"time"
)

// Thresholds are the numbers at or above which a Vienna Document activity
// is notifiable (or observable): meeting any one of them is enough. Zero
// means the count has no threshold.
type Thresholds struct {
	Troops           int64 `json:"troops,omitempty"`
	Tanks            int64 `json:"tanks,omitempty"`
	ACV              int64 `json:"acv,omitempty"`
	Artillery        int64 `json:"artillery,omitempty"`
	Sorties          int64 `json:"sorties,omitempty"`
	AmphibiousTroops int64 `json:"amphibious_troops,omitempty"`
	AirborneTroops   int64 `json:"airborne_troops,omitempty"`
}

// NotificationThresholds are the Vienna Document 2011's Ch. V para 40.1
// thresholds of prior notification. The text of FSC.DOC/1/11 could not be
// read yet: troops, tanks, ACVs and artillery agree with a secondary source,
// the others and every paragraph number are unchecked (docs/regimes.md,
// "Where each figure comes from").
var NotificationThresholds = Thresholds{
	Troops: 9000, Tanks: 250, ACV: 500, Artillery: 250, // para 40.1.1
	Sorties:          200,  // para 40.1.2, fixed-wing, helicopters excluded
	AmphibiousTroops: 3000, // para 40.1.3
	AirborneTroops:   3000, // para 40.1.4
}

// ObservationThresholds are the Vienna Document 2011's Ch. VI para 47.4
// and 47.5 thresholds of observation (not checked against the text either;
// the 13,000 troops agree with secondary sources).
var ObservationThresholds = Thresholds{
	Troops: 13000, Tanks: 300, ACV: 500, Artillery: 250, // para 47.4
	AmphibiousTroops: 3500, AirborneTroops: 3500, // para 47.5
}

// Deadlines of the regimes (DESIGN.md's table; docs/regimes.md, sources).
const (
	PriorNotice      = 42 * 24 * time.Hour // VD11 para 38
	AlertObservation = 72 * time.Hour      // VD11 para 58: alert activities observed only if longer
	ReplyWithin      = 48 * time.Hour      // VD11 paras 16.1.1 and 17 (clarification)
	MeetingWithin    = 48 * time.Hour      // VD11 para 16.2
	LaunchNotice     = 24 * time.Hour      // 1988 agreement Art. I
	INCSEANoticeMin  = 3 * 24 * time.Hour  // INCSEA 1972 Art. VI: "3 to 5 days in advance as a rule"
)

// CalendarDeadline returns the last on-time instant of the annual calendar
// for year: the end of 15 November of the year before (VD11 para 61).
func CalendarDeadline(year int64) time.Time {
	return time.Date(int(year)-1, time.November, 16, 0, 0, 0, 0, time.UTC).Add(-time.Second)
}

// Met returns the counts of f at or above th, as text ("12800 troops >= 9000"),
// empty when none is.
func (th Thresholds) Met(f Forces) []string {
	var met []string
	for _, c := range []struct {
		what   string
		n, min int64
	}{
		{"troops", f.Troops, th.Troops}, {"battle tanks", f.Tanks, th.Tanks}, {"ACVs", f.ACV, th.ACV},
		{"artillery pieces", f.Artillery, th.Artillery}, {"sorties", f.Sorties, th.Sorties},
		{"amphibious troops", f.AmphibiousTroops, th.AmphibiousTroops}, {"airborne troops", f.AirborneTroops, th.AirborneTroops},
	} {
		if c.min > 0 && c.n >= c.min {
			met = append(met, fmt.Sprintf("%d %s >= %d", c.n, c.what, c.min))
		}
	}
	return met
}

// Assessment is what a notification obliges, computed from its form and
// the node's time of receipt alone.
type Assessment struct {
	Regime     string `json:"regime"`
	Notifiable bool   `json:"notifiable"` // VD11: meets a threshold of prior notification
	Observable bool   `json:"observable"` // VD11: meets a threshold of observation
	// ObservationRequired: observable, and for an alert activity longer than 72 h.
	ObservationRequired bool      `json:"observation_required"`
	Deadline            time.Time `json:"deadline,omitzero"`  // the last on-time receipt; zero: none
	Late                bool      `json:"late"`               // received after Deadline
	ReplyDue            time.Time `json:"reply_due,omitzero"` // requests: the answer is due by then
	Obligations         []string  `json:"obligations,omitempty"`
}

// Assess returns the obligations of a form received at received, with
// notify the thresholds of prior notification in force (the default
// NotificationThresholds, or lower ones agreed by a measure).
func Assess(f *Form, received time.Time, notify Thresholds) Assessment {
	a := Assessment{Regime: f.Regime}
	switch f.Regime {
	case VD11Prior:
		met := notify.Met(f.Forces)
		a.Notifiable = len(met) > 0
		obs := ObservationThresholds.Met(f.Forces)
		a.Observable = len(obs) > 0
		if !a.Notifiable {
			a.Obligations = append(a.Obligations, "below every threshold of prior notification: a voluntary notice, no deadline")
			break
		}
		if f.Alert {
			a.Deadline = f.Start
			a.Obligations = append(a.Obligations, "alert activity ("+strings.Join(met, ", ")+"): notified at its start (VD11 para 41)")
		} else {
			a.Deadline = f.Start.Add(-PriorNotice)
			a.Obligations = append(a.Obligations, "notifiable ("+strings.Join(met, ", ")+"): at least 42 days before the start (VD11 para 38)")
		}
		if a.Observable {
			long := !f.End.IsZero() && f.End.Sub(f.Start) > AlertObservation
			a.ObservationRequired = !f.Alert || long
			switch {
			case a.ObservationRequired:
				a.Obligations = append(a.Obligations, "observable ("+strings.Join(obs, ", ")+"): observers to be invited (VD11 Ch. VI)")
			default:
				a.Obligations = append(a.Obligations, "observable numbers, but an alert activity of 72 h or less: no observation (VD11 para 58)")
			}
		}
	case VD11Calendar:
		a.Deadline = CalendarDeadline(f.Year)
		a.Obligations = append(a.Obligations, fmt.Sprintf("annual calendar for %d: due by 15 November %d (VD11 para 61)", f.Year, f.Year-1))
	case VD11Explanation:
		a.ReplyDue = received.Add(ReplyWithin)
		a.Obligations = append(a.Obligations, f.To+" to reply within 48 h (VD11 para 16.1)")
		if f.Meeting {
			a.Obligations = append(a.Obligations, "meeting requested: to be convened within 48 h of the reply (VD11 para 16.2), recorded with a meeting response")
		}
	case VD11Hazard:
		a.ReplyDue = received.Add(ReplyWithin)
		a.Obligations = append(a.Obligations, f.To+" to clarify within 48 h (VD11 para 17)")
	case Launch1988:
		a.Deadline = f.Start.Add(-LaunchNotice)
		a.Obligations = append(a.Obligations, "at least 24 h before the launch (1988 agreement Art. I)")
	case INCSEANotice:
		a.Deadline = f.Start.Add(-INCSEANoticeMin)
		a.Obligations = append(a.Obligations, "3 to 5 days before the action, as a rule (INCSEA 1972 Art. VI)")
	case Intention:
		a.Obligations = append(a.Obligations, "voluntary notice: no deadline")
	}
	a.Late = !a.Deadline.IsZero() && received.After(a.Deadline)
	return a
}
