package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

// Availability is one member's answers to the period's link tests
// (docs/operations.md, "Link tests"): of the closed tests that asked it,
// how many it answered in time (its answer received at most the test's
// time to answer after the test), late, or not at all.
type Availability struct {
	Party                       string
	Tests, InTime, Late, Missed int
	MaxDelay                    time.Duration // the longest delay of an answer in time
}

// Percent returns 100 * InTime / Tests; NaN when no test asked the party.
func (a Availability) Percent() float64 {
	if a.Tests == 0 {
		return math.NaN()
	}
	return 100 * float64(a.InTime) / float64(a.Tests)
}

// linkTests counts the link tests the node logged in the period and each
// member's answers, from the log alone: a test counts once its
// link-result is in the log (its time to answer is over); an answer is in
// time when the node received it at most the test's "within" after the
// test, and logged it before the result. The node's link-result lists
// the same; this is recomputed from the tests and answers, not read from
// it.
func (r *Report) linkTests(log []parsed) {
	type test struct {
		at      time.Time
		within  time.Duration
		parties []string
		answers map[string]time.Time
		logged  map[string]int64 // the answer's index
		closed  bool
		result  int64
	}
	tests := map[int64]*test{}
	var order []int64
	for _, x := range log {
		e, p := x.e, x.p
		switch e.Kind {
		case deconflict.KindLinkTest:
			var b deconflict.LinkTestBody
			if p.Author != deconflict.NodeAuthor || json.Unmarshal(p.Body, &b) != nil {
				continue
			}
			tests[e.Index] = &test{at: e.Received, within: time.Duration(b.Within), parties: p.AckFrom, answers: map[string]time.Time{}, logged: map[string]int64{}}
			order = append(order, e.Index)
		case deconflict.KindLinkAnswer:
			if t := tests[*p.Ack]; t != nil {
				if _, ok := t.answers[p.Author]; !ok {
					t.answers[p.Author], t.logged[p.Author] = e.Received, e.Index
				}
			}
		case deconflict.KindLinkResult:
			if t := tests[*p.Ack]; t != nil && p.Author == deconflict.NodeAuthor && !t.closed {
				t.closed, t.result = true, e.Index
			}
		}
	}
	stats := map[string]*Availability{}
	var parties []string
	add := func(p string) *Availability {
		if stats[p] == nil {
			stats[p] = &Availability{Party: p}
			parties = append(parties, p)
		}
		return stats[p]
	}
	for _, m := range r.Members {
		add(m)
	}
	for _, i := range order {
		t := tests[i]
		if !t.closed || !r.in(t.at) {
			continue
		}
		r.LinkTests++
		for _, p := range t.parties {
			a := add(p)
			a.Tests++
			at, ok := t.answers[p]
			switch {
			case !ok:
				a.Missed++
			case at.Sub(t.at) <= t.within && t.logged[p] < t.result:
				a.InTime++
				a.MaxDelay = max(a.MaxDelay, at.Sub(t.at))
			default:
				a.Late++
			}
		}
	}
	if r.LinkTests == 0 {
		return
	}
	for _, p := range parties {
		r.Availability = append(r.Availability, *stats[p])
	}
}

// linkSummary is the summary's line of the members' availability.
func linkSummary(as []Availability) string {
	var out []string
	for _, a := range as {
		if a.Tests > 0 {
			out = append(out, fmt.Sprintf("%s %.1f%% (%d/%d in time)", a.Party, a.Percent(), a.InTime, a.Tests))
		}
	}
	return strings.Join(out, ", ")
}

// WriteAvailabilityCSV writes one row per member asked by the period's
// closed link tests: party, tests, in_time, late, unanswered, percent
// (empty when no test asked it), max_delay_s (the longest delay in time).
func (r *Report) WriteAvailabilityCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"party", "tests", "in_time", "late", "unanswered", "percent", "max_delay_s"})
	for _, a := range r.Availability {
		cw.Write([]string{a.Party, itoa(a.Tests), itoa(a.InTime), itoa(a.Late), itoa(a.Missed), fnum(a.Percent()), fnum(a.MaxDelay.Seconds())})
	}
	cw.Flush()
	return cw.Error()
}
