package node

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/regime"
)

// regimeState is what a channel's log says of its notifications,
// responses, findings and measures, read from the log in order (so it is
// the same after a restart) and caught up before every use.
type regimeState struct {
	mu       sync.Mutex // guards everything below; held while findings are appended, so each is raised once
	members  []string
	next     int64 // the next log index to read
	ledger   *regime.Ledger
	book     *regime.Book
	notices  map[int64]*noticeRecord
	findings []FindingView
	// ack is the acknowledgement deadlines the channel's measures put in
	// force at next-1, read by the appender without taking mu.
	ack atomic.Pointer[map[string]time.Duration]
	// binding names the measures binding at the last catch-up; told is
	// the value the live picture was last told of.
	binding, told string
	breaches      []regime.Finding // measure-breach facts found in alerts, raised once
	breached      map[string]bool  // incidents that already raised a breach
}

type noticeRecord struct {
	env      *deconflict.Envelope
	form     json.RawMessage
	notify   regime.Thresholds
	acks     []string
	findings []string
}

// ResponseView is a response to a notification.
type ResponseView struct {
	Index    int64     `json:"index"`
	Author   string    `json:"author"`
	Officer  string    `json:"officer,omitempty"` // the author's officer the response names
	Response string    `json:"response"`          // accept, question, object, answer, meeting
	Text     string    `json:"text,omitempty"`
	Received time.Time `json:"received"`
}

// NotificationView is a notification with its state (DESIGN.md
// "Formats", notifications).
type NotificationView struct {
	Index               int64           `json:"index"`
	Regime              string          `json:"regime"`
	State               string          `json:"state"`
	Form                json.RawMessage `json:"form"`
	Received            time.Time       `json:"received"`
	Deadline            *time.Time      `json:"deadline"`
	ReplyDue            *time.Time      `json:"reply_due,omitempty"`
	Notifiable          bool            `json:"notifiable"`
	Observable          bool            `json:"observable"`
	ObservationRequired bool            `json:"observation_required"`
	Obligations         []string        `json:"obligations"`
	Acks                []string        `json:"acks"`
	Responses           []ResponseView  `json:"responses"`
	Findings            []string        `json:"findings"`
}

// FindingView is a logged finding (DESIGN.md "Formats", findings).
type FindingView struct {
	Index int64 `json:"index"`
	regime.Finding
}

// ResponseBody is the body of a response envelope.
type ResponseBody struct {
	Response string `json:"response"`
}

func (n *Node) regimeState(ctx context.Context, channel string) (*regimeState, error) {
	ch, err := n.findChannel(ctx, channel)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	if n.regimes == nil {
		n.regimes = map[string]*regimeState{}
	}
	st := n.regimes[channel]
	if st == nil {
		st = &regimeState{members: slices.Clone(ch.Members), ledger: regime.NewLedger(), book: regime.NewBook(ch.Members), notices: map[int64]*noticeRecord{}}
		// A calendar due before the channel existed is neither late nor
		// missing on it.
		st.ledger.SetSince(ch.Created)
		n.regimes[channel] = st
	}
	n.mu.Unlock()
	return st, nil
}

// catchUp reads the envelopes logged since the last call. Call with st.mu held.
func (n *Node) catchUp(ctx context.Context, channel string, st *regimeState) error {
	l := n.runningLog(channel)
	for {
		var envs []*deconflict.Envelope
		if l != nil {
			envs = l.recent(st.next, 1000) // the appender's ring: no store read
		}
		if envs == nil {
			var err error
			if envs, err = n.Store.FindEnvelopes(ctx, channel, st.next, 1000); err != nil {
				return err
			}
		}
		for _, e := range envs {
			// A store altered under the node may miss rows (served only
			// with --serve-altered, for forensics): read what is there.
			if e.Index < st.next {
				continue
			}
			st.apply(e)
			st.next = e.Index + 1
		}
		if len(envs) < 1000 {
			break
		}
	}
	r := st.book.At(st.next-1, n.Now())
	ack := r.AckDeadlines
	st.ack.Store(&ack)
	var b strings.Builder
	for _, m := range r.Measures {
		if m.State == regime.Binding {
			fmt.Fprintf(&b, "%d,", m.Index)
		}
	}
	st.binding = b.String()
	return nil
}

