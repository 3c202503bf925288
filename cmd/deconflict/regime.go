package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/regime"
)

func init() {
	register("notify", &command{
		Summary: "submit a notification under a regime; prints its index, deadlines and findings",
		Usage: `
usage: deconflict notify --channel C [--officer NAME] FORM.json

Signs the form in FORM.json ("-" for standard input) and submits it on C.
Its "regime" picks the rules: vd11-prior, vd11-calendar, vd11-explanation,
vd11-hazard, launch-1988, incsea-notice or intention (docs/regimes.md).
The node refuses a form missing what its regime requires, naming the
field; it derives from the numbers whether an activity is notifiable or
observable. Prints the index, the deadline and the findings raised at
receipt (for example "late").

example:
  echo '{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise",
    "start":"2027-09-10","end":"2027-09-16","troops":12800,
    "area":{"polygon":[[54,20],[54,23],[55.5,23],[55.5,20]]}}' > zapad.json
  deconflict notify --channel ru-nato zapad.json`,
		Run: runNotify,
	})
	register("notifications", &command{
		Summary: "notifications of a channel with their state",
		Usage: `
usage: deconflict notifications --channel C [--json]

One notification a line: index, regime, state (the notifying party),
designation, deadline, acknowledgements, responses and findings,
tab-separated. --json prints one JSON object per line: index, regime,
state, form (as submitted), received, deadline, acks, responses, findings.

example:
  deconflict notifications --channel ru-nato`,
		Run: runNotifications,
	})
	register("respond", &command{
		Summary: "respond to a notification or request: accept, question, object, answer, meeting",
		Usage: `
usage: deconflict respond --channel C [--officer NAME] INDEX --accept|--question|--object|--answer|--meeting [TEXT]

Signs a response to the notification at INDEX. Acknowledging receipt is
'deconflict ack' (receipt is not acceptance); a request for explanation
is answered with --answer within 48 hours. When the request asked for a
meeting ("meeting": true), either of its two states records with
--meeting that the meeting was held, within 48 hours of the answer.

example:
  deconflict respond --channel ru-nato 3 --answer "Scheduled readiness check, ends 18:00 UTC"`,
		Run: runRespond,
	})
	register("findings", &command{
		Summary: "node-signed compliance findings of a channel, in log order",
		Usage: `
usage: deconflict findings --channel C [--json]

One finding a line: index, code, rule, the notification it is about, the
state concerned, time and text, tab-separated. --json prints one JSON
object per line: index, code, rule, regime, about, state, text, time.
Codes (docs/regimes.md): late, calendar-late, observation-required,
not-in-calendar (rule no-calendar when the state filed no annual calendar
on the channel by 15 November), constraint-exceeded (rules
three-years-40000, year-13000, year-25000, simultaneous-13000),
reply-overdue, measure-breach. Each is signed by the node and raised once.

example:
  deconflict findings --channel ru-nato`,
		Run: runFindings,
	})
	register("measure", &command{
		Summary: "propose, sign or withdraw from an agreed measure",
		Usage: `
usage: deconflict measure propose --channel C MEASURE.json
       deconflict measure sign --channel C INDEX
       deconflict measure withdraw --channel C INDEX

A measure binds once every member has signed its exact bytes (the
proposer by proposing). 'sign' prints the terms it signs and checks the
proposal's leaf hash against its bytes before signing. A withdrawal takes
effect after the measure's notice_period_s, then the measure lapses for
all. Kinds: separation, zone, notification-threshold, ack-deadlines,
relevance (docs/regimes.md). --officer NAME (env DECONFLICT_OFFICER)
names the person of your party who signs, in the envelope.

example:
  echo '{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":3000}' > sep.json
  deconflict measure propose --channel ru-nato sep.json
  deconflict measure sign --channel ru-nato 7`,
		Run: runMeasure,
	})
	register("measures", &command{
		Summary: "measures of a channel and their state; with --at, the rules in force at an index",
		Usage: `
usage: deconflict measures --channel C [--json] [--at N]

One measure a line: index, kind, state (proposed, binding, withdrawn),
signed by, awaiting, binding since and terms, tab-separated; with --at N
the states at index N, followed by the rules then in force. --json
prints one JSON object per measure: index, kind, state, signed_by,
binding_since, terms.

example:
  deconflict measures --channel ru-nato --at 12`,
		Run: runMeasures,
	})
}

