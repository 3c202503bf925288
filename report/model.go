// Package report builds the record of a channel over a period, as people
// read it at a Council or review meeting, from the channel's envelopes
// (read through the API with a member's key, so it holds nothing that
// member could not read), and renders it as self-contained HTML, as PDF
// (a small writer of its own: no PDF library is among the project's
// dependencies), and as CSV, GeoJSON and KML exports. It is pure: no
// storage, no network; the caller reads the log and the checkpoint.
package report

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/record"
	"github.com/deconflict/deconflict/regime"
)

// Input is what a report is built from.
type Input struct {
	Channel *deconflict.Channel
	// Checkpoint is the channel's signed checkpoint (C2SP signed note)
	// the report is built from; Envelopes are the log's entries 0 to its
	// size-1, in index order. Build checks that their leaf hashes make
	// the checkpoint's root.
	Checkpoint []byte
	Envelopes  []*deconflict.Envelope
	From, To   time.Time // the period, [From, To)
	Member     string    // the party whose key read the log
	Generated  time.Time // when the report was made
	// NodeKey is the node's public key; when given, Build checks that it
	// signed the checkpoint.
	NodeKey ed25519.PublicKey
	// Basemap is the TopoJSON world map the console embeds (nil: the map
	// shows no coastlines).
	Basemap []byte
}

// Provenance is the checkpoint a report was built from.
type Provenance struct {
	Origin     string
	Size       int64
	Root       string   // base64, as in the checkpoint
	Signatures []string // the note's signature lines, the node's and any cosignatures
	Text       string   // the checkpoint as signed
	// SignatureChecked: the node's signature was checked with its key.
	SignatureChecked bool
}

// Line returns the provenance in one line, as every page carries it: the
// origin, size, root hash, the node's signature and who cosigned.
func (p Provenance) Line() string {
	sig := ""
	var cosigners []string
	for _, l := range p.Signatures {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		if f[1] == p.Origin && sig == "" {
			sig = f[2]
		} else {
			cosigners = append(cosigners, f[1])
		}
	}
	line := fmt.Sprintf("checkpoint %s size %d root %s sig %s", p.Origin, p.Size, p.Root, sig)
	if len(cosigners) > 0 {
		line += "; cosigned by " + strings.Join(cosigners, ", ")
	}
	return line
}

// AckStats are one party's acknowledgements of the period's messages,
// alerts and notifications it had to acknowledge (the kinds the node
// keeps acknowledgement duties for).
type AckStats struct {
	Party  string
	Due    int // messages and alerts the party had to acknowledge
	InTime int // acknowledged with no missed-ack record naming the party
	Late   int // acknowledged after a missed-ack record named the party
	Missed int // named by a missed-ack record (late ones included)
	// MedianFlashS and MedianImmediateS are the median times (s) from
	// the message's receipt to the party's acknowledgement's; NaN: none.
	MedianFlashS, MedianImmediateS float64
	TimesS                         []float64 // every acknowledgement time (s), in log order
}

// Missed is a missed acknowledgement: a node-signed missed-ack record.
type Missed struct {
	Index      int64 // the missed-ack record's index
	Message    int64 // the message's (or alert's) index
	Kind       string
	Precedence deconflict.Precedence
	Author     string
	Officer    string // the officer of Author who sent it ("" if it names none)
	Sent       time.Time
	Recorded   time.Time
	Missing    []string
	Text       string
}

// Attached is a file a message or note of the period attaches, as its
// signed payload names it: the record holds the file's SHA-256, not its
// bytes.
type Attached struct {
	Index   int64 // the message's or note's index
	Author  string
	Officer string
	deconflict.Attachment
}

// Encounter is an encounter the period's alerts report.
type Encounter struct {
	ID, Incident   string
	A, B           string
	PartyA, PartyB string
	Domain         string
	Kind           string // approach or zone (a zone alert names its zone)
	Zone           string
	Tier           string // the highest severity the alerts reached
	First          time.Time
	// Lat, Lon: the midpoint of the two positions at the alert that saw
	// them closest (NaN when no alert had both positions).
	Lat, Lon  float64
	ClosestM  float64 // the least distance an alert observed (m; NaN unknown)
	VerticalM float64 // the vertical separation at that alert (m; NaN unknown)
	ELN       string  // the European Leadership Network's class (ELNClass)
	Airprox   string  // the ICAO Airprox risk class for air encounters (AirproxClass), else ""
	Explained []string
}

