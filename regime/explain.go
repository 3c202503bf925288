package regime

import (
	"slices"
	"time"
)

// Notified is an area a party notified for a window: what explains an
// encounter of that party's track inside it.
type Notified struct {
	Label       string    // how encounters cite it: "channel:index"
	Designation string    // the form's designation, else its regime
	State       string    // the notifying party
	Regime      string    // the form's regime
	Submitted   time.Time // when the node received it (scan: the line's "time")
	Area        *Area
	From, To    time.Time
}

// LaunchWindow is the window of a launch notification that gives no end:
// the day of the planned launch.
const LaunchWindow = 24 * time.Hour

// NotifiedAreas returns the areas and windows a form notifies: its area
// for [start, end], each phase's area for the phase, a launch's launch and
// impact areas. Calendars, requests and hazard reports notify none.
func NotifiedAreas(f *Form, label string, submitted time.Time) []Notified {
	switch f.Regime {
	case VD11Calendar, VD11Explanation, VD11Hazard:
		return nil
	}
	end := f.End
	if end.IsZero() {
		end = f.Start.Add(LaunchWindow)
	}
	var out []Notified
	add := func(a *Area, from, to time.Time) {
		if a != nil {
			d := f.Designation
			if d == "" {
				d = f.Regime
			}
			out = append(out, Notified{Label: label, Designation: d, State: f.State, Regime: f.Regime, Submitted: submitted, Area: a, From: from, To: to})
		}
	}
	add(f.Area, f.Start, end)
	for _, p := range f.Phases {
		add(p.Area, p.Start, p.End)
	}
	add(f.LaunchArea, f.Start, end)
	add(f.ImpactArea, f.Start, end)
	return out
}

// Explaining returns the notifications of party, received by t, whose
// area and window contain the point at t, in the order of ns.
func Explaining(ns []Notified, party string, lat, lon, altM float64, t time.Time) []Notified {
	var out []Notified
	for _, n := range ns {
		if n.State != party || party == "" || n.Submitted.After(t) || t.Before(n.From) || t.After(n.To) {
			continue
		}
		if n.Area.Contains(lat, lon, altM) {
			out = append(out, n)
		}
	}
	return out
}

// Explain returns the labels of the notifications of party, received by
// t, whose area and window contain the point (degrees; altitude m, NaN
// when unknown) at t, each once, in the order of ns.
func Explain(ns []Notified, party string, lat, lon, altM float64, t time.Time) []string {
	var out []string
	for _, n := range Explaining(ns, party, lat, lon, altM, t) {
		if !slices.Contains(out, n.Label) {
			out = append(out, n.Label)
		}
	}
	return out
}

// ParseSubmitted decodes one line of a `scan --notifications` file: a
// form with its submission "time" beside its fields.
func ParseSubmitted(b []byte) (*Form, time.Time, error) {
	o, err := parseObject("", b)
	if err != nil {
		return nil, time.Time{}, err
	}
	at, err := o.time("time", true)
	if err != nil {
		return nil, time.Time{}, err
	}
	delete(o.fields, "time")
	o.order = slices.DeleteFunc(o.order, func(k string) bool { return k == "time" })
	regime, err := o.str("regime", true)
	if err != nil {
		return nil, time.Time{}, err
	}
	if _, ok := allowed[regime]; !ok {
		return nil, time.Time{}, invalid("regime: unknown regime %q, want one of %v", regime, Regimes)
	}
	f, err := parseForm(o, regime)
	return f, at, err
}