func (m *Main) readBody(path string) ([]byte, error) {
	rc, err := m.openInput(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(deconflict.MaxEnvelopeBytes)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > deconflict.MaxEnvelopeBytes {
		return nil, deconflict.Errorf(deconflict.EINVALID, "%s: more than %d bytes", path, deconflict.MaxEnvelopeBytes)
	}
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return nil, deconflict.Errorf(deconflict.EINVALID, "%s: not JSON: %v", path, err)
	}
	return c.Bytes(), nil
}

func channelAndOne(name string, channel string, pos []string, what string) error {
	if channel == "" || len(pos) != 1 {
		return usagef("%s: want --channel C and one %s", name, what)
	}
	return nil
}

// submitFile is notify and measure propose: it reads the one JSON file
// args name (cmd, what it is), checks it with parse so that what the node
// would refuse is refused locally with the same message, signs it as an
// envelope of kind and prints its receipt. It returns the client, the
// channel and the receipt for what the command prints next.
func submitFile(ctx context.Context, m *Main, args []string, cmd, what, kind string, parse func([]byte) error) (*dhttp.Client, string, *deconflict.Receipt, error) {
	fs := m.newFlagSet(strings.Fields(cmd)[0]) // the command's usage: "measure" for "measure propose"
	cf := m.addClientFlags(fs, false)
	m.addOfficerFlag(fs, cf)
	channel := fs.String("channel", "", "channel id")
	receiptFile := fs.String("receipt", "", "write the full receipt (JSON) to this file")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, "", nil, err
	}
	if err := channelAndOne(cmd, *channel, pos, what); err != nil {
		return nil, "", nil, err
	}
	body, err := m.readBody(pos[0])
	if err != nil {
		return nil, "", nil, err
	}
	if err := parse(body); err != nil {
		return nil, "", nil, err
	}
	c, party, err := cf.partyClient(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	rec, err := c.Send(ctx, party, &deconflict.Payload{Channel: *channel, Kind: kind, Body: body})
	if err != nil {
		return nil, "", nil, err
	}
	return c, *channel, rec, m.printReceipt(rec, *receiptFile)
}

func runNotify(ctx context.Context, m *Main, args []string) error {
	c, channel, rec, err := submitFile(ctx, m, args, "notify", "FORM.json", deconflict.KindNotification,
		func(b []byte) error { _, err := regime.ParseForm(b); return err })
	if err != nil {
		return err
	}
	ns, err := c.Notifications(ctx, channel)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.Index != rec.Index {
			continue
		}
		if n.Regime == regime.VD11Prior {
			fmt.Fprintf(m.Stdout, "regime %s: notifiable %v, observable %v\n", n.Regime, n.Notifiable, n.Observable)
		} else {
			fmt.Fprintf(m.Stdout, "regime %s\n", n.Regime) // notifiable and observable are Vienna Document thresholds
		}
		if n.Deadline != nil {
			fmt.Fprintf(m.Stdout, "deadline: %s\n", n.Deadline.Format(time.RFC3339))
		}
		if n.ReplyDue != nil {
			fmt.Fprintf(m.Stdout, "reply due: %s\n", n.ReplyDue.Format(time.RFC3339))
		}
		for _, o := range n.Obligations {
			fmt.Fprintf(m.Stdout, "obligation: %s\n", o)
		}
		if len(n.Findings) == 0 {
			fmt.Fprintln(m.Stdout, "findings: none")
		} else {
			fmt.Fprintf(m.Stdout, "findings: %s\n", strings.Join(n.Findings, ", "))
		}
	}
	return nil
}

func listClient(m *Main, name string, args []string) (*dhttp.Client, string, bool, error) {
	fs := m.newFlagSet(name)
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, "", false, err
	}
	if *channel == "" {
		return nil, "", false, usagef("%s: --channel is required", name)
	}
	if len(pos) != 0 {
		return nil, "", false, usagef("%s: unexpected argument %q", name, pos[0])
	}
	c, _, err := cf.client()
	return c, *channel, *asJSON, err
}

