package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Doc is the report's content as both renderers lay it out: the HTML and
// the PDF are made from the same Doc.
type Doc struct {
	Title      string
	Subtitle   string
	Provenance string // the line on every page
	Sections   []Section
}

// Section is a titled part; each starts a new printed page except the first.
type Section struct {
	ID     string
	Title  string
	Blocks []Block
}

// Block is a Para, a Table or a Figure.
type Block interface{ block() }

// Para is a paragraph of plain text.
type Para struct{ Text string }

// Table is a table with a header row; Caption names it.
type Table struct {
	Caption string
	Head    []string
	Rows    [][]string
	Numeric []bool // right-aligned columns
}

// Figure is a chart or map with its text equivalent (a table).
type Figure struct {
	ID      string
	Title   string
	Desc    string
	Scene   *Scene
	Legend  []LegendItem
	Text    *Table
	Caption string
}

// LegendItem is a colour and what it means.
type LegendItem struct {
	Color Color
	Label string
}

func (*Para) block()   {}
func (*Table) block()  {}
func (*Figure) block() {}

func day(t time.Time) string   { return t.UTC().Format("2006-01-02") }
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func secs(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	switch {
	case v < 120:
		return fmt.Sprintf("%.0f s", v)
	case v < 7200:
		return fmt.Sprintf("%.1f min", v/60)
	}
	return fmt.Sprintf("%.1f h", v/3600)
}

func meters(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.0f m", v)
}

func itoa(i int) string  { return strconv.Itoa(i) }
func i64(i int64) string { return strconv.FormatInt(i, 10) }
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Doc returns the report's content.
func (r *Report) Doc() *Doc {
	d := &Doc{
		Title:      "Record of channel " + r.Channel,
		Subtitle:   fmt.Sprintf("%s to %s (UTC, end exclusive). Members: %s. Read with the key of %s; made %s.", stamp(r.From), stamp(r.To), strings.Join(r.Members, ", "), orDash(r.Member), stamp(r.Generated)),
		Provenance: r.Provenance.Line(),
	}
	d.Sections = append(d.Sections, r.summary(), r.hotline(), r.encounterSection(), r.regimeSection(), r.provenanceSection())
	return d
}

func (r *Report) summary() Section {
	var msgs []string
	total := 0
	for _, c := range r.Messages {
		msgs = append(msgs, fmt.Sprintf("%d %s", c.N, c.Label))
		total += c.N
	}
	tiers, counts := r.EncounterCounts()
	var encs []string
	for i, t := range tiers {
		for j, dom := range Domains {
			if counts[i][j] > 0 {
				encs = append(encs, fmt.Sprintf("%d %s %s", counts[i][j], t, dom))
			}
		}
	}
	missed := 0
	for _, a := range r.Acks {
		missed += a.Missed
	}
	var nots []string
	for _, c := range r.NotificationsByRegime() {
		nots = append(nots, fmt.Sprintf("%d %s", c.N, c.Label))
	}
	answered := 0
	for _, x := range r.Explanations {
		if x.Answer != nil {
			answered++
		}
	}
	t := &Table{Caption: "Summary of the period", Head: []string{"What", "Count", "Detail"}, Numeric: []bool{false, true, false}, Rows: [][]string{
		{"Hotline messages", itoa(total), orDash(strings.Join(msgs, ", "))},
		{"Missed acknowledgements (party-duties)", itoa(missed), fmt.Sprintf("%d missed-ack records", len(r.MissedAcks))},
		{"Encounters", itoa(len(r.Encounters)), orDash(strings.Join(encs, ", "))},
		{"Incidents opened", itoa(r.Opened), ""},
		{"Incidents closed", itoa(r.Closed), ""},
		{"Notifications", itoa(len(r.Notifications)), orDash(strings.Join(nots, ", "))},
		{"Findings", itoa(len(r.Findings)), orDash(countList(r.FindingsByRegime()))},
		{"Explanation requests", itoa(len(r.Explanations)), fmt.Sprintf("%d answered (requests for explanation and hazard reports)", answered)},
		{"Measures proposed", itoa(r.Proposed), ""},
		{"Measures bound", itoa(r.Bound), ""},
		{"Measures withdrawn", itoa(r.WithdrawnN), ""},
		{"Link tests", itoa(r.LinkTests), orDash(linkSummary(r.Availability))},
	}}
	ack := &Table{Caption: "Acknowledgements per party", Head: []string{"Party", "Due", "In time", "Late", "Missed", "Median FLASH", "Median IMMEDIATE"},
		Numeric: []bool{false, true, true, true, true, true, true}}
	for _, a := range r.Acks {
		ack.Rows = append(ack.Rows, []string{a.Party, itoa(a.Due), itoa(a.InTime), itoa(a.Late), itoa(a.Missed), secs(a.MedianFlashS), secs(a.MedianImmediateS)})
	}
	return Section{ID: "summary", Title: "Summary", Blocks: []Block{
		&Para{"Everything below is computed from the signed envelopes of the channel's log up to the checkpoint named at the foot of every page; any member can rebuild it from the same log. Times are the node's receipt times."},
		t, ack,
	}}
}