// apply reads one logged envelope. Envelopes the node would refuse today
// are skipped, as the pure functions skip them.
func (st *regimeState) apply(e *deconflict.Envelope) {
	p, err := deconflict.ParsePayload(e.Payload)
	if err != nil {
		return
	}
	switch p.Kind {
	case deconflict.KindNotification:
		f, err := regime.ParseForm(p.Body)
		if err != nil {
			return
		}
		th := st.book.At(e.Index, e.Received).NotifyThresholds(regime.VD11Prior)
		if st.ledger.AddNotice(regime.Notice{Index: e.Index, Received: e.Received, Form: f, Notify: &th}) == nil {
			st.notices[e.Index] = &noticeRecord{env: e, form: json.RawMessage(p.Body), notify: th}
		}
	case deconflict.KindResponse:
		var b ResponseBody
		if deconflict.DecodeStrict(p.Body, &b) != nil {
			return
		}
		st.ledger.AddResponse(regime.Response{Index: e.Index, To: *p.ReplyTo, Author: p.Author, Kind: b.Response, Received: e.Received})
	case deconflict.KindAck:
		if r := st.notices[*p.Ack]; r != nil && !slices.Contains(r.acks, p.Author) {
			r.acks = append(r.acks, p.Author)
		}
	case deconflict.KindFinding:
		if p.Author != deconflict.NodeAuthor {
			return
		}
		var f regime.Finding
		if json.Unmarshal(p.Body, &f) != nil || len(f.About) == 0 {
			return
		}
		if st.ledger.IsRaised(f) {
			return // a duplicate (two writers raced): listed once
		}
		st.ledger.MarkRaised(f)
		st.findings = append(st.findings, FindingView{Index: e.Index, Finding: f})
		if r := st.notices[f.About[0]]; r != nil {
			r.findings = append(r.findings, f.Code)
		}
	case deconflict.KindMeasure, deconflict.KindSign, deconflict.KindWithdraw:
		st.book.Add(regime.LogEntry{Index: e.Index, Kind: p.Kind, Author: p.Author, Received: e.Received, LeafHash: e.LeafHash, Body: p.Body})
	case deconflict.KindAlert:
		if p.Author == deconflict.NodeAuthor {
			st.checkBreach(e, p)
		}
	}
}

// checkBreach finds in an alert an encounter predicted closer than a
// binding separation of its domain: the closest approach the alert
// predicts under the agreed distance (and, where the measure has one, the
// vertical separation there under the agreed vertical). The live picture
// alerts on tier changes only, so the prediction is what the log holds.
// Each incident raises one breach.
func (st *regimeState) checkBreach(e *deconflict.Envelope, p *deconflict.Payload) {
	var body deconflict.AlertBody
	if json.Unmarshal(p.Body, &body) != nil || body.Event == "closed" {
		return
	}
	if body.Encounter.Zone != "" {
		st.checkZoneEntry(e, &body)
		return
	}
	enc := body.Encounter
	d := enc.Prediction.CPAM
	if d == nil {
		return
	}
	rules := st.book.At(e.Index, e.Received)
	st.checkZoneSeparation(e, &body, rules)
	if st.breached[body.Incident] {
		return
	}
	for _, sep := range rules.Separations {
		if sep.Domain != string(enc.Domain) || *d >= sep.DistanceM {
			continue
		}
		if v := enc.Prediction.CPAVerticalM; sep.VerticalM > 0 && v != nil && abs(*v) >= sep.VerticalM {
			continue
		}
		if st.breached == nil {
			st.breached = map[string]bool{}
		}
		st.breached[body.Incident] = true
		parties := []string{enc.PartyA, enc.PartyB}
		slices.Sort(parties)
		st.breaches = append(st.breaches, regime.Finding{Code: regime.MeasureBreach, Rule: "separation", Regime: "measure",
			About: []int64{e.Index, sep.Measure}, State: strings.Join(slices.Compact(parties), ","), Time: e.Received,
			Text: fmt.Sprintf("%s (%s) and %s (%s) predicted to pass %.0f m apart, under the %.0f m %s %s separation of measure %d (incident %s)",
				enc.A, enc.PartyA, enc.B, enc.PartyB, *d, sep.DistanceM, sep.Domain, sep.Tier, sep.Measure, body.Incident)})
		return
	}
}

