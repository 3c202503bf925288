package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRegimesEndToEnd files notifications and measures through the real
// binary against a real node: a Zapad-like activity on time, a late one
// (its finding), a refused form, acknowledgement and acceptance as
// separate envelopes, a measure that binds on the last signature and the
// rules at each index, and a verify of the whole channel.
func TestRegimesEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	for _, p := range []string{"RU", "NATO"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-nato", "--members", "RU,NATO", "--data", data)

	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
	area := `"area":{"polygon":[[54.0,20.0],[54.0,23.0],[55.5,23.0],[55.5,20.0]]}`
	write("zapad.json", `{"regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"exercise","start":"`+day(60)+`","end":"`+day(66)+`","troops":12800,`+area+`}`)
	write("ladoga.json", `{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":"`+day(10)+`","end":"`+day(12)+`","troops":9500,`+area+`}`)
	write("noarea.json", `{"regime":"intention","state":"RU","start":"`+day(1)+`","end":"`+day(2)+`"}`)

	out := c.run(false, "notify", "--channel", "ru-nato", "zapad.json", "--key", "ru.key")
	if !strings.Contains(out, "index 0") || !strings.Contains(out, "notifiable true, observable false") || !strings.Contains(out, "findings: none") {
		t.Fatalf("notify zapad: %q", out)
	}
	out = c.run(false, "notify", "--channel", "ru-nato", "--key", "ru.key", "ladoga.json")
	if !strings.Contains(out, "index 1") || !strings.Contains(out, "findings: late") {
		t.Fatalf("notify ladoga: %q", out)
	}
	if e := c.run(true, "notify", "--channel", "ru-nato", "--key", "ru.key", "noarea.json"); !strings.Contains(e, `missing required field "area"`) {
		t.Fatalf("notify without area: %q", e)
	}
	// The late finding is at index 2 (node-signed); NATO acknowledges and accepts Zapad.
	c.run(false, "ack", "--channel", "ru-nato", "0", "--key", "nato.key")
	c.run(false, "respond", "--channel", "ru-nato", "0", "--accept", "--key", "nato.key", "--officer", "nato-arms-1", "noted")

	type notification struct {
		Index     int64
		Regime    string
		State     string
		Deadline  *time.Time
		Acks      []string
		Responses []struct{ Author, Officer, Response, Text string }
		Findings  []string
	}
	var ns []notification
	for _, l := range strings.Split(strings.TrimSpace(c.run(false, "notifications", "--channel", "ru-nato", "--json", "--key", "nato.key")), "\n") {
		var v notification
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("notifications --json line %q: %v", l, err)
		}
		ns = append(ns, v)
	}
	if len(ns) != 2 || ns[0].State != "RU" || strings.Join(ns[0].Acks, ",") != "NATO" || len(ns[0].Responses) != 1 ||
		ns[0].Responses[0].Response != "accept" || ns[0].Responses[0].Text != "noted" || ns[0].Responses[0].Officer != "nato-arms-1" || strings.Join(ns[1].Findings, ",") != "late" {
		t.Fatalf("notifications: %+v", ns)
	}
	fl := strings.TrimSpace(c.run(false, "findings", "--channel", "ru-nato", "--json", "--key", "ru.key"))
	var f struct {
		Index int64
		Code  string
		About []int64
		State string
	}
	if err := json.Unmarshal([]byte(fl), &f); err != nil || f.Code != "late" || f.Index != 2 || f.About[0] != 1 || f.State != "RU" {
		t.Fatalf("findings: %q (%v)", fl, err)
	}
	if out := c.run(false, "findings", "--channel", "ru-nato", "--key", "ru.key"); !strings.Contains(out, "late") || !strings.Contains(out, "LADOGA") {
		t.Fatalf("findings: %q", out)
	}
	// The finding's receipt, checked offline against the node key: the
	// node signed it, at its index of the log.
	c.run(false, "receipt", "--channel", "ru-nato", "2", "--out", "late.tlog-proof", "--key", "nato.key")
	if out := c.run(false, "verify", "--receipt", "late.tlog-proof", "--node-key", pubOf(t, filepath.Join(data, "node.key"))); !strings.Contains(out, "OK") || !strings.Contains(out, "by node (finding") || !strings.Contains(out, "at index 2 of") {
		t.Fatalf("verify the finding's receipt: %q", out)
	}

	// A measure: proposed by NATO (index 5), binding once RU signs (index 6).
	write("sep.json", `{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":3000}`)
	if out := c.run(false, "measure", "propose", "--channel", "ru-nato", "sep.json", "--key", "nato.key"); !strings.Contains(out, "index 5") {
		t.Fatalf("measure propose: %q", out)
	}
	if out := c.run(false, "measures", "--channel", "ru-nato", "--key", "ru.key"); !strings.Contains(out, "proposed") || !strings.Contains(out, "awaiting RU") {
		t.Fatalf("measures before signing: %q", out)
	}
	if out := c.run(false, "measure", "sign", "--channel", "ru-nato", "5", "--key", "ru.key"); !strings.Contains(out, `"distance_m":3000`) || !strings.Contains(out, "index 6") {
		t.Fatalf("measure sign: %q", out)
	}
	if e := c.run(true, "measure", "sign", "--channel", "ru-nato", "5", "--key", "ru.key"); !strings.Contains(e, "already signed") {
		t.Fatalf("second signature: %q", e)
	}
	for at, want := range map[string]string{"5": "proposed", "6": "binding"} {
		var st struct {
			Index        int64
			State        string
			SignedBy     []string `json:"signed_by"`
			BindingSince *int64   `json:"binding_since"`
		}
		l := c.run(false, "measures", "--channel", "ru-nato", "--json", "--at", at, "--key", "nato.key")
		if err := json.Unmarshal([]byte(strings.TrimSpace(l)), &st); err != nil || st.State != want {
			t.Fatalf("measures --at %s: %q, want %s", at, l, want)
		}
	}
	if out := c.run(false, "measures", "--channel", "ru-nato", "--at", "6", "--key", "nato.key"); !strings.Contains(out, "separation sea dangerous: 3000 m (measure 5)") {
		t.Fatalf("rules at 6: %q", out)
	}
	if e := c.run(true, "measure", "propose", "--channel", "ru-nato", "zapad.json", "--key", "nato.key"); !strings.Contains(e, `missing required field "kind"`) {
		t.Fatalf("propose a form: %q", e)
	}
	// A request for explanation and a meeting: its reply deadline, no
	// Vienna Document thresholds printed; RU answers it, NATO records the
	// meeting.
	write("ask.json", `{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"unusual activity near Kaliningrad","meeting":true}`)
	out = c.run(false, "notify", "--channel", "ru-nato", "ask.json", "--key", "nato.key")
	if !strings.Contains(out, "index 7") || !strings.Contains(out, "regime vd11-explanation\n") || strings.Contains(out, "notifiable") || !strings.Contains(out, "reply due: ") {
		t.Fatalf("notify explanation request: %q", out)
	}
	c.run(false, "respond", "--channel", "ru-nato", "7", "--answer", "--key", "ru.key", "a scheduled drill")
	c.run(false, "respond", "--channel", "ru-nato", "7", "--meeting", "--key", "nato.key", "met at the CPC")
	if out := c.run(false, "notifications", "--channel", "ru-nato", "--key", "nato.key"); !strings.Contains(out, "vd11-explanation\tNATO") || !strings.Contains(out, "RU:answer") || !strings.Contains(out, "NATO:meeting") {
		t.Fatalf("notifications with the answered request: %q", out)
	}
	// Help for the verbs, and the whole channel verifies.
	if out := c.run(false, "measure", "sign", "-h"); !strings.Contains(out, "usage: deconflict measure") || !strings.Contains(out, "example:") {
		t.Fatalf("measure sign -h: %q", out)
	}
	c.run(false, "verify", "--channel", "ru-nato", "--key", "ru.key")
}

