package console_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/regime"
)

// TestBrowserNotifyEachRegime files, as RU's officer in the Notices tab's
// form, one notification of every regime the node knows (regime.Regimes):
// for each, the template the form offers for the regime with one required
// field taken out is refused with the node's "invalid" error naming that
// field, then the template (a vd11-prior made late: its start 10 days
// ahead; an intention over the sea area of an encounter to come) is filed
// and the node holds it. NATO's officer, in its own browser, sees every
// notification: the late one with its "late" finding in strong red (the
// computed colours), the deadline 42 days before its start "(passed)", the
// request for explanation asking NATO with its reply due 48 h after the
// node received it and the time left, the launch's deadline 24 h before
// it; the expected texts are written here from the node's times, not by
// the page's formatter. NATO answers the request and records the meeting
// it asked for from its buttons. A head-on encounter of RU's frigate inside the
// intention's area is then labelled "explained by ru-nato:N" (the
// intention's index, named: "notified TRANSIT (RU intention)") in
// NATO's encounter list, with no "Ask for explanation".
func TestBrowserNotifyEachRegime(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	root := chromium(t, 150*time.Second)
	ctx := root
	ru, nato := newBrowser(t, root, "RU", base), newBrowser(t, root, "NATO", base)
	loginAll(t, ru, nato)
	for _, b := range []*browser{ru, nato} {
		b.do(chromedp.Navigate(base + "/#ru-nato/notices"))
		b.wait("the notices tab", `!!document.getElementById("notify-form") && !document.getElementById("notification-list")`, 15*time.Second)
	}

	// The form offers every regime of the node.
	var offered []string
	if err := json.Unmarshal([]byte(ru.eval(`JSON.stringify([...document.querySelectorAll("#notify-regime option")].map((o) => o.value))`)), &offered); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(offered, regime.Regimes) {
		t.Fatalf("the form offers %v, want every regime %v", offered, regime.Regimes)
	}

	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	lateStart := today.AddDate(0, 0, 10)
	// the sea area around the encounter scenario() plays (55.5 N, 19.0-19.1 E)
	encounterArea := map[string]any{"polygon": [][2]float64{{55.3, 18.8}, {55.3, 19.3}, {55.7, 19.3}, {55.7, 18.8}}}
	cases := []struct {
		regime  string
		drop    string               // a required field taken out first
		edit    func(map[string]any) // then the template as filed
		finding string               // the finding raised about it at receipt
	}{
		{regime.VD11Prior, "area", func(f map[string]any) {
			f["start"], f["end"] = lateStart.Format(time.DateOnly), lateStart.AddDate(0, 0, 2).Format(time.DateOnly)
		}, "late"},
		{regime.VD11Calendar, "entries", nil, ""},
		{regime.VD11Explanation, "to", func(f map[string]any) { f["meeting"] = true }, ""},
		{regime.VD11Hazard, "text", nil, ""},
		{regime.Launch1988, "impact_area", nil, ""},
		{regime.INCSEANotice, "end", nil, ""},
		{regime.Intention, "area", func(f map[string]any) {
			f["area"] = encounterArea
			f["start"], f["end"] = now.Add(-time.Hour).Format(time.RFC3339), now.Add(48*time.Hour).Format(time.RFC3339)
		}, ""},
	}
	// Next year's calendar raises nothing: before 15 November it is on
	// time, after it the channel (created by this test) did not exist when
	// it was due, so it may have gone through another channel.
	index := map[string]int64{}
	for n, c := range cases {
		if got := ru.eval(fmt.Sprintf(`(() => { const s = document.getElementById("notify-regime"); s.value = %q; s.dispatchEvent(new Event("change")); return document.getElementById("notify-form").value; })()`, c.regime)); got == "" {
			t.Fatalf("%s: no template", c.regime)
		}
		var form map[string]any
		if err := json.Unmarshal([]byte(ru.eval(`document.getElementById("notify-form").value`)), &form); err != nil {
			t.Fatalf("%s: the template is not JSON: %v", c.regime, err)
		}
		if form["regime"] != c.regime || form["state"] != "RU" {
			t.Errorf("%s: template %v, want the regime and RU's state", c.regime, form)
		}
		if (c.regime == regime.VD11Explanation || c.regime == regime.VD11Hazard) && form["to"] != "NATO" {
			t.Errorf("%s: template asks %v, want the channel's other member NATO", c.regime, form["to"])
		}
		put := func(f map[string]any) {
			t.Helper()
			b, _ := json.Marshal(f)
			q, _ := json.Marshal(string(b))
			ru.eval(`(() => { const t = document.getElementById("notify-form"); t.value = ` + string(q) + `; t.dispatchEvent(new Event("input")); document.getElementById("notify-submit").click(); return ""; })()`)
		}
		// without the required field: the node's invalid error, naming it
		without := map[string]any{}
		for k, v := range form {
			if k != c.drop {
				without[k] = v
			}
		}
		put(without)
		want := fmt.Sprintf(`missing required field %q`, c.drop)
		ru.wait(c.regime+"'s refusal", `document.getElementById("notify-error").textContent !== ""`, 15*time.Second)
		if got := ru.eval(`document.getElementById("notify-error").textContent`); !strings.HasPrefix(got, "invalid: ") || !strings.Contains(got, want) {
			t.Errorf("%s without %s: error %q, want the node's code first, then %s", c.regime, c.drop, got, want)
		}
		// the template, filed
		if c.edit != nil {
			c.edit(form)
		}
		put(form)
		ru.wait(c.regime+" filed", fmt.Sprintf(`document.querySelectorAll("#notification-list li[data-index]").length === %d && document.getElementById("notify-error").textContent === ""`, n+1), 15*time.Second)
		ns, err := tn.Notifications(ctx, deconflict.NodeAuthor, "ru-nato")
		if err != nil || len(ns) != n+1 {
			t.Fatalf("after %s the node holds %d notifications (%v), want %d", c.regime, len(ns), err, n+1)
		}
		last := ns[n]
		var wantFindings []string
		if c.finding != "" {
			wantFindings = []string{c.finding}
		}
		if last.Regime != c.regime || last.State != "RU" || !slices.Equal(last.Findings, wantFindings) {
			t.Errorf("filed %s: the node holds %s by %s with findings %v, want %s by RU with %v", c.regime, last.Regime, last.State, last.Findings, c.regime, wantFindings)
		}
		index[c.regime] = last.Index
	}

	// NATO's side: every notification, the findings in strong colours,
	// deadlines and the time left.
	ns, err := tn.Notifications(ctx, deconflict.NodeAuthor, "ru-nato")
	if err != nil {
		t.Fatal(err)
	}
	received := map[string]time.Time{}
	for _, n := range ns {
		received[n.Regime] = n.Received
	}
	nato.wait("every notification on NATO's side", fmt.Sprintf(`document.querySelectorAll("#notification-list li[data-index]").length === %d`, len(cases)), 15*time.Second)
	type noticeView struct {
		Class, Text, Due, Border, Badge, BadgeText string
		Findings                                   []string
	}
	notice := func(regimeName string) noticeView {
		t.Helper()
		var v noticeView
		if err := json.Unmarshal([]byte(nato.eval(fmt.Sprintf(`(() => { const li = document.querySelector('#notification-list li[data-index="%d"]'); if (!li) return "{}";
			const b = li.querySelector(".badge.finding"), cs = getComputedStyle(li);
			return JSON.stringify({ class: li.className, text: li.innerText, due: li.querySelector(".due")?.textContent || "",
				border: cs.borderLeftStyle + " " + cs.borderLeftWidth + " " + cs.borderLeftColor,
				badge: b ? getComputedStyle(b).backgroundColor + " " + getComputedStyle(b).color : "", badgeText: b ? b.textContent : "",
				findings: [...li.querySelectorAll(".badge.finding")].map((x) => x.textContent) }); })()`, index[regimeName]))), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	minute := func(tm time.Time) string { return tm.UTC().Format("2006-01-02 15:04") + "Z" }
	red := "rgb(176, 0, 32)"
	late := notice(regime.VD11Prior)
	if !strings.Contains(late.Class, "has-finding") || late.Border != "solid 4px "+red || late.Badge != red+" rgb(255, 255, 255)" || late.BadgeText != "late" {
		t.Errorf("the late notification on NATO's side: class %q, border %q, badge %q %q; want the finding in strong red (border solid 4px %s, badge %s on white)", late.Class, late.Border, late.Badge, late.BadgeText, red, red)
	}
	if want := "deadline " + minute(lateStart.AddDate(0, 0, -42)) + " (passed)"; !strings.Contains(late.Due, want) {
		t.Errorf("the late notification's deadline reads %q, want %q", late.Due, want)
	}
	if !strings.Contains(late.Text, "acknowledged by: awaiting") || !strings.Contains(late.Text, "Acknowledge") {
		t.Errorf("the late notification on NATO's side: %q, want it awaiting NATO's acknowledgement with the button", late.Text)
	}
	ask := notice(regime.VD11Explanation)
	wantDue := regexp.MustCompile(`reply due ` + regexp.QuoteMeta(minute(received[regime.VD11Explanation].Add(48*time.Hour))) + ` \(1 d 23 h left\)`)
	if !wantDue.MatchString(ask.Due) || strings.Contains(ask.Class, "has-finding") {
		t.Errorf("the request for explanation on NATO's side: %q (class %q), want %s and no finding", ask.Due, ask.Class, wantDue)
	}
	var launchForm struct{ Start time.Time }
	for _, n := range ns {
		if n.Regime == regime.Launch1988 {
			json.Unmarshal(n.Form, &launchForm)
		}
	}
	launchDue := regexp.MustCompile(`deadline ` + regexp.QuoteMeta(minute(launchForm.Start.Add(-24*time.Hour))) + ` \(\d+ h [0-5][0-9] min left\)`)
	if l := notice(regime.Launch1988); launchForm.Start.IsZero() || !launchDue.MatchString(l.Due) || len(l.Findings) != 0 {
		t.Errorf("the launch on NATO's side: %q, findings %v, want %s and none", l.Due, l.Findings, launchDue)
	}
	if c := notice(regime.VD11Calendar); !strings.Contains(c.Text, fmt.Sprintf("annual calendar %d, 1 entry by RU", now.Year()+1)) {
		t.Errorf("the calendar on NATO's side: %q, want it named by its year and entries", c.Text)
	}
	// The time left stays current: with the deadline moved 90 minutes
	// ahead of now in the page, the next tick says so.
	if got := nato.eval(fmt.Sprintf(`(() => { const s = document.querySelector('#notification-list li[data-index="%d"] .due span.left');
		s.dataset.due = new Date(Date.now() + 90 * 60e3 + 30e3).toISOString(); window.deconflictConsole.notices.tick(); return s.textContent; })()`, index[regime.Launch1988])); got != "1 h 30 min left" {
		t.Errorf("the launch's time left after a tick: %q, want \"1 h 30 min left\"", got)
	}
	if in := notice(regime.Intention); !strings.Contains(in.Due, "no deadline") {
		t.Errorf("the intention on NATO's side: %q, want no deadline", in.Due)
	}
	var findings []string
	if err := json.Unmarshal([]byte(nato.eval(`JSON.stringify([...document.querySelectorAll("#finding-list .badge.finding")].map((b) => b.textContent))`)), &findings); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(findings, []string{"late"}) {
		t.Errorf("NATO's findings list %v, want [late]", findings)
	}
	nato.screenshot(artifactsDir(t), "notices-nato.png")

	// NATO answers the request and records the meeting it asked for; RU,
	// which asked, may record it too (its only action on its own request).
	sel := func(r string) string {
		return fmt.Sprintf(`#notification-list button[data-respond=%q][data-index="%d"]`, r, index[regime.VD11Explanation])
	}
	nato.click(sel("answer"))
	nato.wait("the answer", fmt.Sprintf(`!!document.querySelector(%q) && document.querySelector('#notification-list li[data-index="%d"]').innerText.includes("responses: NATO (nato-officer) answer")`, sel("meeting"), index[regime.VD11Explanation]), 15*time.Second)
	nato.click(sel("meeting"))
	nato.wait("the meeting recorded", fmt.Sprintf(`document.querySelector('#notification-list li[data-index="%d"]').innerText.includes("NATO (nato-officer) meeting")`, index[regime.VD11Explanation]), 15*time.Second)
	ru.wait("RU's own request offering only the meeting", fmt.Sprintf(`(() => { const li = document.querySelector('#notification-list li[data-index="%d"]');
		return !!li && [...li.querySelectorAll(".actions button")].map((b) => b.dataset.respond).join() === "meeting"; })()`, index[regime.VD11Explanation]), 15*time.Second)
	ns, err = tn.Notifications(ctx, deconflict.NodeAuthor, "ru-nato")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if n.Index == index[regime.VD11Explanation] {
			var got []string
			for _, r := range n.Responses {
				got = append(got, r.Author+" "+r.Response)
			}
			if !slices.Equal(got, []string{"NATO answer", "NATO meeting"}) {
				t.Errorf("the request's responses at the node: %v, want NATO's answer and meeting", got)
			}
		}
	}

	// RU's frigate meets NATO's destroyer inside the intention's area:
	// explained, on NATO's side too.
	if err := tn.Live.Ingest(ctx, deconflict.NodeAuthor, scenario(time.Now().UTC())); err != nil {
		t.Fatal(err)
	}
	wantExplained := fmt.Sprintf("explained by notified TRANSIT (RU intention), ru-nato:%d", index[regime.Intention])
	nato.wait("the explained encounter", fmt.Sprintf(`(() => { const e = document.querySelector("#encounters [data-explained]"); return !!e && e.textContent === %q && !e.classList.contains("unexplained"); })()`, wantExplained), 20*time.Second)
	if got := nato.eval(`String(document.querySelectorAll("#encounters button.ask").length)`); got != "0" {
		t.Errorf("%s ask buttons on an explained encounter, want none", got)
	}
	nato.screenshot(artifactsDir(t), "notices-nato-explained.png")
	if dir := os.Getenv("DECONFLICT_DOCS_SHOTS"); dir != "" {
		nato.do(chromedp.EmulateViewport(1440, 900))
		nato.wait("resized", `window.innerWidth === 1440 && window.innerHeight === 900`, 5*time.Second)
		nato.do(chromedp.Sleep(300 * time.Millisecond)) // a frame or two
		docScreenshot(t, nato, filepath.Join(dir, "notices-nato-1440x900.png"))
	}
	ru.checkNoErrors()
	nato.checkNoErrors()
}
