package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
)

// Link tests: at the interval of its policy (Policy.LinkTestInterval,
// hourly by default) the node logs a node-signed link-test envelope on
// each channel naming every member; each member answers with a
// link-answer envelope signed by its own key (its console, its watching
// CLI, or its node where the node hosts its key); once the test's time
// to answer is over the node logs a link-result naming who answered in
// time. A member's availability over a period is the share of the tests
// of that period it answered in time.

// linkSet is what a channel's log says of its link tests, read from the
// log in order (so it is the same after a restart and on every replica)
// and caught up before every use.
type linkSet struct {
	mu      sync.Mutex // guards everything below
	next    int64      // the next log index to read
	tests   []*linkTest
	byIndex map[int64]*linkTest
}

// linkTest is one logged link test and what the log says of it since.
type linkTest struct {
	index   int64
	seq     int64
	at      time.Time // when the node logged it
	within  time.Duration
	parties []string
	answers map[string]linkAnswer // by party: its first answer
	result  *int64                // the link-result's index, once logged
}

type linkAnswer struct {
	index int64
	at    time.Time // when the node logged it
}

// deadline is when the test's time to answer ends: an answer the node
// logged at or before it counts.
func (t *linkTest) deadline() time.Time { return t.at.Add(t.within) }

// inTime reports whether a counts as answered in time: logged by the
// deadline and, once the result is logged, before it (the result then
// says the same, also had the node's clock stepped back).
func (t *linkTest) inTime(a linkAnswer) bool {
	return !a.at.After(t.deadline()) && (t.result == nil || a.index < *t.result)
}

// catchUp reads what the channel's log gained since the last call. The
// caller holds s.mu.
func (s *linkSet) catchUp(ctx context.Context, l *channelLog) error {
	if s.byIndex == nil {
		s.byIndex = map[int64]*linkTest{}
	}
	return l.readSince(ctx, &s.next, "link tests", s.apply)
}

// apply reads one logged envelope; envelopes of other kinds, and those
// the node would refuse today, are skipped.
func (s *linkSet) apply(e *deconflict.Envelope) {
	switch e.Kind {
	case deconflict.KindLinkTest, deconflict.KindLinkAnswer, deconflict.KindLinkResult:
	default:
		return
	}
	p, err := deconflict.ParsePayload(e.Payload)
	if err != nil {
		return
	}
	switch p.Kind {
	case deconflict.KindLinkTest:
		if p.Author != deconflict.NodeAuthor {
			return
		}
		var b deconflict.LinkTestBody
		if deconflict.DecodeStrict(p.Body, &b) != nil {
			return
		}
		t := &linkTest{index: e.Index, seq: b.Seq, at: e.Received, within: time.Duration(b.Within), parties: slices.Clone(p.AckFrom), answers: map[string]linkAnswer{}}
		s.tests = append(s.tests, t)
		s.byIndex[e.Index] = t
	case deconflict.KindLinkAnswer:
		t := s.byIndex[*p.Ack]
		if t == nil || !slices.Contains(t.parties, p.Author) {
			return
		}
		if _, ok := t.answers[p.Author]; !ok {
			t.answers[p.Author] = linkAnswer{index: e.Index, at: e.Received}
		}
	case deconflict.KindLinkResult:
		if t := s.byIndex[*p.Ack]; t != nil && p.Author == deconflict.NodeAuthor && t.result == nil {
			i := e.Index
			t.result = &i
		}
	}
}

// links returns the channel's link set, caught up. The caller unlocks
// the returned set's mu.
func (n *Node) links(ctx context.Context, channel string) (*linkSet, error) {
	l, err := n.channelLog(ctx, channel)
	if err != nil {
		return nil, err
	}
	l.links.mu.Lock()
	if err := l.links.catchUp(ctx, l); err != nil {
		l.links.mu.Unlock()
		return nil, err
	}
	return &l.links, nil
}

// errLogged is a node envelope found already logged when its append came
// (another replica, or an earlier call, wrote it).
var errLogged = errors.New("already logged")

// CheckLinkTests logs, on every channel, the result of each link test
// whose time to answer is over (a link-result), and a new link test when
// the channel's interval has passed since its last one (or, before the
// first, since the channel was created). After a pause (the node was
// down) it sends one test, not one per missed interval. The deadline loop
// calls it every TickInterval.
func (n *Node) CheckLinkTests(ctx context.Context) error {
	chans, err := n.Store.FindChannels(ctx)
	if err != nil {
		return err
	}
	for _, c := range chans {
		if c.ID == deconflict.KeyLog {
			continue
		}
		if _, frozen := n.Frozen(c.ID); frozen {
			continue
		}
		if err := n.linkTestChannel(ctx, c); err != nil {
			return fmt.Errorf("link test on %s: %w", c.ID, err)
		}
	}
	return nil
}

