package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/regime"
)

const baltic = `"area":{"polygon":[[54.0,20.0],[54.0,23.0],[55.5,23.0],[55.5,20.0]]}`

func client(tn *nodetest.Node, party string, clk *nodetest.Clock) *dhttp.Client {
	c := tn.Client(party)
	c.Now = clk.Now
	return c
}

func file(t *testing.T, c *dhttp.Client, party, channel, kind string, body string, replyTo *int64) (*deconflict.Receipt, error) {
	t.Helper()
	return c.Send(context.Background(), party, &deconflict.Payload{Channel: channel, Kind: kind, Body: json.RawMessage(body), ReplyTo: replyTo})
}

// nodeSignedFinding fails the test unless the envelope at index of
// channel is a node-signed finding.
func nodeSignedFinding(t *testing.T, tn *nodetest.Node, channel string, index int64) {
	t.Helper()
	e, err := tn.Store.FindEnvelope(context.Background(), channel, index)
	if err != nil {
		t.Fatal(err)
	}
	if e.Author != deconflict.NodeAuthor || e.Kind != deconflict.KindFinding {
		t.Fatalf("finding envelope by %s of kind %s, want node-signed finding", e.Author, e.Kind)
	}
}

// oneFinding fails the test unless channel's findings, as c reads them,
// are one of code about the envelope at about, raised on state, and the
// node signed it.
func oneFinding(t *testing.T, tn *nodetest.Node, c *dhttp.Client, channel, code string, about int64, state string) node.FindingView {
	t.Helper()
	fs, err := c.Findings(context.Background(), channel)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Code != code || fs[0].About[0] != about || fs[0].State != state {
		t.Fatalf("findings %+v, want one %s about %d on %s", fs, code, about, state)
	}
	nodeSignedFinding(t, tn, channel, fs[0].Index)
	return fs[0]
}

// noneRaisedAfterRestart restarts tn, moves clk by d, has the node check
// its findings, and fails the test unless party reads want findings on
// channel (those raised before the restart, none again).
func noneRaisedAfterRestart(t *testing.T, tn *nodetest.Node, clk *nodetest.Clock, d time.Duration, party, channel string, want int) {
	t.Helper()
	tn2 := tn.Restart(t)
	clk.Add(d)
	if err := tn2.CheckFindings(context.Background()); err != nil {
		t.Fatal(err)
	}
	fs, err := client(tn2, party, clk).Findings(context.Background(), channel)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != want {
		t.Fatalf("after restart: %d findings, want %d (raised once)", len(fs), want)
	}
}