// TestScanNotifications: scan --notifications labels an encounter inside
// an area its RU track's party notified, and only with that file.
func TestScanNotifications(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dir: dir}
	var csv strings.Builder
	csv.WriteString("time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n")
	t0 := time.Date(2027, 9, 11, 12, 0, 0, 0, time.UTC)
	for s := 0; s <= 1800; s += 30 {
		// Two ships head-on along 54.5 N, 5 m/s each, 12.9 km apart at t0.
		d := float64(s) * 5 / (111320 * 0.5807)
		at := t0.Add(time.Duration(s) * time.Second).Format(time.RFC3339)
		csv.WriteString(at + ",RU-1,RU,sea,54.5," + strconvF(21.4+d) + ",,5,90,\n")
		csv.WriteString(at + ",NATO-1,NATO,sea,54.5," + strconvF(21.6-d) + ",,5,270,\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "ships.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	area := `"area":{"polygon":[[54.0,20.0],[54.0,23.0],[55.5,23.0],[55.5,20.0]]}`
	notes := `{"time":"2027-07-20T09:00:00Z","regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,` + area + `}
{"time":"2027-07-20T09:00:00Z","regime":"intention","state":"NATO","start":"2027-10-01","end":"2027-10-02",` + area + `}
`
	if err := os.WriteFile(filepath.Join(dir, "notes.jsonl"), []byte(notes), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := c.run(false, "scan", "--format", "csv", "ships.csv")
	if strings.Contains(plain, "explained_by") {
		t.Fatalf("explained_by without --notifications:\n%s", plain)
	}
	out := c.run(false, "scan", "--format", "csv", "ships.csv", "--notifications", "notes.jsonl")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], ",explained_by") || !strings.HasSuffix(lines[1], ",notes.jsonl:1") {
		t.Fatalf("scan --notifications:\n%s", out)
	}
	if e := c.run(true, "scan", "--format", "csv", "ships.csv", "--notifications", "ships.csv"); !strings.Contains(e, "line 1") {
		t.Fatalf("a bad notifications file: %q", e)
	}
}