func countList(cs []Count) string {
	var s []string
	for _, c := range cs {
		s = append(s, fmt.Sprintf("%d %s", c.N, c.Label))
	}
	return strings.Join(s, ", ")
}

func (r *Report) hotline() Section {
	missed := &Table{Caption: "Missed acknowledgements", Head: []string{"Record", "Message", "Kind", "Precedence", "From", "Sent", "Recorded", "Not acknowledged by"}}
	for _, m := range r.MissedAcks {
		missed.Rows = append(missed.Rows, []string{"#" + i64(m.Index), "#" + i64(m.Message), m.Kind, strings.ToUpper(string(m.Precedence)), Signer(m.Author, m.Officer), stamp(m.Sent), stamp(m.Recorded), strings.Join(m.Missing, ", ")})
	}
	blocks := []Block{r.ackFigure()}
	if len(missed.Rows) == 0 {
		blocks = append(blocks, &Para{"No acknowledgement was missed in the period."})
	} else {
		blocks = append(blocks, missed)
	}
	if len(r.Officers) > 0 {
		off := &Table{Caption: "Officers who signed for their party (the officer is part of the party's signed envelope)", Head: []string{"Party", "Officer", "Messages", "Acknowledgements", "Other"}, Numeric: []bool{false, false, true, true, true}}
		for _, o := range r.Officers {
			off.Rows = append(off.Rows, []string{o.Party, o.Officer, itoa(o.Messages), itoa(o.Acks), itoa(o.Other)})
		}
		blocks = append(blocks, off)
	}
	if r.LinkTests > 0 {
		lt := &Table{Caption: "Link tests: each member's availability (answers received within the test's time to answer)", Head: []string{"Party", "Tests", "In time", "Late", "Unanswered", "Availability", "Longest delay in time"},
			Numeric: []bool{false, true, true, true, true, true, true}}
		for _, a := range r.Availability {
			pct := "-"
			if a.Tests > 0 {
				pct = fmt.Sprintf("%.1f%%", a.Percent())
			}
			lt.Rows = append(lt.Rows, []string{a.Party, itoa(a.Tests), itoa(a.InTime), itoa(a.Late), itoa(a.Missed), pct, secs(a.MaxDelay.Seconds())})
		}
		blocks = append(blocks, lt)
	} else {
		blocks = append(blocks, &Para{"No link test closed in the period."})
	}
	if len(r.Attachments) > 0 {
		att := &Table{Caption: "Files attached (the signed message names each file's SHA-256; the file is kept apart from the log)", Head: []string{"Message", "From", "File", "Type", "Bytes", "SHA-256"}, Numeric: []bool{false, false, false, false, true, false}}
		for _, a := range r.Attachments {
			att.Rows = append(att.Rows, []string{"#" + i64(a.Index), Signer(a.Author, a.Officer), a.Name, a.Type, i64(a.Size), a.SHA256})
		}
		blocks = append(blocks, att)
	}
	return Section{ID: "hotline", Title: "Hotline and acknowledgements", Blocks: blocks}
}

