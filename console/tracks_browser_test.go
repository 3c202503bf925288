package console_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/deconflict/deconflict"
)

// degMin formats a coordinate in degrees and decimal minutes, written
// here apart from target.js's fmtLatLon: "055°15.000′N".
func degMin(v float64, width int, pos, neg string) string {
	h := pos
	if v < 0 {
		h = neg
	}
	a := math.Abs(v)
	d := math.Floor(a)
	return fmt.Sprintf("%0*d°%06.3f′%s", width, int(d), (a-d)*60, h)
}

// trackScenario returns reports ending at now: RU's frigate steaming
// east at 10 m/s for 12 minutes (a report a minute), a Russian-flagged
// merchant ship (AIS, with its static data) and a Russian-registered
// airliner at 9,000 m.
func trackScenario(now time.Time) []deconflict.Report {
	u := deconflict.Unknown
	var out []deconflict.Report
	for i := 0; i <= 12; i++ {
		ts := now.Add(time.Duration(i-12) * time.Minute)
		out = append(out,
			deconflict.Report{Time: ts, ID: "RU:frigate-1", Domain: deconflict.Sea, Source: "party", Party: "RU", Name: "SOOBRAZITELNY",
				Lat: 55.25, Lon: 19 + float64(i)*0.01, AltM: u, SpeedMS: 10, CourseDeg: 90, ClimbMS: u},
			deconflict.Report{Time: ts, ID: "mmsi:273123456", Domain: deconflict.Sea, Source: "ais", Name: "KAPITAN GOTSKY", Callsign: "UBCF7", Type: "tanker", Destination: "PRIMORSK",
				Lat: 55.6, Lon: 19.5 - float64(i)*0.005, AltM: u, SpeedMS: 6, CourseDeg: 270, ClimbMS: u},
			deconflict.Report{Time: ts, ID: "icao:155aa1", Domain: deconflict.Air, Source: "sbs", Callsign: "AFL2142",
				Lat: 54.9 + float64(i)*0.02, Lon: 19.8, AltM: 9000, SpeedMS: 220, CourseDeg: 0, ClimbMS: 0},
		)
	}
	return out
}

