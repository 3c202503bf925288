package regime

import (
	"encoding/json"
	"strconv"
	"time"
)

// Regimes, as DESIGN.md's "Regimes" table names them.
const (
	VD11Prior       = "vd11-prior"       // Vienna Document 2011 Ch. V prior notification
	VD11Calendar    = "vd11-calendar"    // Ch. VII annual calendar
	VD11Explanation = "vd11-explanation" // Ch. III para 16 request for explanation
	VD11Hazard      = "vd11-hazard"      // Ch. III para 17 hazardous incident
	Launch1988      = "launch-1988"      // 1988 ICBM/SLBM launch notification agreement
	INCSEANotice    = "incsea-notice"    // INCSEA 1972 Art. VI notice
	Intention       = "intention"        // voluntary notice, no deadline
)

// Regimes lists every regime.
var Regimes = []string{VD11Prior, VD11Calendar, VD11Explanation, VD11Hazard, Launch1988, INCSEANotice, Intention}

// Forces are the numbers of a Vienna Document activity (Ch. V para 40):
// troops, battle tanks, armoured combat vehicles, artillery pieces of
// 100 mm calibre and above, fixed-wing sorties, and troops landed from the
// sea or dropped from the air.
type Forces struct {
	Troops           int64 `json:"troops,omitempty"`
	Tanks            int64 `json:"tanks,omitempty"`
	ACV              int64 `json:"acv,omitempty"`
	Artillery        int64 `json:"artillery,omitempty"`
	Sorties          int64 `json:"sorties,omitempty"`
	AmphibiousTroops int64 `json:"amphibious_troops,omitempty"`
	AirborneTroops   int64 `json:"airborne_troops,omitempty"`
}