func (n *Node) linkTestChannel(ctx context.Context, c *deconflict.Channel) error {
	now := n.Now()
	ls, err := n.links(ctx, c.ID)
	if err != nil {
		return err
	}
	var due []*linkTest
	for _, t := range ls.tests {
		if t.result == nil && now.After(t.deadline()) {
			due = append(due, t)
		}
	}
	last, seq := c.Created, int64(0)
	if len(ls.tests) > 0 {
		t := ls.tests[len(ls.tests)-1]
		last, seq = t.at, t.seq
	}
	ls.mu.Unlock()
	for _, t := range due {
		if err := n.logLinkResult(ctx, c.ID, t.index); err != nil && !errors.Is(err, errLogged) {
			return fmt.Errorf("result of link test %d: %w", t.index, err)
		}
	}
	iv := c.Policy.LinkTestInterval()
	if iv == 0 || now.Sub(last) < iv {
		return nil
	}
	within := c.Policy.LinkTestAnswerWithin()
	body, _ := json.Marshal(deconflict.LinkTestBody{Seq: seq + 1, Interval: deconflict.Duration(iv), Within: deconflict.Duration(within)})
	p := &deconflict.Payload{Channel: c.ID, Kind: deconflict.KindLinkTest, AckFrom: slices.Clone(c.Members), Body: body,
		Text: fmt.Sprintf("link test %d of %s: each member answers (link-answer); an answer within %s counts towards its availability", seq+1, c.ID, within)}
	rec, err := n.SubmitNode(ctx, p)
	if err != nil {
		return err
	}
	n.metrics.LinkTests.Add(1)
	if f := n.OnLinkTest; f != nil {
		f(ctx, n, c.ID, rec.Index, p.AckFrom)
	}
	return nil
}

// logLinkResult appends the link-result of the test at index. Its body is
// written by the appender, so it names every answer logged before it
// (none can still be in flight): an answer the node logged within the
// test's time is in Answered, any other party in Missing.
func (n *Node) logLinkResult(ctx context.Context, channel string, index int64) error {
	l, err := n.channelLog(ctx, channel)
	if err != nil {
		return err
	}
	idx := index
	p := &deconflict.Payload{Channel: channel, Kind: deconflict.KindLinkResult, Ack: &idx, Body: json.RawMessage(`{"within":"0s","answered":[],"missing":[]}`)}
	r := &appendReq{}
	r.finish = func(ctx context.Context, now time.Time) error {
		l.links.mu.Lock()
		defer l.links.mu.Unlock()
		if err := l.links.catchUp(ctx, l); err != nil {
			return err
		}
		t := l.links.byIndex[index]
		if t == nil {
			return fmt.Errorf("no link test at index %d", index)
		}
		if t.result != nil {
			return errLogged
		}
		body := deconflict.LinkResultBody{Within: deconflict.Duration(t.within), Answered: []deconflict.LinkAnswer{}, Missing: []string{}}
		var in, out []string
		for _, party := range t.parties {
			a, ok := t.answers[party]
			if ok && !a.at.After(t.deadline()) {
				d := a.at.Sub(t.at)
				body.Answered = append(body.Answered, deconflict.LinkAnswer{Party: party, Index: a.index, DelayMS: d.Milliseconds()})
				in = append(in, fmt.Sprintf("%s (%s)", party, d.Round(time.Millisecond)))
			} else {
				body.Missing = append(body.Missing, party)
				out = append(out, party)
			}
		}
		text := fmt.Sprintf("link test %d (index %d):", t.seq, t.index)
		if len(in) > 0 {
			text += fmt.Sprintf(" answered within %s by %s", t.within, strings.Join(in, ", "))
		}
		if len(out) > 0 {
			if len(in) > 0 {
				text += ";"
			}
			text += fmt.Sprintf(" not answered within %s by %s", t.within, strings.Join(out, ", "))
		}
		bj, err := json.Marshal(body)
		if err != nil {
			return err
		}
		p.Body, p.Text, p.Time = bj, text, now
		s, err := deconflict.SignPayload(n.Key, p)
		if err != nil {
			return err
		}
		r.signed = s
		return nil
	}
	_, err = n.submitNodeReq(ctx, p, r)
	return err
}

