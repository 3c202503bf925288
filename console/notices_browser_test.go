package console_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
)

// TestBrowserNotices drives the Notices tab in Chromium: RU files a
// notification of an activity starting in 10 days (42 days are due) with
// the form; NATO, in its own browser, sees it with its "late" finding and
// acknowledges it; NATO proposes a separation and RU signs it after the
// Sign button showed the exact bytes; both see it binding. An encounter
// is then listed unexplained, NATO asks RU for an explanation from the
// list, and RU sees the request with its reply deadline; the encounter,
// 300 m apart, breaches the separation.
func TestBrowserNotices(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	root := chromium(t, 90*time.Second)
	ctx := root
	ru, nato := newBrowser(t, root, "RU", base), newBrowser(t, root, "NATO", base)
	loginAll(t, ru, nato)
	for _, b := range []*browser{ru, nato} {
		b.do(chromedp.Navigate(base + "/#ru-nato/notices"))
		b.wait("the notices tab", `!!document.getElementById("notify-form")`, 15*time.Second)
	}

	// RU files the form: the LADOGA template's start moved to 10 days from now.
	start := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
	end := time.Now().UTC().AddDate(0, 0, 12).Format(time.DateOnly)
	form := `{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":"` + start + `","end":"` + end + `","troops":9500,"area":{"polygon":[[54.4,19.9],[54.4,22.8],[55.3,22.8],[55.3,19.9]]}}`
	q, _ := json.Marshal(form)
	ru.eval(`(() => { document.getElementById("notify-form").value = ` + string(q) + `; document.getElementById("notify-submit").click(); return "ok"; })()`)
	ru.wait("RU's own notification with its finding", `!!document.querySelector("#notification-list .badge.finding") && document.getElementById("notification-list").innerText.includes("LADOGA")`, 15*time.Second)

	// NATO sees it live, with the finding, and acknowledges it.
	nato.wait("the notification on NATO's side", `!!document.querySelector("#finding-list") && document.getElementById("finding-list").innerText.includes("late") && document.getElementById("notification-list").innerText.includes("LADOGA")`, 15*time.Second)
	nato.click(`#notification-list li[data-index] .actions button`)
	nato.wait("NATO's acknowledgement", `document.getElementById("notification-list").innerText.includes("acknowledged by: NATO")`, 15*time.Second)

	// NATO proposes a measure at the API; RU signs it in the console.
	api := newBrowserless(t, base)
	api.login("NATO")
	if st, code := api.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Terms: json.RawMessage(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":2000}`)}, nil); code != "" {
		t.Fatalf("propose: %d %s", st, code)
	}
	ru.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	ru.do(chromedp.Navigate(base + "/#ru-nato/notices"))
	ru.wait("the proposal awaiting RU", `!!document.querySelector("#measure-list button[data-sign]")`, 15*time.Second)
	ru.click(`#measure-list button[data-sign]`)
	ru.wait("the bytes to sign", `!!document.getElementById("sign-bytes") && document.getElementById("sign-bytes").textContent.includes('"distance_m":2000')`, 15*time.Second)
	ru.click(`#sign-confirm`)
	ru.wait("the measure binding", `document.getElementById("measure-list").innerText.includes("binding")`, 15*time.Second)
	nato.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	nato.do(chromedp.Navigate(base + "/#ru-nato/notices"))
	nato.wait("the measure binding on NATO's side", `!!document.getElementById("measure-list") && document.getElementById("measure-list").innerText.includes("binding")`, 15*time.Second)
	// An encounter nobody notified is unexplained; NATO asks RU for an
	// explanation from the encounter list, and RU sees the request.
	if err := tn.Live.Ingest(ctx, deconflict.NodeAuthor, scenario(time.Now().UTC())); err != nil {
		t.Fatal(err)
	}
	nato.wait("an unexplained encounter", `!!document.querySelector('#encounters .explained.unexplained') && !!document.querySelector('#encounters button.ask')`, 20*time.Second)
	nato.click(`#encounters button.ask`)
	nato.wait("the request filed", `document.getElementById("encounters").innerText.includes("explanation requested on ru-nato")`, 15*time.Second)
	ru.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	ru.do(chromedp.Navigate(base + "/#ru-nato/notices"))
	ru.wait("the request on RU's side", `!!document.getElementById("notification-list") && document.getElementById("notification-list").innerText.includes("vd11-explanation") && document.getElementById("notification-list").innerText.includes("reply due")`, 15*time.Second)
	ru.screenshot(artifactsDir(t), "notices-ru.png")
	// nothing in the tab (a measure's terms, a finding's text) is wider than it
	if got := ru.eval(`(() => { const p = document.getElementById("panel-notices"); return p.scrollWidth + " " + p.clientWidth; })()`); func() bool {
		var sw, cw int
		fmt.Sscan(got, &sw, &cw)
		return sw > cw
	}() {
		t.Errorf("the Notices tab scrolls sideways (scroll width, width: %s)", got)
	}
	ru.checkNoErrors()
	nato.checkNoErrors()
	// The encounter passes 300 m apart, under the 2 km separation RU signed.
	fs, err := tn.Findings(ctx, deconflict.NodeAuthor, "ru-nato")
	if err != nil || len(fs) != 2 || fs[0].Code != "late" || fs[1].Code != "measure-breach" {
		t.Fatalf("findings %+v (%v), want late and measure-breach", fs, err)
	}
}
