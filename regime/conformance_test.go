package regime_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict/regime"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := regime.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const area = `"area":{"polygon":[[54.0,20.0],[54.0,23.0],[55.5,23.0],[55.5,20.0]]}`

// notice is one form of a conformance case with its time of receipt.
type notice struct {
	form     string
	received string
}

// response is a response of a conformance case to the form at index to;
// it is logged after the forms.
type response struct {
	to       int64
	author   string
	kind     string
	received string
}

// The conformance table: one case per clause. Each case is the forms a
// channel receives (in log order) and, at the time "at", the obligations
// of the last form and every finding true then.
var conformance = []struct {
	name      string
	clause    string
	forms     []notice
	responses []response
	at        string
	since     string // the channel's creation ("": unknown, as if always)
	// of the last form:
	notifiable, observable, obsRequired, late bool
	deadline, replyDue                        string
	obligation                                string   // a substring of one of its obligations
	invalid                                   string   // the last form is refused with this in the error
	findings                                  []string // code[/rule]@index
	times                                     []string // when given, each finding's time
}{
	{
		name: "ZapadLike", clause: "VD11 para 40.1.1 and 47.4: 12,800 troops notifiable, not observable; on time",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,"tanks":70,` + area + `}`, "2027-07-20T09:00:00Z"}},
		at:    "2027-09-20T00:00:00Z", notifiable: true, deadline: "2027-07-30T00:00:00Z",
	},
	{
		name: "Late", clause: "VD11 para 38: received 41 days before the start",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":9000,` + area + `}`, "2027-07-31T00:00:00Z"}},
		at:    "2027-08-01T00:00:00Z", notifiable: true, late: true, deadline: "2027-07-30T00:00:00Z",
		findings: []string{"late@0"},
	},
	{
		name: "ExactlyOnDeadline", clause: "VD11 para 38: received exactly 42 days before is on time",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"X","purpose":"p","start":"2027-09-10","end":"2027-09-11","tanks":250,` + area + `}`, "2027-07-30T00:00:00Z"}},
		at:    "2027-08-01T00:00:00Z", notifiable: true, deadline: "2027-07-30T00:00:00Z",
	},
	{
		name: "BelowThresholds", clause: "VD11 para 40.1: 8,999 troops, 249 tanks, 499 ACVs, 249 artillery, 199 sorties: not notifiable, no deadline",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"SMALL","purpose":"p","start":"2027-09-10","end":"2027-09-11","troops":8999,"tanks":249,"acv":499,"artillery":249,"sorties":199,"amphibious_troops":2999,"airborne_troops":2999,` + area + `}`, "2027-09-09T00:00:00Z"}},
		at:    "2027-09-20T00:00:00Z",
	},
	{
		name: "Sorties", clause: "VD11 para 40.1.2: 200 sorties notifiable",
		forms: []notice{{`{"regime":"vd11-prior","state":"NATO","designation":"AIR","purpose":"p","start":"2027-09-10","end":"2027-09-11","sorties":200,` + area + `}`, "2027-09-01T00:00:00Z"}},
		at:    "2027-09-20T00:00:00Z", notifiable: true, late: true, deadline: "2027-07-30T00:00:00Z", findings: []string{"late@0"},
	},
	{
		name: "Amphibious", clause: "VD11 para 40.1.3 and 47.5: 3,500 amphibious troops notifiable and observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"NATO","designation":"BALTOPS","purpose":"p","start":"2027-06-01","end":"2027-06-10","amphibious_troops":3500,` + area + `}`, "2027-04-01T00:00:00Z"}},
		at:    "2027-04-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-04-20T00:00:00Z",
		findings: []string{"observation-required@0"},
	},
	{
		name: "ACVs", clause: "VD11 para 40.1.1 and 47.4: 500 ACVs notifiable and observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"ACV","purpose":"p","start":"2027-09-10","end":"2027-09-11","acv":500,` + area + `}`, "2027-07-01T00:00:00Z"}},
		at:    "2027-07-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-30T00:00:00Z",
		findings: []string{"observation-required@0"},
	},
	{
		name: "Artillery", clause: "VD11 para 40.1.1 and 47.4: 250 artillery pieces, mortars and MRLs of 100 mm and more notifiable and observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"ART","purpose":"p","start":"2027-09-10","end":"2027-09-11","artillery":250,` + area + `}`, "2027-07-01T00:00:00Z"}},
		at:    "2027-07-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-30T00:00:00Z",
		findings: []string{"observation-required@0"},
	},
	{
		name: "Amphibious3000", clause: "VD11 para 40.1.3: 3,000 amphibious troops notifiable, not observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"NATO","designation":"LANDING","purpose":"p","start":"2027-06-01","end":"2027-06-10","amphibious_troops":3000,` + area + `}`, "2027-04-01T00:00:00Z"}},
		at:    "2027-04-02T00:00:00Z", notifiable: true, deadline: "2027-04-20T00:00:00Z",
	},
	{
		name: "Airborne3000", clause: "VD11 para 40.1.4: 3,000 parachute troops notifiable, not observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"NATO","designation":"DROP","purpose":"p","start":"2027-06-01","end":"2027-06-10","airborne_troops":3000,` + area + `}`, "2027-04-01T00:00:00Z"}},
		at:    "2027-04-02T00:00:00Z", notifiable: true, deadline: "2027-04-20T00:00:00Z",
	},
	{
		name: "Airborne3500", clause: "VD11 para 47.5: 3,500 parachute troops observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"NATO","designation":"DROP2","purpose":"p","start":"2027-06-01","end":"2027-06-10","airborne_troops":3500,` + area + `}`, "2027-04-01T00:00:00Z"}},
		at:    "2027-04-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-04-20T00:00:00Z",
		findings: []string{"observation-required@0"},
	},
	{
		name: "Tanks300", clause: "VD11 para 47.4: 300 battle tanks observable, 299 not",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"T299","purpose":"p","start":"2027-09-10","end":"2027-09-11","tanks":299,` + area + `}`, "2027-07-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"T300","purpose":"p","start":"2027-09-10","end":"2027-09-11","tanks":300,` + area + `}`, "2027-07-01T00:00:00Z"},
		},
		at: "2027-07-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-30T00:00:00Z",
		findings: []string{"observation-required@1"},
	},
	{
		name: "Troops12999", clause: "VD11 para 47.4: 12,999 troops notifiable, not observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"NEAR","purpose":"p","start":"2027-09-10","end":"2027-09-11","troops":12999,` + area + `}`, "2027-07-01T00:00:00Z"}},
		at:    "2027-07-02T00:00:00Z", notifiable: true, deadline: "2027-07-30T00:00:00Z",
	},
	{
		name: "Observable", clause: "VD11 para 47.4: 13,000 troops observable",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"BIG","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":13000,` + area + `}`, "2027-07-01T00:00:00Z"}},
		at:    "2027-07-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-30T00:00:00Z",
		findings: []string{"observation-required@0"},
	},
	{
		name: "AlertShort", clause: "VD11 para 41 and 58: an alert activity is notified at its start; observed only if longer than 72 h",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"SNAP","purpose":"readiness check","alert":true,"start":"2027-03-01T06:00:00Z","end":"2027-03-04T06:00:00Z","troops":20000,` + area + `}`, "2027-03-01T06:00:00Z"}},
		at:    "2027-03-05T00:00:00Z", notifiable: true, observable: true, deadline: "2027-03-01T06:00:00Z",
	},
	{
		name: "AlertLong", clause: "VD11 para 58: an alert activity longer than 72 h is observed; notified after its start is late",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"SNAP2","purpose":"readiness check","alert":true,"start":"2027-03-01T06:00:00Z","end":"2027-03-04T06:00:01Z","troops":20000,` + area + `}`, "2027-03-01T07:00:00Z"}},
		at:    "2027-03-05T00:00:00Z", notifiable: true, observable: true, obsRequired: true, late: true, deadline: "2027-03-01T06:00:00Z",
		findings: []string{"late@0", "observation-required@0"},
	},
	{
		name: "CalendarOnTime", clause: "VD11 para 61: calendar by 15 November of the year before; the activity in it",
		forms: []notice{
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"ZAPAD-2027","purpose":"exercise","start":["2027-09-01","2027-09-14"],"end":"2027-09-20","troops":12800,` + area + `}]}`, "2026-11-15T23:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,` + area + `}`, "2027-07-20T09:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, deadline: "2027-07-30T00:00:00Z",
	},
	{
		name: "CalendarWindow", clause: "DESIGN.md: a calendar entry's start is a window of at most 14 days",
		forms:   []notice{{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"Z","purpose":"p","start":["2027-09-01","2027-09-16"],"end":"2027-09-20","troops":12800,` + area + `}]}`, "2026-11-01T00:00:00Z"}},
		invalid: "14 days",
	},
	{
		name: "CalendarLate", clause: "VD11 para 61: a calendar received on 16 November is calendar-late",
		since: "2026-11-01T00:00:00Z",
		forms: []notice{{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"Z","purpose":"p","start":["2027-09-01","2027-09-15"],"end":"2027-09-20","troops":12800,` + area + `}]}`, "2026-11-16T00:00:00Z"}},
		at:    "2026-11-17T00:00:00Z", late: true, deadline: "2026-11-15T23:59:59Z", findings: []string{"calendar-late@0"},
	},
	{
		name: "NotInCalendar", clause: "VD11 Ch. VII: a notifiable activity absent from its state's calendar",
		forms: []notice{
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"OTHER","purpose":"p","start":["2027-05-01","2027-05-10"],"end":"2027-05-20","troops":9500,` + area + `}]}`, "2026-11-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,` + area + `}`, "2027-07-20T09:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, deadline: "2027-07-30T00:00:00Z", findings: []string{"not-in-calendar@1"},
	},
	{
		name: "CalendarAmendedBefore", clause: "VD11 Ch. VII: a second calendar of the year, filed before the notice, has the activity: no finding",
		forms: []notice{
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"OTHER","purpose":"p","start":["2027-05-01","2027-05-10"],"end":"2027-05-20","troops":9500,` + area + `}]}`, "2026-11-01T00:00:00Z"},
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"ZAPAD-2027","purpose":"exercise","start":["2027-09-01","2027-09-14"],"end":"2027-09-20","troops":12800,` + area + `}]}`, "2027-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,` + area + `}`, "2027-07-20T09:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, deadline: "2027-07-30T00:00:00Z", findings: []string{"calendar-late@1"},
	},
	{
		name: "CalendarAmendedAfter", clause: "VD11 Ch. VII: notified while absent from the calendar; a calendar with it filed afterwards does not undo the finding",
		forms: []notice{
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"OTHER","purpose":"p","start":["2027-05-01","2027-05-10"],"end":"2027-05-20","troops":9500,` + area + `}]}`, "2026-11-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,` + area + `}`, "2027-07-20T09:00:00Z"},
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"ZAPAD-2027","purpose":"exercise","start":["2027-09-01","2027-09-14"],"end":"2027-09-20","troops":12800,` + area + `}]}`, "2027-07-21T00:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", late: true, deadline: "2026-11-15T23:59:59Z", findings: []string{"not-in-calendar@1", "calendar-late@2"},
		times: []string{"2027-07-20T09:00:00Z", "2027-07-21T00:00:00Z"},
	},
	{
		name: "LateCalendarWithout", clause: "VD11 Ch. VII and para 61: notified first, then a late calendar without the activity",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-20","end":"2027-01-30","troops":9000,` + area + `}`, "2026-10-01T00:00:00Z"},
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"OTHER","purpose":"p","start":["2027-05-01","2027-05-10"],"end":"2027-05-20","troops":9500,` + area + `}]}`, "2026-11-20T00:00:00Z"},
		},
		at: "2026-11-21T00:00:00Z", late: true, deadline: "2026-11-15T23:59:59Z", findings: []string{"not-in-calendar/no-calendar@0", "calendar-late@1"},
		times: []string{"2026-11-16T00:00:00Z", "2026-11-20T00:00:00Z"},
	},
	{
		name: "LateCalendarWith", clause: "VD11 para 61: notified first, no calendar when due, then a late calendar with the activity: the finding stays",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-20","end":"2027-01-30","troops":9000,` + area + `}`, "2026-10-01T00:00:00Z"},
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"WINTER","purpose":"p","start":["2027-01-15","2027-01-25"],"end":"2027-01-30","troops":9000,` + area + `}]}`, "2026-11-20T00:00:00Z"},
		},
		at: "2026-11-21T00:00:00Z", late: true, deadline: "2026-11-15T23:59:59Z", findings: []string{"not-in-calendar/no-calendar@0", "calendar-late@1"},
		times: []string{"2026-11-16T00:00:00Z", "2026-11-20T00:00:00Z"},
	},
	{
		name: "NoCalendarNotYetDue", clause: "VD11 para 61: no calendar filed, but 15 November has not passed yet: nothing",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-20","end":"2027-01-30","troops":9000,` + area + `}`, "2026-10-01T00:00:00Z"}},
		at:    "2026-11-15T23:59:59Z", notifiable: true, deadline: "2026-12-09T00:00:00Z",
	},
	{
		name: "NoCalendarFiled", clause: "VD11 para 61: no calendar filed on the channel by 15 November of the year before: not-in-calendar when it has passed",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-20","end":"2027-01-30","troops":9000,` + area + `}`, "2026-10-01T00:00:00Z"}},
		at:    "2026-11-16T00:00:00Z", notifiable: true, deadline: "2026-12-09T00:00:00Z",
		findings: []string{"not-in-calendar/no-calendar@0"}, times: []string{"2026-11-16T00:00:00Z"},
	},
	{
		name: "NoCalendarNotifiedAfter", clause: "VD11 para 61: notified after 15 November with no calendar filed: not-in-calendar at receipt",
		since: "2026-11-01T00:00:00Z",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"SPRING","purpose":"p","start":"2027-05-01","end":"2027-05-10","troops":9000,` + area + `}`, "2027-03-01T00:00:00Z"}},
		at:    "2027-03-01T00:00:00Z", notifiable: true, deadline: "2027-03-20T00:00:00Z",
		findings: []string{"not-in-calendar/no-calendar@0"}, times: []string{"2027-03-01T00:00:00Z"},
	},
	{
		name: "NoCalendarChannelNewer", clause: "VD11 para 61: the channel was created after the calendar was due: nothing (it may have gone elsewhere)",
		since: "2026-12-01T00:00:00Z",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"SPRING","purpose":"p","start":"2027-05-01","end":"2027-05-10","troops":9000,` + area + `}`, "2027-03-01T00:00:00Z"}},
		at:    "2027-03-02T00:00:00Z", notifiable: true, deadline: "2027-03-20T00:00:00Z",
	},
	{
		name: "CalendarBeforeChannel", clause: "VD11 para 61: a calendar due before the channel was created is not calendar-late on it",
		since: "2026-12-01T00:00:00Z",
		forms: []notice{{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"Z","purpose":"p","start":["2027-09-01","2027-09-15"],"end":"2027-09-20","troops":12800,` + area + `}]}`, "2026-12-02T00:00:00Z"}},
		at:    "2026-12-03T00:00:00Z", late: true, deadline: "2026-11-15T23:59:59Z",
	},
	{
		name: "AlertNoCalendar", clause: "VD11 para 41: an alert activity is never in a calendar: no not-in-calendar",
		forms: []notice{{`{"regime":"vd11-prior","state":"RU","designation":"SNAP3","purpose":"readiness check","alert":true,"start":"2027-03-01T06:00:00Z","end":"2027-03-02T06:00:00Z","troops":9000,` + area + `}`, "2027-03-01T06:00:00Z"}},
		at:    "2027-03-05T00:00:00Z", notifiable: true, deadline: "2027-03-01T06:00:00Z",
	},
	{
		name: "ThreeYears40000", clause: "VD11 para 67.1: a second activity above 40,000 troops within three calendar years",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2025-09-01","end":"2025-09-10","troops":40001,` + area + `}`, "2025-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"B","purpose":"p","start":"2027-09-01","end":"2027-09-10","tanks":901,` + area + `}`, "2027-06-01T00:00:00Z"},
		},
		at: "2027-06-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "not-in-calendar/no-calendar@1", "constraint-exceeded/three-years-40000@1"},
	},
	{
		name: "ThreeYears40000Apart", clause: "VD11 para 67.1: three calendar years apart is allowed",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2024-09-01","end":"2024-09-10","troops":40001,` + area + `}`, "2024-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"B","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":40001,` + area + `}`, "2027-06-01T00:00:00Z"},
		},
		at: "2027-06-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "not-in-calendar/no-calendar@1"},
	},
	{
		name: "ThreeYears40000Exactly", clause: "VD11 para 67.1: \"more than 40,000 troops or 900 battle tanks\": exactly 40,000 and 900 are not counted",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-03-01","end":"2027-03-10","troops":40000,"tanks":900,` + area + `}`, "2027-01-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"B","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":40000,"tanks":900,` + area + `}`, "2027-06-01T00:00:00Z"},
		},
		at: "2027-06-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1"},
	},
	{
		name: "Simultaneous13000", clause: "VD11 para 67.3: a fourth activity at once above 13,000 troops",
		forms: simultaneous(4),
		at:    "2027-06-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "observation-required@2", "observation-required@3", "constraint-exceeded/simultaneous-13000@3"},
	},
	{
		name: "Year13000", clause: "VD11 para 67.2: a seventh activity in a calendar year above 13,000 troops (and not above 40,000)",
		forms: sequential(7, 13001, 0),
		at:    "2026-11-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-05-20T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "observation-required@2", "observation-required@3", "observation-required@4", "observation-required@5", "observation-required@6", "constraint-exceeded/year-13000@6"},
	},
	{
		name: "Year13000SixAllowed", clause: "VD11 para 67.2: six in a year are allowed; one above 40,000 is not counted",
		forms: append(sequential(6, 13001, 0), sequential(1, 40001, 6)...),
		at:    "2026-11-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-05-20T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "observation-required@2", "observation-required@3", "observation-required@4", "observation-required@5", "observation-required@6"},
	},
	{
		name: "Year25000", clause: "VD11 para 67.2.1: a fourth activity in a calendar year above 25,000 troops",
		forms: sequential(4, 25001, 0),
		at:    "2026-11-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-02-18T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "observation-required@2", "observation-required@3", "constraint-exceeded/year-25000@3"},
	},
	{
		name: "Simultaneous13000ThreeAllowed", clause: "VD11 para 67.3: three at once are allowed",
		forms: simultaneous(3),
		at:    "2027-06-02T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "observation-required@2"},
	},
	{
		name: "Amendment", clause: "VD11 Ch. V: a second notice of the same designation amends the first, it is not a second activity: observation-required once",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":40001,` + area + `}`, "2027-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":41000,` + area + `}`, "2027-06-02T00:00:00Z"},
		},
		at: "2027-06-03T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0"},
	},
	{
		name: "AmendmentAboveLine", clause: "VD11 Ch. VIII: an amendment of an activity that already crossed a line does not raise it again",
		since: "2027-01-01T00:00:00Z",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2025-09-01","end":"2025-09-10","troops":41000,` + area + `}`, "2025-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"B","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":41000,` + area + `}`, "2027-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"B","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":42000,` + area + `}`, "2027-06-02T00:00:00Z"},
		},
		at: "2027-06-03T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "constraint-exceeded/three-years-40000@1"},
	},
	{
		name: "AmendmentCrossesLine", clause: "VD11 Ch. VIII: an amendment that takes an activity over a line raises the rule about the amendment",
		since: "2027-01-01T00:00:00Z",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2025-09-01","end":"2025-09-10","troops":41000,` + area + `}`, "2025-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"B","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":30000,` + area + `}`, "2027-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"B","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":41000,` + area + `}`, "2027-06-02T00:00:00Z"},
		},
		at: "2027-06-03T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@0", "observation-required@1", "constraint-exceeded/three-years-40000@2"},
	},
	{
		name: "AmendmentObservable", clause: "VD11 Ch. V and para 47.4: an amendment that takes an activity to 13,000 troops raises observation-required about the amendment",
		since: "2027-01-01T00:00:00Z",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":12000,` + area + `}`, "2027-06-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":14000,` + area + `}`, "2027-06-02T00:00:00Z"},
		},
		at: "2027-06-03T00:00:00Z", notifiable: true, observable: true, obsRequired: true, deadline: "2027-07-21T00:00:00Z",
		findings: []string{"observation-required@1"}, times: []string{"2027-06-02T00:00:00Z"},
	},
	{
		name: "AmendmentNotInCalendarOnce", clause: "VD11 Ch. VII: an activity absent from the calendar, then amended: not-in-calendar once, about the first notice",
		forms: []notice{
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"OTHER","purpose":"p","start":["2027-05-01","2027-05-10"],"end":"2027-05-20","troops":9500,` + area + `}]}`, "2026-11-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,` + area + `}`, "2027-07-20T09:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12900,` + area + `}`, "2027-07-25T09:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, deadline: "2027-07-30T00:00:00Z", findings: []string{"not-in-calendar@1"},
	},
	{
		name: "AmendmentNewlyNotifiable", clause: "VD11 para 38, 40.1 and Ch. VII: a voluntary notice amended above the thresholds after the deadline: late and not-in-calendar about the amendment",
		forms: []notice{
			{`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"OTHER","purpose":"p","start":["2027-05-01","2027-05-10"],"end":"2027-05-20","troops":9500,` + area + `}]}`, "2026-11-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"SMALL","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":8000,` + area + `}`, "2027-07-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"SMALL","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":9500,` + area + `}`, "2027-08-05T00:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, late: true, deadline: "2027-07-30T00:00:00Z", findings: []string{"late@2", "not-in-calendar@2"},
		times: []string{"2027-08-05T00:00:00Z", "2027-08-05T00:00:00Z"},
	},
	{
		name: "AmendmentAfterDeadline", clause: "VD11 para 38: an activity notified on time, amended after its deadline (the amendment alone would be late): no late finding",
		since: "2027-01-01T00:00:00Z",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":9500,` + area + `}`, "2027-07-20T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-10","end":"2027-09-18","troops":9600,` + area + `}`, "2027-08-05T00:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, late: true, deadline: "2027-07-30T00:00:00Z",
	},
	{
		name: "AmendmentStartEarlier", clause: "VD11 para 38: an amendment moving the start earlier, so that the first notice came less than 42 days before it: late about the amendment",
		since: "2027-01-01T00:00:00Z",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":9500,` + area + `}`, "2027-07-20T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-08-25","end":"2027-09-01","troops":9500,` + area + `}`, "2027-07-25T00:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, late: true, deadline: "2027-07-14T00:00:00Z", findings: []string{"late@1"},
		times: []string{"2027-07-25T00:00:00Z"},
	},
	{
		name: "AmendmentBelowBeforeDue", clause: "VD11 para 61: notified, no calendar, amended below the thresholds before 15 November passed: no not-in-calendar (the activity as it then stood needs no entry)",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-20","end":"2027-01-30","troops":9000,` + area + `}`, "2026-10-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-20","end":"2027-01-30","troops":8000,` + area + `}`, "2026-10-05T00:00:00Z"},
		},
		at: "2026-11-20T00:00:00Z",
	},
	{
		name: "AmendmentBeforeDue", clause: "VD11 para 61: notified, no calendar, amended before 15 November passed: not-in-calendar once, about the amendment",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-20","end":"2027-01-30","troops":9000,` + area + `}`, "2026-10-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"p","start":"2027-01-22","end":"2027-01-30","troops":9100,` + area + `}`, "2026-10-05T00:00:00Z"},
		},
		at: "2026-11-20T00:00:00Z", notifiable: true, deadline: "2026-12-11T00:00:00Z",
		findings: []string{"not-in-calendar/no-calendar@1"}, times: []string{"2026-11-16T00:00:00Z"},
	},
	{
		name: "AmendmentLateOnce", clause: "VD11 para 38: a late notice, then amended: late once, about the first",
		since: "2027-01-01T00:00:00Z",
		forms: []notice{
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":9500,` + area + `}`, "2027-08-01T00:00:00Z"},
			{`{"regime":"vd11-prior","state":"RU","designation":"A","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":9700,` + area + `}`, "2027-08-05T00:00:00Z"},
		},
		at: "2027-09-20T00:00:00Z", notifiable: true, late: true, deadline: "2027-07-30T00:00:00Z", findings: []string{"late@0"},
	},
	{
		name: "ExplanationAnswered", clause: "VD11 para 16.1.1: the answer of the state asked, 1 s before 48 h, is in time",
		forms:     []notice{{`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?","encounter":"e1"}`, "2027-03-01T00:00:00Z"}},
		responses: []response{{0, "RU", "answer", "2027-03-02T23:59:59Z"}},
		at:        "2027-03-04T00:00:00Z", replyDue: "2027-03-03T00:00:00Z",
	},
	{
		name: "ExplanationAnsweredByOther", clause: "VD11 para 16.1.1: an answer from a state other than the one asked does not count",
		forms:     []notice{{`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?"}`, "2027-03-01T00:00:00Z"}},
		responses: []response{{0, "BY", "answer", "2027-03-02T00:00:00Z"}},
		at:        "2027-03-04T00:00:00Z", replyDue: "2027-03-03T00:00:00Z", findings: []string{"reply-overdue@0"}, times: []string{"2027-03-03T00:00:00Z"},
	},
	{
		name: "MeetingHeld", clause: "VD11 para 16.2: a meeting asked for, recorded by the state asked 47 h after its answer: in time",
		forms:     []notice{{`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?","encounter":"e1","meeting":true}`, "2027-03-01T00:00:00Z"}},
		responses: []response{{0, "RU", "answer", "2027-03-02T00:00:00Z"}, {0, "RU", "meeting", "2027-03-03T23:00:00Z"}},
		at:        "2027-03-10T00:00:00Z", replyDue: "2027-03-03T00:00:00Z", obligation: "meeting requested: to be convened within 48 h",
	},
	{
		name: "MeetingOverdue", clause: "VD11 para 16.2: a meeting asked for and not recorded by either state within 48 h of the answer: meeting-overdue",
		forms:     []notice{{`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?","meeting":true}`, "2027-03-01T00:00:00Z"}},
		responses: []response{{0, "RU", "answer", "2027-03-02T00:00:00Z"}, {0, "NATO", "meeting", "2027-03-04T00:00:01Z"}},
		at:        "2027-03-10T00:00:00Z", replyDue: "2027-03-03T00:00:00Z", findings: []string{"meeting-overdue@0"}, times: []string{"2027-03-04T00:00:00Z"},
	},
	{
		name: "MeetingNotAsked", clause: "VD11 para 16.2: no meeting asked for: none due",
		forms:     []notice{{`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?"}`, "2027-03-01T00:00:00Z"}},
		responses: []response{{0, "RU", "answer", "2027-03-02T00:00:00Z"}},
		at:        "2027-03-10T00:00:00Z", replyDue: "2027-03-03T00:00:00Z",
	},
	{
		name: "MeetingUnanswered", clause: "VD11 para 16.2: a meeting asked for but no answer: reply-overdue only (the meeting's 48 h run from the answer)",
		forms: []notice{{`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?","meeting":true}`, "2027-03-01T00:00:00Z"}},
		at:    "2027-03-10T00:00:00Z", replyDue: "2027-03-03T00:00:00Z", findings: []string{"reply-overdue@0"},
	},
	{
		name: "HazardUnanswered", clause: "VD11 para 17: no clarification within 48 h is reply-overdue",
		forms: []notice{{`{"regime":"vd11-hazard","state":"NATO","to":"RU","text":"low pass over our ship"}`, "2027-03-01T00:00:00Z"}},
		at:    "2027-03-03T00:00:01Z", replyDue: "2027-03-03T00:00:00Z", findings: []string{"reply-overdue@0"},
	},
	{
		name: "LaunchLate", clause: "1988 agreement Art. I: less than 24 h before the launch",
		forms: []notice{{`{"regime":"launch-1988","state":"RU","missile":"icbm","start":"2027-05-02T12:00:00Z","end":"2027-05-03T12:00:00Z","launch_area":{"circle":{"lat":62.9,"lon":40.5,"radius_m":20000}},"impact_area":{"circle":{"lat":65.0,"lon":160.0,"radius_m":50000}}}`, "2027-05-01T12:00:01Z"}},
		at:    "2027-05-01T13:00:00Z", late: true, deadline: "2027-05-01T12:00:00Z", findings: []string{"late@0"},
	},
	{
		name: "INCSEAOnTime", clause: "INCSEA 1972 Art. VI: 3 days before",
		forms: []notice{{`{"regime":"incsea-notice","state":"US","designation":"GUNNERY","start":"2027-05-04","end":"2027-05-05",` + `"area":{"circle":{"lat":55,"lon":18,"radius_m":10000},"alt_m":[0,15000]}}`, "2027-05-01T00:00:00Z"}},
		at:    "2027-05-06T00:00:00Z", deadline: "2027-05-01T00:00:00Z",
	},
	{
		name: "Intention", clause: "voluntary notice: no deadline",
		forms: []notice{{`{"regime":"intention","state":"US","designation":"TRANSIT","purpose":"transit","start":"2027-05-04","end":"2027-05-05",` + area + `}`, "2027-05-04T12:00:00Z"}},
		at:    "2027-05-06T00:00:00Z",
	},
}