func (r *Report) encounterSection() Section {
	t := &Table{Caption: "Encounters", Head: []string{"First alert", "Tracks", "Parties", "Domain", "Tier", "ELN class", "Airprox", "Closest seen", "Explained by"}}
	for _, e := range r.Encounters {
		t.Rows = append(t.Rows, []string{stamp(e.First), e.A + " / " + orDash(e.B), e.PartyA + " / " + orDash(e.PartyB), e.Domain, e.Tier, e.ELN, orDash(e.Airprox), meters(e.ClosestM), orDash(strings.Join(e.Explained, "; "))})
	}
	inc := &Table{Caption: "Incidents with their timeline in brief", Head: []string{"Incident", "Parties", "Domain", "Tier", "ELN class", "Opened", "Closed", "Timeline"}}
	for _, i := range r.Incidents {
		closed := "open"
		if i.Closed != nil {
			closed = stamp(*i.Closed)
		}
		tl := i.Timeline
		if len(tl) > 12 {
			tl = append(slices.Clone(tl[:11]), fmt.Sprintf("... %d more", len(i.Timeline)-11))
		}
		inc.Rows = append(inc.Rows, []string{i.ID, i.PartyA + " / " + orDash(i.PartyB), i.Domain, i.Tier, i.ELN, stamp(i.Opened), closed, strings.Join(tl, "; ")})
	}
	blocks := []Block{r.weekFigure(), r.mapFigure()}
	if len(t.Rows) > 0 {
		blocks = append(blocks, t)
	} else {
		blocks = append(blocks, &Para{"No encounter was alerted in the period."})
	}
	if len(inc.Rows) > 0 {
		blocks = append(blocks, inc)
	}
	blocks = append(blocks, &Para{"ELN classes (European Leadership Network): advisory is near-routine; warning and dangerous are serious; critical, near mid-air collision and zone intrusion are high-risk. ICAO Airprox risk classes for air encounters follow from the closest separation the alerts observed: A within 500 ft horizontally and 100 ft vertically, B within 1.1 NM and 700 ft, C beyond, D when the separation is not known. These are the classes the numbers point to, not an assessment by a board."})
	return Section{ID: "encounters", Title: "Encounters and incidents", Blocks: blocks}
}

func (r *Report) regimeSection() Section {
	n := &Table{Caption: "Notifications", Head: []string{"Index", "Regime", "State", "Designation", "Received", "Window", "Findings"}}
	for _, x := range r.Notifications {
		win := "-"
		if !x.Start.IsZero() {
			win = day(x.Start) + " to " + day(x.End)
		}
		n.Rows = append(n.Rows, []string{"#" + i64(x.Index), x.Regime, x.State, orDash(x.Designation), stamp(x.Received), win, orDash(strings.Join(x.Findings, ", "))})
	}
	f := &Table{Caption: "Findings with the rule they cite", Head: []string{"Index", "Code", "Rule", "Regime", "About", "State", "Time", "Text"}}
	for _, x := range r.Findings {
		var about []string
		for _, a := range x.About {
			about = append(about, "#"+i64(a))
		}
		f.Rows = append(f.Rows, []string{"#" + i64(x.Index), x.Code, orDash(x.Rule), x.Regime, strings.Join(about, ", "), x.State, stamp(x.Time), x.Text})
	}
	e := &Table{Caption: "Requests for explanation and hazard reports, and their answers", Head: []string{"Index", "Regime", "From", "To", "Request", "Received", "Answered", "Answer"}}
	for _, x := range r.Explanations {
		ans, text := "not answered", "-"
		if x.Answer != nil {
			ans = fmt.Sprintf("%s by %s after %s", stamp(x.Answer.Received), Signer(x.Answer.Author, x.Answer.Officer), secs(x.Answer.Received.Sub(x.Received).Seconds()))
			text = orDash(x.Answer.Text)
		}
		e.Rows = append(e.Rows, []string{"#" + i64(x.Index), x.Regime, x.State, orDash(x.To), x.Text, stamp(x.Received), ans, text})
	}
	m := &Table{Caption: "Measures", Head: []string{"Index", "Kind", "State", "Proposed by", "Proposed", "Bound", "Withdrawn", "Terms"}}
	for _, x := range r.Measures {
		bound, wd := "-", "-"
		if x.BoundAt != nil {
			bound = stamp(*x.BoundAt)
		}
		if x.Withdrawn != nil {
			wd = stamp(*x.Withdrawn) + " by " + x.WithdrawnBy
		}
		m.Rows = append(m.Rows, []string{"#" + i64(x.Index), x.Kind, x.State, x.ProposedBy, stamp(x.Proposed), bound, wd, string(x.Terms)})
	}
	blocks := []Block{r.findingFigure()}
	for _, t := range []*Table{n, f, e, m} {
		if len(t.Rows) > 0 {
			blocks = append(blocks, t)
		} else {
			blocks = append(blocks, &Para{t.Caption + ": none in the period."})
		}
	}
	return Section{ID: "regimes", Title: "Notifications, findings and measures", Blocks: blocks}
}

