package regime

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Finding codes (DESIGN.md "Formats", findings).
const (
	Late                = "late"
	ObservationRequired = "observation-required"
	NotInCalendar       = "not-in-calendar"
	CalendarLate        = "calendar-late"
	ConstraintExceeded  = "constraint-exceeded"
	ReplyOverdue        = "reply-overdue"
	MeetingOverdue      = "meeting-overdue"
	MeasureBreach       = "measure-breach"
)

// Ch. VIII constraint rules.
const (
	RuleThreeYears40000   = "three-years-40000"
	RuleYear13000         = "year-13000"
	RuleYear25000         = "year-25000"
	RuleSimultaneous13000 = "simultaneous-13000"
)

// RuleNoCalendar is the rule of a not-in-calendar finding raised because
// the state filed no annual calendar on the channel by its deadline (the
// other way, a calendar without the activity, has no rule).
const RuleNoCalendar = "no-calendar"

// Finding is a compliance fact: what became true, when, under which rule,
// about which envelopes (channel indexes, the one concerned first).
type Finding struct {
	Code   string    `json:"code"`
	Rule   string    `json:"rule"` // Ch. VIII rule, measure rule; "" for the others
	Regime string    `json:"regime"`
	About  []int64   `json:"about"`
	State  string    `json:"state"` // the party whose obligation it concerns
	Text   string    `json:"text"`
	Time   time.Time `json:"time"` // when the fact became true
}

// Key identifies a finding so that it is raised once: its code, rule and
// the envelope it is about.
func (f Finding) Key() string {
	about := int64(-1)
	if len(f.About) > 0 {
		about = f.About[0]
	}
	return f.Code + "|" + f.Rule + "|" + strconv.FormatInt(about, 10)
}

// Notice is a notification as logged: its index, the node's time of
// receipt, and its form. Notify is the thresholds of prior notification in
// force at Index (nil: NotificationThresholds).
type Notice struct {
	Index    int64
	Received time.Time
	Form     *Form
	Notify   *Thresholds
}

// Response kinds (respond --accept|--question|--object|--answer|--meeting).
// Meeting records that the meeting a request for explanation asked for was
// held (VD11 para 16.2); the requesting state or the state asked records
// it, and the other may object.
const (
	Accept   = "accept"
	Question = "question"
	Object   = "object"
	Answer   = "answer"
	Meeting  = "meeting"
)

// ResponseKinds lists every response kind.
var ResponseKinds = []string{Accept, Question, Object, Answer, Meeting}

// Response is a member's response to a notification or request.
type Response struct {
	Index    int64
	To       int64 // the notification's index
	Author   string
	Kind     string
	Received time.Time
}

// Ledger holds a channel's notifications and responses in log order and
// derives the findings that are true at a time. It is pure: the caller
// gives it the log's envelopes and the time.
type Ledger struct {
	notices   []Notice
	responses []Response
	byIndex   map[int64]int
	raised    map[string]bool
	since     time.Time // the channel's creation; zero: unknown (as if always)
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{byIndex: map[int64]int{}, raised: map[string]bool{}}
}

// SetSince records when the channel was created. An annual calendar due
// before then cannot have been filed on the channel: it is neither
// calendar-late nor missing there (it may have gone through another
// channel). The zero time (the default) means the channel is taken to have
// existed always.
func (l *Ledger) SetSince(t time.Time) { l.since = t }

// existedAt reports whether the channel existed at t.
func (l *Ledger) existedAt(t time.Time) bool { return l.since.IsZero() || !l.since.After(t) }

// AddNotice records a notification. Indexes must increase.
func (l *Ledger) AddNotice(n Notice) error {
	if k := len(l.notices); k > 0 && n.Index <= l.notices[k-1].Index {
		return invalid("notice index %d after %d", n.Index, l.notices[k-1].Index)
	}
	l.byIndex[n.Index] = len(l.notices)
	l.notices = append(l.notices, n)
	return nil
}

// Notice returns the notification logged at index.
func (l *Ledger) Notice(index int64) (Notice, bool) {
	i, ok := l.byIndex[index]
	if !ok {
		return Notice{}, false
	}
	return l.notices[i], true
}

// Notices returns every notification in log order.
func (l *Ledger) Notices() []Notice { return l.notices }

