package report_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

// TestReportLinkTests: the report counts each member's answers to the
// period's closed link tests from the log (RU answers the first test in
// 5 s and not the second; NATO the first after 70 s, late, and the
// second in 10 s; a third test is still open), agrees with the node's
// availability figures, and shows them in the summary and a table.
func TestReportLinkTests(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	w := newWorld(t, t0)
	ctx := context.Background()
	check := func(at time.Time) {
		t.Helper()
		w.at(at)
		if err := w.tn.Node.CheckLinkTests(ctx); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(party string, test int64) {
		w.send(party, &deconflict.Payload{Kind: deconflict.KindLinkAnswer, Ack: &test})
	}
	testAt := func(at time.Time) int64 {
		t.Helper()
		check(at)
		v, err := w.tn.Node.Availability(ctx, "RU", "ru-nato", at, at.Add(time.Second))
		if err != nil || len(v.Tests) != 1 {
			t.Fatalf("the link test at %s: %v %+v", at, err, v)
		}
		return v.Tests[0].Index
	}
	h1 := t0.Add(time.Hour)
	test1 := testAt(h1)
	w.at(h1.Add(5 * time.Second))
	answer("RU", test1)
	check(h1.Add(61 * time.Second))
	w.at(h1.Add(70 * time.Second))
	answer("NATO", test1)
	h2 := t0.Add(2 * time.Hour)
	test2 := testAt(h2)
	w.at(h2.Add(10 * time.Second))
	answer("NATO", test2)
	check(h2.Add(61 * time.Second))
	testAt(t0.Add(3 * time.Hour)) // open

	r, _ := w.build(t0, t0.Add(24*time.Hour))
	want := "2 [{RU 2 1 0 1 5s} {NATO 2 1 1 0 10s}]"
	if got := fmt.Sprint(r.LinkTests, r.Availability); got != want {
		t.Fatalf("report: %s, want %s", got, want)
	}
	v, err := w.tn.Node.Availability(ctx, "NATO", "ru-nato", t0, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range v.Parties {
		a := r.Availability[i]
		if a.Party != p.Party || a.Tests != p.Tests || a.InTime != p.Answered || a.Late != p.Late || a.Missed != p.Unanswered || a.Percent() != *p.Percent {
			t.Errorf("report %+v, node %+v", a, p)
		}
	}
	if r, _ := w.build(h1.Add(30*time.Minute), t0.Add(24*time.Hour)); fmt.Sprint(r.LinkTests, r.Availability) != "1 [{RU 1 0 0 1 0s} {NATO 1 1 0 0 10s}]" {
		t.Fatalf("the second test alone: %d %+v", r.LinkTests, r.Availability)
	}
	var html bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Link tests: each member", "RU 50.0% (1/2 in time), NATO 50.0% (1/2 in time)"} {
		if !strings.Contains(html.String(), s) {
			t.Errorf("the HTML report lacks %q", s)
		}
	}
	var b bytes.Buffer
	if err := r.WriteAvailabilityCSV(&b); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "party,tests,in_time,late,unanswered,percent,max_delay_s\nRU,2,1,0,1,50,5\nNATO,2,1,1,0,50,10\n"; got != want {
		t.Fatalf("availability CSV %q, want %q", got, want)
	}
	if r, _ := w.build(t0, h1); r.LinkTests != 0 || r.Availability != nil {
		t.Fatalf("a period without tests: %d %+v", r.LinkTests, r.Availability)
	}
}
