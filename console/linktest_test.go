package console_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/node"
)

// testLinkTest sets channel's link tests to every interval (with as
// long to answer) and waits for the node's first test.
func testLinkTest(t *testing.T, tn *testNode, channel string, interval time.Duration) node.LinkTestView {
	t.Helper()
	ctx := context.Background()
	d := deconflict.Duration(interval)
	if _, err := tn.PatchPolicy(ctx, deconflict.NodeAuthor, channel, deconflict.PolicyPatch{LinkTest: &d, LinkTestWithin: &d}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		v, err := tn.Availability(ctx, "RU", channel, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Tests) > 0 {
			return v.Tests[0]
		}
	}
	t.Fatal("no link test within 20 s")
	return node.LinkTestView{}
}

// TestConsoleLinkAnswer: an officer's console answers a link test with
// the party's hosted key, naming the officer; a second answer is a
// conflict, a request without an index invalid, and another channel's
// officer gets not_found.
func TestConsoleLinkAnswer(t *testing.T) {
	tn := startNode(t)
	base := tn.Server.URL()
	test := testLinkTest(t, tn, "ru-us-syria", time.Second)
	hour := deconflict.Duration(time.Hour)
	if _, err := tn.PatchPolicy(context.Background(), deconflict.NodeAuthor, "ru-us-syria", deconflict.PolicyPatch{LinkTest: &hour}); err != nil {
		t.Fatal(err)
	}
	ru, nato := newBrowserless(t, base), newBrowserless(t, base)
	ru.login("RU")
	nato.login("NATO")
	var rec deconflict.Receipt
	if st, code := ru.do("POST", "/v1/console/link-answer", console.LinkAnswerRequest{Channel: "ru-us-syria", Index: &test.Index}, &rec); st != http.StatusCreated {
		t.Fatalf("link answer: %d %s", st, code)
	}
	var envs []dhttp.EnvelopeView
	ru.do("GET", "/v1/channels/ru-us-syria/envelopes?from="+strconv.FormatInt(rec.Index, 10), nil, &envs)
	if len(envs) != 1 || envs[0].Kind != deconflict.KindLinkAnswer || envs[0].Author != "RU" || envs[0].Key != deconflict.EncodeKey(tn.Keys["RU"].Public().(ed25519.PublicKey)) {
		t.Fatalf("the answer %+v, want a link-answer signed with RU's hosted key", envs)
	}
	p, err := deconflict.ParsePayload(envs[0].Payload)
	if err != nil || *p.Ack != test.Index || p.Officer != username("RU") {
		t.Fatalf("the answer's payload %+v (%v), want ack %d by officer %s", p, err, test.Index, username("RU"))
	}
	if st, code := ru.do("POST", "/v1/console/link-answer", console.LinkAnswerRequest{Channel: "ru-us-syria", Index: &test.Index}, nil); code != "conflict" {
		t.Fatalf("second answer: %d %s, want conflict", st, code)
	}
	if st, code := ru.do("POST", "/v1/console/link-answer", console.LinkAnswerRequest{Channel: "ru-us-syria"}, nil); code != "invalid" {
		t.Fatalf("answer without an index: %d %s, want invalid", st, code)
	}
	if st, code := nato.do("POST", "/v1/console/link-answer", console.LinkAnswerRequest{Channel: "ru-us-syria", Index: &test.Index}, nil); code != "not_found" {
		t.Fatalf("a non-member's answer: %d %s, want not_found", st, code)
	}
}

// TestBrowserLinkTest: with RU's officer signed in and the page open, the
// console answers the channel's link tests by itself (every 2 s here, 2 s
// to answer); the line above the tabs shows RU available and US, whom no
// one answers for, not; no link test clutters the hotline's thread.
func TestBrowserLinkTest(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	root := chromium(t, 90*time.Second)
	ru := newBrowser(t, root, "RU", base)
	if err := ru.login("RU"); err != nil {
		t.Fatal(err)
	}
	ru.do(chromedp.Navigate(base + "/#ru-us-syria/hotline"))
	ru.wait("the availability line", `!!document.getElementById("link-availability") && !document.getElementById("link-availability").hidden`, 15*time.Second)
	msg, err := deconflict.SignPayload(tn.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: "US", Time: time.Now().UTC(),
		Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "weekly schedule"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Submit(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	testLinkTest(t, tn, "ru-us-syria", 2*time.Second)
	ru.wait("RU available and US not", `(() => { const s = document.getElementById("link-availability").innerText; return /RU 100%/.test(s) && /US 0%/.test(s); })()`, 30*time.Second)
	v, err := tn.Availability(context.Background(), "US", "ru-us-syria", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if p := v.Parties[0]; p.Party != "RU" || p.Answered == 0 || p.Answered != p.Tests {
		t.Fatalf("RU's availability %+v, want every closed test answered in time", p)
	}
	if s := ru.eval(`document.querySelector(".thread").innerText`); strings.Contains(s, "link test 1 of") || strings.Contains(s, "answered within") || !strings.Contains(s, "weekly schedule") {
		t.Fatalf("the hotline thread shows link tests, or not the message:\n%s", s)
	}
	ru.screenshot(artifactsDir(t), "linktest-availability.png")
	ru.checkNoErrors()
}
