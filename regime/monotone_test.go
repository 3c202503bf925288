package regime_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/deconflict/deconflict/regime"
)

// checkMonotone checks that a finding true at one time is true at every
// later one, with the same time and envelopes: the node raises a finding
// once, when it becomes true, so Findings must never take one back nor
// move it.
func checkMonotone(t *testing.T, l *regime.Ledger, times []time.Time, what string) {
	t.Helper()
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	prev := map[string]regime.Finding{}
	var prevAt time.Time
	for _, at := range times {
		cur := map[string]regime.Finding{}
		for _, f := range l.Findings(at) {
			if _, dup := cur[f.Key()]; dup {
				t.Fatalf("%s: at %s two findings with key %s", what, at.Format(time.RFC3339), f.Key())
			}
			cur[f.Key()] = f
		}
		for k, f := range prev {
			g, ok := cur[k]
			if !ok {
				t.Fatalf("%s: %s true at %s (since %s) but not at %s", what, k, prevAt.Format(time.RFC3339), f.Time.Format(time.RFC3339), at.Format(time.RFC3339))
			}
			if !g.Time.Equal(f.Time) || !slices.Equal(g.About, f.About) || g.Text != f.Text {
				t.Fatalf("%s: %s changed between %s and %s: %+v then %+v", what, k, prevAt.Format(time.RFC3339), at.Format(time.RFC3339), f, g)
			}
		}
		for _, f := range cur {
			if f.Time.After(at) {
				t.Fatalf("%s: %s true at %s but dated later, %s", what, f.Key(), at.Format(time.RFC3339), f.Time.Format(time.RFC3339))
			}
		}
		prev, prevAt = cur, at
	}
}

// TestFindingsMonotoneConformance: over every conformance case, at every
// receipt, deadline and due time (and a second after each).
func TestFindingsMonotoneConformance(t *testing.T) {
	for _, c := range conformance {
		if c.invalid != "" {
			continue
		}
		l := regime.NewLedger()
		since := c.forms[0].received
		if c.since != "" {
			since = c.since
		}
		l.SetSince(mustTime(t, since))
		var times []time.Time
		for i, n := range c.forms {
			f, err := regime.ParseForm([]byte(n.form))
			if err != nil {
				t.Fatal(err)
			}
			rec := mustTime(t, n.received)
			if err := l.AddNotice(regime.Notice{Index: int64(i), Received: rec, Form: f}); err != nil {
				t.Fatal(err)
			}
			a := regime.Assess(f, rec, regime.NotificationThresholds)
			times = append(times, rec, rec.Add(time.Second), a.Deadline, a.ReplyDue.Add(time.Second))
			if f.Regime == regime.VD11Prior {
				d := regime.CalendarDeadline(int64(f.Start.Year()))
				times = append(times, d, d.Add(time.Second))
			}
		}
		for k, r := range c.responses {
			rec := mustTime(t, r.received)
			if err := l.AddResponse(regime.Response{Index: int64(len(c.forms) + k), To: r.to, Author: r.author, Kind: r.kind, Received: rec}); err != nil {
				t.Fatal(err)
			}
			times = append(times, rec, rec.Add(regime.MeetingWithin), rec.Add(regime.MeetingWithin+time.Second))
		}
		at := mustTime(t, c.at)
		times = append(times, at, at.AddDate(1, 0, 0))
		checkMonotone(t, l, slices.DeleteFunc(times, time.Time.IsZero), c.name)
	}
}