func strconvF(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// TestDemoRegimes: the demo files its notifications and measures on
// ru-nato: the Zapad-like one on time, a late one with its finding, a
// launch, an INCSEA notice, a binding special caution area and a
// separation awaiting RU's signature.
func TestDemoRegimes(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	cmd := exec.Command(binary, "demo", "--addr", addr, "--data", data)
	cmd.Dir = dir
	out, _ := os.Create(filepath.Join(dir, "demo.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if printed, _ := os.ReadFile(filepath.Join(dir, "demo.out")); strings.Contains(string(printed), "Scenario:") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	key := filepath.Join(data, "party-keys", "NATO.key")
	ns := c.run(false, "notifications", "--channel", "ru-nato", "--key", key)
	for _, want := range []string{"vd11-prior\tRU\tZAPAD\t", "LADOGA", "findings late", "launch-1988", "incsea-notice", "intention"} {
		if !strings.Contains(ns, want) {
			t.Errorf("demo notifications lack %q:\n%s", want, ns)
		}
	}
	if strings.Count(ns, "findings late") != 1 {
		t.Errorf("demo notifications: want exactly one late:\n%s", ns)
	}
	ms := c.run(false, "measures", "--channel", "ru-nato", "--key", key)
	if !strings.Contains(ms, "zone\tbinding") || !strings.Contains(ms, "separation\tproposed\tsigned by NATO\tawaiting RU") {
		t.Errorf("demo measures:\n%s", ms)
	}
	// ru-us-syria has its agreed zone in Syria (the console's home view of the channel).
	ms = c.run(false, "measures", "--channel", "ru-us-syria", "--key", filepath.Join(data, "party-keys", "US.key"))
	if !strings.Contains(ms, "zone\tbinding") || !strings.Contains(ms, "At-Tanf") {
		t.Errorf("demo measures of ru-us-syria:\n%s", ms)
	}
	// The demo answers link tests for the parties it hosts: tested every 2 s,
	// ru-fr shows both ends answering.
	c.run(false, "channel", "policy", "ru-fr", "--link-test", "2s", "--link-test-within", "2s", "--data", data)
	var av string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		av = c.run(false, "availability", "--channel", "ru-fr", "--key", filepath.Join(data, "party-keys", "FR.key"))
		if strings.Contains(av, "RU\t100.0%") && strings.Contains(av, "FR\t100.0%") {
			return
		}
	}
	t.Errorf("demo availability on ru-fr:\n%s", av)
}

// TestScanMeasures: ships passing 1.5 km apart are an advisory under the
// defaults and dangerous under a binding 2 km sea separation, as the live
// node alerts them (http's TestMeasureSeparationLive).
func TestScanMeasures(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dir: dir}
	var csv strings.Builder
	csv.WriteString("time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n")
	t0 := time.Date(2027, 9, 11, 12, 0, 0, 0, time.UTC)
	for s := 0; s <= 1200; s += 20 {
		d := float64(s) * 5 / (111320 * 0.5807)
		at := t0.Add(time.Duration(s) * time.Second).Format(time.RFC3339)
		csv.WriteString(at + ",RU-1,RU,sea,54.5," + strconvF(21.4+d) + ",,5,90,\n")
		csv.WriteString(at + ",NATO-1,NATO,sea,54.5135," + strconvF(21.6-d) + ",,5,270,\n")
	}
	os.WriteFile(filepath.Join(dir, "ships.csv"), []byte(csv.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "m.jsonl"), []byte(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":2000}
{"kind":"ack-deadlines","flash_s":60}
`), 0o644)
	severity := func(out string) string {
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 {
			t.Fatalf("scan: %q, want one encounter", out)
		}
		return strings.Split(lines[1], ",")[5]
	}
	if got := severity(c.run(false, "scan", "--format", "csv", "ships.csv")); got != "advisory" {
		t.Errorf("defaults: %s, want advisory", got)
	}
	if got := severity(c.run(false, "scan", "--format", "csv", "ships.csv", "--measures", "m.jsonl")); got != "dangerous" {
		t.Errorf("with the measure: %s, want dangerous", got)
	}
	os.WriteFile(filepath.Join(dir, "bad.jsonl"), []byte(`{"kind":"separation","domain":"sea","tier":"dangerous"}`+"\n"), 0o644)
	if e := c.run(true, "scan", "--format", "csv", "ships.csv", "--measures", "bad.jsonl"); !strings.Contains(e, `line 1: measure: missing required field "distance_m"`) {
		t.Errorf("bad measures file: %q", e)
	}
}

// TestScanRelevanceMeasure: two merchant ships of RU's and NATO's flags
// (no party column: civilian tracks) meeting head-on make no encounter
// for scan; with a relevance measure whose area holds them, one critical
// encounter, as the live node alerts (http TestRelevanceMeasureLive);
// with the area elsewhere, none.
func TestScanRelevanceMeasure(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dir: dir}
	var csv strings.Builder
	csv.WriteString("time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n")
	t0 := time.Date(2027, 9, 11, 12, 0, 0, 0, time.UTC)
	for s := 0; s <= 600; s += 20 {
		d := float64(s) * 10 / (111320 * 0.5664)
		at := t0.Add(time.Duration(s) * time.Second).Format(time.RFC3339)
		csv.WriteString(at + ",mmsi:273000001,,sea,55.5," + strconvF(19.0+d) + ",,10,90,\n")
		csv.WriteString(at + ",mmsi:211234560,,sea,55.5," + strconvF(19.0+6000/(111320*0.5664)-d) + ",,10,270,\n")
	}
	os.WriteFile(filepath.Join(dir, "merchants.csv"), []byte(csv.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "here.jsonl"), []byte(`{"kind":"relevance","area":{"circle":{"lat":55.5,"lon":19.05,"radius_m":20000}},"civilian":true}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "elsewhere.jsonl"), []byte(`{"kind":"relevance","area":{"circle":{"lat":57.5,"lon":19.05,"radius_m":20000}},"civilian":true}`+"\n"), 0o644)
	rows := func(out string) []string { return strings.Split(strings.TrimSpace(out), "\n")[1:] }
	if got := rows(c.run(false, "scan", "--format", "csv", "merchants.csv")); len(got) != 0 {
		t.Errorf("defaults: %q, want no encounter (two civilian tracks)", got)
	}
	if got := rows(c.run(false, "scan", "--format", "csv", "merchants.csv", "--measures", "elsewhere.jsonl")); len(got) != 0 {
		t.Errorf("area elsewhere: %q, want no encounter", got)
	}
	got := rows(c.run(false, "scan", "--format", "csv", "merchants.csv", "--measures", "here.jsonl"))
	if len(got) != 1 || !strings.HasPrefix(got[0], "mmsi:211234560,mmsi:273000001,NATO,RU,sea,critical,") {
		t.Errorf("with the measure: %q, want one critical encounter of the merchants", got)
	}
}

// TestScanZoneMinSeparation: warships passing 1.5 km apart inside a zone
// measure's area with a 3 km minimum separation: scan lists the measure
// in measure_breach (as the live node raises its measure-breach, http
// TestZoneMinSeparationLive); with a 1 km minimum, the column is empty.
func TestScanZoneMinSeparation(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dir: dir}
	var csv strings.Builder
	csv.WriteString("time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n")
	t0 := time.Date(2027, 9, 11, 12, 0, 0, 0, time.UTC)
	for s := 0; s <= 600; s += 20 {
		d := float64(s) * 10 / (111320 * 0.5664)
		at := t0.Add(time.Duration(s) * time.Second).Format(time.RFC3339)
		csv.WriteString(at + ",ru-frigate,RU,sea,55.5," + strconvF(19.0+d) + ",,10,90,\n")
		csv.WriteString(at + ",nato-destroyer,NATO,sea," + strconvF(55.5+1500/111320.0) + "," + strconvF(19.0+6000/(111320*0.5664)-d) + ",,10,270,\n")
	}
	os.WriteFile(filepath.Join(dir, "ships.csv"), []byte(csv.String()), 0o644)
	zone := func(minM string) string {
		return `{"kind":"ack-deadlines","flash_s":60}` + "\n" +
			`{"kind":"zone","name":"DZ-1","zone_kind":"deconfliction-zone","area":{"circle":{"lat":55.5,"lon":19.05,"radius_m":20000}},"min_separation_m":` + minM + "}\n"
	}
	os.WriteFile(filepath.Join(dir, "z3.jsonl"), []byte(zone("3000")), 0o644)
	os.WriteFile(filepath.Join(dir, "z1.jsonl"), []byte(zone("1000")), 0o644)
	for _, tc := range []struct{ file, want string }{{"z3.jsonl", "z3.jsonl:2"}, {"z1.jsonl", ""}} {
		lines := strings.Split(strings.TrimSpace(c.run(false, "scan", "--format", "csv", "ships.csv", "--measures", tc.file)), "\n")
		if len(lines) != 2 || !strings.HasSuffix(lines[0], ",measure_breach") {
			t.Fatalf("%s: %q, want a header ending in measure_breach and one encounter", tc.file, lines)
		}
		cols := strings.Split(lines[1], ",")
		if got := cols[len(cols)-1]; got != tc.want || cols[5] != "advisory" {
			t.Errorf("%s: measure_breach %q severity %s, want %q, advisory", tc.file, got, cols[5], tc.want)
		}
	}
}

