package console_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
)

// chromiumPath is Debian's Chromium; scripts/test installs it when missing.
// DECONFLICT_CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("DECONFLICT_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// artifactsDir is where screenshots go: $DECONFLICT_ARTIFACTS, else
// $TMPDIR/deconflict-screenshots.
func artifactsDir(t *testing.T) string {
	dir := os.Getenv("DECONFLICT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "deconflict-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

var testStart time.Time

// browser is one browser context (its own cookies) at 1280x800 whose
// uncaught exceptions and console errors fail the test.
type browser struct {
	t    *testing.T
	name string
	ctx  context.Context
	base string

	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T, parent context.Context, name, base string) *browser {
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &browser{t: t, name: name, ctx: ctx, base: base}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// Failed requests (the 401 of /console/me before sign-in, the
			// expected not_found) are the browser's log, not the page's errors.
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	b.do(chromedp.EmulateViewport(1280, 800))
	return b
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v%s", b.name, err, b.pageErrors())
	}
}

// wait polls a JavaScript predicate until it is true, for at most d.
func (b *browser) wait(what, predicate string, d time.Duration) {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](predicate, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 1500)`))
		b.t.Fatalf("%s: waiting for %s: %v\npage text:\n%s%s", b.name, what, err, text, b.pageErrors())
	}
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: evaluate %s: %v", b.name, expr, err)
	}
	return v
}

func (b *browser) pageErrors() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) == 0 {
		return ""
	}
	return "\npage errors:\n" + strings.Join(b.errors, "\n")
}

func (b *browser) checkNoErrors() {
	b.t.Helper()
	if e := b.pageErrors(); e != "" {
		b.t.Errorf("%s:%s", b.name, e)
	}
}

// loginAll signs each browser in as its own party's officer, all at
// once, and fails the test if any sign-in fails.
func loginAll(t *testing.T, bs ...*browser) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(bs))
	for i, b := range bs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = b.login(b.name) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// login signs in as party's officer. It returns an error rather than
// failing, so that browsers can sign in concurrently.
func (b *browser) login(party string) error {
	err := chromedp.Do(b.ctx,
		chromedp.Navigate(b.base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-username")),
		chromedp.SendKeys(chromedp.ID("login-username"), username(party)),
		chromedp.SendKeys(chromedp.ID("login-password"), password(party)),
		chromedp.Click(chromedp.ID("login-button")),
	)
	if err == nil {
		pred := fmt.Sprintf(`document.getElementById("me-party").textContent === %q && !document.getElementById("app").hidden`, party)
		_, err = chromedp.Run(b.ctx, chromedp.Poll[bool](pred, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	if err != nil {
		return fmt.Errorf("%s: sign in: %w%s", b.name, err, b.pageErrors())
	}
	return nil
}

// click clicks the first element matching a CSS selector in one step of
// the page, so that a view re-rendered by a live update between finding
// the element and clicking it cannot make the click miss.
func (b *browser) click(sel string) {
	b.t.Helper()
	if got := b.eval(fmt.Sprintf(`(() => { const n = document.querySelector(%q); if (!n) return "missing"; n.click(); return "ok"; })()`, sel)); got != "ok" {
		b.t.Fatalf("%s: click %s: %s%s", b.name, sel, got, b.pageErrors())
	}
}

func (b *browser) screenshot(dir, name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("%s: screenshot: %v", b.name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot %s (at %s)", path, time.Since(testStart).Round(100*time.Millisecond))
}

// cookie returns the session cookie of the browser context.
func (b *browser) cookie() *http.Cookie {
	b.t.Helper()
	cookies, err := chromedp.Run(b.ctx, func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
		if err != nil {
			return nil, err
		}
		return r.Cookies, nil
	})
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range cookies {
		if c.Name == console.CookieName {
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict {
				b.t.Fatalf("session cookie HttpOnly=%v SameSite=%v, want HttpOnly and Strict", c.HTTPOnly, c.SameSite)
			}
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	b.t.Fatalf("%s: no %s cookie", b.name, console.CookieName)
	return nil
}

// TestBrowser drives the console in Debian's Chromium: US sends a FLASH,
// RU sees it arrive live and acknowledges it, US sees the
// acknowledgement; FR cannot open the channel (in the page and at the API
// with its cookie); a scripted RU-NATO encounter appears on the map and
// in ru-nato's incidents. It writes screenshots of the main views.
func TestBrowser(t *testing.T) {
	start := time.Now()
	testStart = start
	tn := startNode(t)
	t.Logf("node started in %s", time.Since(start).Round(100*time.Millisecond))
	base := tn.Server.URL()
	shots := artifactsDir(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath()),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
	}
	// 3 minutes: under -race on a loaded machine the walk-through has taken over 90 s.
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	root, cancelRoot := chromedp.NewContext(allocCtx)
	defer cancelRoot()
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", chromiumPath(), err)
	}

	// Routine messages on ru-us-syria must be acknowledged within 3 s, so
	// that a missed acknowledgement happens during the test.
	policy := deconflict.DefaultPolicy()
	policy.AckDeadlines[deconflict.Routine] = deconflict.Duration(3 * time.Second)
	// FLASH messages not acknowledged are re-notified every second, so that
	// RU's console shows a re-notification before it acknowledges.
	policy.Renotify = map[deconflict.Precedence]deconflict.Duration{deconflict.Flash: deconflict.Duration(time.Second)}
	if err := tn.UpdatePolicy(ctx, deconflict.NodeAuthor, "ru-us-syria", policy); err != nil {
		t.Fatal(err)
	}
	for _, z := range zones(time.Now().UTC()) {
		if err := tn.Live.AddZone(ctx, deconflict.NodeAuthor, z); err != nil {
			t.Fatal(err)
		}
	}

	t.Logf("browser started at %s", time.Since(start).Round(100*time.Millisecond))
	us := newBrowser(t, root, "US", base)
	ru := newBrowser(t, root, "RU", base)
	fr := newBrowser(t, root, "FR", base)
	loginAll(t, us, ru, fr)
	t.Logf("signed in at %s", time.Since(start).Round(100*time.Millisecond))
	us.wait("ru-us-syria open", `!!document.querySelector('#channels button[data-channel="ru-us-syria"].selected') && !!document.querySelector('#send-text')`, 10*time.Second)
	ru.wait("ru-us-syria listed", `!!document.querySelector('#channels button[data-channel="ru-us-syria"]')`, 10*time.Second)
	ru.click(`#channels button[data-channel="ru-us-syria"]`)
	ru.wait("hotline live", `document.getElementById("hotline-status").classList.contains("live")`, 10*time.Second)

	// US sends a FLASH.
	const text = "FLASH: your Su-35 is 2 NM from our MQ-9 over Al-Tanf, turn north now"
	us.do(
		chromedp.SetValue(chromedp.ID("send-precedence"), "flash"),
		chromedp.SendKeys(chromedp.ID("send-text"), text),
		chromedp.Click(chromedp.ID("send-button")),
	)
	t.Logf("channels open at %s", time.Since(start).Round(100*time.Millisecond))
	us.wait("own FLASH shown", `[...document.querySelectorAll("article.msg.prec-flash")].some(a => a.textContent.includes("Al-Tanf"))`, 10*time.Second)

	// RU sees it arrive live (its page was loaded before it was sent), with
	// an Acknowledge button and a running countdown.
	ru.wait("FLASH arrives at RU", `!!document.querySelector('article.msg.prec-flash.awaiting-me .ack-button') && document.querySelector('article.msg.prec-flash').textContent.includes("Al-Tanf")`, 10*time.Second)
	ru.wait("countdown", `/left/.test(document.querySelector("article.msg.prec-flash li.duty.pending").textContent)`, 5*time.Second)
	ru.wait("FLASH toast", `!document.getElementById("flash-toast").hidden && document.getElementById("flash-toast").textContent.includes("Al-Tanf")`, 5*time.Second)
	ru.wait("FLASH banner", `document.querySelector(".await-banner.flash") && !document.querySelector(".await-banner").hidden`, 5*time.Second)
	ru.screenshot(shots, "1-hotline-ru-flash-awaiting-ack.png")
	// A standard phrase sent from US's console is read in RU's in
	// Russian (RU's officer chose Russian for the session), in US's in
	// English (the browser's language).
	ru.eval(`sessionStorage.setItem("deconflict-lang", "ru"), "ok"`)
	us.do(chromedp.SetValue(chromedp.ID("send-phrase"), "KEEP-CLEAR"))
	us.eval(`document.getElementById("send-phrase").dispatchEvent(new Event("change")), "ok"`)
	us.do(
		chromedp.SetValue(chromedp.ID("phrase-param-bearing"), "045"),
		chromedp.SetValue(chromedp.ID("phrase-param-distance"), "2.5"),
		chromedp.Click(chromedp.ID("send-button")),
	)
	ru.wait("phrase shown in Russian", `[...document.querySelectorAll('.msg-text[data-phrase="KEEP-CLEAR"]')].some(d => d.textContent.includes("по пеленгу 045"))`, 10*time.Second)
	us.wait("phrase shown in English", `[...document.querySelectorAll('.msg-text[data-phrase="KEEP-CLEAR"]')].some(d => d.textContent.includes("You are bearing 045"))`, 10*time.Second)
	ru.wait("re-notification toast", `document.getElementById("flash-toast").textContent.includes("RE-NOTIFICATION") && document.getElementById("flash-toast").textContent.includes("Al-Tanf")`, 10*time.Second)
	us.wait("US sees that RU has seen the FLASH", `/seen/.test(document.querySelector('article.msg.prec-flash li.duty[data-party="RU"] .duty-seen').textContent)`, 10*time.Second)

	// RU acknowledges; both views show it.
	ru.click(`article.msg.prec-flash .ack-button`)
	ru.wait("FLASH toast gone once acknowledged", `document.getElementById("flash-toast").hidden`, 10*time.Second)
	ru.wait("RU sees its acknowledgement", `!!document.querySelector('article.msg.prec-flash li.duty.acked') && !document.querySelector('article.msg.prec-flash .ack-button')`, 10*time.Second)
	us.wait("US sees RU's acknowledgement", `!!document.querySelector('article.msg.prec-flash li.duty.acked[data-party="RU"]')`, 10*time.Second)
	if got := us.eval(`document.querySelector('article.msg.prec-flash li.duty[data-party="RU"]').textContent`); !strings.Contains(got, "acknowledged") {
		t.Fatalf("US view of RU's duty: %q, want acknowledged", got)
	}
	// US replies in the thread.
	us.click(`article.msg.prec-flash button[aria-label^="Reply"]`)
	us.do(
		chromedp.SendKeys(chromedp.ID("send-text"), "Thank you, we see your turn."),
		chromedp.Click(chromedp.ID("send-button")),
	)
	us.wait("reply threaded under the FLASH", `[...document.querySelectorAll(".thread-group .replies article.msg")].some(a => a.textContent.includes("we see your turn"))`, 10*time.Second)
	// RU lets the routine reply's 3 s deadline pass: both views show it missed.
	us.wait("missed acknowledgement", `[...document.querySelectorAll(".replies article.msg.missed")].some(a => a.querySelector("li.duty.missed[data-party='RU']") && a.querySelector(".missed-line"))`, 15*time.Second)
	ru.wait("missed acknowledgement at RU", `!!document.querySelector(".replies article.msg.missed li.duty.missed")`, 10*time.Second)
	us.screenshot(shots, "2-hotline-us-acknowledged-and-missed.png")

	// FR is no member of ru-us-syria: the page cannot open it...
	if got := fr.eval(`[...document.querySelectorAll("#channels button")].map(b => b.dataset.channel).join(",")`); got != "" {
		t.Fatalf("FR channel list %q, want none", got)
	}
	fr.do(chromedp.Navigate(base + "/#ru-us-syria/hotline"))
	fr.wait("not_found in the page", `(document.getElementById("channel-error")?.textContent || "").includes("not_found")`, 10*time.Second)
	if got := fr.eval(`document.querySelector(".thread").textContent`); strings.Contains(got, "Al-Tanf") {
		t.Fatalf("FR page shows the message: %q", got)
	}
	fr.screenshot(shots, "5-hotline-fr-not-member.png")
	// ...the page's own requests get not_found...
	if got := fr.eval(`fetch("/v1/channels/ru-us-syria/envelopes").then(r => r.json()).then(j => j.code)`); got != deconflict.ENOTFOUND {
		t.Fatalf("FR fetch in the page: code %q, want %q", got, deconflict.ENOTFOUND)
	}
	// ...and so does the API called with FR's session cookie from outside.
	for _, path := range []string{"/v1/channels/ru-us-syria/envelopes", "/v1/channels/ru-us-syria/acks", "/v1/channels/ru-us-syria/checkpoint"} {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.AddCookie(fr.cookie())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got, want := resp.StatusCode, http.StatusNotFound; got != want {
			t.Fatalf("FR cookie GET %s: status %d, want %d", path, got, want)
		}
	}
	fr.checkNoErrors()

	// A scripted encounter: an RU frigate and a NATO destroyer head-on in
	// the southern Baltic, with other traffic around.
	if err := tn.Live.Ingest(ctx, deconflict.NodeAuthor, scenario(time.Now().UTC())); err != nil {
		t.Fatal(err)
	}
	ru.wait("encounter on the map", `!!document.querySelector('#encounters button.encounter') && window.deconflictConsole.map.openEncounters().length > 0`, 20*time.Second)
	ru.wait("tracks on the map", `window.deconflictConsole.map.tracks.size >= 4`, 10*time.Second)
	ru.click(`#encounters button.encounter`)
	ru.do(chromedp.Sleep(300 * time.Millisecond)) // one frame after the zoom
	// Hovering over a track labels it.
	ru.eval(`(() => {
		const m = window.deconflictConsole.map, t = m.tracks.get("NATO:destroyer-1");
		const [x, y] = m.latLonToScreen(t.lat, t.lon), r = m.canvas.getBoundingClientRect();
		m.canvas.dispatchEvent(new PointerEvent("pointermove", {clientX: r.left + x, clientY: r.top + y, bubbles: true}));
		return "";
	})()`)
	ru.wait("hover label", `!document.getElementById("tooltip").hidden && document.getElementById("tooltip").textContent.includes("HNLMS DE RUYTER")`, 5*time.Second)
	ru.do(chromedp.Sleep(200 * time.Millisecond))
	ru.screenshot(shots, "3-map-ru-encounter.png")
	ru.do(chromedp.Click(chromedp.ID("zoom-home")), chromedp.Sleep(300*time.Millisecond))
	ru.screenshot(shots, "3b-map-ru-baltic.png")
	// The map answers the keyboard: + zooms in, arrows pan.
	before := ru.eval(`JSON.stringify([window.deconflictConsole.map.zoom, window.deconflictConsole.map.center])`)
	ru.do(chromedp.Focus(chromedp.ID("map")), chromedp.KeyEvent("+"), chromedp.KeyEvent(kb.ArrowLeft))
	ru.wait("keyboard zoom and pan", fmt.Sprintf(`(() => { const [z, c] = JSON.parse(%q), m = window.deconflictConsole.map; return m.zoom > z && m.center[0] < c[0]; })()`, before), 5*time.Second)

	// The encounter is an incident on ru-nato.
	ru.click(`#channels button[data-channel="ru-nato"]`)
	ru.do(chromedp.Click(chromedp.ID("tab-incidents")))
	ru.wait("incident listed", `!!document.querySelector("#panel-incidents li.incident")`, 15*time.Second)
	ru.click(`#panel-incidents li.incident button.incident-head`)
	ru.wait("incident timeline", `document.querySelectorAll("#panel-incidents .timeline li.tl-alert").length > 0`, 5*time.Second)

	// The alert on ru-nato awaits RU's acknowledgement in the hotline.
	ru.do(chromedp.Click(chromedp.ID("tab-hotline")))
	ru.wait("alert awaiting RU", `!!document.querySelector("article.msg.kind-alert.awaiting-me .ack-button")`, 10*time.Second)
	ru.screenshot(shots, "4a-hotline-ru-nato-alert.png")
	ru.click(`article.msg.kind-alert.awaiting-me .ack-button`)
	ru.wait("alert acknowledged", `!!document.querySelector("article.msg.kind-alert li.duty.acked[data-party='RU']")`, 10*time.Second)
	ru.do(chromedp.Click(chromedp.ID("tab-incidents")))
	ru.wait("acknowledgement in the timeline", `document.querySelectorAll("#panel-incidents .timeline li.tl-ack").length > 0 || (document.querySelector("#panel-incidents li.incident button.incident-head")?.click(), false)`, 10*time.Second)
	ru.do(
		chromedp.SendKeys(chromedp.CSS(`#panel-incidents .note-form input`), "Frigate altering course to starboard"),
		chromedp.Click(chromedp.CSS(`#panel-incidents .note-form button`)),
	)
	ru.wait("note in the timeline", `[...document.querySelectorAll("#panel-incidents .timeline li.tl-note")].some(li => li.textContent.includes("starboard"))`, 10*time.Second)
	ru.screenshot(shots, "4b-incidents-ru-nato.png")

	// The record: checkpoint, witnesses and verification. ru-nato gets a
	// witness that cosigns and one that is away.
	witnessChannel(t, tn, "ru-nato")
	ru.do(chromedp.Click(chromedp.ID("tab-record")))
	ru.wait("checkpoint", `/envelopes/.test(document.getElementById("checkpoint-size")?.textContent || "")`, 5*time.Second)
	ru.wait("witness status", `(() => { const w = document.getElementById("witness-status"); return w && /W1\s*ok/.test(w.textContent) && w.textContent.includes("Witness W2 could not be reached"); })()`, 15*time.Second)
	ru.do(chromedp.Click(chromedp.ID("verify-button")))
	ru.wait("verified", `document.querySelector(".verify-result.ok")?.textContent.startsWith("Verified")`, 10*time.Second)
	// The record offers the report of a period; its link downloads a PDF.
	ru.wait("report links", `(document.getElementById("report-pdf")?.href || "").includes("/console/report?channel=ru-nato")`, 5*time.Second)
	if got := ru.eval(`fetch(document.getElementById("report-pdf").href).then((r) => r.headers.get("content-type"))`); got != "application/pdf" {
		t.Fatalf("report link: content type %q, want application/pdf", got)
	}
	ru.screenshot(shots, "6-record-ru-nato-verified.png")

	// Signing out ends the session: the page asks for the password again.
	// (The page reloads; a poll that the reload interrupts is retried.)
	us.do(chromedp.Click(chromedp.ID("logout")))
	signedOut := `!!document.getElementById("login") && !document.getElementById("login").hidden && document.getElementById("app").hidden`
	for deadline := time.Now().Add(15 * time.Second); ; {
		_, err := chromedp.Run(us.ctx, chromedp.Poll[bool](signedOut, chromedp.WithPollingTimeout(2*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("US: no sign-in form after sign-out: %v", err)
		}
	}
	if got := us.eval(`fetch("/v1/channels").then(r => String(r.status))`); got != "401" {
		t.Fatalf("US after sign-out: /v1/channels status %s, want 401", got)
	}

	us.checkNoErrors()
	ru.checkNoErrors()
	t.Logf("browser test took %s", time.Since(start).Round(100*time.Millisecond))
}

// zones returns an exercise area (polygon, active now) and a missile
// hazard area (circle, from in an hour) in the Baltic.
func zones(now time.Time) []detect.Zone {
	return []detect.Zone{
		{ID: "ru-baltic-fleet-ex", Name: "Baltic Fleet exercise", Kind: detect.ExerciseArea, Owner: "RU",
			Polygon: []geo.LatLon{{Lat: 56.2, Lon: 19.2}, {Lat: 56.2, Lon: 20.6}, {Lat: 55.6, Lon: 20.6}, {Lat: 55.6, Lon: 19.2}},
			MinAltM: math.NaN(), MaxAltM: math.NaN(), From: now.Add(-time.Hour), Until: now.Add(6 * time.Hour)},
		{ID: "nato-mha-1", Name: "Missile hazard area", Kind: detect.MissileHazardArea, Owner: "NATO",
			Center: geo.LatLon{Lat: 57.3, Lon: 17.6}, RadiusM: 30000,
			MinAltM: math.NaN(), MaxAltM: math.NaN(), From: now.Add(time.Hour), Until: now.Add(3 * time.Hour)},
	}
}

// scenario returns position reports ending at now: an RU frigate and a
// NATO destroyer closing head-on at 10 m/s each, 6 km apart, in the
// southern Baltic, and other traffic far from them.
func scenario(now time.Time) []deconflict.Report {
	var out []deconflict.Report
	const lat = 55.5
	mPerDegLon := 111320 * 0.5664 // cos(55.5°)
	u := deconflict.Unknown
	for i := 0; i < 6; i++ {
		ts := now.Add(time.Duration(i-5) * 20 * time.Second)
		s := float64(i) * 20 * 10
		out = append(out,
			deconflict.Report{Time: ts, ID: "RU:frigate-neustrashimy", Domain: deconflict.Sea, Source: "party", Party: "RU", Name: "NEUSTRASHIMY", Lat: lat, Lon: 19.0 + s/mPerDegLon, AltM: u, SpeedMS: 10, CourseDeg: 90, ClimbMS: u},
			deconflict.Report{Time: ts, ID: "NATO:destroyer-1", Domain: deconflict.Sea, Source: "party", Party: "NATO", Name: "HNLMS DE RUYTER", Lat: lat + 300/111320.0, Lon: 19.0 + (6000-s)/mPerDegLon, AltM: u, SpeedMS: 10, CourseDeg: 270, ClimbMS: u},
			deconflict.Report{Time: ts, ID: "RU:su-27-12", Domain: deconflict.Air, Source: "party", Party: "RU", Callsign: "RFF1207", Lat: 55.0 + float64(i)*0.01, Lon: 20.2, AltM: 9000, SpeedMS: 230, CourseDeg: 350, ClimbMS: 0},
			deconflict.Report{Time: ts, ID: "NATO:f-35-baltic", Domain: deconflict.Air, Source: "party", Party: "NATO", Callsign: "NATO21", Lat: 57.8, Lon: 23.5 + float64(i)*0.02, AltM: 8000, SpeedMS: 250, CourseDeg: 90, ClimbMS: 0},
			deconflict.Report{Time: ts, ID: "US:p-8-poseidon", Domain: deconflict.Air, Source: "party", Party: "US", Callsign: "PEL41", Lat: 56.6, Lon: 16.5 + float64(i)*0.015, AltM: 7000, SpeedMS: 220, CourseDeg: 80, ClimbMS: 0},
			deconflict.Report{Time: ts, ID: "FR:fremm-aquitaine", Domain: deconflict.Sea, Source: "party", Party: "FR", Name: "AQUITAINE", Lat: 58.4, Lon: 19.5, AltM: u, SpeedMS: 8, CourseDeg: 200, ClimbMS: u},
		)
	}
	return out
}