func (r *Report) provenanceSection() Section {
	t := &Table{Caption: "The checkpoint this report was built from", Head: []string{"Field", "Value"}, Rows: [][]string{
		{"Origin", r.Provenance.Origin},
		{"Size", i64(r.Provenance.Size)},
		{"Root hash", r.Provenance.Root},
		{"Node signature checked", map[bool]string{true: "yes, with the node's key, when the report was made", false: "no (no node key given)"}[r.Provenance.SignatureChecked]},
	}}
	for _, s := range r.Provenance.Signatures {
		what := "Cosignature"
		if f := strings.Fields(s); len(f) == 3 && f[1] == r.Provenance.Origin {
			what = "Node signature"
		}
		t.Rows = append(t.Rows, []string{what, s})
	}
	return Section{ID: "provenance", Title: "Provenance", Blocks: []Block{
		&Para{fmt.Sprintf("The report was built from the first %d envelopes of the channel's log, whose leaf hashes were checked to make the root hash of the signed checkpoint below. Check it with: deconflict verify --channel %s, and compare the checkpoint it prints.", r.Provenance.Size, r.Channel)},
		t,
		&Para{"Checkpoint as signed:\n" + strings.TrimRight(r.Provenance.Text, "\n")},
	}}
}

// weeks returns the Monday 00:00 UTC of every week that meets the period.
func (r *Report) weeks() []time.Time {
	t := r.From.UTC().Truncate(24 * time.Hour)
	for t.Weekday() != time.Monday {
		t = t.Add(-24 * time.Hour)
	}
	var out []time.Time
	for ; t.Before(r.To); t = t.Add(7 * 24 * time.Hour) {
		out = append(out, t)
		if len(out) > 520 {
			break
		}
	}
	return out
}

func weekOf(weeks []time.Time, t time.Time) int {
	for i := len(weeks) - 1; i >= 0; i-- {
		if !t.Before(weeks[i]) {
			return i
		}
	}
	return -1
}

func (r *Report) weekFigure() *Figure {
	weeks := r.weeks()
	tiers, _ := r.EncounterCounts()
	// counts[week][domain][tier]
	counts := make([][][]int, len(weeks))
	for i := range counts {
		counts[i] = make([][]int, len(Domains))
		for j := range counts[i] {
			counts[i][j] = make([]int, len(tiers))
		}
	}
	maxN := 0
	for _, e := range r.Encounters {
		w := weekOf(weeks, e.First)
		if w < 0 {
			continue
		}
		counts[w][slices.Index(Domains, e.Domain)][slices.Index(tiers, e.Tier)]++
	}
	for _, w := range counts {
		for _, d := range w {
			n := 0
			for _, c := range d {
				n += c
			}
			maxN = max(maxN, n)
		}
	}
	text := &Table{Caption: "Encounters per week (week starting, domain, tier)", Head: append([]string{"Week of", "Domain"}, tiers...)}
	for i, w := range weeks {
		for j, dom := range Domains {
			row := []string{day(w), dom}
			any := false
			for k := range tiers {
				row = append(row, itoa(counts[i][j][k]))
				any = any || counts[i][j][k] > 0
			}
			if any {
				text.Rows = append(text.Rows, row)
			}
		}
	}
	s := &Scene{W: 520, H: 220}
	left, top, bottom := 36.0, 12.0, 180.0
	ymax := niceMax(float64(maxN))
	yticks := []float64{0, ymax}
	if math.Mod(ymax, 2) == 0 {
		yticks = append(yticks, ymax/2) // counts: whole numbers only
	}
	for _, v := range yticks {
		y := bottom - v/ymax*(bottom-top)
		s.line(left, y, s.W-4, y, light, 0.5)
		s.text(left-4, y+3, f2(v), 8, "end", black)
	}
	gw := (s.W - left - 8) / float64(max(len(weeks), 1))
	bw := math.Min(gw/4, 24)
	for i, w := range weeks {
		x0 := left + 4 + float64(i)*gw
		for j, dom := range Domains {
			x := x0 + float64(j)*(bw+1)
			y := bottom
			for k, t := range tiers {
				n := counts[i][j][k]
				if n == 0 {
					continue
				}
				h := float64(n) / ymax * (bottom - top)
				s.rect(x, y-h, bw, h, tierColor(t), fmt.Sprintf("week of %s, %s, %s: %d", day(w), dom, t, n))
				y -= h
			}
			if len(weeks) <= 8 {
				s.text(x+bw/2, bottom+10, map[string]string{"sea": "S", "air": "A", "air-sea": "AS"}[dom], 7, "middle", grey)
			}
		}
		if len(weeks) <= 12 || i%(len(weeks)/12+1) == 0 {
			s.text(x0, bottom+22, w.Format("Jan 2"), 8, "start", black)
		}
	}
	s.line(left, bottom, s.W-4, bottom, black, 0.8)
	var legend []LegendItem
	for _, t := range tiers {
		legend = append(legend, LegendItem{tierColor(t), t})
	}
	return &Figure{ID: "fig-weeks", Title: "Encounters per week by tier and domain", Scene: s, Legend: legend, Text: text,
		Desc:    fmt.Sprintf("Stacked bars, one per domain (S sea, A air, AS air-sea) in each of %d weeks; colours are tiers. %d encounters in all.", len(weeks), len(r.Encounters)),
		Caption: "Bars: S sea, A air, AS air-sea; stacked by tier."}
}

