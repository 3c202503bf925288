package console_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	dhttp "github.com/deconflict/deconflict/http"
)

// TestBrowserFlashByKeyboard drives RU's console with key events only:
// RU signs in by keyboard and reads ru-nato's incidents; US sends a FLASH
// on ru-us-syria, which RU's page announces (a role=alert toast naming
// the shortcut) and re-notifies; Alt+Shift+F takes RU to it, on the
// hotline tab of its channel, with a visible focus on its Acknowledge
// button, which reads out the message; Enter acknowledges it, the focus
// goes to the acknowledged message and the page says so; the record
// names RU's officer; with nothing left, the shortcut says so. A FLASH
// carrying a standard phrase is read and acknowledged the same way.
func TestBrowserFlashByKeyboard(t *testing.T) {
	root := chromium(t, 90*time.Second)
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	ctx := context.Background()
	policy := deconflict.DefaultPolicy()
	policy.Renotify = map[deconflict.Precedence]deconflict.Duration{deconflict.Flash: deconflict.Duration(time.Second)}
	if err := tn.UpdatePolicy(ctx, deconflict.NodeAuthor, "ru-us-syria", policy); err != nil {
		t.Fatal(err)
	}
	ru := newBrowser(t, root, "RU", base)
	// Sign in by keyboard: the page focuses the username field.
	ru.do(chromedp.Navigate(base + "/#ru-nato/incidents"))
	ru.wait("sign-in form focused", `document.activeElement?.id === "login-username"`, 10*time.Second)
	ru.do(chromedp.KeyEvent(username("RU")), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(password("RU")), chromedp.KeyEvent(kb.Enter))
	ru.wait("signed in on ru-nato's incidents", `document.getElementById("me-party").textContent === "RU" && document.getElementById("tab-incidents").getAttribute("aria-selected") === "true"`, 15*time.Second)
	ru.wait("hotline live", `document.getElementById("hotline-status").classList.contains("live")`, 10*time.Second)

	us := newBrowserless(t, base)
	us.login("US")
	const text = "FLASH: your Su-35 is 2 NM from our MQ-9, turn north now"
	var rec deconflict.Receipt
	if st, code := us.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "flash", Text: text}, &rec); st != http.StatusCreated {
		t.Fatalf("US send: %d %s", st, code)
	}
	ru.wait("FLASH toast naming the shortcut", `(() => { const b = document.getElementById("flash-toast");
		return !b.hidden && b.getAttribute("role") === "alert" && b.textContent.includes("Su-35") && b.textContent.includes("Alt+Shift+F")
			&& b.querySelector("button[aria-keyshortcuts='Alt+Shift+F']") !== null; })()`, 10*time.Second)
	ru.wait("re-notification", `document.getElementById("flash-toast").textContent.includes("RE-NOTIFICATION")`, 10*time.Second)
	if got := ru.eval(`document.activeElement === document.body ? "body" : document.activeElement.id || document.activeElement.tagName`); got != "body" {
		t.Fatalf("the toast took the focus (%s); it must not interrupt the officer", got)
	}

	// Alt+Shift+F: to the FLASH, across channels and tabs.
	ru.do(chromedp.KeyEvent("F", chromedp.KeyModifiers(chromedp.ModifierAlt, chromedp.ModifierShift)))
	card := "msg-ru-us-syria-" + i64s(rec.Index)
	ru.wait("focus on the FLASH's Acknowledge button", `(() => { const a = document.activeElement;
		return a?.classList.contains("ack-button") && a.closest("article")?.id === "`+card+`"; })()`, 10*time.Second)
	if got := ru.eval(`document.getElementById("tab-hotline").getAttribute("aria-selected") + " " + document.querySelector("#channels button.selected")?.dataset.channel`); got != "true ru-us-syria" {
		t.Fatalf("after the shortcut: hotline tab selected and channel = %q, want \"true ru-us-syria\"", got)
	}
	// What a screen reader reads with the button, and the visible focus.
	if got := ru.eval(`document.getElementById(document.activeElement.getAttribute("aria-describedby"))?.textContent || ""`); got != text {
		t.Fatalf("the button is described by %q, want the message", got)
	}
	if got := ru.eval(`(() => { const a = document.activeElement, s = getComputedStyle(a);
		return a.matches(":focus-visible") + " " + s.outlineStyle + " " + s.outlineWidth; })()`); !strings.HasPrefix(got, "true solid") || strings.HasSuffix(got, " 0px") {
		t.Fatalf("focus is not visible: %q", got)
	}
	ru.wait("announced", `document.getElementById("hotline-announce").textContent.includes("FLASH #`+i64s(rec.Index)+` on ru-us-syria awaits your acknowledgement")`, 5*time.Second)
	ru.screenshot(artifactsDir(t), "1c-hotline-ru-flash-keyboard-focus.png")

	// Enter acknowledges.
	ru.do(chromedp.KeyEvent(kb.Enter))
	ru.wait("acknowledged", `!!document.querySelector("#`+card+` li.duty.acked[data-party='RU']")`, 10*time.Second)
	ru.wait("focus on the acknowledged message", `document.activeElement?.id === "`+card+`"`, 10*time.Second)
	ru.wait("acknowledgement announced", `document.getElementById("hotline-announce").textContent.includes("Acknowledged #`+i64s(rec.Index)+` on ru-us-syria")`, 5*time.Second)
	ru.wait("toast gone", `document.getElementById("flash-toast").hidden`, 10*time.Second)
	ru.wait("the acknowledgement line names RU's officer", `(document.querySelector("#`+card+` li.duty[data-party='RU'] .duty-officer")?.textContent || "") === "by ru-officer"`, 10*time.Second)

	// The record: RU's acknowledgement, signed with RU's key, names its officer.
	var envs []dhttp.EnvelopeView
	us.do("GET", "/v1/channels/ru-us-syria/envelopes?audit=1", nil, &envs)
	acked := false
	for _, e := range envs {
		if p, err := deconflict.ParsePayload(e.Payload); err == nil && e.Kind == deconflict.KindAck && *p.Ack == rec.Index {
			acked = p.Author == "RU" && p.Officer == "ru-officer"
		}
	}
	if !acked {
		t.Fatal("no acknowledgement of the FLASH by RU naming ru-officer in the log")
	}

	// Nothing left: the shortcut says so and moves nothing.
	ru.do(chromedp.KeyEvent("F", chromedp.KeyModifiers(chromedp.ModifierAlt, chromedp.ModifierShift)))
	ru.wait("nothing awaits", `document.getElementById("hotline-announce").textContent === "Nothing awaits your acknowledgement."`, 5*time.Second)
	if got := ru.eval(`document.activeElement?.id || ""`); got != card {
		t.Fatalf("focus moved to %q with nothing awaiting", got)
	}

	// A FLASH carrying a standard phrase: the toast and the button's
	// description read the phrase, the same two keys acknowledge it.
	var rec2 deconflict.Receipt
	if st, code := us.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "flash", Phrase: "KEEP-CLEAR",
		Params: map[string]string{"bearing": "045", "distance": "2.5"}}, &rec2); st != http.StatusCreated {
		t.Fatalf("US send phrase: %d %s", st, code)
	}
	const phrase = "You are bearing 045 from me at 2.5 nautical miles. Keep clear of me."
	ru.wait("phrase in the toast", `!document.getElementById("flash-toast").hidden && document.getElementById("flash-toast").textContent.includes(`+strconv.Quote(phrase)+`)`, 10*time.Second)
	ru.do(chromedp.KeyEvent("F", chromedp.KeyModifiers(chromedp.ModifierAlt, chromedp.ModifierShift)))
	card2 := "msg-ru-us-syria-" + i64s(rec2.Index)
	ru.wait("focus on the phrase FLASH's Acknowledge button", `(() => { const a = document.activeElement;
		return a?.classList.contains("ack-button") && a.closest("article")?.id === "`+card2+`"
			&& document.getElementById(a.getAttribute("aria-describedby"))?.textContent === `+strconv.Quote(phrase)+`; })()`, 10*time.Second)
	ru.do(chromedp.KeyEvent(kb.Enter))
	ru.wait("phrase FLASH acknowledged", `!!document.querySelector("#`+card2+` li.duty.acked[data-party='RU']") && document.activeElement?.id === "`+card2+`"`, 10*time.Second)
	ru.checkNoErrors()
}

func i64s(i int64) string { return strconv.FormatInt(i, 10) }