// checkLinkAnswer checks a link-answer against the log: it names a link
// test of the channel that asks its author to answer, which the author has
// not answered before. find reads the envelope at an index, the batch's
// own included.
func (l *channelLog) checkLinkAnswer(ctx context.Context, p *deconflict.Payload, b *deconflict.Batch, find func(int64) (*deconflict.Envelope, error)) error {
	target, err := find(*p.Ack)
	if err != nil {
		return deconflict.Errorf(deconflict.ENOTFOUND, "link-answer of index %d: no such envelope in channel %s", *p.Ack, l.id)
	}
	if target.Kind != deconflict.KindLinkTest || target.Author != deconflict.NodeAuthor {
		return deconflict.Errorf(deconflict.EINVALID, "link-answer of index %d: it is a %s, not a link-test", *p.Ack, target.Kind)
	}
	tp, err := deconflict.ParsePayload(target.Payload)
	if err != nil {
		return fmt.Errorf("link test %d: %w", *p.Ack, err)
	}
	if !slices.Contains(tp.AckFrom, p.Author) {
		return deconflict.Errorf(deconflict.EINVALID, "link-answer of index %d: the test does not ask %s to answer", *p.Ack, p.Author)
	}
	for _, e := range b.Envelopes {
		if e.Kind == deconflict.KindLinkAnswer && e.Author == p.Author {
			if ep, err := deconflict.ParsePayload(e.Payload); err == nil && *ep.Ack == *p.Ack {
				return deconflict.Errorf(deconflict.ECONFLICT, "link-answer of index %d: %s already answered it at index %d", *p.Ack, p.Author, e.Index)
			}
		}
	}
	l.links.mu.Lock()
	defer l.links.mu.Unlock()
	if err := l.links.catchUp(ctx, l); err != nil {
		return err
	}
	if t := l.links.byIndex[*p.Ack]; t != nil {
		if a, ok := t.answers[p.Author]; ok {
			return deconflict.Errorf(deconflict.ECONFLICT, "link-answer of index %d: %s already answered it at index %d", *p.Ack, p.Author, a.index)
		}
	}
	return nil
}

// LinkTestView is a link test and its answers, as the API shows it.
type LinkTestView struct {
	Index   int64               `json:"index"`
	Seq     int64               `json:"seq"`
	Time    time.Time           `json:"time"`   // when the node logged it
	Within  deconflict.Duration `json:"within"` // how soon an answer counts
	Parties []string            `json:"parties"`
	Answers []LinkAnswerView    `json:"answers"` // in the order of Parties
	// Open: the time to answer is not over yet; the test counts in no
	// availability figure until it is.
	Open bool `json:"open"`
	// Result is the index of the link-result, once logged.
	Result *int64 `json:"result,omitempty"`
}

// LinkAnswerView is one party's state for a link test.
type LinkAnswerView struct {
	Party string `json:"party"`
	// State is "answered" (in time), "late" (answered after the time to
	// answer), "waiting" (not answered, the test still open) or "missing".
	State   string     `json:"state"`
	Index   *int64     `json:"index,omitempty"`    // the link-answer's index
	Time    *time.Time `json:"time,omitempty"`     // when the node logged it
	DelayMS *int64     `json:"delay_ms,omitempty"` // from the test to the answer
}

// PartyAvailability is one party's availability over a period: of the
// closed link tests naming it, how many it answered in time.
type PartyAvailability struct {
	Party      string `json:"party"`
	Tests      int    `json:"tests"`      // closed tests of the period that asked it
	Answered   int    `json:"answered"`   // answered within the test's time
	Late       int    `json:"late"`       // answered, but later
	Unanswered int    `json:"unanswered"` // not answered at all
	// Percent is 100 * Answered / Tests; null when Tests is 0.
	Percent *float64 `json:"percent"`
	// MaxDelayMS is the longest delay of the answers in time; 0 if none.
	MaxDelayMS int64 `json:"max_delay_ms"`
}

// AvailabilityView is a channel's link tests of a period and each
// member's availability over it.
type AvailabilityView struct {
	Channel  string              `json:"channel"`
	From     time.Time           `json:"from"`
	To       time.Time           `json:"to"`
	Interval deconflict.Duration `json:"interval"` // the channel's link test interval now (0: off)
	Within   deconflict.Duration `json:"within"`   // the channel's time to answer now
	Parties  []PartyAvailability `json:"parties"`
	Tests    []LinkTestView      `json:"tests"`
}