func (r *Report) ackFigure() *Figure {
	text := &Table{Caption: "Time to acknowledge per party", Head: []string{"Party", "Acknowledgements", "Median", "Longest", "Median FLASH", "Median IMMEDIATE"}, Numeric: []bool{false, true, true, true, true, true}}
	maxS := 0.0
	for _, a := range r.Acks {
		text.Rows = append(text.Rows, []string{a.Party, itoa(len(a.TimesS)), secs(median(a.TimesS)), secs(slices.Max(append([]float64{math.NaN()}, a.TimesS...))), secs(a.MedianFlashS), secs(a.MedianImmediateS)})
		for _, v := range a.TimesS {
			maxS = math.Max(maxS, v)
		}
	}
	for i := range text.Rows {
		if len(r.Acks[i].TimesS) > 0 {
			text.Rows[i][3] = secs(slices.Max(r.Acks[i].TimesS))
		}
	}
	rowH := 26.0
	s := &Scene{W: 520, H: 40 + rowH*float64(len(r.Acks))}
	left, right := 60.0, 500.0
	// A logarithmic axis: acknowledgements within seconds and within
	// hours both stay readable.
	ticks := []float64{1, 10, 60, 600, 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600}
	xmax := 60.0
	for _, tk := range ticks {
		if xmax < maxS {
			xmax = tk
		}
	}
	xmax = math.Max(xmax, maxS)
	x := func(v float64) float64 { return left + math.Log10(math.Max(v, 1))/math.Log10(xmax)*(right-left) }
	for _, v := range ticks {
		if v > xmax {
			break
		}
		s.line(x(v), 6, x(v), s.H-24, light, 0.5)
		s.text(x(v), s.H-12, secs(v), 8, "middle", black)
	}
	for i, a := range r.Acks {
		y := 16 + float64(i)*rowH
		s.text(left-6, y+4, a.Party, 9, "end", black)
		s.line(left, y, right, y, light, 0.5)
		for _, v := range a.TimesS {
			s.circle(x(v), y, 3, notified, fmt.Sprintf("%s acknowledged after %s", a.Party, secs(v)))
		}
		if m := median(a.TimesS); !math.IsNaN(m) {
			s.Shapes = append(s.Shapes, Shape{Kind: shapePath, Pts: [][2]float64{{x(m), y - 8}, {x(m), y + 8}}, Stroke: cp(black), Width: 2, Title: a.Party + " median " + secs(m)})
		}
	}
	return &Figure{ID: "fig-acks", Title: "Time to acknowledge per party", Scene: s, Text: text,
		Legend:  []LegendItem{{notified, "one acknowledgement"}, {black, "median (bar)"}},
		Desc:    "One dot per acknowledgement of a message, alert or notification, by time from its receipt on a logarithmic axis; the bar is the party's median.",
		Caption: "Dots: acknowledgements; bar: median; the time axis is logarithmic."}
}

func (r *Report) findingFigure() *Figure {
	cs := r.FindingsByRegime()
	text := &Table{Caption: "Findings per regime", Head: []string{"Regime", "Findings"}, Numeric: []bool{false, true}}
	maxN := 0
	for _, c := range cs {
		text.Rows = append(text.Rows, []string{c.Label, itoa(c.N)})
		maxN = max(maxN, c.N)
	}
	rowH := 22.0
	s := &Scene{W: 520, H: 30 + rowH*float64(max(len(cs), 1))}
	left, right := 120.0, 480.0
	xmax := niceMax(float64(maxN))
	for i, c := range cs {
		y := 8 + float64(i)*rowH
		s.text(left-6, y+12, c.Label, 9, "end", black)
		w := float64(c.N) / xmax * (right - left)
		s.rect(left, y, w, rowH-6, zoneCol, fmt.Sprintf("%s: %d findings", c.Label, c.N))
		s.text(left+w+4, y+12, itoa(c.N), 9, "start", black)
	}
	if len(cs) == 0 {
		s.text(left, 20, "no findings in the period", 9, "start", grey)
	}
	s.line(left, 4, left, s.H-20, black, 0.8)
	s.text(left, s.H-8, "0", 8, "middle", black)
	s.text(right, s.H-8, f2(xmax), 8, "middle", black)
	return &Figure{ID: "fig-findings", Title: "Findings per regime", Scene: s, Text: text,
		Desc: fmt.Sprintf("Horizontal bars: the number of findings per regime, %d in all.", len(r.Findings))}
}