// Responses returns the responses to the notification at index.
func (l *Ledger) Responses(index int64) []Response {
	var out []Response
	for _, r := range l.responses {
		if r.To == index {
			out = append(out, r)
		}
	}
	return out
}

// AddResponse records a response; EINVALID if it answers no notification
// or its kind is unknown.
func (l *Ledger) AddResponse(r Response) error {
	if !slices.Contains(ResponseKinds, r.Kind) {
		return invalid("response kind %q, want one of %v", r.Kind, ResponseKinds)
	}
	if _, ok := l.byIndex[r.To]; !ok {
		return invalid("response to %d: no notification at that index", r.To)
	}
	l.responses = append(l.responses, r)
	return nil
}

// MarkRaised records a finding already in the log, so that Pending does
// not raise it again.
func (l *Ledger) MarkRaised(f Finding) { l.raised[f.Key()] = true }

// IsRaised reports whether f (by its Key) was marked raised.
func (l *Ledger) IsRaised(f Finding) bool { return l.raised[f.Key()] }

// Pending returns the findings true at now that were not raised yet, in
// the order they became true.
func (l *Ledger) Pending(now time.Time) []Finding {
	var out []Finding
	for _, f := range l.Findings(now) {
		if !l.raised[f.Key()] {
			out = append(out, f)
		}
	}
	return out
}

// Findings returns every finding true at now, ordered by the time it
// became true (then by the index it is about).
func (l *Ledger) Findings(now time.Time) []Finding {
	var out []Finding
	for _, n := range l.notices {
		if n.Received.After(now) {
			continue
		}
		if n.Form.Regime != VD11Prior {
			out = append(out, l.receiptFindings(n)...)
		}
		if f, ok := l.replyOverdue(n, now); ok {
			out = append(out, f)
		}
		if f, ok := l.meetingOverdue(n, now); ok {
			out = append(out, f)
		}
	}
	out = append(out, l.activities(now)...)
	out = append(out, l.constraints(now)...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].About[0] < out[j].About[0]
	})
	return out
}

func thresholds(n Notice) Thresholds {
	if n.Notify != nil {
		return *n.Notify
	}
	return NotificationThresholds
}

func label(n Notice) string {
	d := n.Form.Designation
	if d == "" {
		d = n.Form.Regime
	}
	return fmt.Sprintf("%s #%d", d, n.Index)
}

// receiptFindings are the facts true from the moment of receipt.
func (l *Ledger) receiptFindings(n Notice) []Finding {
	f := n.Form
	a := Assess(f, n.Received, thresholds(n))
	var out []Finding
	at := func(code, text string) {
		out = append(out, Finding{Code: code, Regime: f.Regime, About: []int64{n.Index}, State: f.State, Text: text, Time: n.Received})
	}
	if a.Late && (f.Regime != VD11Calendar || l.existedAt(a.Deadline)) {
		code, what := Late, "notice"
		if f.Regime == VD11Calendar {
			code, what = CalendarLate, "annual calendar"
		}
		at(code, fmt.Sprintf("%s %s %s received %s, after its deadline %s", f.State, what, label(n),
			n.Received.Format(time.RFC3339), a.Deadline.Format(time.RFC3339)))
	}
	if a.ObservationRequired {
		at(ObservationRequired, fmt.Sprintf("%s activity %s is observable (%s): observers to be invited",
			f.State, label(n), strings.Join(ObservationThresholds.Met(f.Forces), ", ")))
	}
	return out
}

// chainKey names the activity a prior notification is of: a later notice
// of the same state and designation amends the earlier one.
func chainKey(f *Form) string { return f.State + "\x00" + f.Designation }