// Availability returns the link tests the node logged on channel in
// [from, to) and each party's availability over them, for a member or
// the operator. A test still open (its time to answer not over) is
// listed but counted in no figure. EINVALID if to is before from.
func (n *Node) Availability(ctx context.Context, caller, channel string, from, to time.Time) (*AvailabilityView, error) {
	c, err := n.authorise(ctx, caller, channel)
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, deconflict.Errorf(deconflict.EINVALID, "period: to %s is before from %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	ls, err := n.links(ctx, channel)
	if err != nil {
		return nil, err
	}
	defer ls.mu.Unlock()
	return availability(c, ls.tests, from, to, n.Now()), nil
}

func availability(c *deconflict.Channel, tests []*linkTest, from, to, now time.Time) *AvailabilityView {
	v := &AvailabilityView{Channel: c.ID, From: from.UTC(), To: to.UTC(), Interval: deconflict.Duration(c.Policy.LinkTestInterval()),
		Within: deconflict.Duration(c.Policy.LinkTestAnswerWithin()), Parties: []PartyAvailability{}, Tests: []LinkTestView{}}
	stats := map[string]*PartyAvailability{}
	for _, m := range c.Members {
		stats[m] = &PartyAvailability{Party: m}
	}
	for _, t := range tests {
		if t.at.Before(from) || !t.at.Before(to) {
			continue
		}
		tv := LinkTestView{Index: t.index, Seq: t.seq, Time: t.at.UTC(), Within: deconflict.Duration(t.within), Parties: t.parties,
			Open: !now.After(t.deadline()), Result: t.result, Answers: []LinkAnswerView{}}
		for _, party := range t.parties {
			av := LinkAnswerView{Party: party}
			st := stats[party]
			if st == nil { // no longer a member: still listed
				st = &PartyAvailability{Party: party}
				stats[party] = st
			}
			a, ok := t.answers[party]
			switch {
			case ok:
				i, at, d := a.index, a.at.UTC(), a.at.Sub(t.at).Milliseconds()
				av.Index, av.Time, av.DelayMS = &i, &at, &d
				av.State = "late"
				if t.inTime(a) {
					av.State = "answered"
				}
			case tv.Open:
				av.State = "waiting"
			default:
				av.State = "missing"
			}
			tv.Answers = append(tv.Answers, av)
			if tv.Open {
				continue
			}
			st.Tests++
			switch av.State {
			case "answered":
				st.Answered++
				st.MaxDelayMS = max(st.MaxDelayMS, *av.DelayMS)
			case "late":
				st.Late++
			default:
				st.Unanswered++
			}
		}
		v.Tests = append(v.Tests, tv)
	}
	names := make([]string, 0, len(stats))
	for p := range stats {
		names = append(names, p)
	}
	// Members in the channel's order, then former members by name.
	sort.SliceStable(names, func(i, j int) bool {
		a, b := slices.Index(c.Members, names[i]), slices.Index(c.Members, names[j])
		switch {
		case a >= 0 && b >= 0:
			return a < b
		case a >= 0 || b >= 0:
			return a >= 0
		}
		return names[i] < names[j]
	})
	for _, p := range names {
		st := stats[p]
		if st.Tests > 0 {
			pct := 100 * float64(st.Answered) / float64(st.Tests)
			st.Percent = &pct
		}
		v.Parties = append(v.Parties, *st)
	}
	return v
}

// LinkEnd is one party's end of one channel, for the node's metrics.
type LinkEnd struct {
	Channel, Party string
	Tests          int // closed tests of the period
	Answered       int // answered in time
	// LastMissed: the last closed test was not answered in time.
	LastMissed bool
}

// LinkEnds returns every channel's ends (the operator's view, for
// /metrics) over the period before now.
func (n *Node) LinkEnds(ctx context.Context, period time.Duration) ([]LinkEnd, error) {
	chans, err := n.Store.FindChannels(ctx)
	if err != nil {
		return nil, err
	}
	now := n.Now()
	var out []LinkEnd
	for _, c := range chans {
		if c.ID == deconflict.KeyLog {
			continue
		}
		if _, refused := n.Refused()[c.ID]; refused {
			continue
		}
		ls, err := n.links(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		v := availability(c, ls.tests, now.Add(-period), now.Add(time.Nanosecond), now)
		last := map[string]bool{}
		for i := len(ls.tests) - 1; i >= 0; i-- {
			t := ls.tests[i]
			if !now.After(t.deadline()) {
				continue
			}
			for _, p := range t.parties {
				a, ok := t.answers[p]
				last[p] = !ok || !t.inTime(a)
			}
			break
		}
		ls.mu.Unlock()
		for _, p := range v.Parties {
			out = append(out, LinkEnd{Channel: c.ID, Party: p.Party, Tests: p.Tests, Answered: p.Answered, LastMissed: last[p.Party]})
		}
	}
	return out, nil
}