func runNotifications(ctx context.Context, m *Main, args []string) error {
	c, channel, asJSON, err := listClient(m, "notifications", args)
	if err != nil {
		return err
	}
	ns, err := c.Notifications(ctx, channel)
	if err != nil {
		return err
	}
	return writeList(m.Stdout, asJSON, ns, func(n node.NotificationView) []string {
		var f struct {
			Designation string `json:"designation"`
		}
		json.Unmarshal(n.Form, &f)
		deadline := "no deadline"
		if n.Deadline != nil {
			deadline = "deadline " + n.Deadline.Format(time.RFC3339)
		} else if n.ReplyDue != nil {
			deadline = "reply due " + n.ReplyDue.Format(time.RFC3339)
		}
		var resp []string
		for _, r := range n.Responses {
			resp = append(resp, r.Author+":"+r.Response)
		}
		return []string{strconv.FormatInt(n.Index, 10), n.Regime, n.State, f.Designation, deadline,
			"acks " + orNone(n.Acks), "responses " + orNone(resp), "findings " + orNone(n.Findings)}
	})
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func runRespond(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("respond")
	cf := m.addClientFlags(fs, false)
	m.addOfficerFlag(fs, cf)
	channel := fs.String("channel", "", "channel id")
	kinds := map[string]*bool{}
	for _, k := range regime.ResponseKinds {
		help := k + " the notification"
		if k == regime.Meeting {
			help = "record that the meeting a request for explanation asked for was held"
		}
		kinds[k] = fs.Bool(k, false, help)
	}
	receiptFile := fs.String("receipt", "", "write the full receipt (JSON) to this file")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" || len(pos) < 1 {
		return usagef("respond: want --channel C, INDEX and one of --accept, --question, --object, --answer, --meeting")
	}
	idx, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || idx < 0 {
		return usagef("respond: INDEX %q: want a non-negative integer", pos[0])
	}
	var kind string
	for _, k := range regime.ResponseKinds {
		if *kinds[k] {
			if kind != "" {
				return usagef("respond: --%s and --%s: want one", kind, k)
			}
			kind = k
		}
	}
	if kind == "" {
		return usagef("respond: want one of --accept, --question, --object, --answer, --meeting")
	}
	c, party, err := cf.partyClient(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(node.ResponseBody{Response: kind})
	rec, err := c.Send(ctx, party, &deconflict.Payload{Channel: *channel, Kind: deconflict.KindResponse, ReplyTo: &idx, Text: strings.Join(pos[1:], " "), Body: body})
	if err != nil {
		return err
	}
	return m.printReceipt(rec, *receiptFile)
}

func runFindings(ctx context.Context, m *Main, args []string) error {
	c, channel, asJSON, err := listClient(m, "findings", args)
	if err != nil {
		return err
	}
	fs, err := c.Findings(ctx, channel)
	if err != nil {
		return err
	}
	if len(fs) == 0 && !asJSON {
		fmt.Fprintf(m.Stdout, "findings of %s: none\n", channel)
		return nil
	}
	return writeList(m.Stdout, asJSON, fs, func(f node.FindingView) []string {
		rule := f.Rule
		if rule == "" {
			rule = "-"
		}
		return []string{strconv.FormatInt(f.Index, 10), f.Code, rule, "about " + strconv.FormatInt(f.About[0], 10), f.State, f.Time.Format(time.RFC3339), f.Text}
	})
}

func runMeasure(ctx context.Context, m *Main, args []string) error {
	return m.runSubcommand(ctx, "measure", args, map[string]subcommand{
		"propose": runMeasurePropose,
		"sign":    func(ctx context.Context, m *Main, args []string) error { return runMeasureRef(ctx, m, "sign", args) },
		"withdraw": func(ctx context.Context, m *Main, args []string) error {
			return runMeasureRef(ctx, m, "withdraw", args)
		},
	})
}

func runMeasurePropose(ctx context.Context, m *Main, args []string) error {
	_, _, _, err := submitFile(ctx, m, args, "measure propose", "MEASURE.json", deconflict.KindMeasure,
		func(b []byte) error { _, err := regime.ParseMeasure(b); return err })
	return err
}

// runMeasureRef signs or withdraws from the proposal at INDEX, naming its
// leaf hash computed here from the proposal's bytes.
func runMeasureRef(ctx context.Context, m *Main, verb string, args []string) error {
	fs := m.newFlagSet("measure")
	cf := m.addClientFlags(fs, false)
	m.addOfficerFlag(fs, cf)
	channel := fs.String("channel", "", "channel id")
	receiptFile := fs.String("receipt", "", "write the full receipt (JSON) to this file")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if err := channelAndOne("measure "+verb, *channel, pos, "INDEX"); err != nil {
		return err
	}
	idx, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || idx < 0 {
		return usagef("measure %s: INDEX %q: want a non-negative integer", verb, pos[0])
	}
	c, party, err := cf.partyClient(ctx)
	if err != nil {
		return err
	}
	envs, err := c.Envelopes(ctx, *channel, idx, 1)
	if err != nil {
		return err
	}
	if len(envs) == 0 || envs[0].Index != idx {
		return deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: no envelope at index %d", *channel, idx)
	}
	s, err := envs[0].Signed()
	if err != nil {
		return err
	}
	if err := s.VerifySignature(); err != nil {
		return err
	}
	p, err := deconflict.ParsePayload(s.Payload)
	if err != nil {
		return err
	}
	if p.Kind != deconflict.KindMeasure {
		return deconflict.Errorf(deconflict.EINVALID, "index %d is a %s, not a measure", idx, p.Kind)
	}
	hash := deconflict.LeafHash(s.Leaf())
	if got := base64.StdEncoding.EncodeToString(hash[:]); got != envs[0].LeafHash {
		return deconflict.Errorf(deconflict.EINVALID, "index %d: the node's leaf hash %s is not the hash of its bytes %s", idx, envs[0].LeafHash, got)
	}
	fmt.Fprintf(m.Stdout, "%s measure %d proposed by %s: %s\nleaf hash %s\n", verb, idx, p.Author, p.Body, base64.StdEncoding.EncodeToString(hash[:]))
	kind := regime.KindSign
	if verb == "withdraw" {
		kind = regime.KindWithdraw
	}
	rec, err := c.Send(ctx, party, &deconflict.Payload{Channel: *channel, Kind: kind, Body: regime.Ref{Index: idx, LeafHash: hash[:]}.Marshal()})
	if err != nil {
		return err
	}
	return m.printReceipt(rec, *receiptFile)
}

func runMeasures(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("measures")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	asJSON := addJSONFlag(fs)
	at := fs.Int64("at", -1, "the rules in force at this log index")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" {
		return usagef("measures: --channel is required")
	}
	if len(pos) != 0 {
		return usagef("measures: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	r, err := c.Measures(ctx, *channel, *at)
	if err != nil {
		return err
	}
	if err := writeList(m.Stdout, *asJSON, r.Measures, func(s regime.MeasureState) []string {
		since := "-"
		if s.BindingSince != nil {
			since = "binding since " + strconv.FormatInt(*s.BindingSince, 10)
		}
		state := s.State
		if s.WithdrawnBy != "" {
			state += " (withdrawn by " + s.WithdrawnBy + ", lapses " + s.Lapses.Format(time.RFC3339) + ")"
		}
		return []string{strconv.FormatInt(s.Index, 10), s.Kind, state, "signed by " + orNone(s.SignedBy), "awaiting " + orNone(s.Awaiting), since, string(s.Terms)}
	}); err != nil {
		return err
	}
	if *asJSON || *at < 0 {
		return nil
	}
	fmt.Fprintf(m.Stdout, "rules in force at index %d:\n", r.Index)
	for _, s := range r.Separations {
		fmt.Fprintf(m.Stdout, "  separation %s %s: %g m (measure %d)\n", s.Domain, s.Tier, s.DistanceM, s.Measure)
	}
	for _, z := range r.Zones {
		fmt.Fprintf(m.Stdout, "  zone %s (%s, measure %d)\n", z.Name, z.ZoneKind, z.Measure)
	}
	for p, d := range r.AckDeadlinesS {
		fmt.Fprintf(m.Stdout, "  ack deadline %s: %ds (measure %d)\n", p, d, r.AckMeasure[p])
	}
	for reg, th := range r.Notify {
		fmt.Fprintf(m.Stdout, "  %s thresholds: %+v\n", reg, th)
	}
	for _, rel := range r.Relevance {
		fmt.Fprintf(m.Stdout, "  relevance: civilian tracks in an area (measure %d)\n", rel.Measure)
	}
	if len(r.Separations)+len(r.Zones)+len(r.AckDeadlinesS)+len(r.Notify)+len(r.Relevance) == 0 {
		fmt.Fprintln(m.Stdout, "  none: the channel's defaults")
	}
	return nil
}

// loadExplainer reads a scan --notifications file (one form a line with
// its submission "time"; blank lines skipped) and returns what explains
// an encounter: the notifications whose area and window hold, at the
// closest approach, the track of the party that notified them.
func (m *Main) loadExplainer(path string) (func(detect.Row) []string, error) {
	rc, err := m.openInput(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var ns []regime.Notified
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64<<10), deconflict.MaxEnvelopeBytes)
	base := filepath.Base(path)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		f, at, err := regime.ParseSubmitted(b)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %s", path, line, deconflict.ErrorMessage(err))
		}
		ns = append(ns, regime.NotifiedAreas(f, base+":"+strconv.Itoa(line), at)...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return func(r detect.Row) []string {
		var out []string
		for _, side := range []struct {
			party string
			t     *detect.RecordedTrack
		}{{r.PartyA, r.TrackA}, {r.PartyB, r.TrackB}} {
			if side.t == nil {
				continue
			}
			gap := deconflict.DefaultAirLost
			if side.t.Domain == deconflict.Sea {
				gap = deconflict.DefaultSeaLost
			}
			pos, alt, ok := side.t.At(r.ClosestTime, gap)
			if !ok {
				continue
			}
			for _, l := range regime.Explain(ns, side.party, pos.Lat, pos.Lon, alt, r.ClosestTime) {
				if !slices.Contains(out, l) {
					out = append(out, l)
				}
			}
		}
		return out
	}, nil
}

// loadMeasures reads a scan --measures file: one measure's terms a
// line (blank lines skipped), taken as binding in file order, each
// labelled by its line; it returns the rules they put in force
// (separations, zones, relevance are applied by scan; other kinds are
// read and checked).
func (m *Main) loadMeasures(path string) (*regime.Rules, error) {
	rc, err := m.openInput(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	out := &regime.Rules{Index: -1}
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64<<10), deconflict.MaxEnvelopeBytes)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		ms, err := regime.ParseMeasure(b)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %s", path, line, deconflict.ErrorMessage(err))
		}
		switch {
		case ms.Separation != nil:
			out.Separations = append(out.Separations, regime.SeparationRule{Measure: int64(line), Separation: *ms.Separation})
		case ms.Zone != nil:
			out.Zones = append(out.Zones, regime.ZoneRule{Measure: int64(line), MeasureZone: *ms.Zone})
		case ms.Relevance != nil:
			out.Relevance = append(out.Relevance, regime.RelevanceRule{Measure: int64(line), Relevance: *ms.Relevance})
		}
	}
	return out, sc.Err()
}

