package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/picture"
)

// TestLivePictureAcrossReplicas runs two replicas of one node on one
// database, each with its live picture. RU's ship is reported to one
// replica, NATO's to the other: both pictures hold both tracks, the
// encounter opens in both engines, and the replica holding the detector
// lease alone posts its alert.
func TestLivePictureAcrossReplicas(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	a := nodetest.Start(t, nodetest.Options{Store: open(t, dsn)})
	b := nodetest.Start(t, nodetest.Options{Store: open(t, dsn), Key: a.Node.Key})
	a.AddParties(t, "RU", "NATO")
	a.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	for _, r := range []*nodetest.Node{a, b} {
		if err := r.EnableLive(nil, detect.Config{}); err != nil {
			t.Fatal(err)
		}
	}
	// An alert raised while no replica holds the detector lease (at
	// start-up, or while it changes hands) is posted by none: wait for
	// the lease first.
	leader, other := a, b
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b.Node.Leading(node.LeaseDetector) {
			leader, other = b, a
			break
		}
		if a.Node.Leading(node.LeaseDetector) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no replica holds the detector lease")
		}
	}
	// Each picture listens for the replicas' reports once its listening
	// connection is up; reports published before are not its to see (the
	// picture is soft state). Post a probe until both have taken one.
	f := func(v float64) *float64 { return &v }
	for deadline := time.Now().Add(30 * time.Second); a.Live.Stats().Reports == 0 || b.Live.Stats().Reports == 0; time.Sleep(50 * time.Millisecond) {
		raw, _ := json.Marshal([]dhttp.ReportView{{Time: time.Now().UTC(), ID: "probe", Domain: deconflict.Sea, Lat: f(-40), Lon: f(-100), SpeedMS: f(1), CourseDeg: f(0)}})
		if err := a.Operator().Do(ctx, "POST", "/v1/reports", json.RawMessage(raw), nil); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the pictures never took the probe report")
		}
	}
	// Both pictures know the pair (b learns of the channel from a's
	// notification, or had it when its picture opened).
	const lat = 55.5
	mPerDegLon := 111320 * 0.5664
	t0 := time.Now().UTC().Add(-100 * time.Second)
	for i := 0; i < 6; i++ {
		ts := t0.Add(time.Duration(i) * 20 * time.Second)
		s := float64(i) * 20 * 10
		ru := []dhttp.ReportView{{Time: ts, ID: "ru-frigate", Domain: deconflict.Sea, Party: "RU", Lat: f(lat), Lon: f(19.0 + s/mPerDegLon), SpeedMS: f(10), CourseDeg: f(90)}}
		nato := []dhttp.ReportView{{Time: ts, ID: "nato-destroyer", Domain: deconflict.Sea, Party: "NATO", Lat: f(lat + 20/111320.0), Lon: f(19.0 + (6000-s)/mPerDegLon), SpeedMS: f(10), CourseDeg: f(270)}}
		for _, p := range []struct {
			to *nodetest.Node
			rs []dhttp.ReportView
		}{{a, ru}, {b, nato}} {
			body, _ := json.Marshal(p.rs)
			var raw json.RawMessage = body
			if err := p.to.Operator().Do(ctx, "POST", "/v1/reports", raw, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if leader.Live.Stats().Alerts > 0 && other.Live.Stats().AlertsLeft > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts posted by the leader %d, left to it by the other replica %d; want the alert raised by both engines, posted by the leader", leader.Live.Stats().Alerts, other.Live.Stats().AlertsLeft)
		}
	}
	for _, r := range []*nodetest.Node{a, b} {
		ids := map[string]bool{}
		for _, tr := range r.Live.Table.Query(picture.Query{IncludeLost: true}) {
			ids[tr.ID] = true
		}
		if !ids["ru-frigate"] || !ids["nato-destroyer"] {
			t.Fatalf("a replica's picture holds %v, want both ships", ids)
		}
	}
	if n := other.Live.Stats().Alerts; n != 0 {
		t.Fatalf("the replica without the detector lease posted %d alerts", n)
	}
	envs, err := a.Client("RU").Envelopes(ctx, "ru-nato", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	for _, e := range envs {
		if e.Kind != deconflict.KindAlert {
			continue
		}
		var p deconflict.Payload
		json.Unmarshal(e.Payload, &p)
		var body deconflict.AlertBody
		json.Unmarshal(p.Body, &body)
		if body.Event == "opened" {
			opened++
		}
	}
	if opened != 1 {
		t.Fatalf("%d alerts of the encounter's opening on ru-nato, want 1", opened)
	}
	for _, r := range []struct {
		n    *nodetest.Node
		want string
	}{{leader, `deconflict_lease_held{lease="detector"} 1`}, {other, `deconflict_lease_held{lease="detector"} 0`}} {
		m, err := r.n.Operator().Get(ctx, "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(m), r.want) {
			t.Fatalf("metrics do not say %s:\n%s", r.want, m)
		}
	}
}
