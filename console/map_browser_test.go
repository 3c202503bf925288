package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/regime"
	"github.com/deconflict/deconflict/sim"
)

// The demo's Baltic scenario is played from this far in, when its
// scripted encounters cluster between 17 and 21 E.
const mapScenarioAt = 5 * time.Minute

// TestBrowserMap drives the console's map in Chromium with the demo's
// Baltic scenario (sim.Baltic, played on the clock) and an agreed
// deconfliction zone in Syria on ru-us-syria: at 1440x900 and 1024x700,
// no two labels overlap and none leaves the map or hides under the
// encounter list; the most severe encounter keeps its label; the home
// view of ru-nato is the Baltic and that of ru-us-syria is Syria; the
// encounter list collapses and stays collapsed across a reload; the
// scale bar's length is the distance it states (an inverse Web Mercator
// and a haversine written here); the measure tool's bearing and range
// match a haversine reference, dragged and with two clicks; aircraft
// labels carry flight levels; zone windows are dates; the night theme is
// remembered. Screenshots go to the artifacts directory, and to
// $DECONFLICT_DOCS_SHOTS when set (docs/console/).
func TestBrowserMap(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	shots := artifactsDir(t)
	docShots := os.Getenv("DECONFLICT_DOCS_SHOTS")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()

	// The agreed zone of ru-us-syria: US proposes, RU signs.
	submit := func(ch, party, kind, body string) *deconflict.Receipt {
		t.Helper()
		p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: ch, Author: party, Time: tn.Now().UTC(), Kind: kind, Body: json.RawMessage(body)}
		s, err := deconflict.SignPayload(tn.Keys[party], p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := tn.Submit(ctx, s)
		if err != nil {
			t.Fatalf("%s by %s: %v", kind, party, err)
		}
		return r
	}
	z := submit("ru-us-syria", "US", deconflict.KindMeasure, `{"kind":"zone","name":"At-Tanf deconfliction zone","zone_kind":"deconfliction-zone","area":{"circle":{"lat":33.50,"lon":38.65,"radius_m":55000}}}`)
	submit("ru-us-syria", "RU", deconflict.KindSign, string(regime.Ref{Index: z.Index, LeafHash: z.LeafHash}.Marshal()))
	for deadline := time.Now().Add(10 * time.Second); ; {
		found := false
		for _, zz := range tn.Live.Zones() {
			found = found || strings.HasPrefix(zz.ID, "measure:ru-us-syria:")
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agreed zone of ru-us-syria never became a zone of the picture")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// The Baltic scenario, played on the clock from mapScenarioAt on.
	scen := sim.Baltic(1)
	for _, zz := range scen.Zones {
		zz.From, zz.Until = time.Time{}, time.Time{}
		if err := tn.Live.AddZone(ctx, deconflict.NodeAuthor, zz); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().UTC()
	shift := func(rs []deconflict.Report) []deconflict.Report {
		for i := range rs {
			rs[i].Time = t0.Add(rs[i].Time.Sub(scen.Start.Add(mapScenarioAt)))
		}
		return rs
	}
	at := scen.Start.Add(mapScenarioAt)
	if err := tn.Live.Ingest(ctx, deconflict.NodeAuthor, shift(scen.Reports(at.Add(-3*time.Minute), at))); err != nil {
		t.Fatal(err)
	}
	feedCtx, stopFeed := context.WithCancel(ctx)
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		prev := at
		for {
			select {
			case <-feedCtx.Done():
				return
			case now := <-tick.C:
				next := at.Add(now.Sub(t0))
				if rs := scen.Reports(prev, next); len(rs) > 0 {
					tn.Live.Ingest(feedCtx, deconflict.NodeAuthor, shift(rs))
				}
				prev = next
			}
		}
	}()
	defer func() { stopFeed(); <-feedDone }()

	root := chromiumUnder(t, ctx, chromedp.WindowSize(1440, 900), chromedp.Flag("hide-scrollbars", true))
	ru := newBrowser(t, root, "RU", base)
	if err := ru.login("RU"); err != nil {
		t.Fatal(err)
	}
	// docs/console.md shows these (the rest only go to the artifacts)
	inDocs := map[string]bool{"map-home-1440x900.png": true, "map-home-1024x700.png": true, "map-encounter-1440x900.png": true,
		"map-list-collapsed-1024x700.png": true, "map-night-1024x700.png": true}
	shot := func(name string) {
		t.Helper()
		ru.do(chromedp.Sleep(400 * time.Millisecond)) // a frame or two
		ru.screenshot(shots, name)
		if docShots != "" && inDocs[name] {
			docScreenshot(t, ru, filepath.Join(docShots, name))
		}
	}
	size := func(w, h int) {
		t.Helper()
		ru.do(chromedp.EmulateViewport(int64(w), int64(h)))
		ru.wait("resized", fmt.Sprintf(`window.innerWidth === %d && window.innerHeight === %d`, w, h), 5*time.Second)
	}
	view := func() mapView {
		t.Helper()
		var v mapView
		ru.do(chromedp.Sleep(300 * time.Millisecond))
		if err := json.Unmarshal([]byte(ru.eval(`(() => { const m = window.deconflictConsole.map, r = m.canvas.getBoundingClientRect();
			return JSON.stringify({center: m.center, zoom: m.zoom, w: r.width, h: r.height}); })()`)), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	size(1440, 900)
	ru.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	ru.wait("encounters on the map", `window.deconflictConsole && window.deconflictConsole.map.openEncounters().length >= 4`, 30*time.Second)
	ru.wait("channel home applied", `window.deconflictConsole.map.channel?.id === "ru-nato"`, 10*time.Second)
	ru.click("#zoom-home")
	for _, sz := range [][2]int{{1440, 900}, {1024, 700}} {
		size(sz[0], sz[1])
		ru.click("#zoom-home")
		v := view()
		// ru-nato's home holds its parties' meeting places: the scripted
		// encounters between 17 and 21 E, 55 and 57.3 N.
		for _, p := range [][2]float64{{55.3, 17.2}, {57.3, 21.0}, {55.5, 19.5}} {
			if !v.shows(p[0], p[1]) {
				t.Errorf("%dx%d: ru-nato home view (centre %v zoom %.2f) does not show %v", sz[0], sz[1], v.center(), v.Zoom, p)
			}
		}
		checkLabels(t, ru, fmt.Sprintf("ru-nato home %dx%d", sz[0], sz[1]))
		shot(fmt.Sprintf("map-home-%dx%d.png", sz[0], sz[1]))
		// The encounter list leaves most of the map free.
		if f := ru.eval(`(() => { const b = document.querySelector(".encounter-box").getBoundingClientRect(), m = document.getElementById("map").getBoundingClientRect();
			return String((b.width * b.height) / (m.width * m.height)); })()`); mustFloat(t, f) > 0.2 {
			t.Errorf("%dx%d: the encounter list covers %.0f%% of the map", sz[0], sz[1], 100*mustFloat(t, f))
		}
	}

	// Zoom to the most severe encounter: both tracks and the closest
	// point in view, the labels still apart.
	size(1440, 900)
	ru.click("#encounters button.encounter")
	v := view()
	var enc struct{ A, B, CPA [2]float64 }
	json.Unmarshal([]byte(ru.eval(`(() => { const m = window.deconflictConsole.map, id = document.querySelector("#encounters button.encounter").dataset.id, e = m.encounters.get(id);
		const ta = m.tracks.get(e.a), tb = m.tracks.get(e.b) || ta;
		return JSON.stringify({A: [ta.lat, ta.lon], B: [tb.lat, tb.lon], CPA: [e.prediction.pos_a.lat, e.prediction.pos_a.lon]}); })()`)), &enc)
	for _, p := range [][2]float64{enc.A, enc.B, enc.CPA} {
		if !v.shows(p[0], p[1]) {
			t.Errorf("zoom to encounter: %v not in view (centre %v zoom %.2f)", p, v.center(), v.Zoom)
		}
	}
	if v.Zoom > 12.01 {
		t.Errorf("zoom to encounter: zoom %.2f, want at most 12", v.Zoom)
	}
	checkLabels(t, ru, "zoomed to an encounter")
	shot("map-encounter-1440x900.png")

	// Zoom to a zone entry: the track and the whole zone in view, the zone
	// taking at most two thirds of it.
	zoneEnc := ru.eval(`(() => { const e = window.deconflictConsole.map.openEncounters().find((e) => e.zone && !e.b); if (!e) return "";
		document.querySelector('#encounters button.encounter[data-id="' + e.id + '"]').click(); return e.zone; })()`)
	if zoneEnc == "" {
		t.Fatal("no zone entry among the open encounters")
	}
	v = view()
	var zbox [4]float64 // south, west, north, east of the zone's outline
	json.Unmarshal([]byte(ru.eval(`(() => { const m = window.deconflictConsole.map, z = m.zones.find((z) => z.id === `+strconv.Quote(zoneEnc)+`), p = m.zonePoints(z);
		return JSON.stringify([Math.min(...p.map((q) => q[0])), Math.min(...p.map((q) => q[1])), Math.max(...p.map((q) => q[0])), Math.max(...p.map((q) => q[1]))]); })()`)), &zbox)
	la0, lo0 := v.latLon(0, v.H)
	la1, lo1 := v.latLon(v.W, 0)
	if !v.shows(zbox[0], zbox[1]) || !v.shows(zbox[2], zbox[3]) || (zbox[3]-zbox[1])/(lo1-lo0) > 0.67 || (zbox[2]-zbox[0])/(la1-la0) > 0.67 {
		t.Errorf("zoom to the entry of zone %s %v: view %.3f-%.3f N %.3f-%.3f E, want the zone inside, at most 2/3 of it", zoneEnc, zbox, la0, la1, lo0, lo1)
	}
	checkLabels(t, ru, "zoomed to a zone entry")
	shot("map-zone-entry-1440x900.png")

	// The track labels of aircraft carry flight levels.
	ru.click("#zoom-home")
	ru.do(chromedp.Sleep(300 * time.Millisecond))
	if got := ru.eval(`[...document.querySelectorAll(".map-label-track")].map(n => n.textContent).join("|")`); !regexp.MustCompile(`FL\d{3}`).MatchString(got) {
		t.Errorf("no flight level on any track label: %q", got)
	}
	// Zone windows are dates or "no time limit", never "… – …".
	zl := ru.eval(`[...document.querySelectorAll(".map-label-zone")].map(n => n.textContent).join("|")`)
	if zl == "" || strings.Contains(zl, "…") || !strings.Contains(zl, "no time limit") {
		t.Errorf("zone labels %q: want windows as dates or \"no time limit\"", zl)
	}

	// Decluttering drops the least important first: 40 labels of one size
	// on one marker in a small box, in shuffled order, leave placed
	// exactly the most important ones, none overlapping.
	var declutter struct {
		Placed  []int
		Overlap bool
		Out     bool
	}
	json.Unmarshal([]byte(ru.eval(`import("/console/assets/js/map.js").then((m) => {
		const labels = [];
		for (let i = 0; i < 40; i++) labels.push({key: "l" + i, prio: (i * 17) % 40, ax: 200, ay: 150, w: 90, h: 30});
		m.placeLabels(labels, [0, 0, 400, 300], [[0, 0, 60, 300]]);
		const on = labels.filter((l) => !l.hidden);
		let overlap = false, out = false;
		for (const a of on) {
			if (a.box[0] < 60 || a.box[1] < 0 || a.box[2] > 400 || a.box[3] > 300) out = true;
			for (const b of on) if (a !== b && a.box[0] < b.box[2] && b.box[0] < a.box[2] && a.box[1] < b.box[3] && b.box[1] < a.box[3]) overlap = true;
		}
		return JSON.stringify({Placed: on.map((l) => l.prio).sort((a, b) => b - a), Overlap: overlap, Out: out});
	})`)), &declutter)
	if n := len(declutter.Placed); n < 5 || n == 40 || declutter.Placed[0] != 39 || declutter.Placed[n-1] != 40-n || declutter.Overlap || declutter.Out {
		t.Errorf("declutter: placed priorities %v (overlap %v, outside %v), want the %d highest of 0-39, apart, inside", declutter.Placed, declutter.Overlap, declutter.Out, n)
	}

	// Durations and windows as an officer reads them.
	formats := ru.eval(`Promise.all([import("/console/assets/js/api.js"), import("/console/assets/js/map.js")]).then(([a, m]) => [
		a.fmtDuration(249e3), a.fmtDuration(2 * 3600e3 + 5 * 60e3 + 9e3), a.fmtDuration(47 * 3600e3 + 12 * 60e3), a.fmtDuration(-3600e3),
		m.fmtIn(2 * 3600e3 + 5 * 60e3), m.fmtIn(200e3),
		m.fmtWindow("2026-06-03T14:00:00Z", "2026-06-04T02:00:00Z"), m.fmtWindow("2026-06-03T14:00:00Z", null), m.fmtWindow("0001-01-01T00:00:00Z", undefined),
		m.flightLevel(9000), m.flightLevel(30),
	].join("|"))`)
	year := time.Now().UTC().Year()
	wantFormats := "4:09|2 h 05 min|1 d 23 h|1 h 00 min|in 2 h 05 min|in 3 min 20 s|" +
		"3 Jun 14:00Z – 4 Jun 02:00Z|from 3 Jun 14:00Z|no time limit|FL295|FL001"
	if year != 2026 {
		wantFormats = strings.NewReplacer("3 Jun", "3 Jun 2026", "4 Jun", "4 Jun 2026").Replace(wantFormats)
	}
	if formats != wantFormats {
		t.Errorf("formats:\n got %s\nwant %s", formats, wantFormats)
	}

	// ru-us-syria opens on Syria.
	ru.click(`#channels button[data-channel="ru-us-syria"]`)
	ru.wait("ru-us-syria selected", `window.deconflictConsole.map.channel?.id === "ru-us-syria"`, 10*time.Second)
	v = view()
	if !v.shows(33.5, 38.65) || v.shows(56, 19) {
		t.Errorf("ru-us-syria home view (centre %v zoom %.2f): want At-Tanf in view and not the Baltic", v.center(), v.Zoom)
	}
	checkLabels(t, ru, "ru-us-syria home")
	shot("map-ru-us-syria-1440x900.png")
	ru.click(`#channels button[data-channel="ru-nato"]`)
	ru.wait("ru-nato selected", `window.deconflictConsole.map.channel?.id === "ru-nato"`, 10*time.Second)

	// The scale bar states the distance its length covers, in NM and km.
	for _, sz := range [][2]int{{1440, 900}, {1024, 700}} {
		size(sz[0], sz[1])
		for _, zoomBy := range []string{"0", "2.3", "4.1"} {
			ru.eval(`(() => { const m = window.deconflictConsole.map; m.goHome(); m.zoomBy(` + zoomBy + `); return ""; })()`)
			v := view()
			var rows []struct {
				Px    float64 `json:"px"`
				Value float64 `json:"value"`
				Unit  string  `json:"unit"`
				Label string  `json:"label"`
				Bar   float64 `json:"bar"`
			}
			json.Unmarshal([]byte(ru.eval(`JSON.stringify([...document.querySelectorAll("#scale-bar .sb-row")].map(r => ({px: +r.dataset.px, value: +r.dataset.value,
				unit: r.classList.contains("sb-nm") ? "NM" : "km", label: r.querySelector(".sb-label").textContent, bar: r.querySelector(".sb-bar").getBoundingClientRect().width})))`)), &rows)
			if len(rows) != 2 {
				t.Fatalf("scale bar rows: %+v", rows)
			}
			for _, r := range rows {
				unit := map[string]float64{"NM": 1852, "km": 1000}[r.Unit]
				// the stated distance, read from the label
				var stated float64
				if _, err := fmt.Sscanf(r.Label, "%g", &stated); err != nil || !strings.HasSuffix(r.Label, " "+r.Unit) {
					t.Fatalf("scale bar label %q", r.Label)
				}
				// the ground distance of the bar's length at the centre
				y := v.H / 2
				lat0, lon0 := v.latLon(v.W/2-r.Bar/2, y)
				lat1, lon1 := v.latLon(v.W/2+r.Bar/2, y)
				got := refHaversine(lat0, lon0, lat1, lon1)
				if e := math.Abs(got-stated*unit) / (stated * unit); e > 0.03 {
					t.Errorf("%dx%d zoom %.2f: the scale bar of %s is %.1f px, which is %.0f m on the ground, %.1f%% off",
						sz[0], sz[1], v.Zoom, r.Label, r.Bar, got, 100*e)
				}
				if r.Bar < 30 || r.Bar > 130 {
					t.Errorf("scale bar %s: %.1f px long", r.Label, r.Bar)
				}
			}
		}
	}

	// The encounter list collapses, stays collapsed across a reload, and
	// opens again.
	size(1024, 700)
	ru.click("#zoom-home")
	ru.click("#encounters-toggle")
	ru.wait("collapsed", `document.getElementById("encounters").hidden && document.getElementById("encounters-toggle").getAttribute("aria-expanded") === "false"`, 5*time.Second)
	if h := mustFloat(t, ru.eval(`String(document.querySelector(".encounter-box").getBoundingClientRect().height)`)); h > 40 {
		t.Errorf("collapsed encounter list is %.0f px high", h)
	}
	checkLabels(t, ru, "list collapsed 1024x700")
	shot("map-list-collapsed-1024x700.png")
	ru.do(chromedp.Reload())
	ru.wait("still collapsed after a reload", `!!document.getElementById("encounters-toggle") && document.getElementById("encounters").hidden`, 15*time.Second)
	ru.click("#encounters-toggle")
	ru.wait("open again", `!document.getElementById("encounters").hidden`, 5*time.Second)
	ru.wait("encounters again", `window.deconflictConsole.map.openEncounters().length >= 4`, 20*time.Second)
	// It is resized from its corner with the mouse, and keeps its size
	// across a reload.
	var box [4]float64
	json.Unmarshal([]byte(ru.eval(`(() => { const r = document.querySelector(".encounter-box").getBoundingClientRect(); return JSON.stringify([r.left, r.top, r.right, r.bottom]); })()`)), &box)
	cx, cy := box[2]-3, box[3]-3
	ru.do(chromedp.MouseEvent(chromedp.MouseMoved, cx, cy), chromedp.MouseEvent(chromedp.MousePressed, cx, cy, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	for i := 1; i <= 5; i++ {
		ru.do(chromedp.MouseEvent(chromedp.MouseMoved, cx-float64(i)*10, cy-float64(i)*8, chromedp.ButtonLeft))
	}
	ru.do(chromedp.MouseEvent(chromedp.MouseReleased, cx-50, cy-40, chromedp.ButtonLeft, chromedp.ClickCount(1)), chromedp.Sleep(300*time.Millisecond))
	resized := mustFloat(t, ru.eval(`String(document.querySelector(".encounter-box").getBoundingClientRect().width)`))
	if want := box[2] - box[0] - 50; math.Abs(resized-want) > 3 {
		t.Errorf("encounter list %.0f px wide after dragging its corner 50 px in, want %.0f", resized, want)
	}
	ru.do(chromedp.Reload())
	ru.wait("size kept after a reload", fmt.Sprintf(`!!document.getElementById("encounters-toggle") && Math.abs(document.querySelector(".encounter-box").getBoundingClientRect().width - %g) < 2`, resized), 15*time.Second)
	ru.wait("encounters after the reload", `window.deconflictConsole.map.openEncounters().length >= 4`, 20*time.Second)

	// The measure tool: a drag, then two clicks, against a haversine
	// computed here.
	size(1440, 900)
	ru.click("#zoom-home")
	ru.click("#measure-tool")
	for i, c := range []struct {
		a, b [2]float64
		drag bool
	}{
		{[2]float64{55.2, 17.5}, [2]float64{56.9, 20.4}, true},
		{[2]float64{57.1, 20.8}, [2]float64{55.6, 18.1}, false},
	} {
		script := fmt.Sprintf(`(() => {
			const m = window.deconflictConsole.map, r = m.canvas.getBoundingClientRect();
			const [ax, ay] = m.latLonToScreen(%g, %g), [bx, by] = m.latLonToScreen(%g, %g);
			const ev = (type, x, y) => m.canvas.dispatchEvent(new PointerEvent(type, {clientX: r.left + x, clientY: r.top + y, button: 0, pointerId: 1, bubbles: true}));
			if (%t) { ev("pointerdown", ax, ay); ev("pointermove", (ax + bx) / 2, (ay + by) / 2); ev("pointermove", bx, by); ev("pointerup", bx, by); }
			else { ev("pointerdown", ax, ay); ev("pointerup", ax, ay); ev("pointermove", bx, by); ev("pointerdown", bx, by); ev("pointerup", bx, by); }
			const o = document.getElementById("measure-readout");
			return JSON.stringify({bearing: +o.dataset.bearing, nm: +o.dataset.rangeNm, text: o.textContent, hidden: o.hidden});
		})()`, c.a[0], c.a[1], c.b[0], c.b[1], c.drag)
		var got struct {
			Bearing, NM float64
			Text        string
			Hidden      bool
		}
		json.Unmarshal([]byte(ru.eval(script)), &got)
		wantNM := refHaversine(c.a[0], c.a[1], c.b[0], c.b[1]) / 1852
		wantB := refBearing(c.a[0], c.a[1], c.b[0], c.b[1])
		if got.Hidden || math.Abs(got.NM-wantNM)/wantNM > 0.002 || math.Abs(math.Remainder(got.Bearing-wantB, 360)) > 0.3 {
			t.Errorf("measure %d: %+v, want bearing %.2f° range %.3f NM", i, got, wantB, wantNM)
		}
		// the readout says it as an officer reads it: "047° T · 118 NM (219.0 km)"
		wantText := fmt.Sprintf("%03d° T · %s NM", int(math.Round(wantB))%360, refNM(wantNM))
		if !strings.HasPrefix(got.Text, wantText) {
			t.Errorf("measure %d readout %q, want it to start with %q", i, got.Text, wantText)
		}
		if strings.HasSuffix(got.Text, "…") {
			t.Errorf("measure %d readout %q: still waiting for its end", i, got.Text)
		}
	}
	shot("map-measure-1440x900.png")
	ru.click("#measure-tool")

	// Range rings around a selected track, labelled in NM.
	ru.click("#range-rings")
	ru.eval(`(() => { const m = window.deconflictConsole.map, r = m.canvas.getBoundingClientRect(), t = [...m.tracks.values()].find(t => t.asset && t.party === "NATO" && t.domain === "sea");
		const [x, y] = m.latLonToScreen(t.lat, t.lon);
		for (const type of ["pointerdown", "pointerup"]) m.canvas.dispatchEvent(new PointerEvent(type, {clientX: r.left + x, clientY: r.top + y, button: 0, pointerId: 1, bubbles: true}));
		return ""; })()`)
	ru.wait("a track selected with rings", `!!window.deconflictConsole.map.selected && window.deconflictConsole.map.ringStep > 0`, 5*time.Second)
	ru.click("#range-rings")

	// The night theme, remembered across a reload.
	ru.click("#theme-toggle")
	ru.wait("night", `document.body.classList.contains("night")`, 5*time.Second)
	ru.do(chromedp.Reload())
	ru.wait("still night after a reload", `document.body.classList.contains("night") && !!window.deconflictConsole`, 15*time.Second)
	ru.wait("encounters at night", `window.deconflictConsole.map.openEncounters().length >= 4`, 20*time.Second)
	for _, sz := range [][2]int{{1440, 900}, {1024, 700}} {
		size(sz[0], sz[1])
		ru.click("#zoom-home")
		checkLabels(t, ru, fmt.Sprintf("night %dx%d", sz[0], sz[1]))
		shot(fmt.Sprintf("map-night-%dx%d.png", sz[0], sz[1]))
	}
	ru.click("#theme-toggle")
	ru.checkNoErrors()
}

// mapView is the map's view as the page reports it.
type mapView struct {
	Center [2]float64 `json:"center"` // Web Mercator, [0, 1]
	Zoom   float64    `json:"zoom"`
	W, H   float64
}

// latLon is the inverse Web Mercator of canvas pixel (x, y), written
// here rather than taken from the page.
func (v mapView) latLon(x, y float64) (lat, lon float64) {
	s := 256 * math.Pow(2, v.Zoom)
	wx, wy := v.Center[0]+(x-v.W/2)/s, v.Center[1]+(y-v.H/2)/s
	return math.Atan(math.Sinh(math.Pi*(1-2*wy))) * 180 / math.Pi, wx*360 - 180
}

func (v mapView) center() [2]float64 {
	lat, lon := v.latLon(v.W/2, v.H/2)
	return [2]float64{math.Round(lat*100) / 100, math.Round(lon*100) / 100}
}

// shows reports whether (lat, lon) is on the canvas.
func (v mapView) shows(lat, lon float64) bool {
	la0, lo0 := v.latLon(0, v.H)
	la1, lo1 := v.latLon(v.W, 0)
	return lat > la0 && lat < la1 && lon > lo0 && lon < lo1
}

// refHaversine is the great-circle distance on the mean Earth sphere (m).
func refHaversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371008.8
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// refBearing is the initial great-circle bearing, degrees true.
func refBearing(lat1, lon1, lat2, lon2 float64) float64 {
	p1, p2, dl := lat1*math.Pi/180, lat2*math.Pi/180, (lon2-lon1)*math.Pi/180
	b := math.Atan2(math.Sin(dl)*math.Cos(p2), math.Cos(p1)*math.Sin(p2)-math.Sin(p1)*math.Cos(p2)*math.Cos(dl)) * 180 / math.Pi
	return math.Mod(b+360, 360)
}

// refNM formats NM as the console's readout does: two decimals under 1,
// one under 10, else whole.
func refNM(nm float64) string {
	switch {
	case nm < 1:
		return strconv.FormatFloat(nm, 'f', 2, 64)
	case nm < 10:
		return strconv.FormatFloat(nm, 'f', 1, 64)
	}
	return strconv.FormatFloat(math.Round(nm), 'f', 0, 64)
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

// checkLabels checks, from the DOM, the labels over the map: no two
// boxes overlap, every one lies inside the map and off the encounter
// list, encounter labels are shown (at least 3, the most severe open
// encounter's among them), and a label set off from its marker has a leader line.
func checkLabels(t *testing.T, b *browser, where string) {
	t.Helper()
	b.do(chromedp.Sleep(300 * time.Millisecond))
	var got struct {
		Labels []struct {
			Key, Kind, Text string
			Box             [4]float64
		}
		Map, List  [4]float64
		ListOpen   bool
		Top        string // the key of the most severe open encounter's label
		Encounters int
	}
	js := `(() => {
		const box = (n) => { const r = n.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
		const m = window.deconflictConsole.map;
		const rank = {nmac: 6, critical: 5, dangerous: 4, intrusion: 4, warning: 3, advisory: 1};
		// encounters whose marker is on the map and not under the list (which names them)
		const lb = document.querySelector(".encounter-box").getBoundingClientRect(), cb = m.canvas.getBoundingClientRect();
		const open = m.openEncounters().filter(e => { const p = e.prediction?.pos_a; if (!p || p.lat == null) return false;
			const [x, y] = m.latLonToScreen(p.lat, p.lon);
			const under = x + cb.left > lb.left - 20 && x + cb.left < lb.right + 20 && y + cb.top > lb.top - 20 && y + cb.top < lb.bottom + 20;
			return x > 0 && y > 0 && x < m.canvas.clientWidth && y < m.canvas.clientHeight && !under; });
		open.sort((a, b) => (rank[b.severity] || 0) - (rank[a.severity] || 0));
		const list = document.querySelector(".encounter-box");
		return JSON.stringify({
			Labels: [...document.querySelectorAll("#map-labels .map-label")].map(n => ({Key: n.dataset.key, Kind: n.dataset.kind, Text: n.textContent, Box: box(n)})),
			Map: box(document.getElementById("map")), List: box(list), ListOpen: !list.classList.contains("collapsed"),
			Top: open.length ? "enc:" + open[0].id : "", Encounters: open.length,
		});
	})()`
	if err := json.Unmarshal([]byte(b.eval(js)), &got); err != nil {
		t.Fatal(err)
	}
	over := func(a, c [4]float64) bool { return a[0] < c[2] && c[0] < a[2] && a[1] < c[3] && c[1] < a[3] }
	var encLabels int
	keys := map[string]bool{}
	for i, l := range got.Labels {
		keys[l.Key] = true
		if l.Kind == "encounter" {
			encLabels++
		}
		if l.Box[0] < got.Map[0] || l.Box[1] < got.Map[1] || l.Box[2] > got.Map[2] || l.Box[3] > got.Map[3] {
			t.Errorf("%s: label %q %v leaves the map %v", where, l.Text, l.Box, got.Map)
		}
		if over(l.Box, got.List) {
			t.Errorf("%s: label %q %v under the encounter list %v", where, l.Text, l.Box, got.List)
		}
		for _, o := range got.Labels[i+1:] {
			if over(l.Box, o.Box) {
				t.Errorf("%s: labels %q %v and %q %v overlap", where, l.Text, l.Box, o.Text, o.Box)
			}
		}
	}
	if got.Encounters > 0 && (encLabels < min(got.Encounters, 3) || !keys[got.Top]) {
		t.Errorf("%s: %d encounters in view, %d encounter labels, the most severe (%s) labelled: %v", where, got.Encounters, encLabels, got.Top, keys[got.Top])
	}
	t.Logf("%s: %d labels (%d of encounters, %d in view)", where, len(got.Labels), encLabels, got.Encounters)
}

// docScreenshot writes a screenshot for the docs, reduced to a palette of
// docColors frequent and distinct colours (at 5 bits a channel, the rest
// mapped to the nearest), so that the committed PNGs stay small.
func docScreenshot(t *testing.T, b *browser, path string) {
	t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	key := func(c color.Color) int {
		r, g, bl, _ := c.RGBA()
		return int(r>>11)<<10 | int(g>>11)<<5 | int(bl>>11)
	}
	counts := map[int]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			counts[key(img.At(x, y))]++
		}
	}
	keys := make([]int, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
	})
	rgb := func(k int) [3]int { return [3]int{(k >> 10 & 31) << 3, (k >> 5 & 31) << 3, (k & 31) << 3} }
	// the most frequent colours, skipping those close to one already
	// taken, so that small areas of their own colour (status dots, party
	// colours) keep it
	var pal color.Palette
	var taken [][3]int
	for _, k := range keys {
		if len(pal) == docColors {
			break
		}
		c := rgb(k)
		near := false
		for _, o := range taken {
			if abs(c[0]-o[0])+abs(c[1]-o[1])+abs(c[2]-o[2]) < 24 {
				near = true
				break
			}
		}
		if near {
			continue
		}
		taken = append(taken, c)
		pal = append(pal, color.RGBA{uint8(c[0] | c[0]>>5), uint8(c[1] | c[1]>>5), uint8(c[2] | c[2]>>5), 255})
	}
	nearest := map[int]uint8{}
	out := image.NewPaletted(bounds, pal)
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			k := key(img.At(x, y))
			i, ok := nearest[k]
			if !ok {
				i = uint8(pal.Index(img.At(x, y)))
				nearest[k] = i
			}
			out.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("doc screenshot %s: %d KB", path, buf.Len()/1024)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// docColors is the palette size of the docs' screenshots.
const docColors = 96
