package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
)

// trio adds FR to the fixture and a channel ru-us-fr of RU, US and FR
// with policy p (nil: the defaults).
func (fx *fixture) trio(p *deconflict.Policy) {
	fx.t.Helper()
	ctx := context.Background()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	if err := fx.n.CreateParty(ctx, deconflict.NodeAuthor, &deconflict.Party{ID: "FR", Keys: []deconflict.PartyKey{{Party: "FR", Public: pub}}}); err != nil {
		fx.t.Fatal(err)
	}
	fx.keys["FR"] = priv
	c := &deconflict.Channel{ID: "ru-us-fr", Members: []string{"RU", "US", "FR"}}
	if p != nil {
		c.Policy = *p
	}
	if err := fx.n.CreateChannel(ctx, deconflict.NodeAuthor, c); err != nil {
		fx.t.Fatal(err)
	}
}

// answer submits party's link-answer to the test at index on ru-us-fr.
func (fx *fixture) answer(party string, index int64) (*deconflict.Receipt, error) {
	p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-fr", Author: party, Time: fx.clk.Now(), Kind: deconflict.KindLinkAnswer, Ack: &index}
	s, err := deconflict.SignPayload(fx.keys[party], p)
	if err != nil {
		fx.t.Fatal(err)
	}
	return fx.n.Submit(context.Background(), s)
}

// linkEnvelopes returns the ru-us-fr envelopes of kind, with their payloads.
func (fx *fixture) linkEnvelopes(kind string) []*deconflict.Payload {
	fx.t.Helper()
	envs, err := fx.n.Envelopes(context.Background(), deconflict.NodeAuthor, "ru-us-fr", 0, 1000)
	if err != nil {
		fx.t.Fatal(err)
	}
	var out []*deconflict.Payload
	for _, e := range envs {
		if e.Kind != kind {
			continue
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			fx.t.Fatal(err)
		}
		if (kind == deconflict.KindLinkTest || kind == deconflict.KindLinkResult) && e.Author != deconflict.NodeAuthor {
			fx.t.Fatalf("%s %d authored by %s", kind, e.Index, e.Author)
		}
		out = append(out, p)
	}
	return out
}

// figures renders each party's availability as party:tests/answered/late/unanswered:percent.
func figures(v *node.AvailabilityView) string {
	var out []string
	for _, p := range v.Parties {
		pct := "-"
		if p.Percent != nil {
			pct = fmt.Sprintf("%g", *p.Percent)
		}
		out = append(out, fmt.Sprintf("%s:%d/%d/%d/%d:%s", p.Party, p.Tests, p.Answered, p.Late, p.Unanswered, pct))
	}
	return strings.Join(out, " ")
}

