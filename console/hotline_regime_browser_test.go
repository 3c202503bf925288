package console_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	dhttp "github.com/deconflict/deconflict/http"
)

// TestBrowserHotlineRegime: the Hotline tab shows notification, response,
// finding, measure and sign envelopes as one-line summaries (the expected
// lines are written here from the node's indexes and times, not by the
// page's formatter), the finding in strong red, each with a link to its
// entry in the Notices tab and a "signed text" toggle whose bytes are the
// API's payload_b64, kept open across live redraws.
func TestBrowserHotlineRegime(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	root := chromium(t, 120*time.Second, chromedp.WindowSize(1440, 900))
	ru, nato := newBrowserless(t, base), newBrowserless(t, base)
	ru.login("RU")
	nato.login("NATO")
	notify := func(api *browserless, form string) int64 {
		t.Helper()
		var rec deconflict.Receipt
		if st, code := api.do("POST", "/v1/console/notify", console.NotifyRequest{Channel: "ru-nato", Form: json.RawMessage(form)}, &rec); code != "" {
			t.Fatalf("notify %s: %d %s", form, st, code)
		}
		return rec.Index
	}
	day := func(d int) time.Time { return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, d) }
	area := `{"polygon":[[54.4,19.9],[54.4,22.8],[55.3,22.8],[55.3,19.9]]}`
	zStart, zEnd := day(60).Add(14*time.Hour), day(66).Add(2*time.Hour)
	zapad := notify(ru, fmt.Sprintf(`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD-2027","purpose":"exercise","start":%q,"end":%q,"troops":12800,"area":%s}`,
		zStart.Format(time.RFC3339), zEnd.Format(time.RFC3339), area))
	var resp deconflict.Receipt
	if st, code := nato.do("POST", "/v1/console/respond", console.RespondRequest{Channel: "ru-nato", Index: &zapad, Response: "question", Text: "Which units?"}, &resp); code != "" {
		t.Fatalf("respond: %d %s", st, code)
	}
	// ten days ahead, 42 are due: late at receipt
	lStart, lEnd := day(10), day(12)
	ladoga := notify(ru, fmt.Sprintf(`{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":%q,"end":%q,"troops":9500,"tanks":310,"area":%s}`,
		lStart.Format(time.DateOnly), lEnd.Format(time.DateOnly), area))
	var measure deconflict.Receipt
	if st, code := nato.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Terms: json.RawMessage(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":2000}`)}, &measure); code != "" {
		t.Fatalf("propose: %d %s", st, code)
	}
	ctx := root
	fs, err := tn.Findings(ctx, deconflict.NodeAuthor, "ru-nato")
	// 310 tanks: observable too
	if err != nil || len(fs) != 2 || fs[0].Code != "late" || fs[0].About[0] != ladoga || fs[1].Code != "observation-required" || fs[1].About[0] != ladoga {
		t.Fatalf("findings %+v (%v), want LADOGA late and observation-required", fs, err)
	}
	late, obs := fs[0], fs[1]
	sep := "sea separation dangerous 2,000 m"
	want := map[int64]string{
		zapad:         fmt.Sprintf("RU notified vd11-prior ZAPAD-2027 · 12,800 troops · %s – %s", refWhen(zStart), refWhen(zEnd)),
		resp.Index:    fmt.Sprintf("NATO questioned RU's ZAPAD-2027 (ru-nato:%d): Which units?", zapad),
		ladoga:        fmt.Sprintf("RU notified vd11-prior LADOGA · 9,500 troops, 310 tanks · %s – %s", refWhen(lStart), refWhen(lEnd)),
		late.Index:    fmt.Sprintf("Finding: late — RU's LADOGA (ru-nato:%d) was received %s, after its deadline (VD11 para 38)", ladoga, refWhen(late.Time)),
		obs.Index:     fmt.Sprintf("Finding: observation-required — RU's LADOGA (ru-nato:%d) is observable: observers to be invited (VD11 Ch. VI)", ladoga),
		measure.Index: "NATO proposed a measure: " + sep,
	}

	b := newBrowser(t, root, "NATO", base)
	if err := b.login("NATO"); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(1440, 900))
	b.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	summary := func(i int64) string {
		return b.eval(fmt.Sprintf(`(() => { const n = document.querySelector('#msg-ru-nato-%d .summary-text'); return n ? n.textContent : "(none)"; })()`, i))
	}
	b.wait("the summaries", fmt.Sprintf(`document.querySelectorAll("#panel-hotline .summary-text").length >= %d`, len(want)), 15*time.Second)
	check := func() {
		t.Helper()
		for i, w := range want {
			if got := summary(i); got != w {
				t.Errorf("#%d's summary:\n got %q\nwant %q", i, got, w)
			}
		}
	}
	check()
	// the finding in the Notices tab's strong red
	if got := b.eval(fmt.Sprintf(`(() => { const n = document.getElementById("msg-ru-nato-%d"), s = getComputedStyle(n), g = getComputedStyle(n.querySelector(".badge.finding")); return [s.borderLeftColor, g.backgroundColor, g.color, n.querySelector(".badge.finding").textContent].join(" / "); })()`, late.Index)); got != "rgb(176, 0, 32) / rgb(176, 0, 32) / rgb(255, 255, 255) / FINDING" {
		t.Errorf("the finding's card: %s, want a red border and a white on red FINDING badge", got)
	}
	// no envelope of these kinds is shown as raw JSON
	if got := b.eval(`[...document.querySelectorAll("#panel-hotline article.msg")].filter((n) => ["notification","response","finding","measure","sign"].includes(n.dataset.kind) && n.querySelector(".msg-text").textContent.includes('{"')).length + ""`); got != "0" {
		t.Errorf("%s regime envelopes show JSON in their text", got)
	}

	// The signed text: hidden, then shown on the toggle, byte for byte the API's.
	var envs []dhttp.EnvelopeView
	if st, code := nato.do("GET", "/v1/channels/ru-nato/envelopes?from=0&limit=1000", nil, &envs); code != "" {
		t.Fatalf("envelopes: %d %s", st, code)
	}
	signedOf := map[int64]string{}
	for _, e := range envs {
		raw, err := base64.StdEncoding.DecodeString(e.PayloadB64)
		if err != nil {
			t.Fatal(err)
		}
		signedOf[e.Index] = string(raw)
	}
	for i := range want {
		sel := fmt.Sprintf(`#msg-ru-nato-%d`, i)
		if got := b.eval(fmt.Sprintf(`(() => { const d = document.querySelector('%s details.signed-text'); return d.open + " " + d.querySelector("pre").checkVisibility(); })()`, sel)); got != "false false" {
			t.Errorf("#%d's signed text is shown before the toggle (open, visible: %s)", i, got)
		}
		b.click(sel + " details.signed-text summary")
		b.wait("the signed text", fmt.Sprintf(`document.querySelector('%s details.signed-text').open && document.querySelector('%s details.signed-text pre').checkVisibility()`, sel, sel), 5*time.Second)
		got := b.eval(fmt.Sprintf(`document.querySelector('%s details.signed-text pre').textContent`, sel))
		if got != signedOf[i] {
			t.Errorf("#%d's signed text:\n got %q\nwant %q (the API's payload_b64)", i, got, signedOf[i])
		}
	}
	// RU signs the measure: the page redraws, the toggles stay open, the
	// sign has its summary.
	var sign deconflict.Receipt
	if st, code := ru.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Index: &measure.Index}, &sign); code != "" {
		t.Fatalf("sign: %d %s", st, code)
	}
	want[sign.Index] = fmt.Sprintf("RU signed measure ru-nato:%d (%s)", measure.Index, sep)
	b.wait("the signature", fmt.Sprintf(`!!document.querySelector('#msg-ru-nato-%d .summary-text')`, sign.Index), 15*time.Second)
	check()
	if got := b.eval(fmt.Sprintf(`document.querySelectorAll("#panel-hotline details.signed-text[open]").length + " " + document.querySelector('#msg-ru-nato-%d details.signed-text').open`, sign.Index)); got != strconv.Itoa(len(want)-1)+" false" {
		t.Errorf("after a redraw, open toggles and the new one's: %s, want %d false", got, len(want)-1)
	}
	b.screenshot(artifactsDir(t), "hotline-regime-nato.png")
	if dir := os.Getenv("DECONFLICT_DOCS_SHOTS"); dir != "" {
		// the doc's picture: the summaries with one signed text open
		b.eval(`(() => { for (const d of document.querySelectorAll("#panel-hotline details.signed-text[open]")) d.querySelector("summary").click(); return "ok"; })()`)
		b.click(fmt.Sprintf(`#msg-ru-nato-%d details.signed-text summary`, resp.Index))
		// (the first-use notice of the node key dismissed, for room)
		b.eval(fmt.Sprintf(`(() => { for (const x of document.querySelectorAll("aside.side button, aside.side a")) if (x.textContent === "Dismiss") x.click(); document.getElementById("msg-ru-nato-%d").scrollIntoView({ block: "start" }); return "ok"; })()`, resp.Index))
		b.do(chromedp.Sleep(300 * time.Millisecond)) // a frame or two
		docScreenshot(t, b, filepath.Join(dir, "hotline-regime-1440x900.png"))
	}

	// The links go to the entry in the Notices tab.
	for _, c := range []struct {
		from int64
		to   string
	}{{resp.Index, fmt.Sprintf("notice-%d", zapad)}, {late.Index, fmt.Sprintf("finding-%d", late.Index)}, {sign.Index, fmt.Sprintf("measure-%d", measure.Index)}} {
		b.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
		b.wait("the hotline", fmt.Sprintf(`!!document.querySelector('#msg-ru-nato-%d .notices-link')`, c.from), 15*time.Second)
		b.click(fmt.Sprintf(`#msg-ru-nato-%d .notices-link`, c.from))
		b.wait("the Notices entry "+c.to, fmt.Sprintf(`!document.getElementById("panel-notices").hidden && document.getElementById("tab-notices").getAttribute("aria-selected") === "true" && !!document.getElementById(%q) && document.getElementById(%q).classList.contains("revealed") && document.activeElement === document.getElementById(%q)`, c.to, c.to, c.to), 15*time.Second)
		if got := b.eval(fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return String(r.top >= 0 && r.bottom <= innerHeight); })()`, c.to)); got != "true" {
			t.Errorf("%s is not in view after the link", c.to)
		}
	}
	if got := b.eval(`location.hash`); got != "#ru-nato/notices" {
		t.Errorf("hash %q after the link, want #ru-nato/notices", got)
	}

	// NATO asks RU for an explanation; RU does not answer within 48 h
	// (the node's clock moved on): the node's reply-overdue finding comes
	// live.
	b.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	var req deconflict.Receipt
	if st, code := nato.do("POST", "/v1/console/notify", console.NotifyRequest{Channel: "ru-nato", Form: json.RawMessage(`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"Explain the LADOGA build-up"}`)}, &req); code != "" {
		t.Fatalf("request: %d %s", st, code)
	}
	want[req.Index] = "NATO asked RU for an explanation (vd11-explanation): Explain the LADOGA build-up"
	b.wait("the request", fmt.Sprintf(`!!document.querySelector('#msg-ru-nato-%d .summary-text')`, req.Index), 15*time.Second)
	tn.ahead.Store(int64(49 * time.Hour))
	// (the sessions keep the console's clock: signed in still)
	if st, code := nato.do("GET", "/console/me", nil, nil); code != "" {
		t.Fatalf("NATO's session after the node's clock moved: %d %s", st, code)
	}
	// (the page shows it as it comes: the node's deadline loop runs every 50 ms)
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`document.querySelectorAll('#panel-hotline article[data-kind="finding"]').length === 3`, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		fs, ferr := tn.Findings(ctx, deconflict.NodeAuthor, "ru-nato")
		t.Fatalf("waiting for a third finding in the page: %v; the node's findings: %+v (%v); the page's: %s", err, fs, ferr,
			b.eval(`[...document.querySelectorAll('#panel-hotline article.msg')].map((n) => n.dataset.kind + " " + n.dataset.index).join(", ") + " / hotline " + document.getElementById("hotline-status").textContent`))
	}
	fs, err = tn.Findings(ctx, deconflict.NodeAuthor, "ru-nato")
	if err != nil || len(fs) != 3 || fs[2].Code != "reply-overdue" || fs[2].About[0] != req.Index || fs[2].State != "RU" {
		t.Fatalf("findings %+v (%v), want RU's reply-overdue last", fs, err)
	}
	overdue := fs[2]
	due := req.Received.Add(48 * time.Hour)
	if !overdue.Time.Equal(due) {
		t.Errorf("reply-overdue at %v, want %v", overdue.Time, due)
	}
	want[overdue.Index] = fmt.Sprintf("Finding: reply-overdue — RU did not answer NATO's request ru-nato:%d by %s (VD11 para 16.1)", req.Index, refWhen(due))
	check()
	b.checkNoErrors()
}
