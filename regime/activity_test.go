package regime_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict/regime"
)

// refNotice is a prior notification as the reference below sees it.
type refNotice struct {
	index         int64
	state, desig  string
	entry         string // its calendar entry: calendar, else designation
	alert         bool
	troops, tanks int64
	start, end    time.Time
	received      time.Time
}

// refActivityFindings is a reference for late, observation-required and
// not-in-calendar, written apart from the ledger from the figures of
// VD11 (para 38, 40.1, 41, 47.4, 58, 61), for logs where every calendar
// for 2027 came on time (calendars maps a state to its entries and the
// calendar's receipt) and the channel existed before it was due: each
// finding is raised once per activity (state and designation), about the
// notice that first makes it true.
func refActivityFindings(ns []refNotice, calendars map[string]refCalendar, now time.Time) []string {
	type chain struct {
		firstNotifiable time.Time
		late, obs       bool
		notices         []int // positions in ns
	}
	chains := map[string]*chain{}
	var order []string
	var out []string
	for i, n := range ns {
		if n.received.After(now) {
			continue
		}
		k := n.state + "/" + n.desig
		c := chains[k]
		if c == nil {
			c = &chain{}
			chains[k] = c
			order = append(order, k)
		}
		c.notices = append(c.notices, i)
		notifiable := n.troops >= 9000 || n.tanks >= 250
		observable := n.troops >= 13000 || n.tanks >= 300
		if n.alert && n.end.Sub(n.start) <= 72*time.Hour {
			observable = false
		}
		deadline := n.start.Add(-42 * 24 * time.Hour)
		if n.alert {
			deadline = n.start
		}
		at := fmt.Sprintf("@%d %s", n.index, n.received.Format(time.RFC3339))
		if notifiable && c.firstNotifiable.IsZero() {
			c.firstNotifiable = n.received
		}
		if notifiable && !c.late && c.firstNotifiable.After(deadline) {
			c.late = true
			out = append(out, "late"+at)
		}
		if observable && !c.obs {
			c.obs = true
			out = append(out, "observation-required"+at)
		}
	}
	// not-in-calendar: true for a notice from when both it and the
	// calendar are in (or, without a calendar, from the end of 15 November
	// 2026); a notice amended before then does not count; the earliest of
	// the others (then the first) is raised.
	noCalendarFrom := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	for _, k := range order {
		c := chains[k]
		best, bestAt, rule := -1, time.Time{}, ""
		for j, i := range c.notices {
			n := ns[i]
			if n.alert || (n.troops < 9000 && n.tanks < 250) {
				continue
			}
			cal, filed := calendars[n.state]
			from, r := maxTime(n.received, noCalendarFrom), "/no-calendar"
			if filed {
				if slices.Contains(cal.entries, n.entry) {
					continue
				}
				from, r = maxTime(n.received, cal.received), ""
			}
			if from.After(now) {
				continue
			}
			amended := false
			for _, m := range c.notices[j+1:] {
				if !ns[m].received.After(from) {
					amended = true
				}
			}
			if amended {
				continue
			}
			if best < 0 || from.Before(bestAt) {
				best, bestAt, rule = i, from, r
			}
		}
		if best >= 0 {
			out = append(out, fmt.Sprintf("not-in-calendar%s@%d %s", rule, ns[best].index, bestAt.Format(time.RFC3339)))
		}
	}
	slices.Sort(out)
	return out
}