// TestScanMeasuresFromLog: the rules scan applies can come from a
// channel's log saved with 'watch': a 2 km dangerous separation NATO
// proposed makes the ships' passing 1.5 km apart dangerous only at the
// index of RU's signature and after (advisory at the proposal's index).
// The signatures are checked against the members' keys: a wrong key, a
// non-member's envelope or an altered payload is refused, naming the
// envelope.
func TestScanMeasuresFromLog(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	pubs := map[string]string{}
	for _, p := range []string{"RU", "NATO", "US"} {
		pubs[p] = strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pubs[p], "--data", data)
	}
	c.run(false, "channel", "create", "ru-nato", "--members", "RU,NATO", "--data", data)
	os.WriteFile(filepath.Join(dir, "sep.json"), []byte(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":2000}`), 0o644)
	c.run(false, "measure", "propose", "--channel", "ru-nato", "sep.json", "--key", "nato.key") // index 0
	c.run(false, "send", "--channel", "ru-nato", "--key", "ru.key", "received, studying")       // index 1
	c.run(false, "measure", "sign", "--channel", "ru-nato", "0", "--key", "ru.key")             // index 2
	log := c.run(false, "watch", "--channel", "ru-nato", "--key", "nato.key")
	os.WriteFile(filepath.Join(dir, "ru-nato.log"), []byte(log), 0o644)

	var csv strings.Builder
	csv.WriteString("time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n")
	t0 := time.Date(2027, 9, 11, 12, 0, 0, 0, time.UTC)
	for s := 0; s <= 1200; s += 20 {
		d := float64(s) * 5 / (111320 * 0.5807)
		at := t0.Add(time.Duration(s) * time.Second).Format(time.RFC3339)
		csv.WriteString(at + ",RU-1,RU,sea,54.5," + strconvF(21.4+d) + ",,5,90,\n")
		csv.WriteString(at + ",NATO-1,NATO,sea,54.5135," + strconvF(21.6-d) + ",,5,270,\n")
	}
	os.WriteFile(filepath.Join(dir, "ships.csv"), []byte(csv.String()), 0o644)
	keys := []string{"--party-key", "RU=" + pubs["RU"], "--party-key", "NATO=" + pubs["NATO"]}
	severity := func(extra ...string) string {
		t.Helper()
		out := c.run(false, append(append([]string{"scan", "--format", "csv", "ships.csv", "--measures-from", "ru-nato.log"}, keys...), extra...)...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 {
			t.Fatalf("scan: %q, want one encounter", out)
		}
		return strings.Split(lines[1], ",")[5]
	}
	for _, tc := range []struct{ at, want string }{{"0", "advisory"}, {"1", "advisory"}, {"2", "dangerous"}} {
		if got := severity("--at", tc.at); got != tc.want {
			t.Errorf("rules at %s: %s, want %s", tc.at, got, tc.want)
		}
	}
	if got := severity(); got != "dangerous" {
		t.Errorf("rules at the log's end: %s, want dangerous", got)
	}

	scanErr := func(logFile string, keys ...string) string {
		t.Helper()
		return c.run(true, append([]string{"scan", "--format", "csv", "ships.csv", "--measures-from", logFile}, keys...)...)
	}
	if e := scanErr("ru-nato.log", "--party-key", "RU="+pubs["US"], "--party-key", "NATO="+pubs["NATO"]); !strings.Contains(e, "line 3: envelope 2: signed by key "+pubs["RU"]+", not one given for RU") {
		t.Errorf("wrong key for RU: %q", e)
	}
	if e := scanErr("ru-nato.log", "--party-key", "NATO="+pubs["NATO"], "--party-key", "US="+pubs["US"]); !strings.Contains(e, "envelope 2: a sign by RU, who is not among the --party-key members [NATO US]") {
		t.Errorf("RU not a member: %q", e)
	}
	if e := scanErr("ru-nato.log"); !strings.Contains(e, "--measures-from needs the members' keys") {
		t.Errorf("no keys: %q", e)
	}
	// The proposal's payload altered (2000 m made 9000 m, payload_b64 too):
	// its signature no longer verifies.
	lines := strings.Split(strings.TrimSpace(log), "\n")
	var v map[string]any
	json.Unmarshal([]byte(lines[0]), &v)
	raw, _ := base64.StdEncoding.DecodeString(v["payload_b64"].(string))
	v["payload_b64"] = base64.StdEncoding.EncodeToString(bytes.Replace(raw, []byte("2000"), []byte("9000"), 1))
	b, _ := json.Marshal(v)
	lines[0] = string(b)
	os.WriteFile(filepath.Join(dir, "altered.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	if e := scanErr("altered.log", keys...); !strings.Contains(e, "line 1: envelope 0: envelope signature does not verify") {
		t.Errorf("altered proposal: %q", e)
	}
}