// Incident is a case opened by an encounter alert.
type Incident struct {
	ID             string
	PartyA, PartyB string
	A, B           string
	Domain         string
	Tier           string
	ELN            string
	Opened         time.Time
	Closed         *time.Time
	Timeline       []string // in brief: "12:01 opened advisory", "12:02 ack US"
}

// Notification is a notification of the period with its findings.
type Notification struct {
	Index       int64
	Regime      string
	State       string
	Designation string
	Received    time.Time
	Start, End  time.Time
	Areas       []*regime.Area
	Findings    []string // codes
}

// Finding is a node-signed compliance finding.
type Finding struct {
	Index int64
	regime.Finding
}

// Explanation is a request for explanation (vd11-explanation) or a
// hazardous-incident report asking for clarification (vd11-hazard), and
// its answer.
type Explanation struct {
	Index    int64
	Regime   string
	State    string // who asks
	To       string // who is asked
	Text     string
	Received time.Time
	Answer   *Response // the first answer, nil if none in the log
}

// Response is a member's response to a notification.
type Response struct {
	Index    int64
	Author   string
	Officer  string // the officer of Author who signed it ("" if none named)
	Kind     string
	Text     string
	Received time.Time
}

// OfficerStats counts what one officer of a party signed for it in the
// period (envelopes whose payload names the officer): messages sent,
// acknowledgements, and everything else (notes, notifications,
// responses, measures).
type OfficerStats struct {
	Party, Officer string
	Messages, Acks int
	Other          int
}

// Measure is a measure's state at the end of the period.
type Measure struct {
	regime.MeasureState
	Proposed  time.Time
	BoundAt   *time.Time // when it became binding
	Withdrawn *time.Time // when it was withdrawn from
}

// Count is a label and a number.
type Count struct {
	Label string
	N     int
}

// Report is the record of a channel over a period.
type Report struct {
	Channel    string
	Members    []string
	From, To   time.Time
	Member     string
	Generated  time.Time
	Provenance Provenance

	Messages      []Count // by precedence, flash first
	Acks          []AckStats
	MissedAcks    []Missed
	Officers      []OfficerStats // by party, then officer
	Attachments   []Attached     // files attached to messages and notes of the period, in log order
	Encounters    []Encounter
	Incidents     []Incident // opened, or still open, in the period
	Opened        int        // incidents opened in the period
	Closed        int        // incidents closed in the period
	Notifications []Notification
	Findings      []Finding
	Explanations  []Explanation
	Measures      []Measure
	Proposed      int            // measures proposed in the period
	Bound         int            // measures that became binding in the period
	WithdrawnN    int            // measures withdrawn from in the period
	LinkTests     int            // link tests of the period whose time to answer is over
	Availability  []Availability // per member, when LinkTests > 0 (linktest.go)

	basemap []byte
}

// Tiers lists the encounter tiers from the lowest (detect's severities).
var Tiers = []string{"advisory", "warning", "dangerous", "critical", "nmac", "intrusion"}

// Domains lists the encounter domains.
var Domains = []string{"sea", "air", "air-sea"}

// ELN incident classes (European Leadership Network, "Dangerous Brinkmanship", 2014).
const (
	NearRoutine = "near-routine"
	Serious     = "serious"
	HighRisk    = "high-risk"
)

// ELNClass maps an encounter tier to the European Leadership Network's
// incident class: advisory (a close pass inside ordinary separation) is
// near-routine; warning and dangerous (a TCAS traffic advisory, a ship
// within half a mile, an aircraft low over a ship) are serious; critical,
// a near mid-air collision and a zone intrusion are high-risk.
func ELNClass(tier string) string {
	switch tier {
	case "advisory":
		return NearRoutine
	case "warning", "dangerous":
		return Serious
	case "critical", "nmac", "intrusion":
		return HighRisk
	}
	return ""
}