// TestLinkTest: with the test's clock, the node logs a link test on the
// channel one interval (the default hour) after its creation and then
// every interval after the last test; a member's answer within the time
// to answer (the default 60 s, the boundary included) counts, a later one
// is late, none is missing; the link-result the node logs once the time
// is over names exactly those who answered in time; the availability
// figures follow, over any period, also after a restart; a second answer,
// an answer to another kind and a party's link-test are refused; a
// policy of "0s" stops the tests, and after a pause one test is sent.
func TestLinkTest(t *testing.T) {
	fx := newFixture(t, nil)
	fx.trio(nil)
	ctx := context.Background()
	check := func() {
		t.Helper()
		if err := fx.n.CheckLinkTests(ctx); err != nil {
			t.Fatal(err)
		}
	}
	avail := func(from, to time.Time) *node.AvailabilityView {
		t.Helper()
		v, err := fx.n.Availability(ctx, "RU", "ru-us-fr", from, to)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	mustAnswer := func(party string, index int64) {
		t.Helper()
		if _, err := fx.answer(party, index); err != nil {
			t.Fatalf("%s's answer to %d: %v", party, index, err)
		}
	}

	fx.clk.Add(time.Hour - time.Second)
	check()
	if got := len(fx.linkEnvelopes(deconflict.KindLinkTest)); got != 0 {
		t.Fatalf("%d link tests before the first interval, want 0", got)
	}
	fx.clk.Add(time.Second) // t0 + 1h
	check()
	check()
	tests := fx.linkEnvelopes(deconflict.KindLinkTest)
	if len(tests) != 1 {
		t.Fatalf("%d link tests at the first interval, want 1", len(tests))
	}
	var body deconflict.LinkTestBody
	if err := json.Unmarshal(tests[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(body.Seq, tests[0].AckFrom, time.Duration(body.Within), time.Duration(body.Interval)), "1 [RU US FR] 1m0s 1h0m0s"; got != want {
		t.Fatalf("link test: %s, want %s", got, want)
	}
	test1 := int64(0) // the channel's first envelope
	if !tests[0].Time.Equal(t0.Add(time.Hour)) {
		t.Fatalf("link test time %s", tests[0].Time)
	}

	fx.clk.Add(12 * time.Second)
	mustAnswer("RU", test1)
	if _, err := fx.answer("RU", test1); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Fatalf("second answer: %v, want conflict", err)
	}
	fx.clk.Add(48 * time.Second) // the deadline: the test is still open
	check()
	if got := len(fx.linkEnvelopes(deconflict.KindLinkResult)); got != 0 {
		t.Fatalf("%d link results at the deadline, want 0", got)
	}
	if v := avail(t0, t0.Add(24*time.Hour)); !v.Tests[0].Open || figures(v) != "RU:0/0/0/0:- US:0/0/0/0:- FR:0/0/0/0:-" {
		t.Fatalf("open test counted: %s (open %v)", figures(v), v.Tests[0].Open)
	}
	fx.clk.Add(time.Second) // 61 s: US is late
	mustAnswer("US", test1)
	check()
	results := fx.linkEnvelopes(deconflict.KindLinkResult)
	if len(results) != 1 || *results[0].Ack != test1 {
		t.Fatalf("link results %v, want one of test %d", results, test1)
	}
	var res deconflict.LinkResultBody
	if err := deconflict.DecodeStrict(results[0].Body, &res); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(res.Answered, res.Missing, time.Duration(res.Within)), "[{RU 1 12000}] [US FR] 1m0s"; got != want {
		t.Fatalf("link result %s, want %s", got, want)
	}
	if want := "answered within 1m0s by RU (12s); not answered within 1m0s by US, FR"; !strings.Contains(results[0].Text, want) {
		t.Fatalf("link result text %q, want it to say %q", results[0].Text, want)
	}
	check()
	if got := len(fx.linkEnvelopes(deconflict.KindLinkResult)); got != 1 {
		t.Fatalf("%d link results after another check, want 1", got)
	}
	if got, want := figures(avail(t0, t0.Add(24*time.Hour))), "RU:1/1/0/0:100 US:1/0/1/0:0 FR:1/0/0/1:0"; got != want {
		t.Fatalf("after test 1: %s, want %s", got, want)
	}

	// Refusals.
	if _, err := fx.answer("FR", 1); deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Fatalf("answer to an answer: %v, want invalid", err)
	}
	forged := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-fr", Author: "RU", Time: fx.clk.Now(), Kind: deconflict.KindLinkTest,
		AckFrom: []string{"US"}, Body: json.RawMessage(`{"seq":9,"interval":"1h0m0s","within":"1m0s"}`)}
	if s, _ := deconflict.SignPayload(fx.keys["RU"], forged); s != nil {
		if _, err := fx.n.Submit(ctx, s); deconflict.ErrorCode(err) != deconflict.EFORBIDDEN {
			t.Fatalf("a party's link-test: %v, want forbidden", err)
		}
	}

	// The second test: one interval after the first, whatever happened
	// between. RU at exactly the deadline (counts), US at 59 s, FR never.
	fx.clk.Set(t0.Add(2*time.Hour - time.Second))
	check()
	if got := len(fx.linkEnvelopes(deconflict.KindLinkTest)); got != 1 {
		t.Fatalf("%d link tests before the second interval, want 1", got)
	}
	fx.clk.Set(t0.Add(2 * time.Hour))
	check()
	tests = fx.linkEnvelopes(deconflict.KindLinkTest)
	if len(tests) != 2 {
		t.Fatalf("%d link tests at the second interval, want 2", len(tests))
	}
	test2 := avail(t0, t0.Add(24*time.Hour)).Tests[1].Index
	fx.clk.Add(59 * time.Second)
	mustAnswer("US", test2)
	fx.clk.Add(time.Second)
	mustAnswer("RU", test2)
	fx.clk.Add(time.Millisecond)
	check()
	if got, want := figures(avail(t0, t0.Add(24*time.Hour))), "RU:2/2/0/0:100 US:2/1/1/0:50 FR:2/0/0/2:0"; got != want {
		t.Fatalf("after test 2: %s, want %s", got, want)
	}
	results = fx.linkEnvelopes(deconflict.KindLinkResult)
	res = deconflict.LinkResultBody{}
	json.Unmarshal(results[1].Body, &res)
	if got, want := fmt.Sprint(res.Answered, res.Missing), fmt.Sprintf("[{RU %d 60000} {US %d 59000}] [FR]", test2+2, test2+1); got != want {
		t.Fatalf("link result 2: %s, want %s", got, want)
	}
	if got, want := figures(avail(t0.Add(90*time.Minute), t0.Add(150*time.Minute))), "RU:1/1/0/0:100 US:1/1/0/0:100 FR:1/0/0/1:0"; got != want {
		t.Fatalf("period of test 2 only: %s, want %s", got, want)
	}
	v := avail(t0, t0.Add(24*time.Hour))
	if p := v.Parties[0]; p.MaxDelayMS != 60000 {
		t.Fatalf("RU's longest delay %d ms, want 60000", p.MaxDelayMS)
	}
	if a := v.Tests[0].Answers; fmt.Sprintf("%s %s %s %d", a[0].State, a[1].State, a[2].State, *a[1].DelayMS) != "answered late missing 61000" {
		t.Fatalf("test 1 answers: %+v", a)
	}

	// Read back from the log by a node that starts afresh over the store.
	fresh := node.New(fx.store, fx.n.Key, "node-test")
	fresh.Now = fx.clk.Now
	fv, err := fresh.Availability(ctx, "US", "ru-us-fr", t0, t0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := figures(fv), figures(v); got != want {
		t.Fatalf("after a restart: %s, want %s", got, want)
	}

	// Off: no test at the next interval; the change is in the log.
	off := deconflict.Duration(0)
	if _, err := fx.n.PatchPolicy(ctx, deconflict.NodeAuthor, "ru-us-fr", deconflict.PolicyPatch{LinkTest: &off}); err != nil {
		t.Fatal(err)
	}
	pols := fx.linkEnvelopes(deconflict.KindPolicy)
	if len(pols) != 1 || !strings.Contains(pols[0].Text, "link test interval 1h0m0s -> 0s") {
		t.Fatalf("policy envelopes %v", pols)
	}
	fx.clk.Set(t0.Add(5 * time.Hour))
	check()
	if got := len(fx.linkEnvelopes(deconflict.KindLinkTest)); got != 2 {
		t.Fatalf("%d link tests with the tests off, want 2", got)
	}
	// On again, every 30 min, after a pause of hours: one test, at once.
	half := deconflict.Duration(30 * time.Minute)
	if _, err := fx.n.PatchPolicy(ctx, deconflict.NodeAuthor, "ru-us-fr", deconflict.PolicyPatch{LinkTest: &half}); err != nil {
		t.Fatal(err)
	}
	check()
	check()
	if got := len(fx.linkEnvelopes(deconflict.KindLinkTest)); got != 3 {
		t.Fatalf("%d link tests after the pause, want 3", got)
	}
	if v := avail(t0, t0.Add(24*time.Hour)); !v.Tests[2].Open || v.Tests[2].Seq != 3 || figures(v) != "RU:2/2/0/0:100 US:2/1/1/0:50 FR:2/0/0/2:0" {
		t.Fatalf("an open test changes the figures: %s", figures(v))
	}
	// Only members read the figures.
	if _, err := fx.n.Availability(ctx, "XX", "ru-us-fr", t0, t0.Add(time.Hour)); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("a non-member's availability: %v, want not found", err)
	}
}