// zoneBreaches returns, when rules have a zone with a minimum separation,
// the function giving the zone measures (base:LINE) whose separation a
// scan row of two different parties broke: closer than it at the closest
// approach, with either track there inside the zone, in its window
// (regime.Rules.ZoneSeparations, as the live node's measure-breach); nil
// otherwise.
func zoneBreaches(rules *regime.Rules, base string) func(detect.Row) []string {
	if !slices.ContainsFunc(rules.Zones, func(z regime.ZoneRule) bool { return z.MinSeparationM > 0 }) {
		return nil
	}
	return func(r detect.Row) []string {
		if r.PartyA == "" || r.PartyB == "" || r.PartyA == r.PartyB || r.Kind != detect.Approach {
			return nil
		}
		var pos [][3]float64
		for _, t := range []*detect.RecordedTrack{r.TrackA, r.TrackB} {
			if t == nil {
				continue
			}
			gap := deconflict.DefaultAirLost
			if t.Domain == deconflict.Sea {
				gap = deconflict.DefaultSeaLost
			}
			if p, alt, ok := t.At(r.ClosestTime, gap); ok {
				pos = append(pos, [3]float64{p.Lat, p.Lon, alt})
			}
		}
		var out []string
		for _, z := range rules.ZoneSeparations(r.ClosestM, r.ClosestTime, pos...) {
			out = append(out, base+":"+strconv.FormatInt(z.Measure, 10))
		}
		return out
	}
}