// AirproxClass returns the ICAO Airprox risk class (Doc 4444 and the
// Airprox boards' A to D) that the separation alone allows for an air
// encounter: A (risk of collision) within the FAA near mid-air collision
// box (500 ft horizontally and 100 ft vertically), B (safety not
// assured) within the TCAS resolution advisory volume (1.1 NM and 700
// ft), C (no risk of collision) beyond, D (risk not determined) when the
// separation is not known. A board weighs more than separation; this is
// the class the numbers point to, not a board's assessment.
func AirproxClass(horizontalM, verticalM float64) string {
	if math.IsNaN(horizontalM) || math.IsNaN(verticalM) {
		return "D"
	}
	v := math.Abs(verticalM)
	switch {
	case horizontalM < 500*0.3048 && v < 100*0.3048:
		return "A"
	case horizontalM < 1.1*1852 && v < 700*0.3048:
		return "B"
	}
	return "C"
}

// ParseCheckpoint reads a C2SP checkpoint's origin, size, root and
// signature lines. EINVALID if it is not one.
func ParseCheckpoint(b []byte) (Provenance, error) {
	text := string(b)
	body, sigs, ok := strings.Cut(text, "\n\n")
	if !ok {
		return Provenance{}, deconflict.Errorf(deconflict.EINVALID, "checkpoint: no blank line before the signatures")
	}
	lines := strings.Split(body, "\n")
	if len(lines) < 3 {
		return Provenance{}, deconflict.Errorf(deconflict.EINVALID, "checkpoint: %d lines before the signatures, want at least 3", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return Provenance{}, deconflict.Errorf(deconflict.EINVALID, "checkpoint: size %.40q is not a non-negative integer", lines[1])
	}
	if r, err := base64.StdEncoding.DecodeString(lines[2]); err != nil || len(r) != 32 {
		return Provenance{}, deconflict.Errorf(deconflict.EINVALID, "checkpoint: root %.60q is not 32 base64 bytes", lines[2])
	}
	p := Provenance{Origin: lines[0], Size: size, Root: lines[2], Text: text}
	for _, l := range strings.Split(strings.TrimRight(sigs, "\n"), "\n") {
		if strings.HasPrefix(l, "\u2014 ") {
			p.Signatures = append(p.Signatures, l)
		}
	}
	if len(p.Signatures) == 0 {
		return Provenance{}, deconflict.Errorf(deconflict.EINVALID, "checkpoint: no signature line")
	}
	return p, nil
}

// treeHash is the RFC 6962 Merkle tree hash of leaf hashes.
func treeHash(h [][32]byte) [32]byte {
	switch len(h) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return h[0]
	}
	k := 1
	for k*2 < len(h) {
		k *= 2
	}
	l, r := treeHash(h[:k]), treeHash(h[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

type parsed struct {
	e *deconflict.Envelope
	p *deconflict.Payload
}

func (r *Report) in(t time.Time) bool { return !t.Before(r.From) && t.Before(r.To) }

// Build builds the report. EINVALID if the checkpoint does not parse, if
// the envelopes are not the log's entries 0 to size-1, or if their leaf
// hashes do not make the checkpoint's root: the report is then not of the
// record the checkpoint commits to.
func Build(in Input) (*Report, error) {
	if in.Channel == nil {
		return nil, deconflict.Errorf(deconflict.EINVALID, "report: no channel")
	}
	if !in.From.Before(in.To) {
		return nil, deconflict.Errorf(deconflict.EINVALID, "report: period from %s to %s is empty", in.From.Format(time.RFC3339), in.To.Format(time.RFC3339))
	}
	prov, err := ParseCheckpoint(in.Checkpoint)
	if err != nil {
		return nil, err
	}
	if in.NodeKey != nil {
		cp, err := record.OpenCheckpoint(in.Checkpoint, "", in.NodeKey)
		if err != nil {
			return nil, deconflict.Errorf(deconflict.EINVALID, "report: %v", err)
		}
		if cp.Size != prov.Size {
			return nil, deconflict.Errorf(deconflict.EINVALID, "report: checkpoint size %d, signed %d", prov.Size, cp.Size)
		}
		prov.SignatureChecked = true
	}
	if int64(len(in.Envelopes)) != prov.Size {
		return nil, deconflict.Errorf(deconflict.EINVALID, "report: %d envelopes for a checkpoint of size %d", len(in.Envelopes), prov.Size)
	}
	hashes := make([][32]byte, len(in.Envelopes))
	for i, e := range in.Envelopes {
		if e.Index != int64(i) {
			return nil, deconflict.Errorf(deconflict.EINVALID, "report: envelope %d has index %d", i, e.Index)
		}
		hashes[i] = deconflict.LeafHash(e.Leaf())
	}
	if root := treeHash(hashes); base64.StdEncoding.EncodeToString(root[:]) != prov.Root {
		return nil, deconflict.Errorf(deconflict.EINVALID, "report: the %d envelopes hash to root %s, not the checkpoint's %s", len(hashes), base64.StdEncoding.EncodeToString(root[:]), prov.Root)
	}
	r := &Report{Channel: in.Channel.ID, Members: slices.Clone(in.Channel.Members), From: in.From.UTC(), To: in.To.UTC(),
		Member: in.Member, Generated: in.Generated.UTC(), Provenance: prov, basemap: in.Basemap}

	var log []parsed
	for _, e := range in.Envelopes {
		if !e.Received.Before(r.To) {
			break
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			continue // the node would refuse it today; the record still holds it
		}
		log = append(log, parsed{e, p})
	}
	r.messages(log)
	r.officers(log)
	r.encounters(log)
	r.regimes(log)
	r.measures(log)
	r.linkTests(log)
	return r, nil
}

func (r *Report) messages(log []parsed) {
	counts := map[deconflict.Precedence]int{}
	type duty struct {
		prec    deconflict.Precedence
		author  string
		officer string
		kind    string
		sent    time.Time
		due     []string
		missed  map[string]bool
	}
	duties := map[int64]*duty{}
	stats := map[string]*AckStats{}
	for _, m := range r.Members {
		stats[m] = &AckStats{Party: m}
	}
	var flash, imm = map[string][]float64{}, map[string][]float64{}
	for _, x := range log {
		e, p := x.e, x.p
		if r.in(e.Received) {
			for _, a := range p.Attachments {
				r.Attachments = append(r.Attachments, Attached{Index: e.Index, Author: p.Author, Officer: p.Officer, Attachment: a})
			}
		}
		switch e.Kind {
		case deconflict.KindMessage, deconflict.KindAlert, deconflict.KindNotification:
			// The three kinds the node makes members acknowledge.
			if !r.in(e.Received) {
				continue
			}
			if e.Kind == deconflict.KindMessage {
				counts[p.Precedence]++
			}
			prec := p.Precedence
			if prec == "" {
				prec = deconflict.Routine
			}
			d := &duty{prec: prec, author: p.Author, officer: p.Officer, kind: e.Kind, sent: e.Received, missed: map[string]bool{}}
			if e.Kind == deconflict.KindAlert {
				d.due = p.AckFrom
			} else {
				for _, m := range r.Members {
					if m != p.Author {
						d.due = append(d.due, m)
					}
				}
			}
			if len(d.due) == 0 {
				continue
			}
			duties[e.Index] = d
			for _, m := range d.due {
				if s := stats[m]; s != nil {
					s.Due++
				}
			}
		case deconflict.KindMissedAck:
			if p.Author != deconflict.NodeAuthor || p.Ack == nil {
				continue
			}
			d := duties[*p.Ack]
			if d == nil {
				continue
			}
			for _, m := range p.AckFrom {
				if s := stats[m]; s != nil && !d.missed[m] {
					d.missed[m] = true
					s.Missed++
				}
			}
			r.MissedAcks = append(r.MissedAcks, Missed{Index: e.Index, Message: *p.Ack, Kind: d.kind, Precedence: d.prec, Author: d.author, Officer: d.officer,
				Sent: d.sent, Recorded: e.Received, Missing: slices.Clone(p.AckFrom), Text: p.Text})
		case deconflict.KindAck:
			if p.Ack == nil {
				continue
			}
			d := duties[*p.Ack]
			s := stats[p.Author]
			if d == nil || s == nil || !slices.Contains(d.due, p.Author) {
				continue
			}
			d.due = slices.DeleteFunc(slices.Clone(d.due), func(m string) bool { return m == p.Author })
			secs := e.Received.Sub(d.sent).Seconds()
			s.TimesS = append(s.TimesS, secs)
			if d.missed[p.Author] {
				s.Late++
			} else {
				s.InTime++
			}
			switch d.prec {
			case deconflict.Flash:
				flash[p.Author] = append(flash[p.Author], secs)
			case deconflict.Immediate:
				imm[p.Author] = append(imm[p.Author], secs)
			}
		}
	}
	for _, prec := range deconflict.Precedences {
		r.Messages = append(r.Messages, Count{string(prec), counts[prec]})
	}
	for _, m := range r.Members {
		s := stats[m]
		s.MedianFlashS, s.MedianImmediateS = median(flash[m]), median(imm[m])
		r.Acks = append(r.Acks, *s)
	}
}

// Signer returns who signed: the party, and its officer in brackets
// when the envelope names one ("RU (ru-officer)").
func Signer(party, officer string) string {
	if officer == "" {
		return party
	}
	return party + " (" + officer + ")"
}

func signer(p *deconflict.Payload) string { return Signer(p.Author, p.Officer) }

// officers counts, per party and officer, the period's envelopes that
// name an officer.
func (r *Report) officers(log []parsed) {
	stats := map[[2]string]*OfficerStats{}
	for _, x := range log {
		e, p := x.e, x.p
		if p.Officer == "" || p.Author == deconflict.NodeAuthor || !r.in(e.Received) {
			continue
		}
		k := [2]string{p.Author, p.Officer}
		s := stats[k]
		if s == nil {
			s = &OfficerStats{Party: p.Author, Officer: p.Officer}
			stats[k] = s
		}
		switch e.Kind {
		case deconflict.KindMessage:
			s.Messages++
		case deconflict.KindAck:
			s.Acks++
		default:
			s.Other++
		}
	}
	for _, s := range stats {
		r.Officers = append(r.Officers, *s)
	}
	sort.Slice(r.Officers, func(i, j int) bool {
		a, b := r.Officers[i], r.Officers[j]
		return a.Party < b.Party || a.Party == b.Party && a.Officer < b.Officer
	})
}

// median returns the median of v (NaN when empty).
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func tierRank(t string) int { return slices.Index(Tiers, t) }

func num(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func (r *Report) encounters(log []parsed) {
	encs := map[string]*Encounter{}
	var order []string
	incs := map[string]*Incident{}
	var incOrder []string
	byAlert := map[int64]*Incident{}
	clock := func(t time.Time) string { return t.UTC().Format("01-02 15:04") }
	for _, x := range log {
		e, p := x.e, x.p
		switch e.Kind {
		case deconflict.KindAlert:
			if p.Author != deconflict.NodeAuthor {
				continue
			}
			var b deconflict.AlertBody
			if json.Unmarshal(p.Body, &b) != nil {
				continue
			}
			v := b.Encounter
			if b.Incident != "" {
				inc := incs[b.Incident]
				if inc == nil {
					inc = &Incident{ID: b.Incident, PartyA: v.PartyA, PartyB: v.PartyB, A: v.A, B: v.B, Domain: string(v.Domain), Opened: e.Received}
					incs[b.Incident] = inc
					incOrder = append(incOrder, b.Incident)
				}
				if tierRank(v.Severity) > tierRank(inc.Tier) {
					inc.Tier = v.Severity
				}
				if b.Event == "closed" && inc.Closed == nil {
					t := e.Received
					inc.Closed = &t
				}
				inc.Timeline = append(inc.Timeline, fmt.Sprintf("%s %s %s (#%d)", clock(e.Received), b.Event, v.Severity, e.Index))
				byAlert[e.Index] = inc
			}
			if !r.in(e.Received) && encs[v.ID] == nil {
				continue
			}
			if b.Event == "closed" {
				continue
			}
			enc := encs[v.ID]
			if enc == nil {
				kind := "approach"
				if v.Zone != "" {
					kind = "zone"
				}
				enc = &Encounter{ID: v.ID, Incident: b.Incident, A: v.A, B: v.B, PartyA: v.PartyA, PartyB: v.PartyB, Domain: string(v.Domain),
					Kind: kind, Zone: v.Zone, First: e.Received, Lat: math.NaN(), Lon: math.NaN(), ClosestM: math.NaN(), VerticalM: math.NaN()}
				encs[v.ID] = enc
				order = append(order, v.ID)
			}
			if tierRank(v.Severity) > tierRank(enc.Tier) {
				enc.Tier = v.Severity
			}
			for _, x := range v.ExplainedBy {
				if !slices.Contains(enc.Explained, x) {
					enc.Explained = append(enc.Explained, x)
				}
			}
			pr := v.Prediction
			d := num(pr.DistanceM)
			if !math.IsNaN(d) && (math.IsNaN(enc.ClosestM) || d < enc.ClosestM) {
				enc.ClosestM, enc.VerticalM = d, num(pr.VerticalM)
				la, oa, lb, ob := num(pr.PosA.Lat), num(pr.PosA.Lon), num(pr.PosB.Lat), num(pr.PosB.Lon)
				switch {
				case !math.IsNaN(la + oa + lb + ob):
					enc.Lat, enc.Lon = (la+lb)/2, (oa+ob)/2
				case !math.IsNaN(la + oa):
					enc.Lat, enc.Lon = la, oa
				}
			}
		case deconflict.KindAck, deconflict.KindMissedAck:
			if p.Ack == nil {
				continue
			}
			if inc := byAlert[*p.Ack]; inc != nil {
				if e.Kind == deconflict.KindAck {
					inc.Timeline = append(inc.Timeline, fmt.Sprintf("%s ack %s (#%d)", clock(e.Received), signer(p), e.Index))
				} else {
					inc.Timeline = append(inc.Timeline, fmt.Sprintf("%s missed ack %s (#%d)", clock(e.Received), strings.Join(p.AckFrom, ","), e.Index))
				}
			}
		case deconflict.KindNote, deconflict.KindMessage:
			var inc *Incident
			var nb deconflict.NoteBody
			if len(p.Body) > 0 && json.Unmarshal(p.Body, &nb) == nil && nb.Incident != "" {
				inc = incs[nb.Incident]
			}
			if inc == nil && p.ReplyTo != nil {
				inc = byAlert[*p.ReplyTo]
			}
			if inc != nil {
				inc.Timeline = append(inc.Timeline, fmt.Sprintf("%s %s by %s (#%d): %s", clock(e.Received), e.Kind, signer(p), e.Index, brief(p.Text, 60)))
			}
		}
	}
	for _, id := range order {
		enc := encs[id]
		enc.ELN = ELNClass(enc.Tier)
		if enc.Domain == string(deconflict.Air) {
			enc.Airprox = AirproxClass(enc.ClosestM, enc.VerticalM)
		}
		r.Encounters = append(r.Encounters, *enc)
	}
	for _, id := range incOrder {
		inc := incs[id]
		inc.ELN = ELNClass(inc.Tier)
		openedIn := r.in(inc.Opened)
		closedIn := inc.Closed != nil && r.in(*inc.Closed)
		if openedIn {
			r.Opened++
		}
		if closedIn {
			r.Closed++
		}
		if openedIn || closedIn || (inc.Opened.Before(r.From) && (inc.Closed == nil || !inc.Closed.Before(r.To))) {
			r.Incidents = append(r.Incidents, *inc)
		}
	}
}

func brief(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "\u2026"
	}
	return s
}

func (r *Report) regimes(log []parsed) {
	notes := map[int64]*Notification{}
	expl := map[int64]*Explanation{}
	var order []int64
	for _, x := range log {
		e, p := x.e, x.p
		switch e.Kind {
		case deconflict.KindNotification:
			f, err := regime.ParseForm(p.Body)
			if err != nil {
				continue
			}
			if f.Regime == regime.VD11Explanation || f.Regime == regime.VD11Hazard {
				expl[e.Index] = &Explanation{Index: e.Index, Regime: f.Regime, State: f.State, To: f.To, Text: f.Text, Received: e.Received}
			}
			if !r.in(e.Received) {
				continue
			}
			n := &Notification{Index: e.Index, Regime: f.Regime, State: f.State, Designation: f.Designation, Received: e.Received, Start: f.Start, End: f.End}
			for _, a := range []*regime.Area{f.Area, f.LaunchArea, f.ImpactArea} {
				if a != nil {
					n.Areas = append(n.Areas, a)
				}
			}
			for _, ph := range f.Phases {
				if ph.Area != nil {
					n.Areas = append(n.Areas, ph.Area)
				}
			}
			notes[e.Index] = n
			order = append(order, e.Index)
		case deconflict.KindResponse:
			var b struct {
				Response string `json:"response"`
			}
			if p.ReplyTo == nil || deconflict.DecodeStrict(p.Body, &b) != nil || b.Response != regime.Answer {
				continue
			}
			if x := expl[*p.ReplyTo]; x != nil && x.Answer == nil {
				x.Answer = &Response{Index: e.Index, Author: p.Author, Officer: p.Officer, Kind: b.Response, Text: p.Text, Received: e.Received}
			}
		case deconflict.KindFinding:
			if p.Author != deconflict.NodeAuthor || !r.in(e.Received) {
				continue
			}
			var f regime.Finding
			if json.Unmarshal(p.Body, &f) != nil || len(f.About) == 0 {
				continue
			}
			r.Findings = append(r.Findings, Finding{Index: e.Index, Finding: f})
			if n := notes[f.About[0]]; n != nil {
				n.Findings = append(n.Findings, f.Code)
			}
		}
	}
	for _, i := range order {
		r.Notifications = append(r.Notifications, *notes[i])
		if x := expl[i]; x != nil {
			r.Explanations = append(r.Explanations, *x)
		}
	}
}

func (r *Report) measures(log []parsed) {
	book := regime.NewBook(r.Members)
	received := map[int64]time.Time{}
	last := int64(-1)
	var lastT time.Time
	for _, x := range log {
		e, p := x.e, x.p
		received[e.Index] = e.Received
		last, lastT = e.Index, e.Received
		switch e.Kind {
		case deconflict.KindMeasure, deconflict.KindSign, deconflict.KindWithdraw:
			book.Add(regime.LogEntry{Index: e.Index, Kind: p.Kind, Author: p.Author, Received: e.Received, LeafHash: e.LeafHash, Body: p.Body})
		}
	}
	if last < 0 {
		return
	}
	end := r.To
	if lastT.After(end) {
		end = lastT
	}
	for _, s := range book.States(last, end.Add(-time.Nanosecond)) {
		m := Measure{MeasureState: s, Proposed: received[s.Index]}
		if r.in(m.Proposed) {
			r.Proposed++
		}
		if s.BindingSince != nil {
			t := received[*s.BindingSince]
			m.BoundAt = &t
			if r.in(t) {
				r.Bound++
			}
		}
		if s.WithdrawnAt != nil {
			t := received[*s.WithdrawnAt]
			m.Withdrawn = &t
			if r.in(t) {
				r.WithdrawnN++
			}
		}
		if r.in(m.Proposed) || (m.BoundAt != nil && !m.BoundAt.After(r.To) && (m.Withdrawn == nil || !m.Withdrawn.Before(r.From))) {
			r.Measures = append(r.Measures, m)
		}
	}
}

// EncounterCounts returns the period's encounters counted by tier (rows,
// Tiers order, tiers with none left out) and domain (columns, Domains).
func (r *Report) EncounterCounts() (tiers []string, counts [][]int) {
	for _, t := range Tiers {
		row := make([]int, len(Domains))
		n := 0
		for _, e := range r.Encounters {
			if e.Tier == t {
				row[slices.Index(Domains, e.Domain)]++
				n++
			}
		}
		if n > 0 {
			tiers, counts = append(tiers, t), append(counts, row)
		}
	}
	return tiers, counts
}

// FindingsByRegime counts the period's findings per regime, in first-seen order.
func (r *Report) FindingsByRegime() []Count {
	var out []Count
	for _, f := range r.Findings {
		i := slices.IndexFunc(out, func(c Count) bool { return c.Label == f.Regime })
		if i < 0 {
			out = append(out, Count{f.Regime, 0})
			i = len(out) - 1
		}
		out[i].N++
	}
	return out
}

// NotificationsByRegime counts the period's notifications per regime.
func (r *Report) NotificationsByRegime() []Count {
	var out []Count
	for _, n := range r.Notifications {
		i := slices.IndexFunc(out, func(c Count) bool { return c.Label == n.Regime })
		if i < 0 {
			out = append(out, Count{n.Regime, 0})
			i = len(out) - 1
		}
		out[i].N++
	}
	return out
}