// sequential returns n activities of one state in 2027, one a month from
// month first+1 (none at once), each with troops, notified on 1 November 2026.
func sequential(n int, troops int64, first int) []notice {
	var out []notice
	for i := range n {
		m := first + i + 1
		start := time.Date(2027, time.Month(m), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		end := time.Date(2027, time.Month(m), 10, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		out = append(out, notice{`{"regime":"vd11-prior","state":"RU","designation":"M` + strconv.Itoa(m) + `","purpose":"p","start":"` + start + `","end":"` + end + `","troops":` + strconv.FormatInt(troops, 10) + `,` + area + `}`, "2026-11-01T00:00:00Z"})
	}
	return out
}

func simultaneous(n int) []notice {
	var out []notice
	for i := range n {
		out = append(out, notice{`{"regime":"vd11-prior","state":"RU","designation":"S` + string(rune('A'+i)) + `","purpose":"p","start":"2027-09-01","end":"2027-09-10","troops":13001,` + area + `}`, "2027-06-01T00:00:00Z"})
	}
	return out
}

func TestConformance(t *testing.T) {
	for _, c := range conformance {
		t.Run(c.name, func(t *testing.T) {
			l := regime.NewLedger()
			// The channel was created when its first form came, unless
			// the case says.
			since := c.forms[0].received
			if c.since != "" {
				since = c.since
			}
			l.SetSince(mustTime(t, since))
			var last regime.Assessment
			for i, n := range c.forms {
				f, err := regime.ParseForm([]byte(n.form))
				if i == len(c.forms)-1 && c.invalid != "" {
					if err == nil || !strings.Contains(err.Error(), c.invalid) {
						t.Fatalf("last form: error %v, want one saying %q", err, c.invalid)
					}
					return
				}
				if err != nil {
					t.Fatalf("form %d: %v", i, err)
				}
				rec := mustTime(t, n.received)
				if err := l.AddNotice(regime.Notice{Index: int64(i), Received: rec, Form: f}); err != nil {
					t.Fatal(err)
				}
				last = regime.Assess(f, rec, regime.NotificationThresholds)
			}
			for k, r := range c.responses {
				if err := l.AddResponse(regime.Response{Index: int64(len(c.forms) + k), To: r.to, Author: r.author, Kind: r.kind, Received: mustTime(t, r.received)}); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := last.Notifiable, c.notifiable; got != want {
				t.Errorf("Notifiable=%v, want %v", got, want)
			}
			if got, want := last.Observable, c.observable; got != want {
				t.Errorf("Observable=%v, want %v", got, want)
			}
			if got, want := last.ObservationRequired, c.obsRequired; got != want {
				t.Errorf("ObservationRequired=%v, want %v", got, want)
			}
			if got, want := last.Late, c.late; got != want {
				t.Errorf("Late=%v, want %v", got, want)
			}
			if got, want := fmtTime(last.Deadline), c.deadline; got != want {
				t.Errorf("Deadline=%s, want %s", got, want)
			}
			if got, want := fmtTime(last.ReplyDue), c.replyDue; got != want {
				t.Errorf("ReplyDue=%s, want %s", got, want)
			}
			if c.obligation != "" && !slices.ContainsFunc(last.Obligations, func(o string) bool { return strings.Contains(o, c.obligation) }) {
				t.Errorf("obligations %q, want one saying %q", last.Obligations, c.obligation)
			}
			var got, times []string
			for _, f := range l.Findings(mustTime(t, c.at)) {
				s := f.Code
				if f.Rule != "" {
					s += "/" + f.Rule
				}
				got = append(got, s+"@"+itoa(f.About[0]))
				times = append(times, fmtTime(f.Time))
			}
			if !slices.Equal(got, c.findings) {
				t.Errorf("findings %v, want %v", got, c.findings)
			}
			if c.times != nil && !slices.Equal(times, c.times) {
				t.Errorf("finding times %v, want %v", times, c.times)
			}
		})
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