// TestLinkTestPolicy: the link test interval and time to answer are set
// and checked like any policy.
func TestLinkTestPolicy(t *testing.T) {
	fx := newFixture(t, nil)
	ctx := context.Background()
	d := func(v time.Duration) *deconflict.Duration { x := deconflict.Duration(v); return &x }
	for name, pt := range map[string]deconflict.PolicyPatch{
		"ErrIntervalTooShort": {LinkTest: d(time.Millisecond)},
		"ErrNegative":         {LinkTest: d(-time.Second)},
		"ErrWithinTooShort":   {LinkTestWithin: d(0)},
		"ErrWithinOverLong":   {LinkTest: d(time.Minute), LinkTestWithin: d(2 * time.Minute)},
	} {
		if _, err := fx.n.PatchPolicy(ctx, deconflict.NodeAuthor, "ru-us", pt); deconflict.ErrorCode(err) != deconflict.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	c, err := fx.n.PatchPolicy(ctx, deconflict.NodeAuthor, "ru-us", deconflict.PolicyPatch{LinkTest: d(10 * time.Minute), LinkTestWithin: d(30 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(c.Policy.LinkTestInterval(), c.Policy.LinkTestAnswerWithin()), "10m0s 30s"; got != want {
		t.Fatalf("policy %s, want %s", got, want)
	}
	if got := kinds(fx.envelopes()); got != "policy" {
		t.Fatalf("log %s, want one policy envelope", got)
	}
}
