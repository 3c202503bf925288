package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
)

// TestBrowserZoneMeasure: a zone measure NATO proposes and RU signs at
// the API, while RU's map is open, appears on the map without a reload;
// withdrawn, it goes (one with a notice period when the notice ends, on
// the node's clock). The map reads the zones again on the picture
// stream's zone events, which reach the members who may see the zone
// (RU) and no one else (US shares no channel with NATO, the zone's
// owner).
func TestBrowserZoneMeasure(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	root := chromium(t, 90*time.Second)
	ru, nato, us := newBrowserless(t, base), newBrowserless(t, base), newBrowserless(t, base)
	ru.login("RU")
	nato.login("NATO")
	us.login("US")
	dial := func(b *browserless) *websocket.Conn {
		t.Helper()
		h := http.Header{}
		for _, c := range b.cookies() {
			h.Add("Cookie", c.Name+"="+c.Value)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/picture/watch", &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	// zoneEvents reads c's zone events until one for id with event ev.
	zoneEvents := func(c *websocket.Conn, id, ev string) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		var got []string
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for zone %s %s on the picture stream: %v (got %v)", id, ev, err, got)
			}
			var m struct{ Type, Event, ID string }
			json.Unmarshal(data, &m)
			if m.Type != "zone" {
				continue
			}
			got = append(got, m.Event+" "+m.ID)
			if m.ID == id && m.Event == ev {
				return got
			}
		}
	}
	ruPic, usPic := dial(ru), dial(us)

	b := newBrowser(t, root, "RU", base)
	if err := b.login("RU"); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(base + "/#ru-nato/hotline"))
	b.wait("the map and its zones", `!!window.deconflictConsole && window.deconflictConsole.map.zoneSeq > 0 && document.getElementById("picture-status").textContent.includes("live")`, 15*time.Second)
	b.eval(`(() => { window.notReloaded = true; return "ok"; })()`)

	var prop deconflict.Receipt
	terms := `{"kind":"zone","name":"CAUTION ALPHA","zone_kind":"special-caution-area","area":{"polygon":[[55.0,18.0],[55.0,19.5],[55.8,19.5],[55.8,18.0]]},"min_separation_m":1000}`
	if st, code := nato.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Terms: json.RawMessage(terms)}, &prop); code != "" {
		t.Fatalf("propose: %d %s", st, code)
	}
	id := fmt.Sprintf("measure:ru-nato:%d", prop.Index)
	has := func(list string) string {
		return fmt.Sprintf(`window.deconflictConsole.map.%s.some((z) => (z.id ?? z) === %q)`, list, id)
	}
	if st, code := ru.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Index: &prop.Index}, nil); code != "" {
		t.Fatalf("sign: %d %s", st, code)
	}
	if got := zoneEvents(ruPic, id, "added"); len(got) != 1 {
		t.Errorf("RU's picture stream: %v, want the zone added once", got)
	}
	b.wait("the zone on the map", has("zones")+" && "+has("drawnZones")+" && window.notReloaded === true", 15*time.Second)
	if got := b.eval(`document.querySelector("#map-labels").innerText`); !strings.Contains(got, "CAUTION ALPHA") {
		t.Errorf("no label of the zone on the map: %q", got)
	}

	// RU withdraws (no notice period: it lapses at once).
	if st, code := ru.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Index: &prop.Index, Withdraw: true}, nil); code != "" {
		t.Fatalf("withdraw: %d %s", st, code)
	}
	zoneEvents(ruPic, id, "removed")
	b.wait("the zone gone from the map", "!"+has("zones")+" && !"+has("drawnZones")+" && window.notReloaded === true", 15*time.Second)

	// A zone measure with a notice period: withdrawn, it stays until the
	// notice ends (on the node's clock), then goes.
	terms = `{"kind":"zone","name":"CAUTION BRAVO","zone_kind":"special-caution-area","area":{"circle":{"lat":55.5,"lon":17.0,"radius_m":20000}},"notice_period_s":3600}`
	if st, code := nato.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Terms: json.RawMessage(terms)}, &prop); code != "" {
		t.Fatalf("propose: %d %s", st, code)
	}
	id = fmt.Sprintf("measure:ru-nato:%d", prop.Index)
	if st, code := ru.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Index: &prop.Index}, nil); code != "" {
		t.Fatalf("sign: %d %s", st, code)
	}
	zoneEvents(ruPic, id, "added")
	b.wait("the second zone on the map", has("zones")+" && "+has("drawnZones"), 15*time.Second)
	reads := b.eval(`String(window.deconflictConsole.map.zoneReads)`)
	var withdraw deconflict.Receipt
	if st, code := nato.do("POST", "/v1/console/measure", console.MeasureRequest{Channel: "ru-nato", Index: &prop.Index, Withdraw: true}, &withdraw); code != "" {
		t.Fatalf("withdraw: %d %s", st, code)
	}
	// the withdrawal's envelope makes the map read the zones: still there
	b.wait("the zones read after the withdrawal", fmt.Sprintf(`window.deconflictConsole.hotline.channels.get("ru-nato").envs.has(%d) && String(window.deconflictConsole.map.zoneReads) !== %q`, withdraw.Index, reads), 15*time.Second)
	if got := b.eval(has("zones") + ` && ` + has("drawnZones") + ` ? "drawn" : "gone"`); got != "drawn" {
		t.Errorf("the zone withdrawn with an hour's notice is %s at once, want drawn until the notice ends", got)
	}
	tn.ahead.Store(int64(61 * time.Minute))
	zoneEvents(ruPic, id, "removed")
	b.wait("the second zone gone once its notice ended", "!"+has("zones")+" && !"+has("drawnZones")+" && window.notReloaded === true", 15*time.Second)

	// US may not see NATO's zone: its stream's first zone event is the one
	// US declares now (events reach a watcher in order).
	mine := deconflict.Zone{ID: "us-own", Name: "US OWN", Kind: "exercise-area", Owner: "US", Polygon: [][2]float64{{35, 38}, {35, 39}, {36, 39}}}
	if st, code := us.do("POST", "/v1/zones", mine, nil); code != "" {
		t.Fatalf("US zone: %d %s", st, code)
	}
	if got := zoneEvents(usPic, "us-own", "added"); len(got) != 1 {
		t.Errorf("US's picture stream: %v, want only its own zone", got)
	}
	b.checkNoErrors()
}
