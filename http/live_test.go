package http_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
)

// headOn returns reports of two ships of RU and NATO closing head-on at
// 10 m/s each from d metres apart along a parallel, at times t0+i*step.
func headOn(t0 time.Time, steps int, step time.Duration) []dhttp.ReportView {
	return passing(t0, steps, step, 20)
}

// passing is headOn with the ships offset by offsetM metres north-south.
func passing(t0 time.Time, steps int, step time.Duration, offsetM float64) []dhttp.ReportView {
	var out []dhttp.ReportView
	f := func(v float64) *float64 { return &v }
	const lat = 55.5
	mPerDegLon := 111320 * 0.5664 // cos(55.5°)
	for i := 0; i < steps; i++ {
		ts := t0.Add(time.Duration(i) * step)
		s := float64(i) * step.Seconds() * 10
		out = append(out,
			dhttp.ReportView{Time: ts, ID: "ru-frigate", Domain: deconflict.Sea, Party: "RU", Lat: f(lat), Lon: f(19.0 + s/mPerDegLon), SpeedMS: f(10), CourseDeg: f(90)},
			dhttp.ReportView{Time: ts, ID: "nato-destroyer", Domain: deconflict.Sea, Party: "NATO", Lat: f(lat + offsetM/111320.0), Lon: f(19.0 + (6000-s)/mPerDegLon), SpeedMS: f(10), CourseDeg: f(270)},
		)
	}
	return out
}

