package http_test

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/regime"
)

// alertsOf returns the alert bodies and texts of a channel, in log order.
func alertsOf(t *testing.T, c *dhttp.Client, channel string) ([]deconflict.AlertBody, []string) {
	t.Helper()
	envs, err := c.Envelopes(context.Background(), channel, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []deconflict.AlertBody
	var texts []string
	for _, e := range envs {
		if e.Kind != deconflict.KindAlert {
			continue
		}
		var p deconflict.Payload
		json.Unmarshal(e.Payload, &p)
		var b deconflict.AlertBody
		json.Unmarshal(p.Body, &b)
		bodies, texts = append(bodies, b), append(texts, p.Text)
	}
	return bodies, texts
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func submit(t *testing.T, c *dhttp.Client, party string, p *deconflict.Payload) *deconflict.Receipt {
	t.Helper()
	r, err := c.Send(context.Background(), party, p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMeasureSeparationLive: ships passing 1.5 km apart are an advisory
// under the defaults; a proposed 2 km dangerous separation changes
// nothing until the other member signs; once binding, the live picture
// escalates the encounter to dangerous, the node raises a measure-breach
// finding citing the measure, and the alert says which notified exercise
// area the RU frigate is in.
func TestMeasureSeparationLive(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	ru, nato := tn.Client("RU"), tn.Client("NATO")
	now := time.Now().UTC()
	// RU notified an exercise area around the frigate's track (55.5 N, 19.0-19.2 E).
	form := `{"regime":"intention","state":"RU","designation":"BALTIC-SHIELD","purpose":"exercise","start":"` + now.Add(-time.Hour).Format(time.RFC3339) +
		`","end":"` + now.Add(time.Hour).Format(time.RFC3339) + `","area":{"polygon":[[55.3,18.8],[55.3,19.4],[55.7,19.4],[55.7,18.8]]}}`
	ni := submit(t, ru, "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindNotification, Body: json.RawMessage(form)}).Index
	prop := submit(t, nato, "NATO", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindMeasure, Body: json.RawMessage(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":2000}`)})

	rs := passing(now.Add(-100*time.Second), 3, 20*time.Second, 1500)
	body, _ := json.Marshal(rs)
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	var bodies []deconflict.AlertBody
	var texts []string
	waitFor(t, "an advisory alert", func() bool { bodies, texts = alertsOf(t, nato, "ru-nato"); return len(bodies) > 0 })
	if got := bodies[0].Encounter.Severity; got != "advisory" {
		t.Fatalf("before the signature: %s, want advisory (the proposal changes nothing)", got)
	}
	want := "ru-nato:" + itoa(ni)
	if !slices.Equal(bodies[0].Encounter.ExplainedBy, []string{want}) || !strings.Contains(texts[0], "ru-frigate (RU) inside notified BALTIC-SHIELD, "+want) {
		t.Fatalf("explained_by %v, text %q; want %s", bodies[0].Encounter.ExplainedBy, texts[0], want)
	}

	// RU signs the proposal's exact bytes: binding from this index.
	ref := regime.Ref{Index: prop.Index, LeafHash: prop.LeafHash}
	submit(t, ru, "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindSign, Body: ref.Marshal()})
	rs = passing(now.Add(-100*time.Second), 6, 20*time.Second, 1500)[6:]
	body, _ = json.Marshal(rs)
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a dangerous alert", func() bool {
		bodies, _ = alertsOf(t, nato, "ru-nato")
		return slices.ContainsFunc(bodies, func(b deconflict.AlertBody) bool { return b.Encounter.Severity == "dangerous" })
	})
	var fs []regime.Finding
	waitFor(t, "a measure-breach finding", func() bool {
		got, err := ru.Findings(context.Background(), "ru-nato")
		if err != nil {
			t.Fatal(err)
		}
		fs = fs[:0]
		for _, f := range got {
			fs = append(fs, f.Finding)
		}
		return len(fs) > 0
	})
	if len(fs) != 1 || fs[0].Code != regime.MeasureBreach || fs[0].About[1] != prop.Index || fs[0].State != "NATO,RU" {
		t.Fatalf("findings %+v, want one measure-breach citing measure %d", fs, prop.Index)
	}
}

// TestNotifiedHazardAreaIsAZone: an INCSEA notice's hazard area becomes a
// zone of the notifying party; another party's ship heading into it is
// alerted as a zone entry.
func TestNotifiedHazardAreaIsAZone(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	now := time.Now().UTC()
	form := `{"regime":"incsea-notice","state":"RU","designation":"GUNNERY-7","start":"` + now.Add(-time.Hour).Format(time.RFC3339) +
		`","end":"` + now.Add(time.Hour).Format(time.RFC3339) + `","area":{"circle":{"lat":55.5,"lon":19.1,"radius_m":3000}}}`
	submit(t, tn.Client("RU"), "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindNotification, Body: json.RawMessage(form)})
	var zones []deconflict.Zone
	if err := getJSON(tn.Client("NATO"), "/v1/zones", &zones); err != nil {
		t.Fatal(err)
	}
	if len(zones) != 1 || zones[0].Owner != "RU" || zones[0].Kind != "missile-hazard-area" || zones[0].Name != "GUNNERY-7" {
		t.Fatalf("zones %+v, want RU's hazard area", zones)
	}
	// Only the NATO destroyer, heading west into the area.
	var rs []dhttp.ReportView
	for _, r := range passing(now.Add(-60*time.Second), 4, 20*time.Second, 0) {
		if r.Party == "NATO" {
			rs = append(rs, r)
		}
	}
	body, _ := json.Marshal(rs)
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a zone alert", func() bool {
		bodies, _ := alertsOf(t, tn.Client("NATO"), "ru-nato")
		return slices.ContainsFunc(bodies, func(b deconflict.AlertBody) bool {
			return b.Encounter.Zone == zones[0].ID && b.Encounter.PartyA == "NATO"
		})
	})
}

func itoa(i int64) string { return jsonInt(i) }

func jsonInt(i int64) string { b, _ := json.Marshal(i); return string(b) }

// TestZoneEntryWithoutNotice: a binding special caution area requiring an
// hour's notice before entry; an RU ship entering it with no notice
// raises a measure-breach citing the measure.
func TestZoneEntryWithoutNotice(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	ru, nato := tn.Client("RU"), tn.Client("NATO")
	prop := submit(t, nato, "NATO", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindMeasure,
		Body: json.RawMessage(`{"kind":"zone","name":"SCA-1","zone_kind":"special-caution-area","area":{"circle":{"lat":55.5,"lon":19.0,"radius_m":2000}},"entry_notice_s":3600}`)})
	submit(t, ru, "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindSign, Body: regime.Ref{Index: prop.Index, LeafHash: prop.LeafHash}.Marshal()})
	var zones []deconflict.Zone
	if err := getJSON(nato, "/v1/zones", &zones); err != nil || len(zones) != 1 || zones[0].Kind != "special-caution-area" || zones[0].Owner != "NATO" {
		t.Fatalf("zones %+v (%v), want NATO's special caution area", zones, err)
	}
	// Only the RU frigate, which starts inside the area.
	var rs []dhttp.ReportView
	for _, r := range passing(time.Now().UTC().Add(-60*time.Second), 4, 20*time.Second, 0) {
		if r.Party == "RU" {
			rs = append(rs, r)
		}
	}
	body, _ := json.Marshal(rs)
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	var fs []regime.Finding
	waitFor(t, "a zone-entry measure-breach", func() bool {
		got, err := nato.Findings(context.Background(), "ru-nato")
		if err != nil {
			t.Fatal(err)
		}
		fs = fs[:0]
		for _, f := range got {
			fs = append(fs, f.Finding)
		}
		return len(fs) > 0
	})
	if len(fs) != 1 || fs[0].Code != regime.MeasureBreach || fs[0].Rule != "zone-entry-notice" || fs[0].About[1] != prop.Index || fs[0].State != "RU" {
		t.Fatalf("findings %+v, want one zone-entry-notice breach by RU citing %d", fs, prop.Index)
	}
}

// shipsMeeting returns steps [from, to) of two ships a and b (ids,
// parties: empty for a civilian track attributed by its flag) meeting
// head-on at lat, 6 km apart at t0, 10 m/s each.
func shipsMeeting(t0 time.Time, from, to int, lat float64, a, pa, b, pb string) []dhttp.ReportView {
	var out []dhttp.ReportView
	f := func(v float64) *float64 { return &v }
	mPerDegLon := 111320 * math.Cos(lat*math.Pi/180)
	for i := from; i < to; i++ {
		ts := t0.Add(time.Duration(i) * 20 * time.Second)
		s := float64(i) * 200
		out = append(out,
			dhttp.ReportView{Time: ts, ID: a, Domain: deconflict.Sea, Source: "ais", Party: pa, Lat: f(lat), Lon: f(19.0 + s/mPerDegLon), SpeedMS: f(10), CourseDeg: f(90)},
			dhttp.ReportView{Time: ts, ID: b, Domain: deconflict.Sea, Source: "ais", Party: pb, Lat: f(lat), Lon: f(19.0 + (6000-s)/mPerDegLon), SpeedMS: f(10), CourseDeg: f(270)},
		)
	}
	return out
}

// TestRelevanceMeasureLive: two merchant ships (civilian tracks of RU's
// and NATO's flags) meeting head-on raise nothing by default, nor with a
// relevance measure only proposed (a warships' pass posted after them
// alerts, so the merchants' reports were seen); once every member signed
// the measure, their meeting inside its area is alerted on the channel.
func TestRelevanceMeasureLive(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	tn.AddChannel(t, "ru-nato-navies", []string{"RU", "NATO"}, nil) // no relevance measure
	ru, nato := tn.Client("RU"), tn.Client("NATO")
	prop := submit(t, nato, "NATO", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindMeasure,
		Body: json.RawMessage(`{"kind":"relevance","area":{"circle":{"lat":55.5,"lon":19.05,"radius_m":20000}},"civilian":true}`)})
	post := func(rs []dhttp.ReportView) {
		t.Helper()
		body, _ := json.Marshal(rs)
		if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().UTC().Add(-100 * time.Second)
	merchants := func(from, to int) []dhttp.ReportView {
		return shipsMeeting(t0, from, to, 55.5, "mmsi:273000001", "", "mmsi:211234560", "")
	}
	post(merchants(0, 3))
	post(shipsMeeting(t0, 0, 3, 57.5, "ru-frigate", "RU", "nato-destroyer", "NATO"))
	var bodies []deconflict.AlertBody
	waitFor(t, "the warships' alert", func() bool { bodies, _ = alertsOf(t, nato, "ru-nato"); return len(bodies) > 0 })
	for _, b := range bodies {
		if strings.HasPrefix(b.Encounter.A, "mmsi:") {
			t.Fatalf("merchants alerted under a measure only proposed: %+v", b.Encounter)
		}
	}
	submit(t, ru, "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindSign, Body: regime.Ref{Index: prop.Index, LeafHash: prop.LeafHash}.Marshal()})
	post(merchants(3, 6))
	waitFor(t, "the merchants' alert", func() bool {
		bodies, _ = alertsOf(t, nato, "ru-nato")
		return slices.ContainsFunc(bodies, func(b deconflict.AlertBody) bool {
			return b.Encounter.A == "mmsi:211234560" && b.Encounter.B == "mmsi:273000001"
		})
	})
	for _, b := range bodies {
		if b.Encounter.A == "mmsi:211234560" && (b.Encounter.PartyA != "NATO" || b.Encounter.PartyB != "RU" || b.Encounter.Severity != "critical") {
			t.Fatalf("merchants' alert %+v, want NATO and RU, critical", b.Encounter)
		}
	}
	// The other channel the two share has no such measure: a second
	// warships' pass, posted after, reaches it; the merchants never do.
	post(shipsMeeting(t0, 3, 6, 58.5, "ru-corvette", "RU", "nato-frigate", "NATO"))
	waitFor(t, "the second warships' alert on ru-nato-navies", func() bool {
		bodies, _ = alertsOf(t, nato, "ru-nato-navies")
		return slices.ContainsFunc(bodies, func(b deconflict.AlertBody) bool { return b.Encounter.B == "ru-corvette" })
	})
	for _, b := range bodies {
		if strings.HasPrefix(b.Encounter.A, "mmsi:") {
			t.Fatalf("merchants alerted on a channel without the measure: %+v", b.Encounter)
		}
	}
}

// TestZoneMeasureBindsEveryMember: a zone measure NATO proposed and RU
// signed binds NATO too: NATO's own destroyer inside it without notice is
// alerted on the channel (a zone entry, NATO and RU) and raises the
// zone-entry-notice breach by NATO.
func TestZoneMeasureBindsEveryMember(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	ru, nato := tn.Client("RU"), tn.Client("NATO")
	prop := submit(t, nato, "NATO", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindMeasure,
		Body: json.RawMessage(`{"kind":"zone","name":"SCA-1","zone_kind":"special-caution-area","area":{"circle":{"lat":55.5,"lon":19.0,"radius_m":2000}},"entry_notice_s":3600}`)})
	submit(t, ru, "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindSign, Body: regime.Ref{Index: prop.Index, LeafHash: prop.LeafHash}.Marshal()})
	// Only NATO's destroyer, which starts inside the area.
	var rs []dhttp.ReportView
	for _, r := range shipsMeeting(time.Now().UTC().Add(-60*time.Second), 0, 4, 55.5, "nato-destroyer", "NATO", "ru-frigate", "RU") {
		if r.Party == "NATO" {
			rs = append(rs, r)
		}
	}
	body, _ := json.Marshal(rs)
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	var bodies []deconflict.AlertBody
	waitFor(t, "the destroyer's zone alert", func() bool { bodies, _ = alertsOf(t, ru, "ru-nato"); return len(bodies) > 0 })
	if e := bodies[0].Encounter; e.A != "nato-destroyer" || e.PartyA != "NATO" || e.PartyB != "RU" || e.Zone != "measure:ru-nato:"+itoa(prop.Index) {
		t.Fatalf("alert %+v, want NATO's destroyer in the measure's zone", e)
	}
	var fs []regime.Finding
	waitFor(t, "a zone-entry measure-breach", func() bool {
		got, err := ru.Findings(context.Background(), "ru-nato")
		if err != nil {
			t.Fatal(err)
		}
		fs = fs[:0]
		for _, f := range got {
			fs = append(fs, f.Finding)
		}
		return len(fs) > 0
	})
	if len(fs) != 1 || fs[0].Rule != "zone-entry-notice" || fs[0].About[1] != prop.Index || fs[0].State != "NATO" {
		t.Fatalf("findings %+v, want one zone-entry-notice breach by NATO citing %d", fs, prop.Index)
	}
}

// TestZoneMinSeparationLive: inside a binding deconfliction zone with a
// 3 km minimum separation, RU's frigate and NATO's destroyer predicted to
// pass 1.5 km apart (an advisory under the defaults) raise a
// measure-breach finding citing the zone measure, once.
func TestZoneMinSeparationLive(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	ru, nato := tn.Client("RU"), tn.Client("NATO")
	prop := submit(t, nato, "NATO", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindMeasure,
		Body: json.RawMessage(`{"kind":"zone","name":"DZ-1","zone_kind":"deconfliction-zone","area":{"circle":{"lat":55.5,"lon":19.05,"radius_m":20000}},"min_separation_m":3000}`)})
	submit(t, ru, "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindSign, Body: regime.Ref{Index: prop.Index, LeafHash: prop.LeafHash}.Marshal()})
	body, _ := json.Marshal(passing(time.Now().UTC().Add(-100*time.Second), 6, 20*time.Second, 1500))
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	var fs []regime.Finding
	waitFor(t, "a zone-min-separation measure-breach", func() bool {
		got, err := ru.Findings(context.Background(), "ru-nato")
		if err != nil {
			t.Fatal(err)
		}
		fs = fs[:0]
		for _, f := range got {
			fs = append(fs, f.Finding)
		}
		return len(fs) > 0
	})
	if len(fs) != 1 || fs[0].Code != regime.MeasureBreach || fs[0].Rule != "zone-min-separation" || fs[0].About[1] != prop.Index || fs[0].State != "NATO,RU" ||
		!strings.Contains(fs[0].Text, "inside DZ-1, under the 3000 m minimum separation") {
		t.Fatalf("findings %+v, want one zone-min-separation breach citing %d", fs, prop.Index)
	}
	bodies, _ := alertsOf(t, nato, "ru-nato")
	if !slices.ContainsFunc(bodies, func(b deconflict.AlertBody) bool { return b.Encounter.Zone == "" && b.Encounter.Severity == "advisory" }) {
		t.Fatalf("alerts %+v, want the ships' advisory", bodies)
	}
}