// Phase is one phase of an activity (transfer, deployment, concentration,
// active, recovery).
type Phase struct {
	Kind    string    `json:"kind"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Area    *Area     `json:"area,omitempty"`
	Purpose string    `json:"purpose,omitempty"`
}

// Form is a notification as submitted, after strict decoding. Which fields
// a regime requires is in ParseForm. Times are UTC.
type Form struct {
	Regime      string    `json:"regime"`
	State       string    `json:"state"`
	Designation string    `json:"designation,omitempty"`
	Purpose     string    `json:"purpose,omitempty"`
	Start       time.Time `json:"start,omitzero"`
	End         time.Time `json:"end,omitzero"`
	Area        *Area     `json:"area,omitempty"`

	// Vienna Document prior notifications (and calendar entries).
	States   []string `json:"states,omitempty"`
	Command  string   `json:"command,omitempty"`
	Alert    bool     `json:"alert,omitempty"`
	Forces            // inlined counts
	Phases   []Phase  `json:"phases,omitempty"`
	Calendar string   `json:"calendar,omitempty"` // the designation of its annual-calendar entry

	// Annual calendars.
	Year    int64   `json:"year,omitempty"`
	Entries []Entry `json:"entries,omitempty"`

	// Requests for explanation and hazard reports.
	To        string `json:"to,omitempty"`        // the state asked
	Text      string `json:"text,omitempty"`      // the question or report
	Encounter string `json:"encounter,omitempty"` // an encounter it cites
	Incident  string `json:"incident,omitempty"`  // an incident it cites
	About     *int64 `json:"about,omitempty"`     // the notification (channel index) it asks about
	Meeting   bool   `json:"meeting,omitempty"`   // a meeting is requested (para 16.2)

	// Launch notifications.
	Missile    string `json:"missile,omitempty"` // "icbm" or "slbm"
	LaunchArea *Area  `json:"launch_area,omitempty"`
	ImpactArea *Area  `json:"impact_area,omitempty"`
}

// Entry is one activity of an annual calendar: a prior-notification form
// whose start is a window [From, To] of at most 14 days.
type Entry struct {
	Form
	StartFrom time.Time `json:"-"`
	StartTo   time.Time `json:"-"`
}

// MaxStartWindow is the widest start window of a calendar entry.
const MaxStartWindow = 14 * 24 * time.Hour

// maxCount bounds every count of a form: more than the world's armed forces.
const maxCount = 100_000_000

// field requirements per regime: fields the regime requires; every other
// field listed in allowed may be present.
var (
	common    = []string{"regime", "state", "designation", "purpose", "start", "end", "area"}
	vdFields  = []string{"states", "command", "alert", "troops", "tanks", "acv", "artillery", "sorties", "amphibious_troops", "airborne_troops", "phases", "calendar"}
	reqFields = []string{"to", "text", "encounter", "incident", "about", "meeting"}
	allowed   = map[string][]string{
		VD11Prior:       concat(common, vdFields),
		VD11Calendar:    {"regime", "state", "year", "entries"},
		VD11Explanation: concat([]string{"regime", "state", "designation", "start", "end", "area"}, reqFields),
		VD11Hazard:      concat([]string{"regime", "state", "designation", "start", "end", "area"}, reqFields),
		Launch1988:      {"regime", "state", "designation", "purpose", "start", "end", "missile", "launch_area", "impact_area"},
		INCSEANotice:    common,
		Intention:       common,
	}
	required = map[string][]string{
		VD11Prior:       {"state", "designation", "purpose", "start", "end", "area"},
		VD11Calendar:    {"state", "year", "entries"},
		VD11Explanation: {"state", "to", "text"},
		VD11Hazard:      {"state", "to", "text"},
		Launch1988:      {"state", "start", "launch_area", "impact_area"},
		INCSEANotice:    {"state", "start", "end", "area"},
		Intention:       {"state", "start", "end", "area"},
	}
)

func concat(ls ...[]string) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l...)
	}
	return out
}

// ParseForm decodes a notification form strictly: one JSON object, every
// field once in its one spelling, no field its regime does not define, and
// every field it requires. EINVALID names the field at fault.
func ParseForm(b []byte) (*Form, error) {
	o, err := parseObject("", b)
	if err != nil {
		return nil, err
	}
	regime, err := o.str("regime", true)
	if err != nil {
		return nil, err
	}
	if _, ok := allowed[regime]; !ok {
		return nil, invalid("regime: unknown regime %q, want one of %v", regime, Regimes)
	}
	return parseForm(o, regime)
}

func parseForm(o *object, regime string) (*Form, error) {
	ok := map[string]bool{}
	for _, k := range allowed[regime] {
		ok[k] = true
	}
	for _, k := range o.order {
		if !ok[k] {
			return nil, invalid("%s: unknown field %q for regime %s", name(o.path), k, regime)
		}
	}
	for _, k := range required[regime] {
		if _, present := o.raw(k); !present {
			return nil, o.missing(k)
		}
	}
	o.used = map[string]bool{"regime": true}
	f := &Form{Regime: regime}
	var err error
	if f.State, err = o.str("state", true); err != nil {
		return nil, err
	}
	if f.Designation, err = o.str("designation", false); err != nil {
		return nil, err
	}
	if f.Purpose, err = o.str("purpose", false); err != nil {
		return nil, err
	}
	if regime == VD11Calendar {
		if err := parseCalendar(o, f); err != nil {
			return nil, err
		}
		return f, o.done()
	}
	if f.Start, err = o.time("start", false); err != nil {
		return nil, err
	}
	if f.End, err = o.time("end", false); err != nil {
		return nil, err
	}
	if !f.End.IsZero() && f.End.Before(f.Start) {
		return nil, invalid("%s: %s is before start %s", o.at("end"), f.End.Format(time.RFC3339), f.Start.Format(time.RFC3339))
	}
	if f.Area, err = o.area("area", false); err != nil {
		return nil, err
	}
	if err := parseVD(o, f); err != nil {
		return nil, err
	}
	if err := parseRequest(o, f); err != nil {
		return nil, err
	}
	if f.Missile, err = o.str("missile", false); err != nil {
		return nil, err
	}
	if f.Missile != "" && f.Missile != "icbm" && f.Missile != "slbm" {
		return nil, invalid("%s: %q, want \"icbm\" or \"slbm\"", o.at("missile"), f.Missile)
	}
	if f.LaunchArea, err = o.area("launch_area", false); err != nil {
		return nil, err
	}
	if f.ImpactArea, err = o.area("impact_area", false); err != nil {
		return nil, err
	}
	return f, o.done()
}

func parseVD(o *object, f *Form) error {
	var err error
	if f.States, err = o.strs("states", false); err != nil {
		return err
	}
	if f.Command, err = o.str("command", false); err != nil {
		return err
	}
	if f.Alert, err = o.boolean("alert"); err != nil {
		return err
	}
	if f.Calendar, err = o.str("calendar", false); err != nil {
		return err
	}
	for _, c := range []struct {
		k string
		p *int64
	}{
		{"troops", &f.Troops}, {"tanks", &f.Tanks}, {"acv", &f.ACV}, {"artillery", &f.Artillery},
		{"sorties", &f.Sorties}, {"amphibious_troops", &f.AmphibiousTroops}, {"airborne_troops", &f.AirborneTroops},
	} {
		if *c.p, err = o.count(c.k, maxCount); err != nil {
			return err
		}
	}
	phases, err := o.list("phases", false, 20)
	if err != nil {
		return err
	}
	for i, raw := range phases {
		p, err := parseObject(o.at("phases")+"["+itoa(i)+"]", raw)
		if err != nil {
			return err
		}
		var ph Phase
		if ph.Kind, err = p.str("kind", true); err != nil {
			return err
		}
		if ph.Start, err = p.time("start", true); err != nil {
			return err
		}
		if ph.End, err = p.time("end", true); err != nil {
			return err
		}
		if ph.End.Before(ph.Start) {
			return invalid("%s: before start", p.at("end"))
		}
		if ph.Area, err = p.area("area", false); err != nil {
			return err
		}
		if ph.Purpose, err = p.str("purpose", false); err != nil {
			return err
		}
		if err := p.done(); err != nil {
			return err
		}
		f.Phases = append(f.Phases, ph)
	}
	return nil
}

func parseRequest(o *object, f *Form) error {
	var err error
	if f.To, err = o.str("to", false); err != nil {
		return err
	}
	if f.Text, err = o.str("text", false); err != nil {
		return err
	}
	if f.Encounter, err = o.str("encounter", false); err != nil {
		return err
	}
	if f.Incident, err = o.str("incident", false); err != nil {
		return err
	}
	if f.Meeting, err = o.boolean("meeting"); err != nil {
		return err
	}
	if _, present := o.raw("about"); present {
		n, err := o.count("about", 1<<62)
		if err != nil {
			return err
		}
		f.About = &n
	}
	return nil
}

func parseCalendar(o *object, f *Form) error {
	var err error
	if f.Year, err = o.count("year", 9999); err != nil {
		return err
	}
	if f.Year < 1990 {
		return invalid("%s: %d, want a year from 1990", o.at("year"), f.Year)
	}
	entries, err := o.list("entries", true, 500)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, raw := range entries {
		path := o.at("entries") + "[" + itoa(i) + "]"
		e, err := parseEntry(path, raw, f)
		if err != nil {
			return err
		}
		if seen[e.Designation] {
			return invalid("%s.designation: %q appears twice in the calendar", path, e.Designation)
		}
		seen[e.Designation] = true
		f.Entries = append(f.Entries, *e)
	}
	return nil
}

// parseEntry decodes a calendar entry: a vd11-prior form (its "regime" may
// be left out) whose "start" is [from, to].
func parseEntry(path string, raw json.RawMessage, cal *Form) (*Entry, error) {
	o, err := parseObject(path, raw)
	if err != nil {
		return nil, err
	}
	if r, present := o.raw("regime"); present && string(r) != `"`+VD11Prior+`"` {
		return nil, invalid("%s.regime: calendar entries are %q", path, VD11Prior)
	}
	window, present := o.raw("start")
	if !present {
		return nil, o.missing("start")
	}
	var w []string
	if err := json.Unmarshal(window, &w); err != nil || len(w) != 2 {
		return nil, invalid("%s.start: want a window [from, to]", path)
	}
	var e Entry
	if e.StartFrom, err = ParseTime(w[0]); err != nil {
		return nil, invalid("%s.start[0]: %v", path, err)
	}
	if e.StartTo, err = ParseTime(w[1]); err != nil {
		return nil, invalid("%s.start[1]: %v", path, err)
	}
	if e.StartTo.Before(e.StartFrom) || e.StartTo.Sub(e.StartFrom) > MaxStartWindow {
		return nil, invalid("%s.start: window %s to %s, want at most 14 days", path, w[0], w[1])
	}
	if int64(e.StartFrom.Year()) != cal.Year {
		return nil, invalid("%s.start: %s is not in the calendar's year %d", path, w[0], cal.Year)
	}
	// Decode the rest as a prior notification whose start is the window's
	// first day.
	o.fields["start"] = json.RawMessage(`"` + w[0] + `"`)
	if _, ok := o.fields["state"]; !ok {
		o.fields["state"] = json.RawMessage(`"` + jsonEscape(cal.State) + `"`)
		o.order = append(o.order, "state")
	}
	form, err := parseForm(o, VD11Prior)
	if err != nil {
		return nil, err
	}
	if form.State != cal.State {
		return nil, invalid("%s.state: %q, the calendar is %q's", path, form.State, cal.State)
	}
	if form.Alert {
		return nil, invalid("%s.alert: an alert activity is not calendared", path)
	}
	e.Form = *form
	return &e, nil
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

func itoa(i int) string { return strconv.Itoa(i) }
