package console_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// drawnArea is an area as the forms carry it.
type drawnArea struct {
	Polygon [][2]float64 `json:"polygon"`
	Circle  *struct {
		Lat     float64 `json:"lat"`
		Lon     float64 `json:"lon"`
		RadiusM float64 `json:"radius_m"`
	} `json:"circle"`
}

// TestBrowserDraw draws areas on the map with real mouse events in
// Chromium: a polygon for an intention notice (clicks, a stray vertex
// removed with Backspace, a double-click closing it) and a circle for a
// zone measure (a drag), and a circle for an annual calendar's entry (its
// entries[0].area). The forms' JSON must hold the points that the
// map's view gives for those pixels, computed here with an inverse Web
// Mercator of our own, and the node must accept both with those areas.
func TestBrowserDraw(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	root := chromium(t, 90*time.Second)
	ru := newBrowser(t, root, "RU", base)
	if err := ru.login("RU"); err != nil {
		t.Fatal(err)
	}
	ru.do(chromedp.Navigate(base + "/#ru-nato/notices"))
	ru.wait("the notices tab", `!!document.getElementById("notify-form") && !!document.getElementById("notify-draw") && !!document.getElementById("measure-draw")`, 15*time.Second)
	ru.eval(`(() => { document.querySelectorAll("details.notify-form").forEach((d) => d.open = true);
		const s = document.getElementById("notify-regime"); s.value = "intention"; s.dispatchEvent(new Event("change")); return ""; })()`)

	// view reads the map's view and the canvas's place on the page.
	type pageView struct {
		mapView
		Left, Top float64
	}
	view := func() pageView {
		t.Helper()
		var v struct {
			Center    [2]float64
			Zoom      float64
			W, H      float64
			Left, Top float64
		}
		if err := json.Unmarshal([]byte(ru.eval(`(() => { const m = window.deconflictConsole.map, r = m.canvas.getBoundingClientRect();
			return JSON.stringify({center: m.center, zoom: m.zoom, w: r.width, h: r.height, left: r.left, top: r.top}); })()`)), &v); err != nil {
			t.Fatal(err)
		}
		return pageView{mapView{v.Center, v.Zoom, v.W, v.H}, v.Left, v.Top}
	}
	press := func(v pageView, x, y float64, count int) {
		ru.do(chromedp.MouseEvent(chromedp.MouseMoved, v.Left+x, v.Top+y),
			chromedp.MouseEvent(chromedp.MousePressed, v.Left+x, v.Top+y, chromedp.ButtonLeft, chromedp.ClickCount(count)),
			chromedp.MouseEvent(chromedp.MouseReleased, v.Left+x, v.Top+y, chromedp.ButtonLeft, chromedp.ClickCount(count)))
	}
	near := func(what string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s: %.5f, want %.5f ± %g", what, got, want, tol)
		}
	}
	formArea := func(id, field string) drawnArea {
		t.Helper()
		var form map[string]json.RawMessage
		text := ru.eval(fmt.Sprintf(`document.getElementById(%q).value`, id))
		if err := json.Unmarshal([]byte(text), &form); err != nil {
			t.Fatalf("%s: %v in %s", id, err, text)
		}
		var a drawnArea
		if err := json.Unmarshal(form[field], &a); err != nil {
			t.Fatalf("%s.%s: %v in %s", id, field, err, text)
		}
		return a
	}

	// Escape cancels a drawing and leaves the form as it was.
	before := ru.eval(`document.getElementById("notify-form").value`)
	ru.click("#notify-draw")
	ru.wait("drawing", `!!window.deconflictConsole.draw.active`, 5*time.Second)
	v0 := view()
	press(v0, 0.3*v0.W, 0.5*v0.H, 1)
	press(v0, 0.5*v0.W, 0.5*v0.H, 1)
	ru.do(chromedp.KeyEvent(kb.Escape))
	ru.wait("the drawing cancelled", `!window.deconflictConsole.draw.active && document.getElementById("notify-draw").getAttribute("aria-pressed") === "false"`, 5*time.Second)
	if after := ru.eval(`document.getElementById("notify-form").value`); after != before {
		t.Fatalf("a cancelled drawing changed the form:\n%s\nto\n%s", before, after)
	}

	// A polygon: three clicks, a stray one taken back with Backspace, and
	// a double-click on the fourth vertex.
	ru.click("#notify-draw")
	ru.wait("drawing", `!!window.deconflictConsole.draw.active && !document.getElementById("draw-readout").hidden`, 5*time.Second)
	v := view()
	px := [][2]float64{{0.42 * v.W, 0.40 * v.H}, {0.62 * v.W, 0.38 * v.H}, {0.66 * v.W, 0.62 * v.H}, {0.45 * v.W, 0.66 * v.H}}
	for _, p := range px[:3] {
		press(v, p[0], p[1], 1)
	}
	press(v, 0.55*v.W, 0.52*v.H, 1)
	ru.wait("four vertices", `document.getElementById("draw-readout").dataset.vertices === "4"`, 5*time.Second)
	ru.do(chromedp.KeyEvent(kb.Backspace))
	ru.wait("the stray vertex removed", `document.getElementById("draw-readout").dataset.vertices === "3"`, 5*time.Second)
	press(v, px[3][0], px[3][1], 1)
	press(v, px[3][0], px[3][1], 2)
	ru.wait("the polygon closed", `!window.deconflictConsole.draw.active && document.getElementById("notify-form").value.includes("polygon")`, 5*time.Second)
	if after := view(); after.mapView != v.mapView {
		t.Fatalf("the map moved while drawing: %+v then %+v", v, after)
	}
	a := formArea("notify-form", "area")
	if len(a.Polygon) != len(px) || a.Circle != nil {
		t.Fatalf("drawn area %+v, want a polygon of %d vertices", a, len(px))
	}
	for i, p := range px {
		lat, lon := v.latLon(p[0], p[1])
		near(fmt.Sprintf("vertex %d lat", i), a.Polygon[i][0], lat, 2e-4)
		near(fmt.Sprintf("vertex %d lon", i), a.Polygon[i][1], lon, 2e-4)
	}
	for _, p := range a.Polygon {
		for _, x := range p {
			if math.Abs(x*1e4-math.Round(x*1e4)) > 1e-6 {
				t.Errorf("coordinate %v not rounded to 4 decimals", x)
			}
		}
	}
	// The form edited by hand shows its area on the map.
	ru.eval(`(() => { const t = document.getElementById("measure-terms"); t.value = JSON.stringify({kind: "zone", name: "X", zone_kind: "deconfliction-zone", area: {circle: {lat: 55.5, lon: 18.25, radius_m: 5000}}});
		t.dispatchEvent(new Event("input")); return ""; })()`)
	ru.wait("the typed area drawn", `JSON.stringify(window.deconflictConsole.draw.shape) === '{"circle":{"lat":55.5,"lon":18.25,"radius_m":5000}}'`, 5*time.Second)
	ru.click("#notify-submit")
	ru.wait("the intention filed", `!!document.getElementById("notification-list") && document.getElementById("notification-list").innerText.includes("TRANSIT")`, 15*time.Second)
	api := newBrowserless(t, base)
	api.login("NATO")
	var ns []struct {
		Regime string          `json:"regime"`
		Form   json.RawMessage `json:"form"`
	}
	if st, code := api.do("GET", "/v1/channels/ru-nato/notifications", nil, &ns); code != "" {
		t.Fatalf("notifications: %d %s", st, code)
	}
	if len(ns) != 1 || ns[0].Regime != "intention" {
		t.Fatalf("notifications %+v, want the intention", ns)
	}
	var filed struct{ Area drawnArea }
	if err := json.Unmarshal(ns[0].Form, &filed); err != nil || fmt.Sprint(filed.Area.Polygon) != fmt.Sprint(a.Polygon) {
		t.Fatalf("the node holds the area %s (%v), want the polygon drawn %v", ns[0].Form, err, a.Polygon)
	}

	// A circle for a zone measure: a drag from the centre; the readout
	// gives the radius in NM and km while dragging.
	ru.eval(`(() => { document.querySelectorAll("details.notify-form").forEach((d) => d.open = true); return ""; })()`)
	ru.click("#measure-draw")
	ru.wait("drawing", `!!window.deconflictConsole.draw.active`, 5*time.Second)
	v = view()
	c, e := [2]float64{0.5 * v.W, 0.5 * v.H}, [2]float64{0.5*v.W + 120, 0.5*v.H + 50}
	ru.do(chromedp.MouseEvent(chromedp.MouseMoved, v.Left+c[0], v.Top+c[1]),
		chromedp.MouseEvent(chromedp.MousePressed, v.Left+c[0], v.Top+c[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	for i := 1; i <= 6; i++ {
		f := float64(i) / 6
		ru.do(chromedp.MouseEvent(chromedp.MouseMoved, v.Left+c[0]+f*(e[0]-c[0]), v.Top+c[1]+f*(e[1]-c[1]), chromedp.ButtonLeft))
	}
	readout := ru.eval(`document.getElementById("draw-readout").textContent`)
	if !strings.Contains(readout, " NM (") || !strings.Contains(readout, " km)") {
		t.Errorf("readout while dragging %q, want the radius in NM and km", readout)
	}
	ru.do(chromedp.MouseEvent(chromedp.MouseReleased, v.Left+e[0], v.Top+e[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	ru.wait("the circle drawn", `!window.deconflictConsole.draw.active && document.getElementById("measure-terms").value.includes("circle")`, 5*time.Second)
	z := formArea("measure-terms", "area")
	if z.Circle == nil || z.Polygon != nil {
		t.Fatalf("drawn zone %+v, want a circle", z)
	}
	clat, clon := v.latLon(c[0], c[1])
	elat, elon := v.latLon(e[0], e[1])
	near("centre lat", z.Circle.Lat, clat, 2e-4)
	near("centre lon", z.Circle.Lon, clon, 2e-4)
	r := refHaversine(clat, clon, elat, elon)
	near("radius", z.Circle.RadiusM, r, 0.002*r+1)
	ru.click("#measure-submit")
	var rules struct {
		Measures []struct {
			Kind  string          `json:"kind"`
			Terms json.RawMessage `json:"terms"`
		} `json:"measures"`
	}
	ru.wait("the zone proposed", `!!document.getElementById("measure-list") && document.getElementById("measure-list").innerText.includes("zone")`, 15*time.Second)
	if st, code := api.do("GET", "/v1/channels/ru-nato/measures", nil, &rules); code != "" {
		t.Fatalf("measures: %d %s", st, code)
	}
	if len(rules.Measures) != 1 || rules.Measures[0].Kind != "zone" {
		t.Fatalf("measures %+v, want the zone", rules.Measures)
	}
	var zt struct{ Area drawnArea }
	if err := json.Unmarshal(rules.Measures[0].Terms, &zt); err != nil || zt.Area.Circle == nil || *zt.Area.Circle != *z.Circle {
		t.Fatalf("the node holds the zone %s (%v), want the circle drawn %+v", rules.Measures[0].Terms, err, *z.Circle)
	}
	ru.screenshot(artifactsDir(t), "draw-circle.png")

	// A calendar's area is its entry's: drawn into entries[0].area, and
	// the calendar is filed with it.
	ru.eval(`(() => { document.querySelectorAll("details.notify-form").forEach((d) => d.open = true);
		const s = document.getElementById("notify-regime"); s.value = "vd11-calendar"; s.dispatchEvent(new Event("change")); return ""; })()`)
	if got := ru.eval(`document.getElementById("notify-draw-field").value`); got != "entries[0].area" {
		t.Fatalf("a calendar draws into %q, want entries[0].area", got)
	}
	ru.click("#notify-draw")
	ru.wait("drawing", `!!window.deconflictConsole.draw.active`, 5*time.Second)
	v = view()
	c, e = [2]float64{0.4 * v.W, 0.45 * v.H}, [2]float64{0.4*v.W + 60, 0.45*v.H + 40}
	ru.do(chromedp.MouseEvent(chromedp.MouseMoved, v.Left+c[0], v.Top+c[1]),
		chromedp.MouseEvent(chromedp.MousePressed, v.Left+c[0], v.Top+c[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	for i := 1; i <= 4; i++ {
		f := float64(i) / 4
		ru.do(chromedp.MouseEvent(chromedp.MouseMoved, v.Left+c[0]+f*(e[0]-c[0]), v.Top+c[1]+f*(e[1]-c[1]), chromedp.ButtonLeft))
	}
	ru.do(chromedp.MouseEvent(chromedp.MouseReleased, v.Left+e[0], v.Top+e[1], chromedp.ButtonLeft, chromedp.ClickCount(1)))
	ru.wait("the entry's circle drawn", `!window.deconflictConsole.draw.active && document.getElementById("notify-form").value.includes("circle")`, 5*time.Second)
	var cal struct {
		Area    json.RawMessage
		Entries []struct{ Area drawnArea }
	}
	if err := json.Unmarshal([]byte(ru.eval(`document.getElementById("notify-form").value`)), &cal); err != nil || cal.Area != nil || len(cal.Entries) != 1 || cal.Entries[0].Area.Circle == nil {
		t.Fatalf("the calendar form after drawing: %+v (%v), want the circle in its entry and no area of its own", cal, err)
	}
	ec := *cal.Entries[0].Area.Circle
	clat, clon = v.latLon(c[0], c[1])
	elat, elon = v.latLon(e[0], e[1])
	near("entry centre lat", ec.Lat, clat, 2e-4)
	near("entry centre lon", ec.Lon, clon, 2e-4)
	r = refHaversine(clat, clon, elat, elon)
	near("entry radius", ec.RadiusM, r, 0.002*r+1)
	ru.click("#notify-submit")
	ru.wait("the calendar filed", `!!document.getElementById("notification-list") && document.getElementById("notification-list").innerText.includes("annual calendar")`, 15*time.Second)
	if st, code := api.do("GET", "/v1/channels/ru-nato/notifications", nil, &ns); code != "" {
		t.Fatalf("notifications: %d %s", st, code)
	}
	var filedCal struct{ Entries []struct{ Area drawnArea } }
	if len(ns) != 2 || ns[1].Regime != "vd11-calendar" || json.Unmarshal(ns[1].Form, &filedCal) != nil || len(filedCal.Entries) != 1 ||
		filedCal.Entries[0].Area.Circle == nil || *filedCal.Entries[0].Area.Circle != ec {
		t.Fatalf("notifications %+v, want the calendar with the circle drawn %+v in its entry", ns, ec)
	}
	ru.checkNoErrors()
}
