package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/report"
)

// TestReportOfficers: the report names the officers who signed for their
// parties (from the signed payloads): counts per officer, the officer who
// sent a missed message, acknowledgements and notes in an incident's
// timeline; envelopes naming no officer stay the party's alone.
func TestReportOfficers(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	w := newWorld(t, t0)
	w.clients["NATO"].Officer = "nato-watch-1"
	w.clients["RU"].Officer = "ru-duty-2"
	flash := w.msg("NATO", deconflict.Flash, "Laser illumination of our helicopter, cease at once")
	w.at(t0.Add(3 * time.Minute))
	if err := w.tn.Node.CheckDeadlines(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.at(t0.Add(4*time.Minute)).ack("RU", flash)
	a := w.at(t0.Add(time.Hour)).alert("opened", "inc-1", "enc-1", deconflict.Sea, "dangerous", 55.5, 19, 700, 0, []string{"NATO", "RU"})
	w.at(t0.Add(time.Hour+30*time.Second)).ack("RU", a)
	w.send("RU", &deconflict.Payload{Kind: deconflict.KindNote, Text: "altering course", ReplyTo: &a})
	w.clients["NATO"].Officer = ""
	w.at(t0.Add(2*time.Hour)).msg("NATO", deconflict.Routine, "no officer named")

	r, _ := w.build(t0, t0.Add(24*time.Hour))
	want := []report.OfficerStats{{Party: "NATO", Officer: "nato-watch-1", Messages: 1}, {Party: "RU", Officer: "ru-duty-2", Acks: 2, Other: 1}}
	if !slices.Equal(r.Officers, want) {
		t.Fatalf("Officers=%+v, want %+v", r.Officers, want)
	}
	if len(r.MissedAcks) != 1 || r.MissedAcks[0].Officer != "nato-watch-1" || r.MissedAcks[0].Author != "NATO" {
		t.Fatalf("MissedAcks=%+v, want NATO's FLASH sent by nato-watch-1", r.MissedAcks)
	}
	if len(r.Incidents) != 1 {
		t.Fatalf("incidents=%d, want 1", len(r.Incidents))
	}
	tl := strings.Join(r.Incidents[0].Timeline, "\n")
	if !strings.Contains(tl, "ack RU (ru-duty-2)") || !strings.Contains(tl, "note by RU (ru-duty-2)") {
		t.Fatalf("timeline %q names no officer", tl)
	}

	var b bytes.Buffer
	if err := r.WriteOfficersCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{{"party", "officer", "messages", "acks", "other"}, {"NATO", "nato-watch-1", "1", "0", "0"}, {"RU", "ru-duty-2", "0", "2", "1"}}
	if !slices.EqualFunc(rows, wantRows, slices.Equal) {
		t.Fatalf("officers CSV %q, want %q", rows, wantRows)
	}
	b.Reset()
	if err := r.WriteMissedCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, _ = csv.NewReader(&b).ReadAll()
	if len(rows) != 2 || rows[0][len(rows[0])-1] != "officer" || rows[1][len(rows[1])-1] != "nato-watch-1" {
		t.Fatalf("missed-acks CSV %q, want an officer column naming nato-watch-1", rows)
	}
	var html bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "Officers who signed for their party") || !strings.Contains(html.String(), "NATO (nato-watch-1)") {
		t.Fatal("the HTML report has no officers table or does not name the sender of the missed FLASH")
	}
}