// TestFindingsMonotoneRandom: random logs of notices (amendments among
// them), calendars, requests and answers of two states.
func TestFindingsMonotoneRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 2026))
	const area = `"area":{"circle":{"lat":55,"lon":20,"radius_m":10000}}`
	troops := []int{8999, 9000, 12999, 13000, 25001, 40000, 40001}
	for iter := range 400 {
		l := regime.NewLedger()
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if r.IntN(2) == 0 {
			l.SetSince(base.Add(time.Duration(r.IntN(700*24)) * time.Hour))
		}
		rec := base
		var times []time.Time
		n := 1 + r.IntN(14)
		for i := range n {
			rec = rec.Add(time.Duration(r.IntN(90*24)) * time.Hour)
			state := []string{"RU", "NATO"}[r.IntN(2)]
			other := map[string]string{"RU": "NATO", "NATO": "RU"}[state]
			var form string
			switch k := r.IntN(10); {
			case k < 6:
				start := rec.Add(time.Duration(r.IntN(120*24)-10*24) * time.Hour)
				end := start.Add(time.Duration(1+r.IntN(20*24)) * time.Hour)
				alert := ""
				if r.IntN(6) == 0 {
					alert = `"alert":true,`
				}
				form = fmt.Sprintf(`{"regime":"vd11-prior","state":%q,"designation":%q,"purpose":"p",%s"start":%q,"end":%q,"troops":%d,%s}`,
					state, string(rune('A'+r.IntN(4))), alert, start.Format(time.RFC3339), end.Format(time.RFC3339), troops[r.IntN(len(troops))], area)
				d := regime.CalendarDeadline(int64(start.Year()))
				times = append(times, d, d.Add(time.Second), start)
			case k < 8:
				year := rec.Year() + r.IntN(2)
				var entries []string
				for _, d := range []string{"A", "B", "C", "D"} {
					if r.IntN(2) == 0 {
						entries = append(entries, fmt.Sprintf(`{"designation":%q,"purpose":"p","start":["%d-06-01","%d-06-10"],"end":"%d-06-20","troops":9000,%s}`, d, year, year, year, area))
					}
				}
				if len(entries) == 0 {
					entries = append(entries, fmt.Sprintf(`{"designation":"Z","purpose":"p","start":["%d-06-01","%d-06-10"],"end":"%d-06-20","troops":9000,%s}`, year, year, year, area))
				}
				form = fmt.Sprintf(`{"regime":"vd11-calendar","state":%q,"year":%d,"entries":[%s]}`, state, year, joinComma(entries))
			default:
				meeting := ""
				if r.IntN(2) == 0 {
					meeting = `,"meeting":true`
				}
				form = fmt.Sprintf(`{"regime":"vd11-explanation","state":%q,"to":%q,"text":"why?"%s}`, state, other, meeting)
			}
			f, err := regime.ParseForm([]byte(form))
			if err != nil {
				t.Fatalf("iteration %d: %s: %v", iter, form, err)
			}
			if err := l.AddNotice(regime.Notice{Index: int64(2 * i), Received: rec, Form: f}); err != nil {
				t.Fatal(err)
			}
			a := regime.Assess(f, rec, regime.NotificationThresholds)
			times = append(times, rec, a.Deadline, a.ReplyDue, a.ReplyDue.Add(time.Second))
			if f.Regime == regime.VD11Explanation && r.IntN(2) == 0 {
				ans := rec.Add(time.Duration(r.IntN(96)) * time.Hour)
				if err := l.AddResponse(regime.Response{Index: int64(2*i + 1), To: int64(2 * i), Author: f.To, Kind: regime.Answer, Received: ans}); err != nil {
					t.Fatal(err)
				}
				times = append(times, ans, ans.Add(regime.MeetingWithin), ans.Add(regime.MeetingWithin+time.Second))
				if f.Meeting && r.IntN(2) == 0 {
					// The meeting recorded by either state, in time or not
					// (index 1000+: after the log's other envelopes).
					met := ans.Add(time.Duration(r.IntN(96)) * time.Hour)
					if err := l.AddResponse(regime.Response{Index: int64(1000 + i), To: int64(2 * i), Author: []string{f.State, f.To}[r.IntN(2)], Kind: regime.Meeting, Received: met}); err != nil {
						t.Fatal(err)
					}
					times = append(times, met)
				}
			}
		}
		times = append(times, rec.AddDate(2, 0, 0))
		checkMonotone(t, l, slices.DeleteFunc(times, time.Time.IsZero), fmt.Sprintf("iteration %d", iter))
	}
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}
