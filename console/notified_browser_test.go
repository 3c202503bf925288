package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
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

// notifiedWant is one area a notification should put on the map.
type notifiedWant struct {
	key      string // the area's key after "INDEX:": area, phase0, entry1, launch_area...
	label    string // designation · regime
	from, to time.Time
	when     string       // active, future, past
	polygon  [][2]float64 // or a circle:
	circle   *[3]float64  // lat, lon, radius_m
	zone     bool         // the node makes it a zone
}

// TestBrowserNotified files on ru-nato a notification of every kind that
// notifies an area: a Zapad-like Vienna Document prior notification (as
// the demo does) with a phase that has an area of its own and one that has
// none, a no-notice alert activity under way, an annual calendar of two
// entries (each drawn from the first day of its start window to its end),
// a voluntary intention active now, an ICBM launch (its launch and impact
// areas; no end: the node's 24 h window) and an INCSEA notice with a
// circle, and a request for explanation carrying an area (which notifies
// none). It checks in Chromium that the map's notified layer holds each
// area once with its window and labels (written by the test's own
// formatter), draws it where the map's projection puts its coordinates
// (and where an inverse Web Mercator of our own puts the pixels back);
// that the node made the launch and INCSEA areas zones (GET /v1/zones, in
// the map's zones) which the map does not draw again, so every
// notification has exactly as many outlines on the map as it has areas;
// and that the toggle in the map's controls hides the layer (the zones
// then drawn by the map, once) and is remembered; a notice filed while the
// map is open comes with its zone, drawn once.
func TestBrowserNotified(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	now := tn.Now().UTC()
	day := func(d int) time.Time { return time.Date(now.Year(), now.Month(), now.Day()+d, 0, 0, 0, 0, time.UTC) }
	at := func(d time.Duration) time.Time { return now.Add(d).Truncate(time.Minute) }
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	next := now.Year() + 1
	kaliningrad := [][2]float64{{54.4, 19.9}, {54.4, 22.8}, {55.3, 22.8}, {55.3, 19.9}}
	transfer := [][2]float64{{53.7, 23.3}, {53.7, 24.2}, {54.2, 24.2}, {54.2, 23.3}}
	transit := [][2]float64{{55.3, 17.9}, {55.3, 18.9}, {55.9, 18.9}, {55.9, 17.9}}
	snap := [][2]float64{{57.0, 16.4}, {57.0, 17.4}, {57.6, 17.4}, {57.6, 16.4}}
	cal1 := [][2]float64{{56.2, 19.0}, {56.2, 20.2}, {56.8, 20.2}, {56.8, 19.0}}
	impact := [][2]float64{{59.3, 22.4}, {59.3, 23.6}, {59.7, 23.6}, {59.7, 22.4}}
	poly := func(p [][2]float64) string { b, _ := json.Marshal(p); return string(b) }
	d := func(t time.Time) string { return t.Format(time.DateOnly) }
	rfc := func(t time.Time) string { return t.Format(time.RFC3339) }
	type notif struct {
		party, form string
		areas       []notifiedWant
	}
	launch := at(30 * time.Hour)
	notifs := []notif{
		{"RU", `{"regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"command and staff exercise","states":["RU","BY"],"start":"` + d(day(60)) + `","end":"` + d(day(66)) + `","troops":12800,"tanks":70,"acv":250,"artillery":120,"sorties":80,"area":{"polygon":` + poly(kaliningrad) + `},` +
			`"phases":[{"kind":"transfer","start":"` + d(day(55)) + `","end":"` + d(day(60)) + `","area":{"polygon":` + poly(transfer) + `}},{"kind":"active","start":"` + d(day(61)) + `","end":"` + d(day(64)) + `"}]}`,
			[]notifiedWant{
				{key: "area", label: "ZAPAD · vd11-prior", from: day(60), to: day(66), when: "future", polygon: kaliningrad},
				{key: "phase0", label: "ZAPAD transfer · vd11-prior", from: day(55), to: day(60), when: "future", polygon: transfer},
			}},
		{"RU", `{"regime":"vd11-prior","state":"RU","designation":"SNAP CHECK","purpose":"no-notice readiness check","alert":true,"start":"` + rfc(at(-2*time.Hour)) + `","end":"` + rfc(at(70*time.Hour)) + `","troops":20000,"area":{"polygon":` + poly(snap) + `}}`,
			[]notifiedWant{{key: "area", label: "SNAP CHECK · vd11-prior alert", from: at(-2 * time.Hour), to: at(70 * time.Hour), when: "active", polygon: snap}}},
		{"RU", fmt.Sprintf(`{"regime":"vd11-calendar","state":"RU","year":%d,"entries":[`+
			`{"designation":"ZAPAD-%d","purpose":"exercise","start":["%d-03-01","%d-03-14"],"end":"%d-03-20","troops":14000,"area":{"polygon":%s}},`+
			`{"designation":"LADOGA-%d","purpose":"exercise","start":["%d-06-02","%d-06-16"],"end":"%d-06-25","tanks":260,"area":{"circle":{"lat":57.9,"lon":22.9,"radius_m":20000}}}]}`,
			next, next, next, next, next, poly(cal1), next, next, next, next),
			[]notifiedWant{
				{key: "entry0", label: fmt.Sprintf("ZAPAD-%d · vd11-calendar", next), from: date(next, 3, 1), to: date(next, 3, 20), when: "future", polygon: cal1},
				{key: "entry1", label: fmt.Sprintf("LADOGA-%d · vd11-calendar", next), from: date(next, 6, 2), to: date(next, 6, 25), when: "future", circle: &[3]float64{57.9, 22.9, 20000}},
			}},
		{"RU", `{"regime":"intention","state":"RU","designation":"Baltic Fleet transit","purpose":"transit to Baltiysk","start":"` + rfc(at(-time.Hour)) + `","end":"` + rfc(at(7*24*time.Hour)) + `","area":{"polygon":` + poly(transit) + `}}`,
			[]notifiedWant{{key: "area", label: "Baltic Fleet transit · intention", from: at(-time.Hour), to: at(7 * 24 * time.Hour), when: "active", polygon: transit}}},
		{"RU", `{"regime":"launch-1988","state":"RU","designation":"YARS","missile":"icbm","start":"` + rfc(launch) + `","launch_area":{"circle":{"lat":58.8,"lon":20.0,"radius_m":10000}},"impact_area":{"polygon":` + poly(impact) + `}}`,
			[]notifiedWant{
				{key: "launch_area", label: "YARS launch area · launch-1988", from: launch, to: launch.Add(24 * time.Hour), when: "future", circle: &[3]float64{58.8, 20.0, 10000}, zone: true},
				{key: "impact_area", label: "YARS impact area · launch-1988", from: launch, to: launch.Add(24 * time.Hour), when: "future", polygon: impact, zone: true},
			}},
		{"NATO", `{"regime":"incsea-notice","state":"NATO","designation":"Live firing off Bornholm","start":"` + rfc(at(96*time.Hour)) + `","end":"` + rfc(at(120*time.Hour)) + `","area":{"circle":{"lat":55.2,"lon":15.2,"radius_m":15000},"alt_m":[0,12000]}}`,
			[]notifiedWant{{key: "area", label: "Live firing off Bornholm · incsea-notice", from: at(96 * time.Hour), to: at(120 * time.Hour), when: "future", circle: &[3]float64{55.2, 15.2, 15000}, zone: true}}},
		{"NATO", `{"regime":"vd11-explanation","state":"NATO","to":"RU","text":"Explain the concentration","area":{"polygon":` + poly(kaliningrad) + `}}`, nil},
	}
	idx := make([]int64, len(notifs))
	total := 0
	for i, nf := range notifs {
		p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-nato", Author: nf.party, Time: tn.Now().UTC(), Kind: deconflict.KindNotification, Body: json.RawMessage(nf.form)}
		s, err := deconflict.SignPayload(tn.Keys[nf.party], p)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := tn.Submit(ctx, s)
		if err != nil {
			t.Fatalf("notification %d by %s: %v", i, nf.party, err)
		}
		idx[i] = rec.Index
		total += len(nf.areas)
	}

	root := chromiumUnder(t, ctx, chromedp.WindowSize(1440, 900), chromedp.Flag("hide-scrollbars", true))
	ru := newBrowser(t, root, "RU", base)
	if err := ru.login("RU"); err != nil {
		t.Fatal(err)
	}
	ru.do(chromedp.EmulateViewport(1440, 900))
	ru.do(chromedp.Navigate(base + "/#ru-nato/notices")) // the Notices tab beside the map, as an officer filing would see it
	ru.wait("the notified areas drawn", fmt.Sprintf(`(() => { const n = window.deconflictConsole?.notified; return !!n && n.channel === "ru-nato" && n.drawn.length === %d &&
		n.map.zones.filter((z) => String(z.id).startsWith("notified:ru-nato:")).length === 3; })()`, total), 15*time.Second)
	// frame the Baltic so that every area is on screen
	ru.eval(`(() => { const m = window.deconflictConsole.map; m.moved(); m.fitPoints([[53.5, 14.2], [59.9, 24.4]], { margin: 0.05 }); m.render(); return ""; })()`)

	ru.do(chromedp.Sleep(300 * time.Millisecond)) // a frame or two
	ru.screenshot(artifactsDir(t), "notified-ru-nato.png")
	if dir := os.Getenv("DECONFLICT_DOCS_SHOTS"); dir != "" {
		docScreenshot(t, ru, filepath.Join(dir, "notified-areas-1440x900.png"))
	}

	type drawnArea struct {
		Key, Window, When, Label, Second string
		Index                            int64
		Zone                             bool
		Points                           [][2]float64
		Screen                           [][2]float64
		Proj                             [][2]float64 // map.latLonToScreen of Points
		Labelled                         bool
	}
	type zoneView struct {
		ID          string
		From, Until time.Time
	}
	var model struct {
		Drawn      []drawnArea
		Zones      []zoneView // the map's zones made of notifications
		DrawnZones []string   // the zones the map drew itself
		ZoneLabels []string   // the map's labels of zones made of notifications
	}
	modelJS := `(() => { const c = window.deconflictConsole, m = c.map; m.render();
		return JSON.stringify({ drawn: c.notified.drawn.map((d) => ({ key: d.key, window: d.window, when: d.when, label: d.label, second: d.second, index: d.index, zone: d.zone,
			points: d.points, screen: d.screen, proj: d.points.map(([la, lo]) => m.latLonToScreen(la, lo)),
			labelled: m.labels.some((l) => l.key === "notified:" + d.key && l.lines.length === 3 && l.lines[0][0] + " · " + l.lines[1][0] === d.label && l.lines[2][0] === d.second) })),
			zones: m.zones.filter((z) => String(z.id).startsWith("notified:")).map((z) => ({ id: z.id, from: z.from, until: z.until })),
			drawnZones: m.drawnZones, zoneLabels: m.labels.filter((l) => l.key.startsWith("zone:notified:")).map((l) => l.key) }); })()`
	if err := json.Unmarshal([]byte(ru.eval(modelJS)), &model); err != nil {
		t.Fatal(err)
	}
	var v mapView
	if err := json.Unmarshal([]byte(ru.eval(`(() => { const m = window.deconflictConsole.map, r = m.canvas.getBoundingClientRect();
		return JSON.stringify({center: m.center, zoom: m.zoom, W: r.width, H: r.height}); })()`)), &v); err != nil {
		t.Fatal(err)
	}
	if len(model.Drawn) != total {
		t.Fatalf("%d notified areas drawn, want %d: %+v", len(model.Drawn), total, model.Drawn)
	}
	byKey := map[string][]drawnArea{}
	for _, g := range model.Drawn {
		byKey[g.Key] = append(byKey[g.Key], g)
	}
	for i, nf := range notifs {
		// Each area once: the layer's outlines of this notification and
		// the zones the map drew of it make as many outlines as it has
		// areas; the zones the node made of it are the areas that alert.
		prefix := fmt.Sprintf("notified:ru-nato:%d:", idx[i])
		outlines, zones, wantZones := 0, 0, 0
		for _, g := range model.Drawn {
			if g.Index == idx[i] {
				outlines++
			}
		}
		for _, id := range model.DrawnZones {
			if strings.HasPrefix(id, prefix) {
				outlines++
			}
		}
		for _, z := range model.Zones {
			if strings.HasPrefix(z.ID, prefix) {
				zones++
			}
		}
		for _, w := range nf.areas {
			if w.zone {
				wantZones++
			}
		}
		if outlines != len(nf.areas) || zones != wantZones {
			t.Errorf("notification #%d (%s): %d outlines on the map, %d zones made of it; want %d and %d", idx[i], nf.party, outlines, zones, len(nf.areas), wantZones)
		}
		for _, w := range nf.areas {
			key := fmt.Sprintf("%d:%s", idx[i], w.key)
			gs := byKey[key]
			if len(gs) != 1 {
				t.Errorf("area %s drawn %d times, want once", key, len(gs))
				continue
			}
			g := gs[0]
			wantWindow := refWhen(w.from) + " – " + refWhen(w.to)
			if g.Window != wantWindow || g.When != w.when {
				t.Errorf("area %s: window %q (%s), want %q (%s)", key, g.Window, g.When, wantWindow, w.when)
			}
			wantLabel := w.label + " · " + wantWindow
			if w.when != "active" {
				wantLabel += " (" + w.when + ")"
			}
			wantSecond := fmt.Sprintf("%s · ru-nato:%d", nf.party, idx[i])
			if w.zone {
				wantSecond += " · alerting as a zone"
			}
			if g.Label != wantLabel || g.Second != wantSecond || g.Zone != w.zone || !g.Labelled {
				t.Errorf("area %s: label %q / %q (zone %v, placed with the map's labels: %v), want %q / %q (zone %v)", key, g.Label, g.Second, g.Zone, g.Labelled, wantLabel, wantSecond, w.zone)
			}
			if w.polygon != nil && fmt.Sprint(g.Points) != fmt.Sprint(w.polygon) {
				t.Errorf("area %s: points %v, want the notified polygon %v", key, g.Points, w.polygon)
			}
			if c := w.circle; c != nil {
				for _, p := range g.Points {
					if dd := refHaversine(c[0], c[1], p[0], p[1]); math.Abs(dd-c[2]) > 1 {
						t.Errorf("area %s: outline point %v is %.0f m from the centre, want %.0f", key, p, dd, c[2])
					}
				}
			}
			for j, p := range g.Points {
				s := g.Screen[j]
				if math.Hypot(s[0]-g.Proj[j][0], s[1]-g.Proj[j][1]) > 0.5 {
					t.Errorf("area %s point %d: drawn at %v, the map projects it to %v", key, j, s, g.Proj[j])
				}
				lat, lon := v.latLon(s[0], s[1])
				if math.Abs(lat-p[0]) > 1e-6 || math.Abs(lon-p[1]) > 1e-6 {
					t.Errorf("area %s point %d: pixel %v is %.6f, %.6f, want %v", key, j, s, lat, lon, p)
				}
			}
		}
	}
	// The zones of the launch say the window the layer draws (24 h from
	// the planned launch when no end is given).
	for _, z := range model.Zones {
		if strings.HasPrefix(z.ID, fmt.Sprintf("notified:ru-nato:%d:", idx[4])) && (!z.From.Equal(launch) || !z.Until.Equal(launch.Add(24*time.Hour))) {
			t.Errorf("launch zone %s: %v – %v, want %v – %v", z.ID, z.From, z.Until, launch, launch.Add(24*time.Hour))
		}
	}
	// The Notices tab beside gives the launch the same window.
	wantLaunch := "window " + refWhen(launch) + " – " + refWhen(launch.Add(24*time.Hour)) + " (no end given: 24 h)"
	ru.wait("the launch in the Notices tab", fmt.Sprintf(`!!document.querySelector('#notification-list li[data-index="%d"] .window')`, idx[4]), 10*time.Second)
	if got := ru.eval(fmt.Sprintf(`document.querySelector('#notification-list li[data-index="%d"] .window').textContent`, idx[4])); got != wantLaunch {
		t.Errorf("the launch's window in the Notices tab: %q, want %q", got, wantLaunch)
	}
	if len(model.ZoneLabels) != 0 {
		t.Errorf("the map labels zones made of notifications too: %v", model.ZoneLabels)
	}

	// The toggle hides the layer, and the choice is remembered; the
	// zones are then drawn by the map, each once.
	ru.click("#notified-toggle")
	ru.wait("the layer hidden", `(() => { const n = window.deconflictConsole.notified; n.map.render(); return !n.on && n.drawn.length === 0 &&
		!n.map.labels.some((l) => l.key.startsWith("notified:")) && document.getElementById("notified-toggle").getAttribute("aria-pressed") === "false"; })()`, 5*time.Second)
	off := func() {
		t.Helper()
		if err := json.Unmarshal([]byte(ru.eval(modelJS)), &model); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, id := range model.DrawnZones {
			if strings.HasPrefix(id, "notified:ru-nato:") {
				n++
			}
		}
		if len(model.Drawn) != 0 || n != 3 {
			t.Errorf("with the layer off: %d areas drawn by the layer and %d notified zones by the map, want 0 and 3", len(model.Drawn), n)
		}
	}
	off()
	ru.do(chromedp.Reload())
	ru.wait("the console again", fmt.Sprintf(`!!window.deconflictConsole?.notified && window.deconflictConsole.notified.channel === "ru-nato" && window.deconflictConsole.notified.areas.length === %d`, total), 15*time.Second)
	if got := ru.eval(`(() => { const n = window.deconflictConsole.notified; n.map.render(); return String(n.on) + " " + n.drawn.length; })()`); got != "false 0" {
		t.Fatalf("after a reload the layer is on=%s drawn, want it still off", got)
	}
	off()
	ru.click("#notified-toggle")
	ru.wait("the layer back", fmt.Sprintf(`(() => { const n = window.deconflictConsole.notified; n.map.render(); return n.on && n.drawn.length === %d &&
		!n.map.drawnZones.some((id) => id.startsWith("notified:ru-nato:")); })()`, total), 5*time.Second)

	// A notice filed while the map is open: its area comes live, and the
	// zone the node makes of it too, drawn once.
	p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-nato", Author: "NATO", Time: tn.Now().UTC(), Kind: deconflict.KindNotification,
		Body: json.RawMessage(`{"regime":"incsea-notice","state":"NATO","designation":"Gunnery","start":"` + rfc(at(100*time.Hour)) + `","end":"` + rfc(at(110*time.Hour)) + `","area":{"circle":{"lat":56.0,"lon":16.0,"radius_m":8000}}}`)}
	signed, err := deconflict.SignPayload(tn.Keys["NATO"], p)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := tn.Submit(ctx, signed)
	if err != nil {
		t.Fatal(err)
	}
	ru.wait("the new notice's area and zone", fmt.Sprintf(`(() => { const n = window.deconflictConsole.notified; n.map.render();
		const mine = n.drawn.filter((d) => d.index === %d);
		return n.drawn.length === %d && mine.length === 1 && mine[0].zone && mine[0].second === "NATO · ru-nato:%d · alerting as a zone" &&
			n.map.zones.some((z) => String(z.id).startsWith("notified:ru-nato:%d:")) && !n.map.drawnZones.some((id) => id.startsWith("notified:ru-nato:")); })()`,
		rec.Index, total+1, rec.Index, rec.Index), 15*time.Second)
	ru.checkNoErrors()
}
