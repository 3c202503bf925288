package main_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/deconflict/deconflict/live"
)

// TestDetectorSurvivesSIGKILL runs two 'serve --db' replicas on one real
// PostgreSQL and follows one encounter, reported to both, through the
// death of the replica holding the detector lease: the opening, raised
// by both engines, is one alert on the channel; the holder is killed
// with SIGKILL mid-encounter, the survivor takes the lease over, and the
// encounter's escalation, reported to the survivor alone, is one alert
// in the same incident.
func TestDetectorSurvivesSIGKILL(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	dsn := pg.NewDatabase(t)
	rs := startReplicas(t, dsn, 2)
	work := t.TempDir()
	c := &cli{t: t, dir: work, env: []string{"DECONFLICT_NODE=" + rs[0].url() + "," + rs[1].url(), "DECONFLICT_STATE=" + filepath.Join(work, "state")}}
	for _, p := range []string{"RU", "NATO"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", filepath.Join(work, strings.ToLower(p)+".key")))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", rs[0].data)
	}
	c.run(false, "channel", "create", "ru-nato", "--members", "RU,NATO", "--data", rs[0].data)
	operator, err := custody.ReadKeyFile(filepath.Join(rs[0].data, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	ru, err := custody.ReadKeyFile(filepath.Join(work, "ru.key"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stats := func(r *replica) live.Stats {
		var v struct {
			Stats live.Stats `json:"stats"`
		}
		if err := dhttp.NewClient(r.url(), operator).Do(ctx, "GET", "/v1/picture", nil, &v); err != nil {
			t.Fatal(err)
		}
		return v.Stats
	}
	post := func(r *replica, rs []dhttp.ReportView) {
		t.Helper()
		body, _ := json.Marshal(rs)
		if err := dhttp.NewClient(r.url(), operator).Do(ctx, "POST", "/v1/reports", json.RawMessage(body), nil); err != nil {
			t.Fatal(err)
		}
	}
	f := func(v float64) *float64 { return &v }

	// Which replica holds the detector lease? That one dies.
	var victim, survivor *replica
	for deadline := time.Now().Add(30 * time.Second); victim == nil; time.Sleep(20 * time.Millisecond) {
		for i, r := range rs {
			if _, ok := r.leaseTime("detector"); ok {
				victim, survivor = r, rs[1-i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica took the detector lease:\n%s\n%s", rs[0].log(), rs[1].log())
		}
	}
	// Both pictures listen for the replicas' reports once their listening
	// connections are up: post a probe until both have taken one.
	for deadline := time.Now().Add(30 * time.Second); stats(rs[0]).Reports == 0 || stats(rs[1]).Reports == 0; time.Sleep(50 * time.Millisecond) {
		post(rs[0], []dhttp.ReportView{{Time: time.Now().UTC(), ID: "probe", Domain: deconflict.Sea, Lat: f(-40), Lon: f(-100), SpeedMS: f(1), CourseDeg: f(0)}})
		if time.Now().After(deadline) {
			t.Fatal("the pictures never took the probe report")
		}
	}

	// Two ships head on, 6 km apart, 10 m/s each, every 20 s: NATO's
	// passes 1,500 m abeam (advisory), then turns onto RU's track, 20 m
	// abeam (critical).
	const lat = 55.5
	mPerDegLon := 111320 * 0.5664
	t0 := time.Now().UTC().Add(-120 * time.Second)
	report := func(i int, offM float64, toRU, toNATO *replica) {
		ts := t0.Add(time.Duration(i) * 20 * time.Second)
		s := float64(i) * 20 * 10
		post(toRU, []dhttp.ReportView{{Time: ts, ID: "ru-frigate", Domain: deconflict.Sea, Party: "RU", Lat: f(lat), Lon: f(19.0 + s/mPerDegLon), SpeedMS: f(10), CourseDeg: f(90)}})
		post(toNATO, []dhttp.ReportView{{Time: ts, ID: "nato-destroyer", Domain: deconflict.Sea, Party: "NATO", Lat: f(lat + offM/111320.0), Lon: f(19.0 + (6000-s)/mPerDegLon), SpeedMS: f(10), CourseDeg: f(270)}})
	}
	alerts := func(r *replica, key ed25519.PrivateKey) []deconflict.AlertBody {
		envs, err := dhttp.NewClient(r.url(), key).Envelopes(ctx, "ru-nato", 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var out []deconflict.AlertBody
		for _, e := range envs {
			if e.Kind != deconflict.KindAlert {
				continue
			}
			var p deconflict.Payload
			json.Unmarshal(e.Payload, &p)
			var b deconflict.AlertBody
			if err := json.Unmarshal(p.Body, &b); err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	for i := 0; i < 3; i++ {
		report(i, 1500, rs[0], rs[1])
	}
	raised := func(r *replica) int64 { st := stats(r); return st.AlertsQueued + st.AlertsLeft }
	for deadline := time.Now().Add(30 * time.Second); raised(rs[0]) == 0 || raised(rs[1]) == 0 || len(alerts(victim, ru)) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the opening was not raised by both engines and posted: %+v, %+v", stats(rs[0]), stats(rs[1]))
		}
	}
	opening := alerts(victim, ru)
	if len(opening) != 1 || opening[0].Event != "opened" || opening[0].Encounter.Severity != "advisory" {
		t.Fatalf("alerts on ru-nato %+v, want one advisory opening", opening)
	}

	killed := time.Now()
	victim.cmd.Process.Signal(syscall.SIGKILL)
	victim.cmd.Wait()
	for i := 3; i < 6; i++ {
		report(i, 20, survivor, survivor)
	}
	var got []deconflict.AlertBody
	for deadline := time.Now().Add(30 * time.Second); len(got) < 2; time.Sleep(10 * time.Millisecond) {
		if got = alerts(survivor, ru); time.Now().After(deadline) {
			t.Fatalf("the escalation was never posted: %+v\n%s", got, survivor.log())
		}
	}
	posted := time.Now()
	if len(got) != 2 || got[1].Event != "escalated" || got[1].Encounter.Severity != "critical" || got[1].Incident != got[0].Incident {
		t.Fatalf("alerts on ru-nato %+v, want the opening and one critical escalation in its incident", got)
	}
	took, ok := survivor.leaseTime("detector")
	if !ok {
		t.Fatalf("the escalation was posted by a survivor without the detector lease:\n%s", survivor.log())
	}
	t.Logf("the survivor took the detector lease %v after the SIGKILL and its escalation alert was in the log %v after it (six reports posted in between)",
		took.Sub(killed).Round(time.Millisecond), posted.Sub(killed).Round(time.Millisecond))
}