// TestBrowserTracks drives trails and the target panel in Chromium: the
// frigate's trail is drawn from the node's history ring (its points are
// the API's, and the canvas shows them until trails are turned off), and
// a click on a track opens the target panel with what the picture's API
// says of it.
func TestBrowserTracks(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	shots := artifactsDir(t)
	root := chromium(t, 90*time.Second)
	ctx := root
	ru := newBrowser(t, root, "RU", base)
	if err := ru.login("RU"); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	if err := tn.Live.Ingest(ctx, deconflict.NodeAuthor, trackScenario(now)); err != nil {
		t.Fatal(err)
	}
	ru.wait("tracks on the map", `window.deconflictConsole.map.tracks.size === 3 && Date.parse(window.deconflictConsole.map.tracks.get("RU:frigate-1").time) === `+fmt.Sprint(now.UnixMilli()), 15*time.Second)
	// (The map shows the channel's home view once the hotline opened a
	// channel: wait for it, so that the view chosen here stays.)
	ru.wait("channel's home view", `!!window.deconflictConsole.map.channel`, 10*time.Second)
	// Trails are read when asked (here, by the test), when the view leaves
	// the area read last, and every 15 s: the test stops that timer, so
	// that each read it waits for is one it caused.
	ru.eval(`clearInterval(window.deconflictConsole.trails.timer), ""`)
	ru.eval(`window.deconflictConsole.map.fitBounds(55.0, 18.9, 55.8, 19.9), ""`)
	// Zoomed in, the view is still within the area read for the home
	// view; asked, the trails are read for the area around the view only.
	ru.eval(`window.deconflictConsole.trails.refresh(), ""`)
	readFor := func(what string, w, s, e, n float64) {
		ru.wait(what, fmt.Sprintf(`(() => { const tr = window.deconflictConsole.trails, b = tr.fetched;
			return !!b && b[0] <= %v && b[2] >= %v && b[1] <= %v && b[3] >= %v && b[2] - b[0] < 10 && tr.covers(); })()`, w, e, s, n), 10*time.Second)
	}
	readFor("trails read for the view", 18.9, 55.0, 19.9, 55.8)
	// The view leaving that area makes the next read, for the new view.
	ru.eval(`window.deconflictConsole.map.fitBounds(60.0, 25.0, 60.8, 26.0), ""`)
	readFor("trails read again once the view left the area", 25.0, 60.0, 26.0, 60.8)
	ru.eval(`window.deconflictConsole.map.fitBounds(55.0, 18.9, 55.8, 19.9), ""`)
	readFor("trails read again back on the frigate", 18.9, 55.0, 19.9, 55.8)

	// The trail: the frigate's stored positions of the last 10 minutes
	// (the default), as the API gives them, drawn on the canvas.
	var detail struct {
		Track struct {
			Lat, Lon float64
		} `json:"track"`
		History []struct {
			Time     time.Time `json:"time"`
			Lat, Lon float64
		} `json:"history"`
	}
	if err := json.Unmarshal([]byte(ru.eval(`fetch("/v1/picture/tracks/RU%3Afrigate-1").then(r => r.text())`)), &detail); err != nil {
		t.Fatal(err)
	}
	var want [][2]float64
	for _, p := range detail.History {
		if !p.Time.Before(now.Add(-10 * time.Minute)) {
			want = append(want, [2]float64{p.Lat, p.Lon})
		}
	}
	if len(want) != 11 {
		t.Fatalf("the API's history has %d points in the last 10 minutes, want 11", len(want))
	}
	ru.wait("trail drawn", `(window.deconflictConsole.trails.drawn.get("RU:frigate-1") || []).length === 11`, 15*time.Second)
	wantJSON, _ := json.Marshal(want)
	if got := ru.eval(fmt.Sprintf(`(() => {
		const m = window.deconflictConsole.map, drawn = window.deconflictConsole.trails.drawn.get("RU:frigate-1");
		const bad = %s.map(([lat, lon], i) => { const [x, y] = m.latLonToScreen(lat, lon); return Math.hypot(x - drawn[i][0], y - drawn[i][1]) > 0.5 ? i : -1; }).filter(i => i >= 0);
		return bad.join(",");
	})()`, wantJSON)); got != "" {
		t.Fatalf("trail points %s are not the API's history", got)
	}
	// The canvas has the trail's colour between its two oldest points,
	// and the background there once trails are off.
	pixel := `(() => {
		const m = window.deconflictConsole.map, d = %s, dpr = window.devicePixelRatio || 1;
		const [x, y] = [(d[0][0] + d[1][0]) / 2, (d[0][1] + d[1][1]) / 2];
		return Array.from(m.ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data.slice(0, 3)).join(",");
	})()`
	drawnJSON := ru.eval(`JSON.stringify(window.deconflictConsole.trails.drawn.get("RU:frigate-1"))`)
	ru.do(chromedp.Sleep(200 * time.Millisecond))
	on := ru.eval(fmt.Sprintf(pixel, drawnJSON))
	ru.screenshot(shots, "tracks-1-trails.png")
	ru.click("#trails-toggle")
	ru.wait("trails off", `window.deconflictConsole.trails.drawn.size === 0`, 5*time.Second)
	ru.do(chromedp.Sleep(200 * time.Millisecond))
	off := ru.eval(fmt.Sprintf(pixel, drawnJSON))
	if on == off {
		t.Fatalf("pixel between the trail's first points is %s with trails on and off, want the trail's colour when on", on)
	}
	var r, g, b int
	if _, err := fmt.Sscanf(on, "%d,%d,%d", &r, &g, &b); err != nil || r <= b {
		t.Fatalf("pixel on the trail %s, want RU's red over the sea", on)
	}
	ru.click("#trails-toggle")
	ru.wait("trails on again", `(window.deconflictConsole.trails.drawn.get("RU:frigate-1") || []).length === 11`, 15*time.Second)

	// The target panel opens on a click on a track and says what the API says.
	clickTrack := func(id string) {
		ru.eval(fmt.Sprintf(`(() => {
			const m = window.deconflictConsole.map, t = m.tracks.get(%q);
			const [x, y] = m.latLonToScreen(t.lat, t.lon), r = m.canvas.getBoundingClientRect();
			const o = {clientX: r.left + x, clientY: r.top + y, bubbles: true, pointerId: 1};
			m.canvas.dispatchEvent(new PointerEvent("pointerdown", o));
			m.canvas.dispatchEvent(new PointerEvent("pointerup", o));
			return "";
		})()`, id))
	}
	field := func(name string) string {
		return ru.eval(fmt.Sprintf(`document.querySelector('#target-panel [data-field=%q]')?.textContent ?? "(none)"`, name))
	}
	clickTrack("RU:frigate-1")
	ru.wait("target panel", `!document.getElementById("target-panel").hidden && !!document.querySelector('#target-panel [data-field="position"]')`, 5*time.Second)
	for name, want := range map[string]string{
		"id":       "RU:frigate-1",
		"name":     "SOOBRAZITELNY",
		"party":    "RU (named by the source)",
		"position": degMin(detail.Track.Lat, 2, "N", "S") + " " + degMin(detail.Track.Lon, 3, "E", "W"),
		"course":   "090°",
		"speed":    fmt.Sprintf("%.1f kn (10.0 m/s)", 10*3600/1852.0),
		"source":   "party",
		"asset":    "state ship",
	} {
		if got := field(name); got != want {
			t.Errorf("target panel %s: %q, want %q", name, got, want)
		}
	}
	if got := field("time"); !strings.Contains(got, now.Format("15:04:05")) || !strings.Contains(got, "ago") {
		t.Errorf("target panel time: %q, want %s and its age", got, now.Format("15:04:05"))
	}
	rows := ru.eval(`JSON.stringify([...document.querySelectorAll("#target-panel .target-history tbody tr")].map(r => r.dataset.time))`)
	var times []time.Time
	json.Unmarshal([]byte(rows), &times)
	if len(times) != 10 || !times[0].Equal(now) || !times[9].Equal(now.Add(-9*time.Minute)) {
		t.Errorf("last reports %s, want the 10 newest of the history, newest first", rows)
	}
	ru.screenshot(shots, "tracks-2-target-panel.png")
	// The docs' screenshots of the panel (DECONFLICT_DOCS_SHOTS=docs/console).
	if dir := os.Getenv("DECONFLICT_DOCS_SHOTS"); dir != "" {
		for _, sz := range [][2]int64{{1440, 900}, {1024, 700}} {
			ru.do(chromedp.EmulateViewport(sz[0], sz[1]))
			ru.wait("resized", fmt.Sprintf(`window.innerWidth === %d`, sz[0]), 5*time.Second)
			ru.eval(`window.deconflictConsole.map.fitBounds(55.0, 18.9, 55.8, 19.9), ""`)
			ru.do(chromedp.Sleep(300 * time.Millisecond))
			docScreenshot(t, ru, filepath.Join(dir, fmt.Sprintf("target-panel-%dx%d.png", sz[0], sz[1])))
		}
		ru.do(chromedp.EmulateViewport(1280, 800))
		ru.wait("resized", `window.innerWidth === 1280`, 5*time.Second)
	}

	clickTrack("mmsi:273123456")
	ru.wait("target panel of the tanker", `document.querySelector('#target-panel [data-field="id"]')?.textContent === "mmsi:273123456"`, 5*time.Second)
	for name, want := range map[string]string{
		"id-kind":     "273123456",
		"name":        "KAPITAN GOTSKY",
		"callsign":    "UBCF7",
		"type":        "tanker",
		"flag":        "RU",
		"party":       "RU (flag, by the MMSI's MID)",
		"asset":       "civilian",
		"source":      "ais",
		"destination": "PRIMORSK",
	} {
		if got := field(name); got != want {
			t.Errorf("tanker's %s: %q, want %q", name, got, want)
		}
	}
	clickTrack("icao:155aa1")
	ru.wait("target panel of the airliner", `document.querySelector('#target-panel [data-field="id"]')?.textContent === "icao:155aa1"`, 5*time.Second)
	if got, want := field("altitude"), "FL295 (29,528 ft, 9,000 m)"; got != want {
		t.Errorf("airliner's altitude %q, want %q", got, want)
	}
	if got, want := field("id-kind"), "155AA1"; got != want {
		t.Errorf("airliner's ICAO address %q, want %q", got, want)
	}
	ru.do(chromedp.KeyEvent(kb.Escape))
	ru.wait("target panel closed by Escape", `document.getElementById("target-panel").hidden`, 5*time.Second)

	// The coastline's level of detail: 1:10m zoomed in on a harbour
	// (Gdańsk), 1:50m again zoomed out. The arcs drawn are the embedded
	// files' own.
	arcs := func(path string) int {
		var topo struct {
			Arcs []json.RawMessage `json:"arcs"`
		}
		b, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(b, &topo)
		}
		if err != nil {
			t.Fatal(err)
		}
		return len(topo.Arcs)
	}
	ru.eval(`(() => { const m = window.deconflictConsole.map; m.centerOn(54.40, 18.66); m.zoomBy(11 - m.zoom); return ""; })()`)
	ru.wait("1:10m coastline", `window.deconflictConsole.basemaps.level === "10m" && window.deconflictConsole.map.base === window.deconflictConsole.basemaps.fine`, 15*time.Second)
	if got, want := ru.eval(`String(window.deconflictConsole.map.base.arcs.length)`), fmt.Sprint(arcs("assets/map/countries-10m.json")); got != want {
		t.Fatalf("zoomed in, the map draws %s arcs, want the 1:10m file's %s", got, want)
	}
	t.Logf("1:10m decoded in %s ms", ru.eval(`window.deconflictConsole.basemaps.decodeMS.toFixed(0)`))
	t.Logf("one frame at zoom 11 with the 1:10m coastline: %s ms", ru.eval(`(() => { const m = window.deconflictConsole.map, t0 = performance.now(); for (let i = 0; i < 5; i++) m.render(); return ((performance.now() - t0) / 5).toFixed(1); })()`))
	ru.screenshot(shots, "tracks-5-coastline-10m-gdansk.png")
	ru.eval(`(() => { const m = window.deconflictConsole.map; m.zoomBy(5 - m.zoom); return ""; })()`)
	ru.wait("1:50m coastline", `window.deconflictConsole.basemaps.level === "50m" && window.deconflictConsole.map.base === window.deconflictConsole.basemaps.coarse`, 5*time.Second)
	if got, want := ru.eval(`String(window.deconflictConsole.map.base.arcs.length)`), fmt.Sprint(arcs("assets/map/countries-50m.json")); got != want {
		t.Fatalf("zoomed out, the map draws %s arcs, want the 1:50m file's %s", got, want)
	}

	// Timeline scrubbing: the RU-NATO encounter of the main browser test
	// becomes an incident on ru-nato; its replay slider moves the
	// frigate from its first stored position to its last.
	if err := tn.Live.Ingest(ctx, deconflict.NodeAuthor, scenario(time.Now().UTC())); err != nil {
		t.Fatal(err)
	}
	ru.do(chromedp.Navigate(base + "/#ru-nato/incidents"))
	ru.wait("incident listed", `!!document.querySelector("#panel-incidents li.incident")`, 20*time.Second)
	ru.click(`#panel-incidents li.incident button.incident-head`)
	ru.wait("replay button", `!!document.querySelector("#panel-incidents .replay-load")`, 5*time.Second)
	ru.click(`#panel-incidents .replay-load`)
	ru.wait("replay slider", `!!document.querySelector("#panel-incidents .replay-slider")`, 10*time.Second)
	var inc struct {
		Incident string `json:"incident"`
		Tracks   []struct {
			ID     string `json:"id"`
			Points []struct {
				Time     time.Time `json:"time"`
				Lat, Lon float64
			} `json:"points"`
		} `json:"tracks"`
	}
	if err := json.Unmarshal([]byte(ru.eval(`fetch("/v1/channels/ru-nato/incidents/" + window.deconflictConsole.replay.data.incident + "/tracks").then(r => r.text())`)), &inc); err != nil {
		t.Fatal(err)
	}
	var frigate []struct {
		Time     time.Time `json:"time"`
		Lat, Lon float64
	}
	for _, tr := range inc.Tracks {
		if tr.ID == "RU:frigate-neustrashimy" {
			frigate = tr.Points
		}
	}
	if len(frigate) < 3 {
		t.Fatalf("the incident's frigate has %d stored points, want the reports of its history", len(frigate))
	}
	scrub := func(ms int64) [2]float64 {
		var p [2]float64
		got := ru.eval(fmt.Sprintf(`(async () => {
			const s = document.querySelector("#panel-incidents .replay-slider");
			s.value = String(%d);
			s.dispatchEvent(new Event("input"));
			await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
			const d = window.deconflictConsole.replay.drawn.get("RU:frigate-neustrashimy");
			return d ? JSON.stringify([d.lat, d.lon]) : "none";
		})()`, ms))
		if err := json.Unmarshal([]byte(got), &p); err != nil {
			t.Fatalf("replayed frigate at %d: %s", ms, got)
		}
		return p
	}
	first, last := frigate[0], frigate[len(frigate)-1]
	if min := ru.eval(`document.querySelector("#panel-incidents .replay-slider").min`); min != fmt.Sprint(first.Time.UnixMilli()) {
		t.Errorf("slider starts at %s, want the first stored point's %d", min, first.Time.UnixMilli())
	}
	start := scrub(first.Time.UnixMilli())
	ru.screenshot(shots, "tracks-3-replay-start.png")
	end := scrub(last.Time.UnixMilli())
	mid := scrub((first.Time.UnixMilli() + last.Time.UnixMilli()) / 2)
	ru.screenshot(shots, "tracks-4-replay-middle.png")
	if dir := os.Getenv("DECONFLICT_DOCS_SHOTS"); dir != "" {
		ru.do(chromedp.EmulateViewport(1440, 900))
		ru.wait("resized", `window.innerWidth === 1440`, 5*time.Second)
		ru.eval(`window.deconflictConsole.replay.frame(), ""`)
		ru.do(chromedp.Sleep(300 * time.Millisecond))
		docScreenshot(t, ru, filepath.Join(dir, "incident-replay-1440x900.png"))
		ru.do(chromedp.EmulateViewport(1280, 800))
		ru.wait("resized", `window.innerWidth === 1280`, 5*time.Second)
	}
	if math.Abs(start[0]-first.Lat) > 1e-9 || math.Abs(start[1]-first.Lon) > 1e-9 || math.Abs(end[0]-last.Lat) > 1e-9 || math.Abs(end[1]-last.Lon) > 1e-9 {
		t.Fatalf("replayed frigate at %v then %v, want the stored first %v,%v and last %v,%v", start, end, first.Lat, first.Lon, last.Lat, last.Lon)
	}
	// The frigate steams east at constant speed: half-way in time is
	// half-way in longitude.
	if want := (first.Lon + last.Lon) / 2; math.Abs(mid[1]-want) > 1e-6 {
		t.Fatalf("replayed frigate half-way at lon %v, want %v", mid[1], want)
	}
	ru.checkNoErrors()
}