// checkZoneSeparation finds in an alert of two members' tracks a
// predicted closest approach under the minimum separation of a binding
// zone measure whose area holds either track there (regime.ZoneSeparations).
// Each incident raises one such breach.
func (st *regimeState) checkZoneSeparation(e *deconflict.Envelope, body *deconflict.AlertBody, rules *regime.Rules) {
	enc := body.Encounter
	key := body.Incident + "|zone-min-separation"
	if st.breached[key] || !slices.Contains(st.members, enc.PartyA) || !slices.Contains(st.members, enc.PartyB) || enc.PartyA == enc.PartyB {
		return
	}
	pr := enc.Prediction
	t := pr.Time
	if pr.TCPAS != nil {
		t = t.Add(time.Duration(*pr.TCPAS * float64(time.Second)))
	}
	var pos [][3]float64
	for _, p := range []deconflict.PosView{pr.PosA, pr.PosB} {
		if p.Lat == nil || p.Lon == nil {
			continue
		}
		alt := math.NaN()
		if p.AltM != nil {
			alt = *p.AltM
		}
		pos = append(pos, [3]float64{*p.Lat, *p.Lon, alt})
	}
	zs := rules.ZoneSeparations(*pr.CPAM, t, pos...)
	if len(zs) == 0 {
		return
	}
	z := zs[0]
	if st.breached == nil {
		st.breached = map[string]bool{}
	}
	st.breached[key] = true
	parties := []string{enc.PartyA, enc.PartyB}
	slices.Sort(parties)
	st.breaches = append(st.breaches, regime.Finding{Code: regime.MeasureBreach, Rule: "zone-min-separation", Regime: "measure",
		About: []int64{e.Index, z.Measure}, State: strings.Join(parties, ","), Time: e.Received,
		Text: fmt.Sprintf("%s (%s) and %s (%s) predicted to pass %.0f m apart inside %s, under the %.0f m minimum separation of measure %d (incident %s)",
			enc.A, enc.PartyA, enc.B, enc.PartyB, *pr.CPAM, z.Name, z.MinSeparationM, z.Measure, body.Incident)})
}