// activities derives the findings of the vd11-prior activities, once per
// activity (a notice and its amendments), replaying the log: each is
// raised about the notice that first makes it true, at the time it became
// true, and never again for that activity (an amendment that changes
// nothing of it raises nothing; one that makes it newly true raises it
// about the amendment):
//   - late: the activity, notifiable under the thresholds in force at a
//     notice, was first notified as notifiable (its first notice that was)
//     after the deadline of the activity as that notice describes it (an
//     amendment moving the start earlier can make it late);
//   - observation-required: the first notice by which the activity is
//     observable;
//   - not-in-calendar: of the notices of the activity, those for which
//     notInCalendar holds and that were not yet amended when it became
//     true; the earliest (then the first in log order).
func (l *Ledger) activities(now time.Time) []Finding {
	type chain struct {
		first     *Notice // the first notice notifiable under its thresholds
		late, obs bool    // raised
		notices   []int   // positions in l.notices
	}
	var out []Finding
	chains := map[string]*chain{}
	var order []string
	for i := range l.notices {
		n := &l.notices[i]
		f := n.Form
		if f.Regime != VD11Prior || n.Received.After(now) {
			continue
		}
		k := chainKey(f)
		c := chains[k]
		if c == nil {
			c = &chain{}
			chains[k] = c
			order = append(order, k)
		}
		c.notices = append(c.notices, i)
		th := thresholds(*n)
		a := Assess(f, n.Received, th)
		at := func(code, text string) {
			out = append(out, Finding{Code: code, Regime: f.Regime, About: []int64{n.Index}, State: f.State, Text: text, Time: n.Received})
		}
		if a.Notifiable && c.first == nil {
			c.first = n
		}
		if a.Notifiable && !c.late {
			if d := Assess(f, c.first.Received, th); d.Late {
				c.late = true
				if c.first == n {
					at(Late, fmt.Sprintf("%s notice %s received %s, after its deadline %s", f.State, label(*n),
						n.Received.Format(time.RFC3339), d.Deadline.Format(time.RFC3339)))
				} else {
					at(Late, fmt.Sprintf("%s activity %s, first notified as notifiable by #%d received %s, is after its deadline %s as amended",
						f.State, label(*n), c.first.Index, c.first.Received.Format(time.RFC3339), d.Deadline.Format(time.RFC3339)))
				}
			}
		}
		if a.ObservationRequired && !c.obs {
			c.obs = true
			at(ObservationRequired, fmt.Sprintf("%s activity %s is observable (%s): observers to be invited",
				f.State, label(*n), strings.Join(ObservationThresholds.Met(f.Forces), ", ")))
		}
	}
	for _, k := range order {
		c := chains[k]
		var best *Finding
		for j, i := range c.notices {
			f, ok := l.notInCalendar(l.notices[i], now)
			if !ok {
				continue
			}
			// Amended by the time the fact became true: the amendment's
			// form is what the activity was then.
			if slices.ContainsFunc(c.notices[j+1:], func(m int) bool { return !l.notices[m].Received.After(f.Time) }) {
				continue
			}
			if best == nil || f.Time.Before(best.Time) {
				best = &f
			}
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	return out
}

// notInCalendar: a non-alert prior notification of an activity notifiable
// under NotificationThresholds, starting in year Y, that its state's annual calendar for Y lacks.
// Two ways, each true from a moment on and never undone:
//   - the state filed on the channel a calendar for Y by the time it was due
//     (or by the notice, when that came later), and none of its calendars
//     for Y filed by the later of the notice's and the first calendar's
//     receipt has the activity's entry (its calendar, else its
//     designation): true from then;
//   - the state had filed no calendar for Y on the channel when it was due
//     (the end of 15 November of Y-1, VD11 para 61) nor by the notice's
//     receipt: true from the later of the notice's receipt and the
//     deadline's end, unless the channel was created after that deadline
//     (the calendar may have gone through another channel then).
func (l *Ledger) notInCalendar(n Notice, now time.Time) (Finding, bool) {
	f := n.Form
	// The calendar lists the activities subject to prior notification
	// under the Vienna Document's own thresholds: lower ones agreed by a
	// measure (VD Plus) oblige notice, not a calendar entry.
	if f.Regime != VD11Prior || f.Alert || len(NotificationThresholds.Met(f.Forces)) == 0 {
		return Finding{}, false
	}
	year := int64(f.Start.Year())
	entry := f.Calendar
	if entry == "" {
		entry = f.Designation
	}
	due := CalendarDeadline(year)
	t0 := due.Add(time.Second) // the deadline has passed
	if n.Received.After(t0) {
		t0 = n.Received
	}
	// S's calendars for the year, received by now, in log order.
	var cals []*Notice
	for i, c := range l.notices {
		if c.Form.Regime == VD11Calendar && c.Form.State == f.State && c.Form.Year == year && !c.Received.After(now) {
			cals = append(cals, &l.notices[i])
		}
	}
	if len(cals) == 0 || cals[0].Received.After(t0) {
		// No calendar when it was due, nor by the notice.
		if now.Before(t0) || !l.existedAt(due) {
			return Finding{}, false
		}
		return Finding{Code: NotInCalendar, Rule: RuleNoCalendar, Regime: VD11Prior, About: []int64{n.Index}, State: f.State, Time: t0,
			Text: fmt.Sprintf("%s activity %s (entry %q) is in no annual calendar: %s filed no calendar for %d on the channel by 15 November %d (VD11 para 61)",
				f.State, label(n), entry, f.State, year, year-1)}, true
	}
	// The fact is settled at t, the later of the notice's and the first
	// calendar's receipt, by the calendars filed by then: a later one
	// does not undo it.
	first := cals[0]
	t := n.Received
	if first.Received.After(t) {
		t = first.Received
	}
	for _, c := range cals {
		if c.Received.After(t) {
			break
		}
		for _, e := range c.Form.Entries {
			if e.Designation == entry {
				return Finding{}, false
			}
		}
	}
	return Finding{Code: NotInCalendar, Regime: VD11Prior, About: []int64{n.Index, first.Index}, State: f.State, Time: t,
		Text: fmt.Sprintf("%s activity %s (entry %q) is not in %s's annual calendar for %d, %s", f.State, label(n), entry, f.State, year, label(*first))}, true
}

// replyOverdue: a request for explanation or a hazard report that the
// state asked has not answered within 48 h.
func (l *Ledger) replyOverdue(n Notice, now time.Time) (Finding, bool) {
	f := n.Form
	if f.Regime != VD11Explanation && f.Regime != VD11Hazard {
		return Finding{}, false
	}
	due := n.Received.Add(ReplyWithin)
	if !now.After(due) {
		return Finding{}, false
	}
	for _, r := range l.responses {
		if r.To == n.Index && r.Author == f.To && r.Kind == Answer && !r.Received.After(due) {
			return Finding{}, false
		}
	}
	return Finding{Code: ReplyOverdue, Regime: f.Regime, About: []int64{n.Index}, State: f.To, Time: due,
		Text: fmt.Sprintf("%s has not answered %s's %s within 48 h (due %s)", f.To, f.State, label(n), due.Format(time.RFC3339))}, true
}

// meetingOverdue: a request for explanation that asked for a meeting
// (meeting: true), answered by the state asked, and no meeting response
// of either state recorded within 48 h of the first answer. Without an
// answer the meeting's time does not start (the request is reply-overdue).
func (l *Ledger) meetingOverdue(n Notice, now time.Time) (Finding, bool) {
	f := n.Form
	if f.Regime != VD11Explanation || !f.Meeting {
		return Finding{}, false
	}
	var answer *Response
	for i, r := range l.responses {
		if r.To == n.Index && r.Author == f.To && r.Kind == Answer && !r.Received.After(now) {
			answer = &l.responses[i]
			break
		}
	}
	if answer == nil {
		return Finding{}, false
	}
	due := answer.Received.Add(MeetingWithin)
	if !now.After(due) {
		return Finding{}, false
	}
	for _, r := range l.responses {
		if r.To == n.Index && r.Kind == Meeting && (r.Author == f.State || r.Author == f.To) && !r.Received.After(due) {
			return Finding{}, false
		}
	}
	return Finding{Code: MeetingOverdue, Regime: f.Regime, About: []int64{n.Index, answer.Index}, State: f.To, Time: due,
		Text: fmt.Sprintf("no meeting of %s and %s recorded within 48 h of %s's answer #%d to %s (due %s; VD11 para 16.2)",
			f.State, f.To, f.To, answer.Index, label(n), due.Format(time.RFC3339))}, true
}

// activity is a notice of one (state, designation), with its forces: a
// later notice of the same designation amends the earlier one.
type activity struct {
	Notice
	forces Forces
}

// constraints evaluates Ch. VIII by replaying the log: each notifiable
// prior notification is checked against the state's other activities as
// they stood at its receipt (their latest notices by then), and the one
// that takes a count over its limit raises the rule, about it and the
// others counted, at its receipt. A fact so found depends on the log up to
// that notification only, so it stays true; an amendment of an activity
// that had already crossed a rule's line does not raise it again.
func (l *Ledger) constraints(now time.Time) []Finding {
	var out []Finding
	latest := map[string]map[string]activity{} // state -> designation -> its latest notice so far
	order := map[string][]string{}             // state -> designations in order of first notice
	crossed := map[string]bool{}               // state, designation, rule already raised
	for _, n := range l.notices {
		f := n.Form
		if f.Regime != VD11Prior || n.Received.After(now) || !Assess(f, n.Received, thresholds(n)).Notifiable {
			continue
		}
		state, d := f.State, f.Designation
		a := activity{n, f.Forces}
		var prior []activity
		for _, od := range order[state] {
			if od != d {
				prior = append(prior, latest[state][od])
			}
		}
		if latest[state] == nil {
			latest[state] = map[string]activity{}
		}
		if _, ok := latest[state][d]; !ok {
			order[state] = append(order[state], d)
		}
		latest[state][d] = a
		year := f.Start.Year()
		raise := func(rule, text string, others []activity) {
			k := state + "\x00" + d + "\x00" + rule
			if crossed[k] {
				return
			}
			crossed[k] = true
			about := []int64{a.Index}
			for _, o := range others {
				about = append(about, o.Index)
			}
			out = append(out, Finding{Code: ConstraintExceeded, Rule: rule, Regime: VD11Prior, About: about, State: state, Time: a.Received,
				Text: fmt.Sprintf("%s activity %s: %s (VD11 Ch. VIII)", state, label(a.Notice), text)})
		}
		if above(a.forces, 40000, 900) {
			var same []activity
			for _, p := range prior {
				if above(p.forces, 40000, 900) && abs(p.Form.Start.Year()-year) <= 2 {
					same = append(same, p)
				}
			}
			if len(same) >= 1 {
				raise(RuleThreeYears40000, "more than one activity above 40,000 troops or 900 battle tanks within three calendar years", same)
			}
		}
		if above(a.forces, 13000, 300) && !above(a.forces, 40000, 900) {
			var same []activity
			for _, p := range prior {
				if above(p.forces, 13000, 300) && !above(p.forces, 40000, 900) && p.Form.Start.Year() == year {
					same = append(same, p)
				}
			}
			if len(same) >= 6 {
				raise(RuleYear13000, fmt.Sprintf("activity %d in %d above 13,000 troops or 300 battle tanks, at most six", len(same)+1, year), same)
			}
			if above(a.forces, 25000, 400) {
				var big []activity
				for _, p := range same {
					if above(p.forces, 25000, 400) {
						big = append(big, p)
					}
				}
				if len(big) >= 3 {
					raise(RuleYear25000, fmt.Sprintf("activity %d in %d above 25,000 troops or 400 battle tanks, at most three", len(big)+1, year), big)
				}
			}
		}
		if above(a.forces, 13000, 300) {
			if at := overlapping(a, prior); len(at) >= 3 {
				raise(RuleSimultaneous13000, fmt.Sprintf("%d activities at once above 13,000 troops or 300 battle tanks, at most three", len(at)+1), at)
			}
		}
	}
	return out
}

// overlapping returns the largest set of earlier activities above 13,000
// troops or 300 tanks under way at one instant of a's period.
func overlapping(a activity, prior []activity) []activity {
	end := func(x activity) time.Time {
		if x.Form.End.IsZero() {
			return x.Form.Start
		}
		return x.Form.End
	}
	var best []activity
	// The largest overlap within a's period is reached at a's start or at
	// the start of one of the others.
	instants := []time.Time{a.Form.Start}
	for _, p := range prior {
		if !p.Form.Start.Before(a.Form.Start) && !p.Form.Start.After(end(a)) {
			instants = append(instants, p.Form.Start)
		}
	}
	for _, t := range instants {
		var at []activity
		for _, p := range prior {
			if above(p.forces, 13000, 300) && !p.Form.Start.After(t) && !end(p).Before(t) {
				at = append(at, p)
			}
		}
		if len(at) > len(best) {
			best = at
		}
	}
	return best
}

// above reports more than troops or more than tanks ("involving more than
// 40,000 troops or 900 battle tanks").
func above(f Forces, troops, tanks int64) bool { return f.Troops > troops || f.Tanks > tanks }

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
