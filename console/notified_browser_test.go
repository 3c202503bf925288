package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/deconflict/deconflict"
)

// refWhen writes a time as the console's windows do ("3 Jun 14:00Z",
// with the year when it is not the current one), written here rather
// than taken from the page.
func refWhen(t time.Time) string {
	t = t.UTC()
	year := ""
	if t.Year() != time.Now().UTC().Year() {
		year = fmt.Sprintf(" %d", t.Year())
	}
	return fmt.Sprintf("%d %s%s %sZ", t.Day(), t.Month().String()[:3], year, t.Format("15:04"))
}

// TestBrowserNotified files on ru-nato a Zapad-like Vienna Document prior
// notification (as the demo does), a voluntary intention active now and
// an INCSEA notice with a circle, and checks in Chromium that the map's
// notified layer holds each area with its window, draws it where the
// map's projection puts its coordinates (and where an inverse Web
// Mercator of our own puts the pixels back), labels it, and that the
// toggle in the map's controls hides the layer and is remembered.
func TestBrowserNotified(t *testing.T) {
	if _, err := os.Stat(chromiumPath()); err != nil {
		t.Fatalf("browser tests need Chromium at %s: %v", chromiumPath(), err)
	}
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	now := tn.Now().UTC()
	day := func(d int) time.Time { return time.Date(now.Year(), now.Month(), now.Day()+d, 0, 0, 0, 0, time.UTC) }
	at := func(d time.Duration) time.Time { return now.Add(d).Truncate(time.Minute) }
	kaliningrad := [][2]float64{{54.4, 19.9}, {54.4, 22.8}, {55.3, 22.8}, {55.3, 19.9}}
	transit := [][2]float64{{55.3, 17.9}, {55.3, 18.9}, {55.9, 18.9}, {55.9, 17.9}}
	poly := func(p [][2]float64) string { b, _ := json.Marshal(p); return string(b) }
	type want struct {
		party, form string
		label       string // designation · regime
		from, to    time.Time
		when        string
		polygon     [][2]float64
	}
	wants := []want{
		{"RU", `{"regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"command and staff exercise","states":["RU","BY"],"start":"` + day(60).Format(time.DateOnly) + `","end":"` + day(66).Format(time.DateOnly) + `","troops":12800,"tanks":70,"acv":250,"artillery":120,"sorties":80,"area":{"polygon":` + poly(kaliningrad) + `}}`,
			"ZAPAD · vd11-prior", day(60), day(66), "future", kaliningrad},
		{"RU", `{"regime":"intention","state":"RU","designation":"Baltic Fleet transit","purpose":"transit to Baltiysk","start":"` + at(-time.Hour).Format(time.RFC3339) + `","end":"` + at(7*24*time.Hour).Format(time.RFC3339) + `","area":{"polygon":` + poly(transit) + `}}`,
			"Baltic Fleet transit · intention", at(-time.Hour), at(7 * 24 * time.Hour), "active", transit},
		{"NATO", `{"regime":"incsea-notice","state":"NATO","designation":"Live firing off Bornholm","start":"` + at(96*time.Hour).Format(time.RFC3339) + `","end":"` + at(120*time.Hour).Format(time.RFC3339) + `","area":{"circle":{"lat":55.2,"lon":15.2,"radius_m":15000},"alt_m":[0,12000]}}`,
			"Live firing off Bornholm · incsea-notice", at(96 * time.Hour), at(120 * time.Hour), "future", nil},
	}
	for _, w := range wants {
		p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-nato", Author: w.party, Time: tn.Now().UTC(), Kind: deconflict.KindNotification, Body: json.RawMessage(w.form)}
		s, err := deconflict.SignPayload(tn.Keys[w.party], p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tn.Submit(ctx, s); err != nil {
			t.Fatalf("notification by %s: %v", w.party, err)
		}
	}

	root := chromiumUnder(t, ctx)
	ru := newBrowser(t, root, "RU", base)
	if err := ru.login("RU"); err != nil {
		t.Fatal(err)
	}
	ru.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	ru.wait("the notified areas drawn", `(() => { const n = window.deconflictConsole?.notified; return !!n && n.channel === "ru-nato" && n.drawn.length === 3; })()`, 15*time.Second)
	// frame the Baltic so that every area is on screen
	ru.eval(`(() => { const m = window.deconflictConsole.map; m.moved(); m.fitPoints([[54, 14], [56.2, 23.5]], { margin: 0.1 }); m.render(); return ""; })()`)

	ru.screenshot(artifactsDir(t), "notified-ru-nato.png")

	type drawnArea struct {
		Key, Window, When, Label string
		Index                    int64
		Points                   [][2]float64
		Screen                   [][2]float64
		Proj                     [][2]float64 // map.latLonToScreen of Points
		Labelled                 bool
	}
	var got []drawnArea
	if err := json.Unmarshal([]byte(ru.eval(`(() => { const c = window.deconflictConsole, m = c.map;
		return JSON.stringify(c.notified.drawn.map((d) => ({ key: d.key, window: d.window, when: d.when, label: d.label, index: d.index,
			points: d.points, screen: d.screen, proj: d.points.map(([la, lo]) => m.latLonToScreen(la, lo)),
			labelled: m.labels.some((l) => l.key === "notified:" + d.key && l.lines[0][0] === d.label) }))); })()`)), &got); err != nil {
		t.Fatal(err)
	}
	var v mapView
	if err := json.Unmarshal([]byte(ru.eval(`(() => { const m = window.deconflictConsole.map, r = m.canvas.getBoundingClientRect();
		return JSON.stringify({center: m.center, zoom: m.zoom, W: r.width, H: r.height}); })()`)), &v); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(wants) {
		t.Fatalf("%d notified areas drawn, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		g := got[i]
		wantWindow := refWhen(w.from) + " – " + refWhen(w.to)
		if g.Window != wantWindow || g.When != w.when {
			t.Errorf("area %s: window %q (%s), want %q (%s)", g.Key, g.Window, g.When, wantWindow, w.when)
		}
		wantLabel := w.label + " · " + wantWindow
		if w.when != "active" {
			wantLabel += " (" + w.when + ")"
		}
		if g.Label != wantLabel || !g.Labelled {
			t.Errorf("area %s: label %q (placed with the map's labels: %v), want %q", g.Key, g.Label, g.Labelled, wantLabel)
		}
		if w.polygon != nil && fmt.Sprint(g.Points) != fmt.Sprint(w.polygon) {
			t.Errorf("area %s: points %v, want the notified polygon %v", g.Key, g.Points, w.polygon)
		}
		if w.polygon == nil {
			// the circle's outline: 15 km from its centre
			for _, p := range g.Points {
				if d := refHaversine(55.2, 15.2, p[0], p[1]); math.Abs(d-15000) > 1 {
					t.Errorf("area %s: outline point %v is %.0f m from the centre, want 15000", g.Key, p, d)
				}
			}
		}
		for j, p := range g.Points {
			s := g.Screen[j]
			if math.Hypot(s[0]-g.Proj[j][0], s[1]-g.Proj[j][1]) > 0.5 {
				t.Errorf("area %s point %d: drawn at %v, the map projects it to %v", g.Key, j, s, g.Proj[j])
			}
			lat, lon := v.latLon(s[0], s[1])
			if math.Abs(lat-p[0]) > 1e-6 || math.Abs(lon-p[1]) > 1e-6 {
				t.Errorf("area %s point %d: pixel %v is %.6f, %.6f, want %v", g.Key, j, s, lat, lon, p)
			}
		}
	}

	// The toggle hides the layer, and the choice is remembered.
	ru.click("#notified-toggle")
	ru.wait("the layer hidden", `(() => { const n = window.deconflictConsole.notified; n.map.render(); return !n.on && n.drawn.length === 0 &&
		!n.map.labels.some((l) => l.key.startsWith("notified:")) && document.getElementById("notified-toggle").getAttribute("aria-pressed") === "false"; })()`, 5*time.Second)
	ru.do(chromedp.Reload())
	ru.wait("the console again", `!!window.deconflictConsole?.notified && window.deconflictConsole.notified.channel === "ru-nato" && window.deconflictConsole.notified.areas.length === 3`, 15*time.Second)
	if got := ru.eval(`(() => { const n = window.deconflictConsole.notified; n.map.render(); return String(n.on) + " " + n.drawn.length; })()`); got != "false 0" {
		t.Fatalf("after a reload the layer is on=%s drawn, want it still off", got)
	}
	ru.click("#notified-toggle")
	ru.wait("the layer back", `(() => { const n = window.deconflictConsole.notified; n.map.render(); return n.on && n.drawn.length === 3; })()`, 5*time.Second)
	ru.checkNoErrors()
}
