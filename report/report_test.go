package report_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/regime"
	"github.com/deconflict/deconflict/report"
)

// clock is the test's injected time: the node's and every client's.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// world is a real node (SQLite in a temporary directory, HTTP on
// 127.0.0.1) with parties RU and NATO on channel ru-nato, and clients on
// the test's clock.
type world struct {
	t       *testing.T
	tn      *nodetest.Node
	ck      *clock
	clients map[string]*dhttp.Client
}

func newWorld(t *testing.T, start time.Time) *world {
	ck := &clock{t: start}
	// The deadline worker ticks hourly in real time: the test runs the
	// deadline check itself, after moving the clock.
	tn := nodetest.Start(t, nodetest.Options{Now: ck.Now, Tick: time.Hour})
	w := &world{t: t, tn: tn, ck: ck, clients: map[string]*dhttp.Client{}}
	op := dhttp.NewClient(tn.Server.URL(), tn.Node.Key)
	op.Now = ck.Now
	for _, id := range []string{"RU", "NATO"} {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		if err := op.CreateParty(context.Background(), &dhttp.PartyRequest{ID: id, Keys: []string{deconflict.EncodeKey(pub)}}); err != nil {
			t.Fatal(err)
		}
		c := dhttp.NewClient(tn.Server.URL(), priv)
		c.Now = ck.Now
		w.clients[id] = c
	}
	if err := op.CreateChannel(context.Background(), &deconflict.Channel{ID: "ru-nato", Members: []string{"RU", "NATO"}}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) at(t time.Time) *world { w.ck.Set(t); return w }

func (w *world) send(party string, p *deconflict.Payload) *deconflict.Receipt {
	w.t.Helper()
	p.Channel = "ru-nato"
	r, err := w.clients[party].Send(context.Background(), party, p)
	if err != nil {
		w.t.Fatalf("%s %s: %v", party, p.Kind, err)
	}
	return r
}

func (w *world) msg(party string, prec deconflict.Precedence, text string) int64 {
	return w.send(party, &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: prec, Text: text}).Index
}

func (w *world) ack(party string, index int64) {
	w.send(party, &deconflict.Payload{Kind: deconflict.KindAck, Ack: &index})
}

func f(v float64) *float64 { return &v }

// alert appends a node-signed alert, as the live picture does.
func (w *world) alert(event, incident, id string, domain deconflict.Domain, tier string, lat, lon, distM, vertM float64, ackFrom []string) int64 {
	w.t.Helper()
	body, _ := json.Marshal(deconflict.AlertBody{Event: event, Incident: incident, Encounter: deconflict.EncounterView{
		ID: id, Incident: incident, A: "NATO:a-" + id, B: "RU:b-" + id, PartyA: "NATO", PartyB: "RU", Domain: domain, Severity: tier, Opened: w.ck.Now(),
		Prediction: deconflict.PredictionView{Time: w.ck.Now(), Severity: tier, DistanceM: f(distM), VerticalM: f(vertM), CPAM: f(distM),
			PosA: deconflict.PosView{Lat: f(lat), Lon: f(lon)}, PosB: deconflict.PosView{Lat: f(lat + 0.004), Lon: f(lon + 0.006)}}}})
	prec := deconflict.Immediate
	if event == "closed" {
		prec = deconflict.Routine
	}
	r, err := w.tn.Node.SubmitNode(context.Background(), &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindAlert, Precedence: prec,
		Text: event + " " + tier + " " + id, AckFrom: ackFrom, Body: body})
	if err != nil {
		w.t.Fatal(err)
	}
	return r.Index
}

// build reads the log and checkpoint through the API with NATO's key and
// builds the report, as deconflict report does.
func (w *world) build(from, to time.Time) (*report.Report, []*dhttp.EnvelopeView) {
	w.t.Helper()
	ctx := context.Background()
	c := w.clients["NATO"]
	cp, err := c.Checkpoint(ctx, "ru-nato")
	if err != nil {
		w.t.Fatal(err)
	}
	views, err := c.Envelopes(ctx, "ru-nato", 0, 10000)
	if err != nil {
		w.t.Fatal(err)
	}
	ch, err := c.Channel(ctx, "ru-nato")
	if err != nil {
		w.t.Fatal(err)
	}
	r, err := report.Build(report.Input{Channel: ch, Checkpoint: cp, Envelopes: envelopes(w.t, views), From: from, To: to, Member: "NATO",
		Generated: w.ck.Now(), NodeKey: w.tn.Node.PublicKey(), Basemap: console.Basemap()})
	if err != nil {
		w.t.Fatal(err)
	}
	return r, views
}