func TestLiveEncounterAlertsAndIncident(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO", "US")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	tn.AddChannel(t, "ru-us-syria", []string{"RU", "US"}, nil)
	ctx := context.Background()
	op := tn.Operator()
	now := time.Now().UTC()
	rs := headOn(now.Add(-100*time.Second), 6, 20*time.Second) // 6 km apart closing at 20 m/s: CPA in ~5 min
	body, _ := json.Marshal(rs)
	var out map[string]int
	if err := postJSON(op, "/v1/reports", body, &out); err != nil {
		t.Fatal(err)
	}
	// The alert arrives on ru-nato, the only channel RU and NATO share.
	var alert *dhttp.EnvelopeView
	deadline := time.Now().Add(20 * time.Second)
	for alert == nil && time.Now().Before(deadline) {
		envs, err := tn.Client("NATO").Envelopes(ctx, "ru-nato", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range envs {
			var p deconflict.Payload
			json.Unmarshal(e.Payload, &p)
			if e.Kind == deconflict.KindAlert && len(p.AckFrom) == 2 {
				alert = e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if alert == nil {
		t.Fatal("no alert requiring acknowledgement on ru-nato")
	}
	if envs, _ := tn.Client("US").Envelopes(ctx, "ru-us-syria", 0, 100); len(envs) != 0 {
		t.Fatalf("%d envelopes on ru-us-syria, want none: the encounter is not US's", len(envs))
	}
	var p deconflict.Payload
	json.Unmarshal(alert.Payload, &p)
	var body2 deconflict.AlertBody
	json.Unmarshal(p.Body, &body2)
	if body2.Encounter.PartyA == body2.Encounter.PartyB || body2.Incident == "" {
		t.Fatalf("alert body %+v", body2)
	}
	if cpa := body2.Encounter.Prediction.CPAM; cpa == nil || *cpa > 0.5*deconflict.MetresPerNM {
		t.Fatalf("alert CPA %v m, want a dangerous (< 0.5 NM) prediction", cpa)
	}
	// Both parties must acknowledge: it is in both inboxes.
	for _, party := range []string{"RU", "NATO"} {
		inbox, err := tn.Client(party).Inbox(ctx, "ru-nato")
		if err != nil {
			t.Fatal(err)
		}
		if len(inbox) == 0 || inbox[0].Envelope.Index != alert.Index {
			t.Fatalf("%s inbox %+v, want the alert %d", party, inbox, alert.Index)
		}
		idx := alert.Index
		if _, err := tn.Client(party).Send(ctx, party, &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindAck, Ack: &idx}); err != nil {
			t.Fatal(err)
		}
	}
	// A member annotates the incident.
	if _, err := tn.Client("RU").Send(ctx, "RU", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindNote, Officer: "ru-duty-1", Text: "frigate altering course to starboard", Body: json.RawMessage(`{"incident":"` + body2.Incident + `"}`)}); err != nil {
		t.Fatal(err)
	}
	var incs []node.Incident
	if err := getJSON(tn.Client("NATO"), "/v1/channels/ru-nato/incidents", &incs); err != nil {
		t.Fatal(err)
	}
	if len(incs) != 1 || incs[0].ID != body2.Incident {
		t.Fatalf("incidents %+v, want one: %s", incs, body2.Incident)
	}
	kinds := map[string]int{}
	for _, e := range incs[0].Timeline {
		kinds[e.Kind]++
		// the timeline names the officer the note's signed payload names
		if e.Kind == deconflict.KindNote && (e.Author != "RU" || e.Officer != "ru-duty-1") {
			t.Fatalf("note in the timeline by %s officer %q, want RU's ru-duty-1", e.Author, e.Officer)
		}
	}
	if kinds["alert"] < 1 || kinds["ack"] != 2 || kinds["note"] != 1 {
		t.Fatalf("timeline kinds %v, want alerts, 2 acks and a note", kinds)
	}
	// The US sees neither the encounter nor the incident list of ru-nato.
	var encs []deconflict.EncounterView
	if err := getJSON(tn.Client("US"), "/v1/encounters", &encs); err != nil {
		t.Fatal(err)
	}
	if len(encs) != 0 {
		t.Fatalf("US sees %d encounters, want 0", len(encs))
	}
	if err := getJSON(tn.Client("US"), "/v1/channels/ru-nato/incidents", &incs); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("US incidents of ru-nato: %v, want not found", err)
	}
	var pic struct {
		Tracks []dhttp.TrackView `json:"tracks"`
	}
	if err := getJSON(tn.Client("RU"), "/v1/picture", &pic); err != nil {
		t.Fatal(err)
	}
	if len(pic.Tracks) != 2 {
		t.Fatalf("picture has %d tracks, want 2", len(pic.Tracks))
	}
}

// TestChannelThresholds: a channel's agreed thresholds decide the tier.
// Ships passing 1.5 km apart are an advisory under the defaults, but
// dangerous (an alert both must acknowledge) where the channel agreed a
// 2 km dangerous distance.
func TestChannelThresholds(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	ctx := context.Background()
	bad := deconflict.DefaultPolicy()
	bad.Thresholds = json.RawMessage(`{"Sea":{"CriticalM":5000}}`)
	if err := tn.Operator().CreateChannel(ctx, &deconflict.Channel{ID: "ru-nato", Members: []string{"RU", "NATO"}, Policy: bad}); deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Fatalf("critical above dangerous: %v, want invalid", err)
	}
	pol := deconflict.DefaultPolicy()
	pol.Thresholds = json.RawMessage(`{"Sea":{"AdvisoryM":5000,"DangerousM":2000,"CriticalM":185,"LookaheadS":1800}}`)
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, &pol)
	body, _ := json.Marshal(passing(time.Now().UTC().Add(-100*time.Second), 6, 20*time.Second, 1500))
	if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		envs, _ := tn.Client("RU").Envelopes(ctx, "ru-nato", 0, 100)
		for _, e := range envs {
			var p deconflict.Payload
			json.Unmarshal(e.Payload, &p)
			var b deconflict.AlertBody
			json.Unmarshal(p.Body, &b)
			if b.Encounter.Severity == "dangerous" {
				if len(p.AckFrom) != 2 {
					t.Fatalf("dangerous alert without both acknowledgements required: %+v", p)
				}
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no dangerous alert under the channel's 2 km threshold")
}

// TestDeclaredAssets: a ship under a NATO member's flag, declared by RU as
// its own, is attributed to RU ("asset" before "mid"); another party
// cannot declare for RU.
func TestDeclaredAssets(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "NATO")
	f := func(v float64) *float64 { return &v }
	post := func() {
		body, _ := json.Marshal([]dhttp.ReportView{{Time: time.Now().UTC(), ID: "mmsi:211234560", Domain: deconflict.Sea, Source: "ais", Lat: f(54.5), Lon: f(12.1), SpeedMS: f(5), CourseDeg: f(90)}})
		if err := postJSON(tn.Operator(), "/v1/reports", body, nil); err != nil {
			t.Fatal(err)
		}
	}
	party := func() (string, string) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			var pic struct {
				Tracks []dhttp.TrackView `json:"tracks"`
			}
			getJSON(tn.Operator(), "/v1/picture", &pic)
			if len(pic.Tracks) == 1 {
				return pic.Tracks[0].Party, pic.Tracks[0].How
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("no track in the picture")
		return "", ""
	}
	post()
	if p, how := party(); p != "NATO" || how != "mid" {
		t.Fatalf("German-flagged ship attributed to %s by %s, want NATO by mid", p, how)
	}
	ctx := context.Background()
	err := tn.Client("NATO").Do(ctx, "PUT", "/v1/assets/RU", deconflict.Assets{MMSI: []string{"211234560"}}, nil)
	if deconflict.ErrorCode(err) != deconflict.EFORBIDDEN {
		t.Fatalf("NATO declaring for RU: %v, want forbidden", err)
	}
	if err := tn.Client("RU").Do(ctx, "PUT", "/v1/assets/RU", deconflict.Assets{MMSI: []string{"211234560"}}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, how := party(); p == "RU" && how == "asset" {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("after RU's declaration the ship is %s by %s, want RU by asset", p, how)
		}
		post()
		time.Sleep(50 * time.Millisecond)
	}
	err = tn.Client("NATO").Do(ctx, "PUT", "/v1/assets/NATO", deconflict.Assets{MMSI: []string{"211234560"}}, nil)
	if deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Fatalf("NATO claiming RU's declared ship: %v, want invalid", err)
	}
}