type refCalendar struct {
	entries  []string
	received time.Time
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestFindingsOncePerActivity: random logs of activities of two states,
// each notified and amended several times (troops and tanks raised and
// lowered, the start moved, the calendar entry changed, some alert), with
// an annual calendar filed on time for some states: late,
// observation-required and not-in-calendar are raised once per activity,
// about the notice that first made each true, at every time, as the
// reference says.
func TestFindingsOncePerActivity(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 5))
	const area = `"area":{"circle":{"lat":55,"lon":20,"radius_m":10000}}`
	troops := []int64{0, 5000, 8999, 9000, 12999, 13000, 20000}
	tanks := []int64{0, 249, 250, 299, 300}
	entries := []string{"A", "B", "C", "X"}
	for iter := range 500 {
		l := regime.NewLedger()
		l.SetSince(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
		idx := int64(0)
		calendars := map[string]refCalendar{}
		for _, state := range []string{"RU", "NATO"} {
			if r.IntN(3) == 0 {
				continue // no calendar for 2027
			}
			var es, js []string
			for _, e := range entries {
				if r.IntN(2) == 0 {
					es = append(es, e)
					js = append(js, fmt.Sprintf(`{"designation":%q,"purpose":"p","start":["2027-06-01","2027-06-10"],"end":"2027-06-20","troops":9000,%s}`, e, area))
				}
			}
			if len(es) == 0 {
				es, js = []string{"Z"}, []string{`{"designation":"Z","purpose":"p","start":["2027-06-01","2027-06-10"],"end":"2027-06-20","troops":9000,` + area + `}`}
			}
			f, err := regime.ParseForm([]byte(fmt.Sprintf(`{"regime":"vd11-calendar","state":%q,"year":2027,"entries":[%s]}`, state, strings.Join(js, ","))))
			if err != nil {
				t.Fatal(err)
			}
			// On time (by 15 November 2026), before some notices and
			// after others.
			received := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(45*24)) * time.Hour)
			if err := l.AddNotice(regime.Notice{Index: idx, Received: received, Form: f}); err != nil {
				t.Fatal(err)
			}
			calendars[state] = refCalendar{es, received}
			idx++
		}
		var ns []refNotice
		rec := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		for range 2 + r.IntN(10) {
			rec = rec.Add(time.Duration(1+r.IntN(15*24)) * time.Hour)
			n := refNotice{index: idx, state: []string{"RU", "NATO"}[r.IntN(2)], desig: string(rune('A' + r.IntN(3))), received: rec,
				troops: troops[r.IntN(len(troops))], tanks: tanks[r.IntN(len(tanks))], alert: r.IntN(6) == 0}
			n.entry = n.desig
			calendar := ""
			if r.IntN(4) == 0 {
				n.entry = entries[r.IntN(len(entries))]
				calendar = fmt.Sprintf(`"calendar":%q,`, n.entry)
			}
			alert := ""
			if n.alert {
				alert = `"alert":true,`
				n.start = rec.Add(time.Duration(r.IntN(97)-48) * time.Hour)
				n.end = n.start.Add(time.Duration(1+r.IntN(6*24)) * time.Hour)
				calendar = "" // an alert activity is in no calendar
			} else {
				n.start = rec.Add(time.Duration(r.IntN(150*24)) * time.Hour)
				n.end = n.start.Add(time.Duration(1+r.IntN(20*24)) * time.Hour)
			}
			if n.start.Year() != 2027 || n.end.Year() != 2027 {
				continue // the calendars are for 2027 only
			}
			form := fmt.Sprintf(`{"regime":"vd11-prior","state":%q,"designation":%q,"purpose":"p",%s%s"start":%q,"end":%q,"troops":%d,"tanks":%d,%s}`,
				n.state, n.desig, alert, calendar, n.start.Format(time.RFC3339), n.end.Format(time.RFC3339), n.troops, n.tanks, area)
			f, err := regime.ParseForm([]byte(form))
			if err != nil {
				t.Fatalf("iteration %d: %s: %v", iter, form, err)
			}
			if err := l.AddNotice(regime.Notice{Index: idx, Received: rec, Form: f}); err != nil {
				t.Fatal(err)
			}
			ns = append(ns, n)
			idx++
		}
		times := []time.Time{time.Date(2026, 11, 15, 23, 59, 59, 0, time.UTC), time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)}
		for _, n := range ns {
			times = append(times, n.received, n.received.Add(time.Second))
		}
		for _, c := range calendars {
			times = append(times, c.received)
		}
		times = append(times, rec.AddDate(1, 0, 0))
		for _, at := range times {
			var got []string
			for _, f := range l.Findings(at) {
				switch f.Code {
				case regime.Late, regime.ObservationRequired, regime.NotInCalendar:
				default:
					continue
				}
				s := f.Code
				if f.Rule != "" {
					s += "/" + f.Rule
				}
				got = append(got, fmt.Sprintf("%s@%d %s", s, f.About[0], f.Time.Format(time.RFC3339)))
			}
			slices.Sort(got)
			if want := refActivityFindings(ns, calendars, at); !slices.Equal(got, want) {
				var log []string
				for _, n := range ns {
					log = append(log, fmt.Sprintf("#%d %s/%s entry %s alert=%v troops %d tanks %d %s..%s received %s", n.index, n.state, n.desig, n.entry, n.alert, n.troops, n.tanks,
						n.start.Format(time.RFC3339), n.end.Format(time.RFC3339), n.received.Format(time.RFC3339)))
				}
				t.Fatalf("iteration %d, at %s: findings\n  %v\nwant\n  %v\ncalendars %v, notices:\n  %s", iter, at.Format(time.RFC3339), got, want, calendars, strings.Join(log, "\n  "))
			}
		}
	}
}