// loadMeasuresLog reads a channel's log saved with 'deconflict watch
// --channel C' (one envelope a line, as JSON) and returns the rules its
// measures put in force at index at (at < 0: the last envelope's), as
// regime.RulesAt replays them. The members are the parties keys names
// (party -> its public keys). Every measure, sign and withdraw envelope
// must be signed over its exact payload bytes by one of its author's
// keys, its leaf hash is recomputed from the signed parts (so a
// signature's reference is checked against the proposal's real bytes),
// and indices must increase within one channel. The log's completeness
// is not proved here ('deconflict verify' does that against the node's
// signed checkpoint): a log cut short of a withdrawal gives a measure
// still binding.
func (m *Main) loadMeasuresLog(path string, keys map[string][]string, at int64) (*regime.Rules, error) {
	rc, err := m.openInput(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readMeasuresLog(rc, path, keys, at)
}

// readMeasuresLog is loadMeasuresLog's reading of r, named path in errors.
func readMeasuresLog(rc io.Reader, path string, keys map[string][]string, at int64) (*regime.Rules, error) {
	members := make([]string, 0, len(keys))
	for p := range keys {
		members = append(members, p)
	}
	slices.Sort(members)
	var entries []regime.LogEntry
	channel := ""
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 0, 64<<10), 4*deconflict.MaxEnvelopeBytes)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%s: line %d: %s", path, line, fmt.Sprintf(format, a...))
		}
		var v dhttp.EnvelopeView
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, bad("not an envelope as 'watch' prints it: %v", err)
		}
		if channel == "" {
			channel = v.Channel
		} else if v.Channel != channel {
			return nil, bad("channel %q, but the log is of %q", v.Channel, channel)
		}
		if n := len(entries); n > 0 && v.Index <= entries[n-1].Index {
			return nil, bad("index %d after %d: want the log in order", v.Index, entries[n-1].Index)
		}
		e := regime.LogEntry{Index: v.Index, Kind: v.Kind, Author: v.Author, Received: v.Received}
		switch v.Kind {
		case deconflict.KindMeasure, deconflict.KindSign, deconflict.KindWithdraw:
			s, err := v.Signed()
			if err != nil {
				return nil, bad("envelope %d: %v", v.Index, err)
			}
			if err := s.VerifySignature(); err != nil {
				return nil, bad("envelope %d: %s", v.Index, deconflict.ErrorMessage(err))
			}
			p, err := deconflict.ParsePayload(s.Payload)
			if err != nil {
				return nil, bad("envelope %d: %s", v.Index, deconflict.ErrorMessage(err))
			}
			if p.Channel != channel || p.Kind != v.Kind {
				return nil, bad("envelope %d: its signed payload is a %s of channel %s, the line says a %s of %s", v.Index, p.Kind, p.Channel, v.Kind, channel)
			}
			ks, member := keys[p.Author]
			if !member {
				return nil, bad("envelope %d: a %s by %s, who is not among the --party-key members %v", v.Index, p.Kind, p.Author, members)
			}
			if !slices.Contains(ks, deconflict.EncodeKey(s.Key)) {
				return nil, bad("envelope %d: signed by key %s, not one given for %s", v.Index, deconflict.EncodeKey(s.Key), p.Author)
			}
			e.Author, e.Body, e.LeafHash = p.Author, p.Body, deconflict.LeafHash(s.Leaf())
			if v.LeafHash != base64.StdEncoding.EncodeToString(e.LeafHash[:]) {
				return nil, bad("envelope %d: leaf_hash %s, but its signed parts hash to %s", v.Index, v.LeafHash, base64.StdEncoding.EncodeToString(e.LeafHash[:]))
			}
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: no envelope", path)
	}
	last := entries[len(entries)-1].Index
	if at < 0 {
		at = last
	}
	if at > last {
		return nil, fmt.Errorf("%s: no envelope at index %d (the log ends at %d)", path, at, last)
	}
	return regime.RulesAt(members, entries, at), nil
}
