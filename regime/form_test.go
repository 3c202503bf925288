package regime_test

import (
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/regime"
)

func TestParseFormErrors(t *testing.T) {
	zapad := `{"regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":12800,` + area + `}`
	for _, c := range []struct {
		name, form, want string
	}{
		{"UnknownRegime", `{"regime":"vd99","state":"RU"}`, `unknown regime "vd99"`},
		{"NoRegime", `{"state":"RU"}`, `missing required field "regime"`},
		{"MissingArea", strings.Replace(zapad, ","+area, "", 1), `missing required field "area"`},
		{"MissingStart", strings.Replace(zapad, `"start":"2027-09-10",`, "", 1), `missing required field "start"`},
		{"NullStart", strings.Replace(zapad, `"start":"2027-09-10"`, `"start":null`, 1), `missing required field "start"`},
		{"UnknownField", strings.Replace(zapad, `"troops"`, `"notifiable":true,"troops"`, 1), `unknown field "notifiable"`},
		{"WrongCase", strings.Replace(zapad, `"troops"`, `"Troops"`, 1), `unknown field "Troops"`},
		{"Duplicate", strings.Replace(zapad, `"troops":12800`, `"troops":12800,"troops":1`, 1), `"troops" appears twice`},
		{"FieldOfOtherRegime", strings.Replace(zapad, `"troops"`, `"impact_area":{"circle":{"lat":1,"lon":1,"radius_m":1}},"troops"`, 1), `unknown field "impact_area" for regime vd11-prior`},
		{"NegativeTroops", strings.Replace(zapad, `12800`, `-1`, 1), `troops: -1`},
		{"FractionalTroops", strings.Replace(zapad, `12800`, `1.5`, 1), `troops: 1.5`},
		{"BadDate", strings.Replace(zapad, `2027-09-10`, `10/09/2027`, 1), `start: "10/09/2027"`},
		{"EndBeforeStart", strings.Replace(zapad, `"end":"2027-09-16"`, `"end":"2027-09-01"`, 1), `end: 2027-09-01T00:00:00Z is before start`},
		{"BadPolygon", strings.Replace(zapad, area, `"area":{"polygon":[[54,20],[54,21]]}`, 1), `area.polygon: 2 vertices`},
		{"BothShapes", strings.Replace(zapad, area, `"area":{"polygon":[[54,20],[54,21],[55,21]],"circle":{"lat":1,"lon":1,"radius_m":1}}`, 1), `both "polygon" and "circle"`},
		{"CircleMissingRadius", strings.Replace(zapad, area, `"area":{"circle":{"lat":1,"lon":1}}`, 1), `area.circle: missing required field "radius_m"`},
		{"AreaUnknownField", strings.Replace(zapad, area, `"area":{"circle":{"lat":1,"lon":1,"radius_m":5},"name":"x"}`, 1), `area: unknown field "name"`},
		{"Trailing", zapad + `{}`, `data after the JSON object`},
		{"NotObject", `[1]`, `not a JSON object`},
		{"Truncated", zapad[:40], `unexpected end of JSON`},
		{"PhaseMissingKind", strings.Replace(zapad, `"troops"`, `"phases":[{"start":"2027-09-10","end":"2027-09-11"}],"troops"`, 1), `phases[0]: missing required field "kind"`},
		{"CalendarWindowTooWide", `{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"Z","purpose":"p","start":["2027-09-01","2027-09-16"],"end":"2027-09-20",` + area + `}]}`, `want at most 14 days`},
		{"CalendarEntryMissingArea", `{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"Z","purpose":"p","start":["2027-09-01","2027-09-02"],"end":"2027-09-20"}]}`, `entries[0]: missing required field "area"`},
		{"CalendarEntryOtherYear", `{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"Z","purpose":"p","start":["2028-09-01","2028-09-02"],"end":"2028-09-20",` + area + `}]}`, `not in the calendar's year 2027`},
		{"CalendarNoEntries", `{"regime":"vd11-calendar","state":"RU","year":2027}`, `missing required field "entries"`},
		{"ExplanationNoTo", `{"regime":"vd11-explanation","state":"NATO","text":"why"}`, `missing required field "to"`},
		{"LaunchNoImpact", `{"regime":"launch-1988","state":"RU","start":"2027-05-02","launch_area":{"circle":{"lat":1,"lon":1,"radius_m":1}}}`, `missing required field "impact_area"`},
		{"LaunchBadMissile", `{"regime":"launch-1988","state":"RU","missile":"cruise","start":"2027-05-02","launch_area":{"circle":{"lat":1,"lon":1,"radius_m":1}},"impact_area":{"circle":{"lat":1,"lon":1,"radius_m":1}}}`, `missile: "cruise"`},
		{"INCSEANoEnd", `{"regime":"incsea-notice","state":"US","start":"2027-05-02",` + area + `}`, `missing required field "end"`},
		{"AltBandInverted", `{"regime":"intention","state":"US","start":"2027-05-02","end":"2027-05-03","area":{"circle":{"lat":1,"lon":1,"radius_m":1},"alt_m":[100,0]}}`, `alt_m: [100, 0]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := regime.ParseForm([]byte(c.form))
			if err == nil {
				t.Fatal("accepted")
			}
			if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
				t.Errorf("code %s, want %s", got, want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseFormOK(t *testing.T) {
	f, err := regime.ParseForm([]byte(`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"p","states":["RU","BY"],"command":"army","start":"2027-09-10T04:00:00+03:00","end":"2027-09-16","troops":12800,"tanks":70,"acv":300,"artillery":120,"sorties":80,"phases":[{"kind":"active","start":"2027-09-12","end":"2027-09-14","purpose":"attack"}],"calendar":"ZAPAD-2027",` + area + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Start.Format("2006-01-02T15:04Z07:00"), "2027-09-10T01:00Z"; got != want {
		t.Errorf("Start=%s, want %s (UTC)", got, want)
	}
	if got, want := f.Troops, int64(12800); got != want {
		t.Errorf("Troops=%d, want %d", got, want)
	}
	if got, want := len(f.Phases), 1; got != want {
		t.Fatalf("%d phases, want %d", got, want)
	}
	if !f.Area.Contains(54.5, 21.5, 0) || f.Area.Contains(53.5, 21.5, 0) {
		t.Error("area containment wrong")
	}
	c, err := regime.ParseForm([]byte(`{"regime":"vd11-calendar","state":"RU","year":2027,"entries":[{"designation":"Z","purpose":"p","start":["2027-09-01","2027-09-15"],"end":"2027-09-20","troops":12800,` + area + `}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Entries[0].State, "RU"; got != want {
		t.Errorf("entry state %q, want the calendar's %q", got, want)
	}
	if got, want := c.Entries[0].StartTo.Format("2006-01-02"), "2027-09-15"; got != want {
		t.Errorf("StartTo=%s, want %s", got, want)
	}
}

func TestPendingRaisedOnce(t *testing.T) {
	l := regime.NewLedger()
	f, err := regime.ParseForm([]byte(`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?"}`))
	if err != nil {
		t.Fatal(err)
	}
	rec := mustTime(t, "2027-03-01T00:00:00Z")
	if err := l.AddNotice(regime.Notice{Index: 4, Received: rec, Form: f}); err != nil {
		t.Fatal(err)
	}
	if got := l.Pending(mustTime(t, "2027-03-03T00:00:00Z")); len(got) != 0 {
		t.Fatalf("pending at the due time: %v", got)
	}
	// An answer from another party does not count.
	if err := l.AddResponse(regime.Response{Index: 5, To: 4, Author: "NATO", Kind: regime.Answer, Received: rec}); err != nil {
		t.Fatal(err)
	}
	got := l.Pending(mustTime(t, "2027-03-03T00:00:01Z"))
	if len(got) != 1 || got[0].Code != regime.ReplyOverdue || got[0].State != "RU" {
		t.Fatalf("pending %v, want one reply-overdue for RU", got)
	}
	if got, want := got[0].Time, mustTime(t, "2027-03-03T00:00:00Z"); !got.Equal(want) {
		t.Errorf("finding time %s, want the due time %s", got, want)
	}
	l.MarkRaised(got[0])
	if again := l.Pending(mustTime(t, "2027-03-10T00:00:00Z")); len(again) != 0 {
		t.Fatalf("raised twice: %v", again)
	}
	if err := l.AddResponse(regime.Response{Index: 6, To: 99, Author: "RU", Kind: regime.Answer, Received: rec}); err == nil {
		t.Error("a response to no notification was accepted")
	}
	if err := l.AddResponse(regime.Response{Index: 6, To: 4, Author: "RU", Kind: "agree", Received: rec}); err == nil {
		t.Error("an unknown response kind was accepted")
	}
}

// A notification-threshold measure (VD Plus) makes a sub-threshold
// activity notifiable between the members, with the 42-day deadline.
func TestAgreedThresholds(t *testing.T) {
	f, err := regime.ParseForm([]byte(`{"regime":"vd11-prior","state":"RU","designation":"SMALL","purpose":"p","start":"2027-09-10","end":"2027-09-11","troops":6000,` + area + `}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := regime.ParseMeasure([]byte(`{"kind":"notification-threshold","regime":"vd11-prior","thresholds":{"troops":5000}}`))
	if err != nil {
		t.Fatal(err)
	}
	rec := mustTime(t, "2027-09-01T00:00:00Z")
	for _, c := range []struct {
		name   string
		notify *regime.Thresholds
		late   bool
	}{{"Default", nil, false}, {"Agreed", &m.Notify.Notify, true}} {
		t.Run(c.name, func(t *testing.T) {
			l := regime.NewLedger()
			if err := l.AddNotice(regime.Notice{Index: 0, Received: rec, Form: f, Notify: c.notify}); err != nil {
				t.Fatal(err)
			}
			got := l.Findings(rec)
			if late := len(got) == 1 && got[0].Code == regime.Late; late != c.late {
				t.Errorf("findings %v, late %v, want %v", got, late, c.late)
			}
		})
	}
}