func envelopes(t *testing.T, views []*dhttp.EnvelopeView) []*deconflict.Envelope {
	var out []*deconflict.Envelope
	for _, v := range views {
		s, err := v.Signed()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &deconflict.Envelope{Signed: *s, Channel: v.Channel, Index: v.Index, ID: v.ID, Author: v.Author, Kind: v.Kind, Received: v.Received, LeafHash: deconflict.LeafHash(s.Leaf())})
	}
	return out
}

// scenario builds two weeks on ru-nato: messages of every precedence, a
// FLASH that RU acknowledges only after its missed-ack record, a Vienna
// Document notification 10 days ahead (late: 42 are due), a sea encounter
// that escalates to dangerous in week 1 and an air encounter at critical
// in week 2, a special caution area agreed by both, and a request for
// explanation answered. Returns the period.
func scenario(t *testing.T) (*world, time.Time, time.Time) {
	t0 := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC) // a Monday
	w := newWorld(t, t0.Add(-30*time.Minute))
	before := w.msg("NATO", deconflict.Routine, "before the period")
	w.at(t0.Add(-29*time.Minute)).ack("RU", before)

	flashA := w.at(t0).msg("NATO", deconflict.Flash, "Your frigate is closing on our destroyer, alter course")
	w.at(t0.Add(30*time.Second)).ack("RU", flashA)
	imm := w.at(t0.Add(time.Minute)).msg("RU", deconflict.Immediate, "Our aircraft will pass north of your group")
	w.at(t0.Add(3*time.Minute)).ack("NATO", imm)
	rout := w.at(t0.Add(5*time.Minute)).msg("NATO", deconflict.Routine, "Weekly schedule follows")
	w.at(t0.Add(65*time.Minute)).ack("RU", rout)
	pri := w.at(t0.Add(70*time.Minute)).msg("RU", deconflict.Priority, "Request a call at 1500Z")
	w.at(t0.Add(80*time.Minute)).ack("NATO", pri)

	// A FLASH RU misses: the node records it when the deadline has passed.
	flashB := w.at(t0.Add(2*time.Hour)).msg("NATO", deconflict.Flash, "Laser illumination of our helicopter, cease at once")
	w.at(t0.Add(2*time.Hour + 3*time.Minute))
	if err := w.tn.Node.CheckDeadlines(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.at(t0.Add(2*time.Hour+5*time.Minute)).ack("RU", flashB)

	// Week 1: a sea encounter, advisory then dangerous, then closed.
	both := []string{"NATO", "RU"}
	a1 := w.at(t0.Add(3*time.Hour)).alert("opened", "inc-sea-1", "enc-sea-1", deconflict.Sea, "advisory", 55.50, 19.00, 1500, 0, both)
	w.at(t0.Add(3*time.Hour+40*time.Second)).ack("RU", a1)
	w.at(t0.Add(3*time.Hour+60*time.Second)).ack("NATO", a1)
	a2 := w.at(t0.Add(3*time.Hour+5*time.Minute)).alert("escalated", "inc-sea-1", "enc-sea-1", deconflict.Sea, "dangerous", 55.52, 19.05, 700, 0, both)
	w.at(t0.Add(3*time.Hour+5*time.Minute+20*time.Second)).ack("RU", a2)
	w.at(t0.Add(3*time.Hour+5*time.Minute+90*time.Second)).ack("NATO", a2)
	w.at(t0.Add(4*time.Hour)).alert("closed", "inc-sea-1", "enc-sea-1", deconflict.Sea, "dangerous", 55.60, 19.20, 5000, 0, nil)
	w.send("NATO", &deconflict.Payload{Kind: deconflict.KindNote, Text: "Closed after RU frigate altered course", Body: json.RawMessage(`{"incident":"inc-sea-1"}`)})

	// A Vienna Document prior notification 10 days ahead: late.
	form := fmt.Sprintf(`{"regime":"vd11-prior","state":"RU","designation":"LADOGA-2027","purpose":"exercise","start":%q,"end":%q,"troops":12800,"area":{"polygon":[[54.4,19.9],[54.4,22.8],[55.3,22.8],[55.3,19.9]]}}`,
		day(t0.Add(10*24*time.Hour)), day(t0.Add(14*24*time.Hour)))
	note := w.at(t0.Add(5*time.Hour)).send("RU", &deconflict.Payload{Kind: deconflict.KindNotification, Body: json.RawMessage(form)}).Index
	w.at(t0.Add(5*time.Hour+10*time.Minute)).ack("NATO", note)

	// Week 2: an air encounter at critical, a measure, an explanation.
	t1 := t0.Add(7 * 24 * time.Hour)
	a3 := w.at(t1).alert("opened", "inc-air-1", "enc-air-1", deconflict.Air, "critical", 56.00, 20.00, 400, 50, both)
	w.at(t1.Add(15*time.Second)).ack("RU", a3)
	w.at(t1.Add(45*time.Second)).ack("NATO", a3)
	w.at(t1.Add(10*time.Minute)).alert("closed", "inc-air-1", "enc-air-1", deconflict.Air, "critical", 56.10, 20.10, 9000, 300, nil)

	prop := w.at(t1.Add(time.Hour)).send("NATO", &deconflict.Payload{Kind: deconflict.KindMeasure,
		Body: json.RawMessage(`{"kind":"zone","name":"Gotland caution area","zone_kind":"special-caution-area","area":{"polygon":[[56.8,18.0],[56.8,19.2],[57.6,19.2],[57.6,18.0]]}}`)})
	ref := regime.Ref{Index: prop.Index, LeafHash: prop.LeafHash}
	w.at(t1.Add(65*time.Minute)).send("RU", &deconflict.Payload{Kind: deconflict.KindSign, Body: ref.Marshal()})

	req := w.at(t1.Add(2*time.Hour)).send("NATO", &deconflict.Payload{Kind: deconflict.KindNotification,
		Body: json.RawMessage(`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"Explain the low pass over our destroyer","incident":"inc-air-1"}`)}).Index
	w.at(t1.Add(2*time.Hour+time.Minute)).ack("RU", req)
	w.at(t1.Add(5*time.Hour)).send("RU", &deconflict.Payload{Kind: deconflict.KindResponse, ReplyTo: &req, Text: "A training flight; the pilot has been briefed", Body: json.RawMessage(`{"response":"answer"}`)})

	from, to := t0.Add(-10*time.Minute), t0.Add(14*24*time.Hour)
	after := w.at(to.Add(time.Hour)).msg("NATO", deconflict.Routine, "after the period")
	w.at(to.Add(2*time.Hour)).ack("RU", after)
	return w, from, to
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// expected is what the test reads from the log itself, sharing no code
// with the report.
type expected struct {
	messages     map[string]int
	missed       map[string]int // party -> missed-ack records naming it, for duties of the period
	ackTimes     map[string]map[string][]float64
	tiers        map[string]string // encounter id -> highest tier
	domains      map[string]string
	findings     map[string]int // regime -> findings
	findingCodes []string
	incOpened    int
	incClosed    int
	measures     map[string]int // state -> count
	explanations int
	answered     int
}

var tierOrder = []string{"advisory", "warning", "dangerous", "critical", "nmac", "intrusion"}

func fromLog(t *testing.T, views []*dhttp.EnvelopeView, from, to time.Time) expected {
	x := expected{messages: map[string]int{}, missed: map[string]int{}, ackTimes: map[string]map[string][]float64{}, tiers: map[string]string{},
		domains: map[string]string{}, findings: map[string]int{}, measures: map[string]int{}}
	type pl struct {
		Kind       string          `json:"kind"`
		Author     string          `json:"author"`
		Precedence string          `json:"precedence"`
		Ack        *int64          `json:"ack"`
		ReplyTo    *int64          `json:"reply_to"`
		AckFrom    []string        `json:"ack_from"`
		Body       json.RawMessage `json:"body"`
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	byIndex := map[int64]*dhttp.EnvelopeView{}
	pls := map[int64]pl{}
	incidents := map[string]bool{}
	signs := map[int64]int{}
	for _, v := range views {
		var p pl
		if err := json.Unmarshal(v.Payload, &p); err != nil {
			t.Fatal(err)
		}
		byIndex[v.Index], pls[v.Index] = v, p
		if !in(v.Received) {
			continue
		}
		switch p.Kind {
		case "message":
			x.messages[p.Precedence]++
		case "missed-ack":
			if in(byIndex[*p.Ack].Received) {
				for _, m := range p.AckFrom {
					x.missed[m]++
				}
			}
		case "ack":
			target := byIndex[*p.Ack]
			if !in(target.Received) {
				continue
			}
			prec := pls[*p.Ack].Precedence
			if x.ackTimes[p.Author] == nil {
				x.ackTimes[p.Author] = map[string][]float64{}
			}
			x.ackTimes[p.Author][prec] = append(x.ackTimes[p.Author][prec], v.Received.Sub(target.Received).Seconds())
		case "alert":
			var b struct {
				Event     string `json:"event"`
				Incident  string `json:"incident"`
				Encounter struct {
					ID       string `json:"id"`
					Domain   string `json:"domain"`
					Severity string `json:"severity"`
				} `json:"encounter"`
			}
			json.Unmarshal(p.Body, &b)
			if !incidents[b.Incident] {
				incidents[b.Incident] = true
				x.incOpened++
			}
			if b.Event == "closed" {
				x.incClosed++
				continue
			}
			id := b.Encounter.ID
			if slices.Index(tierOrder, b.Encounter.Severity) > slices.Index(tierOrder, x.tiers[id]) {
				x.tiers[id] = b.Encounter.Severity
			}
			x.domains[id] = b.Encounter.Domain
		case "finding":
			var b struct {
				Code, Regime string
			}
			json.Unmarshal(p.Body, &b)
			x.findings[b.Regime]++
			x.findingCodes = append(x.findingCodes, b.Code)
		case "notification":
			var b struct {
				Regime string `json:"regime"`
			}
			json.Unmarshal(p.Body, &b)
			if b.Regime == "vd11-explanation" || b.Regime == "vd11-hazard" {
				x.explanations++
			}
		case "response":
			if strings.Contains(string(p.Body), `"answer"`) {
				x.answered++
			}
		case "measure":
			signs[v.Index] = 1 // the proposer signs by proposing
		case "sign":
			var b struct {
				Index int64 `json:"index"`
			}
			json.Unmarshal(p.Body, &b)
			signs[b.Index]++
		}
	}
	for _, n := range signs {
		if n == 2 { // both members
			x.measures["binding"]++
		} else {
			x.measures["proposed"]++
		}
	}
	return x
}

func med(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func artifacts(t *testing.T) string {
	dir := os.Getenv("DECONFLICT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "deconflict-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReportOfAPeriod(t *testing.T) {
	w, from, to := scenario(t)
	r, views := w.build(from, to)
	x := fromLog(t, views, from, to)

	// The scenario is what it says.
	if x.missed["RU"] != 1 || x.messages["flash"] != 2 || len(x.tiers) != 2 || !slices.Contains(x.findingCodes, "late") || x.measures["binding"] != 1 {
		t.Fatalf("scenario: missed %v, messages %v, encounters %v, findings %v, measures %v", x.missed, x.messages, x.tiers, x.findingCodes, x.measures)
	}

	t.Run("Numbers", func(t *testing.T) {
		for _, c := range r.Messages {
			if got, want := c.N, x.messages[c.Label]; got != want {
				t.Errorf("messages %s = %d, want %d", c.Label, got, want)
			}
		}
		for _, a := range r.Acks {
			if got, want := a.Missed, x.missed[a.Party]; got != want {
				t.Errorf("%s missed = %d, want %d", a.Party, got, want)
			}
			n := 0
			for _, v := range x.ackTimes[a.Party] {
				n += len(v)
			}
			if got := a.InTime + a.Late; got != n {
				t.Errorf("%s acknowledged %d (in time %d, late %d), want %d", a.Party, got, a.InTime, a.Late, n)
			}
			if v := x.ackTimes[a.Party]["flash"]; len(v) > 0 && a.MedianFlashS != med(v) {
				t.Errorf("%s median FLASH %v s, want %v", a.Party, a.MedianFlashS, med(v))
			}
			if v := x.ackTimes[a.Party]["immediate"]; len(v) > 0 && a.MedianImmediateS != med(v) {
				t.Errorf("%s median IMMEDIATE %v s, want %v", a.Party, a.MedianImmediateS, med(v))
			}
		}
		if len(r.Encounters) != len(x.tiers) {
			t.Fatalf("%d encounters, want %d", len(r.Encounters), len(x.tiers))
		}
		for _, e := range r.Encounters {
			if e.Tier != x.tiers[e.ID] || e.Domain != x.domains[e.ID] {
				t.Errorf("encounter %s: %s %s, want %s %s", e.ID, e.Domain, e.Tier, x.domains[e.ID], x.tiers[e.ID])
			}
		}
		if r.Opened != x.incOpened || r.Closed != x.incClosed {
			t.Errorf("incidents opened %d closed %d, want %d %d", r.Opened, r.Closed, x.incOpened, x.incClosed)
		}
		got := map[string]int{}
		for _, c := range r.FindingsByRegime() {
			got[c.Label] = c.N
		}
		if fmt.Sprint(got) != fmt.Sprint(x.findings) {
			t.Errorf("findings by regime %v, want %v", got, x.findings)
		}
		if len(r.Explanations) != x.explanations || r.Explanations[0].Answer == nil || x.answered != 1 {
			t.Errorf("explanations %+v, want %d answered %d", r.Explanations, x.explanations, x.answered)
		}
		if r.Bound != x.measures["binding"] || r.Proposed != x.measures["binding"]+x.measures["proposed"] {
			t.Errorf("measures proposed %d bound %d, want %v", r.Proposed, r.Bound, x.measures)
		}
		if got, want := r.Provenance.Size, int64(len(views)); got != want || !r.Provenance.SignatureChecked {
			t.Errorf("provenance size %d (signature checked %v), want %d", got, r.Provenance.SignatureChecked, want)
		}
	})

	t.Run("Classes", func(t *testing.T) {
		for _, e := range r.Encounters {
			switch e.ID {
			case "enc-sea-1":
				if e.ELN != report.Serious || e.Airprox != "" {
					t.Errorf("sea dangerous: ELN %q Airprox %q, want serious and none", e.ELN, e.Airprox)
				}
			case "enc-air-1":
				// 400 m and 50 m: inside the TCAS RA volume (1.1 NM, 700 ft), outside the NMAC box.
				if e.ELN != report.HighRisk || e.Airprox != "B" {
					t.Errorf("air critical: ELN %q Airprox %q, want high-risk and B", e.ELN, e.Airprox)
				}
			}
		}
	})

	dir := t.TempDir()
	htmlPath, pdfPath := filepath.Join(dir, "report.html"), filepath.Join(dir, "report.pdf")
	var hb, pb bytes.Buffer
	if err := r.WriteHTML(&hb); err != nil {
		t.Fatal(err)
	}
	if err := r.WritePDF(&pb); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(htmlPath, hb.Bytes(), 0o644)
	os.WriteFile(pdfPath, pb.Bytes(), 0o644)
	shots := artifacts(t)
	os.WriteFile(filepath.Join(shots, "report.pdf"), pb.Bytes(), 0o644)
	os.WriteFile(filepath.Join(shots, "report.html"), hb.Bytes(), 0o644)

	t.Run("PDF", func(t *testing.T) {
		pages := pdfPages(t, pdfPath)
		if pages < 3 {
			t.Fatalf("%d pages", pages)
		}
		for i := 1; i <= pages; i++ {
			out, err := exec.Command("pdftotext", "-layout", "-f", strconv.Itoa(i), "-l", strconv.Itoa(i), pdfPath, "-").CombinedOutput()
			if err != nil {
				t.Fatalf("pdftotext page %d: %v\n%s", i, err, out)
			}
			text := string(out)
			if !strings.Contains(text, fmt.Sprintf("page %d of %d", i, pages)) || !strings.Contains(text, "size "+strconv.FormatInt(r.Provenance.Size, 10)) {
				t.Errorf("page %d: no page number or provenance:\n%s", i, text)
			}
		}
		out, _ := exec.Command("pdftotext", "-layout", pdfPath, "-").CombinedOutput()
		text := string(out)
		total := 0
		for _, n := range x.messages {
			total += n
		}
		checkRow(t, "PDF", text, "Hotline messages", total)
		checkRow(t, "PDF", text, "Encounters", len(x.tiers))
		checkRow(t, "PDF", text, "Incidents opened", x.incOpened)
		checkRow(t, "PDF", text, "Findings", len(x.findingCodes))
		// The missed FLASH, in the table of missed acknowledgements.
		if !regexp.MustCompile(`#\d+\s+#\d+\s+message\s+FLASH\s+NATO\s.*\sRU\s*\n`).MatchString(text) {
			t.Errorf("PDF: no row for the missed FLASH:\n%s", text)
		}
		for _, want := range []string{"LADOGA-2027", "late", "Gotland caution area", "Explain the low pass", "Map of the period", r.Provenance.Root[:20]} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
		png := filepath.Join(shots, "report-pdf")
		if out, err := exec.Command("pdftoppm", "-r", "60", "-png", pdfPath, png).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
		t.Logf("PDF pages rendered to %s-*.png", png)
	})

	t.Run("Exports", func(t *testing.T) {
		var b bytes.Buffer
		r.WriteAcksCSV(&b)
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows[1:] {
			if got, want := row[4], strconv.Itoa(x.missed[row[0]]); got != want {
				t.Errorf("acks.csv %s missed %s, want %s", row[0], got, want)
			}
		}
		b.Reset()
		r.WriteFindingsCSV(&b)
		if rows, err := csv.NewReader(&b).ReadAll(); err != nil || len(rows)-1 != len(x.findingCodes) {
			t.Errorf("findings.csv: %d rows (%v), want %d", len(rows)-1, err, len(x.findingCodes))
		}
		b.Reset()
		r.WriteIncidentsCSV(&b)
		if rows, err := csv.NewReader(&b).ReadAll(); err != nil || len(rows)-1 != x.incOpened {
			t.Errorf("incidents.csv: %d rows (%v), want %d", len(rows)-1, err, x.incOpened)
		}
		b.Reset()
		r.WriteGeoJSON(&b)
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Geometry struct {
					Type string `json:"type"`
				} `json:"geometry"`
			} `json:"features"`
		}
		if err := json.Unmarshal(b.Bytes(), &fc); err != nil || fc.Type != "FeatureCollection" {
			t.Fatalf("geojson: %v %s", err, fc.Type)
		}
		kinds := map[string]int{}
		for _, f := range fc.Features {
			kinds[f.Geometry.Type]++
		}
		// Two encounters; the notified exercise area and the agreed zone.
		if kinds["Point"] != len(x.tiers) || kinds["Polygon"] != 2 {
			t.Errorf("geojson geometries %v, want %d points and 2 polygons", kinds, len(x.tiers))
		}
		b.Reset()
		r.WriteKML(&b)
		var k struct {
			Placemarks []struct {
				Name string `xml:"name"`
			} `xml:"Document>Placemark"`
		}
		if err := xml.Unmarshal(b.Bytes(), &k); err != nil || len(k.Placemarks) != len(fc.Features) {
			t.Errorf("kml: %v, %d placemarks, want %d", err, len(k.Placemarks), len(fc.Features))
		}
	})

	t.Run("Tampered", func(t *testing.T) {
		// NATO's first fetch logged its seen envelopes; this one logs none
		// more, so the log and the checkpoint below agree.
		views, err := w.clients["NATO"].Envelopes(context.Background(), "ru-nato", 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		envs := envelopes(t, views)
		i := slices.IndexFunc(envs, func(e *deconflict.Envelope) bool { return bytes.Contains(e.Payload, []byte(`"flash"`)) })
		envs[i].Payload = bytes.Replace(envs[i].Payload, []byte(`"flash"`), []byte(`"routine"`), 1)
		ch := &deconflict.Channel{ID: "ru-nato", Members: []string{"RU", "NATO"}}
		cp, _ := w.clients["NATO"].Checkpoint(context.Background(), "ru-nato")
		_, err = report.Build(report.Input{Channel: ch, Checkpoint: cp, Envelopes: envs, From: from, To: to})
		if err == nil || !strings.Contains(err.Error(), "not the checkpoint's") {
			t.Fatalf("a changed envelope: %v, want a root mismatch", err)
		}
	})

	t.Run("Browser", func(t *testing.T) {
		chromium := os.Getenv("DECONFLICT_CHROMIUM")
		if chromium == "" {
			chromium = "/usr/bin/chromium"
		}
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 900),
			chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
			chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
		defer cancelAlloc()
		bctx, cancelB := chromedp.NewContext(alloc)
		defer cancelB()
		if err := chromedp.Do(bctx, chromedp.Navigate("file://"+htmlPath)); err != nil {
			t.Fatalf("chromium %s: %v", chromium, err)
		}
		eval := func(expr string) string {
			v, err := chromedp.Run(bctx, chromedp.Evaluate[string](expr))
			if err != nil {
				t.Fatalf("%s: %v", expr, err)
			}
			return v
		}
		// Self-contained: the page loaded nothing.
		if got := eval(`String(performance.getEntriesByType("resource").length)`); got != "0" {
			t.Errorf("the page loaded %s resources, want none", got)
		}
		// Four figures drawn, each with a text equivalent; the map has
		// coastlines (many paths) and one dot per encounter.
		if got := eval(`String(document.querySelectorAll("figure svg[role=img]").length)`); got != "4" {
			t.Errorf("%s figures, want 4", got)
		}
		if got := eval(`String(document.querySelectorAll("figure details table").length)`); got != "4" {
			t.Errorf("%s text equivalents, want 4", got)
		}
		// Land: Sweden, Finland, the Baltic states, Poland, Russia, Germany, Denmark's islands...
		if n, _ := strconv.Atoi(eval(`String(document.querySelectorAll("#fig-map path[fill='#e8e4d8']").length)`)); n < 8 {
			t.Errorf("map: %d land shapes, want the basemap's Baltic coasts", n)
		}
		if got := eval(`String(document.querySelectorAll("#fig-map circle").length)`); got != strconv.Itoa(len(x.tiers)) {
			t.Errorf("map: %s encounter dots, want %d", got, len(x.tiers))
		}
		if got := eval(`String(document.querySelectorAll("#fig-weeks path[fill]").length > 2)`); got != "true" {
			t.Errorf("week chart drew no bars")
		}
		if got := eval(`String([...document.querySelectorAll("th[scope=col]")].length > 20)`); got != "true" {
			t.Errorf("tables without column headers")
		}
		body := eval(`document.body.innerText`)
		checkRow(t, "HTML", strings.ReplaceAll(body, "\t", "  "), "Hotline messages", sum(x.messages))
		checkRow(t, "HTML", strings.ReplaceAll(body, "\t", "  "), "Encounters", len(x.tiers))
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(shots, "report-html.png")
		os.WriteFile(path, png, 0o644)
		t.Logf("screenshot %s", path)

		// Printed, the stylesheet starts each section on a new page and
		// puts the provenance at the foot of every page.
		printed, err := chromedp.Run(bctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			yes := true
			r, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
			if err != nil {
				return nil, err
			}
			return r.Data, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		printPath := filepath.Join(dir, "printed.pdf")
		os.WriteFile(printPath, printed, 0o644)
		pages := pdfPages(t, printPath)
		if pages < len(r.Doc().Sections) {
			t.Errorf("printed: %d pages for %d sections", pages, len(r.Doc().Sections))
		}
		for i := 1; i <= pages; i++ {
			out, _ := exec.Command("pdftotext", "-f", strconv.Itoa(i), "-l", strconv.Itoa(i), printPath, "-").CombinedOutput()
			if !strings.Contains(string(out), "Built from checkpoint") {
				t.Errorf("printed page %d has no provenance:\n%s", i, out)
			}
		}
		exec.Command("pdftoppm", "-r", "50", "-f", "1", "-l", "3", "-png", printPath, filepath.Join(shots, "report-printed")).Run()
	})
}

// pdfPages returns the page count pdfinfo reads.
func pdfPages(t *testing.T, path string) int {
	t.Helper()
	info, err := exec.Command("pdfinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo %s: %v\n%s", path, err, info)
	}
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo %s: no page count:\n%s", path, info)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// checkRow finds "label  N" in rendered text and compares N.
func checkRow(t *testing.T, what, text, label string, want int) {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(label) + `\s+(\d+)`).FindStringSubmatch(text)
	if m == nil {
		t.Errorf("%s: no row %q", what, label)
		return
	}
	if got, _ := strconv.Atoi(m[1]); got != want {
		t.Errorf("%s: %s %d, want %d", what, label, got, want)
	}
}