func codes(fs []regime.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func TestNotificationsAndFindings(t *testing.T) {
	ctx := context.Background()
	// The operator sets up on the wall clock, then the test's time starts.
	clk := nodetest.NewClock(time.Now())
	// A long tick: the test calls CheckFindings itself, so that nothing
	// depends on the loop's timing.
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now, Tick: time.Hour})
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	clk.Set(time.Date(2027, 7, 20, 9, 0, 0, 0, time.UTC))
	ru, nato := client(tn, "RU", clk), client(tn, "NATO", clk)

	zapad := `{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":12800,` + baltic + `}`
	r, err := file(t, ru, "RU", "ru-nato", deconflict.KindNotification, zapad, nil)
	if err != nil {
		t.Fatal(err)
	}
	zi := r.Index
	late := `{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":"2027-08-20","end":"2027-08-25","troops":9500,` + baltic + `}`
	r, err = file(t, ru, "RU", "ru-nato", deconflict.KindNotification, late, nil)
	if err != nil {
		t.Fatal(err)
	}
	li := r.Index
	// The late finding is in the log when the receipt returns.
	lf := oneFinding(t, tn, nato, "ru-nato", regime.Late, li, "RU")

	// NATO acknowledges receipt and accepts: separate envelopes.
	if _, err := nato.Send(ctx, "NATO", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindAck, Ack: &zi}); err != nil {
		t.Fatal(err)
	}
	if _, err := file(t, nato, "NATO", "ru-nato", deconflict.KindResponse, `{"response":"accept"}`, &zi); err != nil {
		t.Fatal(err)
	}
	ns, err := nato.Notifications(ctx, "ru-nato")
	if err != nil {
		t.Fatal(err)
	}
	z := ns[0]
	if !z.Notifiable || z.Observable || z.Deadline == nil || !z.Deadline.Equal(time.Date(2027, 7, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Zapad-like: %+v, want notifiable, not observable, deadline 2027-07-30", z)
	}
	if len(z.Acks) != 1 || z.Acks[0] != "NATO" || len(z.Responses) != 1 || z.Responses[0].Response != "accept" || len(z.Findings) != 0 {
		t.Errorf("Zapad-like acks %v responses %+v findings %v", z.Acks, z.Responses, z.Findings)
	}
	if got := ns[1].Findings; len(got) != 1 || got[0] != regime.Late {
		t.Errorf("late notice findings %v", got)
	}

	// Refusals.
	for _, c := range []struct {
		name, kind, body string
		replyTo          *int64
		code, msg        string
	}{
		{"OthersActivity", deconflict.KindNotification, strings.Replace(zapad, `"state":"RU"`, `"state":"NATO"`, 1), nil, deconflict.EFORBIDDEN, "notifies its own"},
		{"MissingArea", deconflict.KindNotification, strings.Replace(zapad, ","+baltic, "", 1), nil, deconflict.EINVALID, `missing required field "area"`},
		{"Finding", deconflict.KindFinding, `{"code":"late"}`, nil, deconflict.EFORBIDDEN, "only the node"},
		{"ResponseToMessage", deconflict.KindResponse, `{"response":"accept"}`, &lf.Index, deconflict.EINVALID, "not a notification"},
		{"BadResponse", deconflict.KindResponse, `{"response":"agree"}`, &zi, deconflict.EINVALID, `response "agree"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := nato
			if c.name == "OthersActivity" || c.name == "MissingArea" {
				cl = ru
			}
			author := map[*dhttp.Client]string{ru: "RU", nato: "NATO"}[cl]
			_, err := file(t, cl, author, "ru-nato", c.kind, c.body, c.replyTo)
			if deconflict.ErrorCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %v, want %s containing %q", err, c.code, c.msg)
			}
		})
	}

	// A request for explanation unanswered for 48 h.
	r, err = file(t, nato, "NATO", "ru-nato", deconflict.KindNotification, `{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"unusual activity near Kaliningrad","encounter":"e-17"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	qi := r.Index
	clk.Add(48 * time.Hour)
	if err := tn.CheckFindings(ctx); err != nil {
		t.Fatal(err)
	}
	if fs, _ := nato.Findings(ctx, "ru-nato"); len(fs) != 1 {
		t.Fatalf("at the due time: findings %+v, want still 1", fs)
	}
	clk.Add(time.Second)
	if err := tn.CheckFindings(ctx); err != nil {
		t.Fatal(err)
	}
	fs, _ := nato.Findings(ctx, "ru-nato")
	if len(fs) != 2 || fs[1].Code != regime.ReplyOverdue || fs[1].About[0] != qi || fs[1].State != "RU" {
		t.Fatalf("findings %+v, want reply-overdue about %d", fs, qi)
	}

	// After a restart the same findings are not raised again.
	noneRaisedAfterRestart(t, tn, clk, time.Hour, "RU", "ru-nato", 2)
}

func TestMeasuresBindOnLastSignature(t *testing.T) {
	ctx := context.Background()
	clk := nodetest.NewClock(time.Now())
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now, Tick: time.Hour})
	tn.AddParties(t, "RU", "US")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	clk.Set(time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC))
	ru, us := client(tn, "RU", clk), client(tn, "US", clk)

	p, err := file(t, us, "US", "ru-us", deconflict.KindMeasure, `{"kind":"ack-deadlines","flash_s":60,"notice_period_s":600}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(c *dhttp.Client, party, kind string, hash []byte) (*deconflict.Receipt, error) {
		return file(t, c, party, "ru-us", kind, string(regime.Ref{Index: p.Index, LeafHash: hash}.Marshal()), nil)
	}
	// Until RU signs nothing changes: a flash message keeps the policy's 2 min.
	send := func(text string) *deconflict.Receipt {
		r, err := us.Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	m1 := send("before")
	if _, err := sign(ru, "RU", deconflict.KindSign, make([]byte, 32)); deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Fatalf("signing other bytes: %v, want invalid", err)
	}
	s, err := sign(ru, "RU", deconflict.KindSign, p.LeafHash)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sign(ru, "RU", deconflict.KindSign, p.LeafHash); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Fatalf("second signature: %v, want conflict", err)
	}
	m2 := send("after")
	acks, err := us.Acks(ctx, "ru-us")
	if err != nil {
		t.Fatal(err)
	}
	deadline := map[int64]time.Duration{}
	for _, a := range acks {
		e, _ := tn.Store.FindEnvelope(ctx, "ru-us", a.Index)
		deadline[a.Index] = a.Deadline.Sub(e.Received)
	}
	if deadline[m1.Index] != 2*time.Minute || deadline[m2.Index] != time.Minute {
		t.Errorf("ack deadlines %v before and %v after binding, want 2m and 1m", deadline[m1.Index], deadline[m2.Index])
	}
	for _, c := range []struct {
		at    int64
		state string
	}{{p.Index, regime.Proposed}, {s.Index - 1, regime.Proposed}, {s.Index, regime.Binding}} {
		r, err := ru.Measures(ctx, "ru-us", c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Measures[0].State; got != c.state {
			t.Errorf("at %d: %s, want %s", c.at, got, c.state)
		}
	}
	// Withdrawal lapses after the notice period.
	w, err := sign(ru, "RU", deconflict.KindWithdraw, p.LeafHash)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := ru.Measures(ctx, "ru-us", -1)
	if r.Measures[0].State != regime.Binding || r.Measures[0].WithdrawnBy != "RU" {
		t.Errorf("during the notice: %+v", r.Measures[0])
	}
	clk.Add(10 * time.Minute)
	m3 := send("lapsed")
	r, _ = ru.Measures(ctx, "ru-us", m3.Index)
	if r.Measures[0].State != regime.Withdrawn || *r.Measures[0].WithdrawnAt != w.Index {
		t.Errorf("after the notice: %+v", r.Measures[0])
	}
	if _, err := ru.Measures(ctx, "ru-us", 999); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Errorf("at beyond the log: %v", err)
	}
}

// TestNoCalendarFiled: RU notifies in October an activity of next year and
// files no annual calendar for that year on the channel. Once 15 November
// has passed, the deadline loop raises not-in-calendar about the
// notification, node-signed, once, also after a restart; a late calendar
// filed afterwards raises calendar-late and does not undo it.
func TestNoCalendarFiled(t *testing.T) {
	ctx := context.Background()
	// The operator sets up on the wall clock, before the calendar for the
	// year after next (y) is due; then the test's time starts.
	clk := nodetest.NewClock(time.Now())
	y := clk.Now().Year() + 2
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now, Tick: time.Hour})
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	clk.Set(time.Date(y-1, 10, 1, 8, 0, 0, 0, time.UTC))
	ru, nato := client(tn, "RU", clk), client(tn, "NATO", clk)
	winter := fmt.Sprintf(`{"regime":"vd11-prior","state":"RU","designation":"WINTER","purpose":"exercise","start":"%d-01-20","end":"%d-01-30","troops":9000,`, y, y) + baltic + `}`
	r, err := file(t, ru, "RU", "ru-nato", deconflict.KindNotification, winter, nil)
	if err != nil {
		t.Fatal(err)
	}
	wi := r.Index
	check := func(when string, want int) []node.FindingView {
		t.Helper()
		if err := tn.CheckFindings(ctx); err != nil {
			t.Fatal(err)
		}
		fs, err := nato.Findings(ctx, "ru-nato")
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != want {
			t.Fatalf("%s: findings %+v, want %d", when, fs, want)
		}
		return fs
	}
	check("at receipt", 0)
	clk.Set(time.Date(y-1, 11, 15, 23, 59, 59, 0, time.UTC))
	check("on 15 November", 0)
	clk.Set(time.Date(y-1, 11, 16, 0, 0, 30, 0, time.UTC))
	fs := check("on 16 November", 1)
	f := fs[0]
	if f.Code != regime.NotInCalendar || f.Rule != regime.RuleNoCalendar || f.About[0] != wi || f.State != "RU" || !f.Time.Equal(time.Date(y-1, 11, 16, 0, 0, 0, 0, time.UTC)) ||
		!strings.Contains(f.Text, fmt.Sprintf("filed no calendar for %d", y)) {
		t.Fatalf("finding %+v, want not-in-calendar about %d at 16 November %d saying no calendar was filed", f, wi, y-1)
	}
	nodeSignedFinding(t, tn, "ru-nato", f.Index)
	clk.Add(time.Hour)
	check("an hour later", 1)

	// A late calendar with the activity: calendar-late, and the finding stays.
	clk.Set(time.Date(y-1, 11, 20, 9, 0, 0, 0, time.UTC))
	cal := fmt.Sprintf(`{"regime":"vd11-calendar","state":"RU","year":%d,"entries":[{"designation":"WINTER","purpose":"exercise","start":["%d-01-15","%d-01-25"],"end":"%d-01-30","troops":9000,`, y, y, y, y) + baltic + `}]}`
	if _, err := file(t, ru, "RU", "ru-nato", deconflict.KindNotification, cal, nil); err != nil {
		t.Fatal(err)
	}
	fs = check("after the late calendar", 2)
	if fs[1].Code != regime.CalendarLate {
		t.Fatalf("findings %+v, want not-in-calendar then calendar-late", fs)
	}

	// After a restart nothing is raised again.
	noneRaisedAfterRestart(t, tn, clk, 24*time.Hour, "NATO", "ru-nato", 2)
}

// TestMeetingOverdue: a request for explanation asking for a meeting
// (VD11 para 16.2) is answered; either of its two states records the
// meeting with a meeting response, within 48 h of the answer, or the
// deadline loop raises meeting-overdue about the request, once, on the
// node's clock.
func TestMeetingOverdue(t *testing.T) {
	ctx := context.Background()
	clk := nodetest.NewClock(time.Now())
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now, Tick: time.Hour})
	tn.AddParties(t, "RU", "NATO", "BY")
	tn.AddChannel(t, "c", []string{"RU", "NATO", "BY"}, nil)
	clk.Set(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	ru, nato, by := client(tn, "RU", clk), client(tn, "NATO", clk), client(tn, "BY", clk)
	request := func(meeting bool) int64 {
		r, err := file(t, nato, "NATO", "c", deconflict.KindNotification, fmt.Sprintf(`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"why?","meeting":%v}`, meeting), nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.Index
	}
	respond := func(c *dhttp.Client, party string, to int64, kind string) error {
		_, err := file(t, c, party, "c", deconflict.KindResponse, fmt.Sprintf(`{"response":%q}`, kind), &to)
		return err
	}
	plain, held, missed := request(false), request(true), request(true)
	for _, q := range []int64{plain, held, missed} {
		if err := respond(ru, "RU", q, regime.Answer); err != nil {
			t.Fatal(err)
		}
	}
	if err := respond(ru, "RU", plain, regime.Meeting); deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Errorf("meeting on a request that asked for none: %v, want invalid", err)
	}
	if err := respond(by, "BY", held, regime.Meeting); deconflict.ErrorCode(err) != deconflict.EFORBIDDEN {
		t.Errorf("meeting recorded by a third state: %v, want forbidden", err)
	}
	clk.Add(47 * time.Hour)
	// The requester records it.
	if err := respond(nato, "NATO", held, regime.Meeting); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Hour)
	if err := tn.CheckFindings(ctx); err != nil {
		t.Fatal(err)
	}
	if fs, _ := nato.Findings(ctx, "c"); len(fs) != 0 {
		t.Fatalf("48 h after the answers: findings %+v, want none yet", fs)
	}
	clk.Add(time.Second)
	for range 2 {
		if err := tn.CheckFindings(ctx); err != nil {
			t.Fatal(err)
		}
	}
	oneFinding(t, tn, nato, "c", regime.MeetingOverdue, missed, "RU")
	// A meeting recorded late does not undo it.
	if err := respond(ru, "RU", missed, regime.Meeting); err != nil {
		t.Fatal(err)
	}
	if err := tn.CheckFindings(ctx); err != nil {
		t.Fatal(err)
	}
	if fs, _ := nato.Findings(ctx, "c"); len(fs) != 1 {
		t.Fatalf("after a late meeting: findings %+v, want the one", fs)
	}
}

// TestAmendmentRaisesOnce: an observable activity notified late, then
// amended twice (the last amendment raising it above 40,000 troops): the
// node raises late and observation-required once, about the first
// notice, and nothing about the amendments.
func TestAmendmentRaisesOnce(t *testing.T) {
	ctx := context.Background()
	clk := nodetest.NewClock(time.Now())
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now, Tick: time.Hour})
	tn.AddParties(t, "RU", "NATO")
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	clk.Set(time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC))
	ru, nato := client(tn, "RU", clk), client(tn, "NATO", clk)
	var first int64
	for i, troops := range []int{14000, 15000, 41000} {
		form := fmt.Sprintf(`{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":"2027-09-10","end":"2027-09-16","troops":%d,`, troops) + baltic + `}`
		r, err := file(t, ru, "RU", "ru-nato", deconflict.KindNotification, form, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r.Index
		}
		clk.Add(time.Hour)
	}
	if err := tn.CheckFindings(ctx); err != nil {
		t.Fatal(err)
	}
	fs, err := nato.Findings(ctx, "ru-nato")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s@%d", f.Code, f.About[0]))
	}
	if want := []string{fmt.Sprintf("late@%d", first), fmt.Sprintf("observation-required@%d", first)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
}
