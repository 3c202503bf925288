package postgres_test

import (
	"context"
	"encoding/json"
	"strconv"
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

// waitFor polls cond (a state reached, never the absence of one) until
// it holds, failing with what() after 30 s.
func waitFor(t *testing.T, cond func() bool, what func() string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
	}
}

// alertsOn returns the alert bodies logged on channel ch, in log order.
func alertsOn(t *testing.T, c *dhttp.Client, ch string) []deconflict.AlertBody {
	t.Helper()
	envs, err := c.Envelopes(context.Background(), ch, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []deconflict.AlertBody
	for _, e := range envs {
		if e.Kind != deconflict.KindAlert {
			continue
		}
		var p deconflict.Payload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		var body deconflict.AlertBody
		if err := json.Unmarshal(p.Body, &body); err != nil {
			t.Fatal(err)
		}
		out = append(out, body)
	}
	return out
}

// TestLivePictureAcrossReplicas runs two replicas of one node on one
// database, each with its live picture, and follows one encounter
// through a takeover of the detector lease:
//   - the test holds the lease first, so the encounter opens while no
//     replica holds it: both engines raise the opening, the outbox keeps
//     it once, and it is posted (once) when a replica takes the lease;
//   - the replica holding the lease is then closed mid-encounter and the
//     encounter escalates on the survivor, which takes the lease over
//     and posts the escalation once, in the same incident.
//
// RU's ship is reported to one replica, NATO's to the other, so each
// picture holds the other's reports only through the report bus.
func TestLivePictureAcrossReplicas(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	_, release, err := open(t, dsn).Lead(ctx, node.LeaseDetector)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	a := nodetest.Start(t, nodetest.Options{Store: open(t, dsn)})
	b := a.Replica(t, open(t, dsn))
	a.AddParties(t, "RU", "NATO")
	a.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	for _, r := range []*nodetest.Node{a, b} {
		if err := r.EnableLive(nil, detect.Config{}); err != nil {
			t.Fatal(err)
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
	// Two ships head on, 6 km apart, 10 m/s each, reported every 20 s.
	// NATO's passes 1,500 m abeam (a predicted CPA under 2 NM: advisory),
	// then turns onto RU's track, 20 m abeam (under 0.1 NM: critical).
	const lat = 55.5
	mPerDegLon := 111320 * 0.5664
	t0 := time.Now().UTC().Add(-120 * time.Second)
	report := func(i int, offM float64, to map[string]*nodetest.Node) {
		t.Helper()
		ts := t0.Add(time.Duration(i) * 20 * time.Second)
		s := float64(i) * 20 * 10
		for _, p := range []struct {
			to *nodetest.Node
			rs []dhttp.ReportView
		}{
			{to["RU"], []dhttp.ReportView{{Time: ts, ID: "ru-frigate", Domain: deconflict.Sea, Party: "RU", Lat: f(lat), Lon: f(19.0 + s/mPerDegLon), SpeedMS: f(10), CourseDeg: f(90)}}},
			{to["NATO"], []dhttp.ReportView{{Time: ts, ID: "nato-destroyer", Domain: deconflict.Sea, Party: "NATO", Lat: f(lat + offM/111320.0), Lon: f(19.0 + (6000-s)/mPerDegLon), SpeedMS: f(10), CourseDeg: f(270)}}},
		} {
			body, _ := json.Marshal(p.rs)
			if err := p.to.Operator().Do(ctx, "POST", "/v1/reports", json.RawMessage(body), nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 0; i < 3; i++ {
		report(i, 1500, map[string]*nodetest.Node{"RU": a, "NATO": b})
	}
	raised := func(r *nodetest.Node) int64 { st := r.Live.Stats(); return st.AlertsQueued + st.AlertsLeft }
	waitFor(t, func() bool { return raised(a) >= 1 && raised(b) >= 1 }, func() string {
		return "the opening was not raised by both engines: " + statsOf(a, b)
	})
	if a.Live.Stats().AlertsQueued+b.Live.Stats().AlertsQueued != 1 || a.Live.Stats().Alerts+b.Live.Stats().Alerts != 0 {
		t.Fatalf("with the lease held by no replica: %s; want the opening queued once, posted by none", statsOf(a, b))
	}
	// The outbox holds it; the lease goes to a replica, which posts it.
	release()
	var leader, other *nodetest.Node
	waitFor(t, func() bool {
		for _, r := range [][2]*nodetest.Node{{a, b}, {b, a}} {
			if r[0].Node.Leading(node.LeaseDetector) {
				leader, other = r[0], r[1]
				return true
			}
		}
		return false
	}, func() string { return "no replica took the detector lease" })
	waitFor(t, func() bool { return len(alertsOn(t, a.Client("RU"), "ru-nato")) >= 1 }, func() string {
		return "the opening raised without a lease holder was never posted: " + statsOf(a, b)
	})
	opening := alertsOn(t, a.Client("RU"), "ru-nato")
	if len(opening) != 1 || opening[0].Event != "opened" || opening[0].Encounter.Severity != "advisory" {
		t.Fatalf("alerts on ru-nato %+v, want one advisory opening", opening)
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

	// The lease holder goes mid-encounter; the encounter escalates on the
	// survivor, reported to it alone, while it takes the lease over.
	tookAt := make(chan time.Time, 1)
	other.Node.OnLease(node.LeaseDetector, func() { tookAt <- time.Now() })
	closed := time.Now()
	leader.Stop()
	stopped := time.Now()
	// A third replica starts mid-encounter: its engine opens the
	// encounter at a later report than the others did, joins the incident
	// they opened (no second opening) and raises the same escalation.
	late := a.Replica(t, open(t, dsn))
	if err := late.EnableLive(nil, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); late.Live.Stats().Reports == 0; time.Sleep(50 * time.Millisecond) {
		raw, _ := json.Marshal([]dhttp.ReportView{{Time: time.Now().UTC(), ID: "probe", Domain: deconflict.Sea, Lat: f(-40), Lon: f(-100), SpeedMS: f(1), CourseDeg: f(0)}})
		if err := other.Operator().Do(ctx, "POST", "/v1/reports", json.RawMessage(raw), nil); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the late replica's picture never took the probe report")
		}
	}
	report(3, 1500, map[string]*nodetest.Node{"RU": late, "NATO": other})
	for i := 4; i < 6; i++ {
		report(i, 20, map[string]*nodetest.Node{"RU": other, "NATO": late})
	}
	var took time.Time
	select {
	case took = <-tookAt:
	case <-time.After(30 * time.Second):
		t.Fatal("the survivor never took the detector lease")
	}
	waitFor(t, func() bool {
		return len(alertsOn(t, dhttp.NewClient(other.Server.URL(), a.Keys["RU"]), "ru-nato")) >= 2
	}, func() string {
		return "the escalation was never posted: " + statsOf(other)
	})
	posted := time.Now()
	waitFor(t, func() bool { return raised(late) >= 2 }, func() string {
		return "the late replica's engine did not raise the opening and the escalation: " + statsOf(late)
	})
	// Its opening joined the open incident; its escalation may have
	// reached the outbox first (then the survivor's was refused), but
	// the log holds one of each, and it posted none.
	if st := late.Live.Stats(); st.Alerts != 0 || st.AlertsLeft == 0 {
		t.Fatalf("the late replica: %s; want its opening joined, nothing posted", statsOf(late))
	}
	// Everything the engines queued is posted (an alert queued twice
	// under two keys would be in the log now).
	outbox := open(t, dsn)
	waitFor(t, func() bool { due, err := outbox.DueAlerts(ctx, 10); return err == nil && len(due) == 0 }, func() string { return "the outbox never emptied" })
	got := alertsOn(t, dhttp.NewClient(other.Server.URL(), a.Keys["RU"]), "ru-nato")
	if len(got) != 2 || got[1].Event != "escalated" || got[1].Encounter.Severity != "critical" {
		t.Fatalf("alerts on ru-nato %+v, want the opening and one critical escalation", got)
	}
	if got[0].Incident != got[1].Incident || got[0].Incident == "" {
		t.Fatalf("the escalation is in incident %q, the opening in %q: want the same", got[1].Incident, got[0].Incident)
	}
	if n := other.Live.Stats().Alerts; n != 1 {
		t.Fatalf("the survivor posted %d alerts, want the escalation alone", n)
	}
	t.Logf("detector takeover, from the start of the holder's Stop (which took %v): the survivor held the lease after %v and had posted the escalation after %v",
		stopped.Sub(closed).Round(time.Millisecond), took.Sub(closed).Round(time.Millisecond), posted.Sub(closed).Round(time.Millisecond))
}

func statsOf(rs ...*nodetest.Node) string {
	var b strings.Builder
	for _, r := range rs {
		st := r.Live.Stats()
		b.WriteString(" [queued " + itoa(st.AlertsQueued) + ", left " + itoa(st.AlertsLeft) + ", posted " + itoa(st.Alerts) + "]")
	}
	return b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