// checkZoneEntry finds in a zone alert a track inside (intrusion) a zone
// of a binding zone measure of this channel that requires notice before
// entry, with no notification of the track's party, received that long
// before the entry, whose area and window hold the entry point.
func (st *regimeState) checkZoneEntry(e *deconflict.Envelope, body *deconflict.AlertBody) {
	enc := body.Encounter
	rest, ok := strings.CutPrefix(enc.Zone, "measure:"+e.Channel+":")
	if !ok || enc.Severity != "intrusion" || st.breached[body.Incident] {
		return
	}
	var zone *regime.ZoneRule
	for _, z := range st.book.At(e.Index, e.Received).Zones {
		if fmt.Sprint(z.Measure) == rest {
			zone = &z
		}
	}
	if zone == nil || zone.EntryNotice <= 0 {
		return
	}
	pr := enc.Prediction
	entry := pr.Time
	if pr.TCPAS != nil {
		entry = entry.Add(time.Duration(*pr.TCPAS * float64(time.Second)))
	}
	lat, lon, alt := pr.PosA.Lat, pr.PosA.Lon, pr.PosA.AltM
	if lat == nil || lon == nil {
		return
	}
	altM := math.NaN()
	if alt != nil {
		altM = *alt
	}
	for _, no := range st.ledger.Notices() {
		if no.Index >= e.Index || no.Received.After(entry.Add(-zone.EntryNotice)) {
			continue
		}
		if len(regime.Explaining(regime.NotifiedAreas(no.Form, "", no.Received), enc.PartyA, *lat, *lon, altM, entry)) > 0 {
			return
		}
	}
	if st.breached == nil {
		st.breached = map[string]bool{}
	}
	st.breached[body.Incident] = true
	st.breaches = append(st.breaches, regime.Finding{Code: regime.MeasureBreach, Rule: "zone-entry-notice", Regime: "measure",
		About: []int64{e.Index, zone.Measure}, State: enc.PartyA, Time: e.Received,
		Text: fmt.Sprintf("%s (%s) entered %s without the %s notice measure %d requires (incident %s)",
			enc.A, enc.PartyA, zone.Name, zone.EntryNotice, zone.Measure, body.Incident)})
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// checkRegime refuses a party's notification, response or measure
// envelope that the channel's rules would not accept (checked again by
// the pure functions on every replay).
func (n *Node) checkRegime(ctx context.Context, ch *deconflict.Channel, p *deconflict.Payload) error {
	switch p.Kind {
	case deconflict.KindNotification, deconflict.KindResponse, deconflict.KindMeasure, deconflict.KindSign, deconflict.KindWithdraw:
	default:
		return nil
	}
	st, err := n.regimeState(ctx, ch.ID)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := n.catchUp(ctx, ch.ID, st); err != nil {
		return err
	}
	switch p.Kind {
	case deconflict.KindNotification:
		f, err := regime.ParseForm(p.Body)
		if err != nil {
			return err
		}
		if f.State != p.Author {
			return deconflict.Errorf(deconflict.EFORBIDDEN, "form state %q, but the envelope's author is %s: a party notifies its own activities", f.State, p.Author)
		}
		if f.To != "" && !ch.IsMember(f.To) {
			return deconflict.Errorf(deconflict.EINVALID, "to: %q is not a member of channel %s", f.To, ch.ID)
		}
		if f.About != nil && *f.About >= st.next {
			return deconflict.Errorf(deconflict.EINVALID, "about: no envelope at index %d in channel %s", *f.About, ch.ID)
		}
	case deconflict.KindResponse:
		var b ResponseBody
		if err := deconflict.DecodeStrict(p.Body, &b); err != nil {
			return err
		}
		if !slices.Contains(regime.ResponseKinds, b.Response) {
			return deconflict.Errorf(deconflict.EINVALID, "response %q: want one of %v", b.Response, regime.ResponseKinds)
		}
		r := st.notices[*p.ReplyTo]
		if r == nil {
			return deconflict.Errorf(deconflict.EINVALID, "reply_to %d: not a notification of channel %s", *p.ReplyTo, ch.ID)
		}
		if b.Response == regime.Meeting {
			// The meeting a request for explanation asked for is recorded
			// by either state of it, the requester included.
			no, _ := st.ledger.Notice(*p.ReplyTo)
			if no.Form.Regime != regime.VD11Explanation || !no.Form.Meeting {
				return deconflict.Errorf(deconflict.EINVALID, "reply_to %d: a meeting is recorded on a request for explanation that asked for one (meeting: true)", *p.ReplyTo)
			}
			if p.Author != no.Form.State && p.Author != no.Form.To {
				return deconflict.Errorf(deconflict.EFORBIDDEN, "reply_to %d: the meeting is recorded by %s or %s, not %s", *p.ReplyTo, no.Form.State, no.Form.To, p.Author)
			}
			break
		}
		if r.env.Author == p.Author {
			return deconflict.Errorf(deconflict.EINVALID, "reply_to %d: a party does not respond to its own notification", *p.ReplyTo)
		}
	default:
		return st.book.Check(regime.LogEntry{Index: st.next, Kind: p.Kind, Author: p.Author, Body: p.Body})
	}
	return nil
}

// RaiseFindings appends a node-signed finding for every compliance fact
// of channel that has become true by now and is not in the log yet.
func (n *Node) RaiseFindings(ctx context.Context, channel string) error {
	st, err := n.regimeState(ctx, channel)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := n.catchUp(ctx, channel, st); err != nil {
		return err
	}
	pending := st.ledger.Pending(n.Now())
	for _, f := range st.breaches {
		if !st.ledger.IsRaised(f) {
			pending = append(pending, f)
		}
	}
	if len(pending) > 0 {
		// Read the log's findings before the appender needs them, so that
		// it reads only the latest under the channel's lock.
		l, err := n.channelLog(ctx, channel)
		if err != nil {
			return err
		}
		l.findings.mu.Lock()
		err = l.findings.catchUp(ctx, l)
		l.findings.mu.Unlock()
		if err != nil {
			return err
		}
	}
	for _, f := range pending {
		body, err := json.Marshal(f)
		if err != nil {
			return err
		}
		about := f.About[0]
		p := &deconflict.Payload{Channel: channel, Kind: deconflict.KindFinding, ReplyTo: &about, Text: f.Text, Body: body}
		if _, err := n.SubmitNode(ctx, p); err != nil {
			if deconflict.ErrorCode(err) == deconflict.ECONFLICT {
				continue // another replica raised it first: read below
			}
			return fmt.Errorf("finding %s about %s/%d: %w", f.Code, channel, about, err)
		}
	}
	// Reading the findings back from the log marks them raised (st.mu is
	// held throughout, so no other caller of this replica raises them
	// meanwhile; another replica's are refused by the appender).
	return n.catchUp(ctx, channel, st)
}

// CheckFindings raises the findings of every channel (the deadline loop
// calls it: replies overdue become true with time alone).
func (n *Node) CheckFindings(ctx context.Context) error {
	chans, err := n.Store.FindChannels(ctx)
	if err != nil {
		return err
	}
	for _, c := range chans {
		n.mu.Lock()
		_, refused := n.refused[c.ID]
		n.mu.Unlock()
		if refused {
			continue
		}
		if err := n.RaiseFindings(ctx, c.ID); err != nil {
			return err
		}
		// A withdrawal's notice ends with time alone: tell the live
		// picture when the binding measures changed.
		st, err := n.regimeState(ctx, c.ID)
		if err != nil {
			return err
		}
		st.mu.Lock()
		changed := st.binding != st.told
		st.told = st.binding
		st.mu.Unlock()
		if changed {
			if err := n.channelsChanged(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// ChannelRules returns the rules channel's measures put in force now (the
// live picture's thresholds and zones).
func (n *Node) ChannelRules(ctx context.Context, channel string) (*regime.Rules, error) {
	return n.Measures(ctx, deconflict.NodeAuthor, channel, -1)
}

// NotifiedAreas returns the areas and windows notified on channel, each
// labelled "channel:index".
func (n *Node) NotifiedAreas(ctx context.Context, channel string) ([]regime.Notified, error) {
	st, err := n.readState(ctx, deconflict.NodeAuthor, channel)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	var out []regime.Notified
	for _, no := range st.ledger.Notices() {
		out = append(out, regime.NotifiedAreas(no.Form, fmt.Sprintf("%s:%d", channel, no.Index), no.Received)...)
	}
	return out, nil
}

// ackDeadline returns the acknowledgement deadline for precedence prec
// on ch: the one a binding ack-deadlines measure sets, else the policy's.
// The appender calls it, so it reads the last caught-up snapshot only.
func (n *Node) ackDeadline(ch *deconflict.Channel, prec deconflict.Precedence) time.Duration {
	n.mu.Lock()
	st := n.regimes[ch.ID]
	n.mu.Unlock()
	if st != nil {
		if m := st.ack.Load(); m != nil {
			if d, ok := (*m)[string(prec)]; ok {
				return d
			}
		}
	}
	return ch.Policy.AckDeadline(prec)
}

func (n *Node) readState(ctx context.Context, caller, channel string) (*regimeState, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	st, err := n.regimeState(ctx, channel)
	if err != nil {
		return nil, err
	}
	st.mu.Lock()
	if err := n.catchUp(ctx, channel, st); err != nil {
		st.mu.Unlock()
		return nil, err
	}
	return st, nil
}

// Notifications returns a channel's notifications with their state, in
// log order, for a member.
func (n *Node) Notifications(ctx context.Context, caller, channel string) ([]NotificationView, error) {
	st, err := n.readState(ctx, caller, channel)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	out := []NotificationView{}
	for _, no := range st.ledger.Notices() {
		r := st.notices[no.Index]
		a := regime.Assess(no.Form, no.Received, r.notify)
		v := NotificationView{Index: no.Index, Regime: no.Form.Regime, State: no.Form.State, Form: r.form, Received: no.Received,
			Notifiable: a.Notifiable, Observable: a.Observable, ObservationRequired: a.ObservationRequired, Obligations: a.Obligations,
			Acks: append([]string{}, r.acks...), Responses: []ResponseView{}, Findings: append([]string{}, r.findings...)}
		if !a.Deadline.IsZero() {
			v.Deadline = &a.Deadline
		}
		if !a.ReplyDue.IsZero() {
			v.ReplyDue = &a.ReplyDue
		}
		for _, resp := range st.ledger.Responses(no.Index) {
			rv := ResponseView{Index: resp.Index, Author: resp.Author, Response: resp.Kind, Received: resp.Received}
			if e, err := n.Store.FindEnvelope(ctx, channel, resp.Index); err == nil {
				if p, err := deconflict.ParsePayload(e.Payload); err == nil {
					rv.Text, rv.Officer = p.Text, p.Officer
				}
			}
			v.Responses = append(v.Responses, rv)
		}
		out = append(out, v)
	}
	return out, nil
}

// Findings returns a channel's logged findings in log order, for a member.
func (n *Node) Findings(ctx context.Context, caller, channel string) ([]FindingView, error) {
	st, err := n.readState(ctx, caller, channel)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	return append([]FindingView{}, st.findings...), nil
}

// Measures returns the rules a channel's measures put in force at index
// at (the log's last index when at < 0), with every measure's state, for
// a member. The rules follow from the log alone (regime.RulesAt).
func (n *Node) Measures(ctx context.Context, caller, channel string, at int64) (*regime.Rules, error) {
	st, err := n.readState(ctx, caller, channel)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	if at < 0 {
		at = st.next - 1
		return st.book.At(at, n.Now()), nil
	}
	if at >= st.next {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: no envelope at index %d (size %d)", channel, at, st.next)
	}
	e, err := n.Store.FindEnvelope(ctx, channel, at)
	if err != nil {
		return nil, err
	}
	return st.book.At(at, e.Received), nil
}
