package report

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/deconflict/deconflict/regime"
)

// Area is a drawn area of the map: a notified area or a measure zone.
type Area struct {
	Kind  string       // "notified" or "measure-zone"
	Name  string       // designation or zone name
	Index int64        // the notification's or measure's index
	Ring  [][2]float64 // [lon, lat] vertices, closed implicitly
}

// Areas returns the period's notified areas and the zones of its measures.
func (r *Report) Areas() []Area {
	var out []Area
	for _, n := range r.Notifications {
		for _, a := range n.Areas {
			out = append(out, Area{Kind: "notified", Name: orDash(n.Designation) + " (" + n.Regime + ")", Index: n.Index, Ring: ring(a)})
		}
	}
	for _, m := range r.Measures {
		if m.Measure != nil && m.Measure.Zone != nil && m.Measure.Zone.Area != nil {
			out = append(out, Area{Kind: "measure-zone", Name: m.Measure.Zone.Name + " (" + m.State + ")", Index: m.Index, Ring: ring(m.Measure.Zone.Area)})
		}
	}
	return out
}

// ring returns an area's outline as [lon, lat] vertices: a polygon's
// own, a circle as 64 points on its radius (spherical Earth).
func ring(a *regime.Area) [][2]float64 {
	var out [][2]float64
	if a.Circle != nil {
		c := a.Circle
		const earthM = 6371008.8
		d := c.RadiusM / earthM
		la, lo := c.Lat*math.Pi/180, c.Lon*math.Pi/180
		for i := 0; i < 64; i++ {
			b := float64(i) / 64 * 2 * math.Pi
			lat := math.Asin(math.Sin(la)*math.Cos(d) + math.Cos(la)*math.Sin(d)*math.Cos(b))
			lon := lo + math.Atan2(math.Sin(b)*math.Sin(d)*math.Cos(la), math.Cos(d)-math.Sin(la)*math.Sin(lat))
			out = append(out, [2]float64{lon * 180 / math.Pi, lat * 180 / math.Pi})
		}
		return out
	}
	for _, p := range a.Polygon {
		out = append(out, [2]float64{p[1], p[0]})
	}
	return out
}

type topology struct {
	Arcs      [][][2]float64 `json:"arcs"`
	Transform *struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Objects map[string]struct {
		Geometries []struct {
			Type string          `json:"type"`
			Arcs json.RawMessage `json:"arcs"`
		} `json:"geometries"`
	} `json:"objects"`
}

// basemapRings decodes the TopoJSON world map (the console's
// countries-50m.json) into [lon, lat] rings of its countries.
func basemapRings(b []byte) ([][][2]float64, error) {
	var t topology
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("basemap: %w", err)
	}
	arcs := make([][][2]float64, len(t.Arcs))
	for i, a := range t.Arcs {
		var x, y float64
		pts := make([][2]float64, len(a))
		for j, p := range a {
			if t.Transform != nil {
				x, y = x+p[0], y+p[1]
				pts[j] = [2]float64{x*t.Transform.Scale[0] + t.Transform.Translate[0], y*t.Transform.Scale[1] + t.Transform.Translate[1]}
			} else {
				pts[j] = p
			}
		}
		arcs[i] = pts
	}
	build := func(idx []int) [][2]float64 {
		var out [][2]float64
		for _, i := range idx {
			var a [][2]float64
			if i >= 0 && i < len(arcs) {
				a = arcs[i]
			} else if j := ^i; j >= 0 && j < len(arcs) {
				a = make([][2]float64, len(arcs[j]))
				for k, p := range arcs[j] {
					a[len(a)-1-k] = p
				}
			}
			if len(out) > 0 && len(a) > 0 {
				a = a[1:]
			}
			out = append(out, a...)
		}
		return out
	}
	var rings [][][2]float64
	for _, g := range t.Objects["countries"].Geometries {
		switch g.Type {
		case "Polygon":
			var p [][]int
			if json.Unmarshal(g.Arcs, &p) == nil {
				for _, r := range p {
					rings = append(rings, build(r))
				}
			}
		case "MultiPolygon":
			var mp [][][]int
			if json.Unmarshal(g.Arcs, &mp) == nil {
				for _, p := range mp {
					for _, r := range p {
						rings = append(rings, build(r))
					}
				}
			}
		}
	}
	return rings, nil
}

// view is the map's extent and projection: equirectangular, x scaled by
// the cosine of the middle latitude, so shapes keep their proportions
// near it.
type view struct {
	minLon, maxLon, minLat, maxLat float64
	k                              float64 // pt per degree of latitude
	cos                            float64
	w, h                           float64
}

func (v *view) xy(lon, lat float64) [2]float64 {
	return [2]float64{(lon - v.minLon) * v.cos * v.k, (v.maxLat - lat) * v.k}
}

func newView(pts [][2]float64, w float64) *view {
	v := &view{minLon: 180, maxLon: -180, minLat: 90, maxLat: -90}
	for _, p := range pts {
		if math.IsNaN(p[0]) || math.IsNaN(p[1]) {
			continue
		}
		v.minLon, v.maxLon = math.Min(v.minLon, p[0]), math.Max(v.maxLon, p[0])
		v.minLat, v.maxLat = math.Min(v.minLat, p[1]), math.Max(v.maxLat, p[1])
	}
	if v.minLon > v.maxLon { // nothing to show: Europe
		v.minLon, v.maxLon, v.minLat, v.maxLat = -10, 40, 35, 65
	}
	// Pad by a fifth, and at least a degree of span.
	padLon := math.Max((v.maxLon-v.minLon)*0.2, 0.5)
	padLat := math.Max((v.maxLat-v.minLat)*0.2, 0.5)
	v.minLon, v.maxLon = math.Max(v.minLon-padLon, -180), math.Min(v.maxLon+padLon, 180)
	v.minLat, v.maxLat = math.Max(v.minLat-padLat, -85), math.Min(v.maxLat+padLat, 85)
	v.cos = math.Cos((v.minLat + v.maxLat) / 2 * math.Pi / 180)
	v.w = w
	v.k = w / ((v.maxLon - v.minLon) * v.cos)
	v.h = (v.maxLat - v.minLat) * v.k
	if v.h > w*0.9 { // tall: fit the height instead
		v.h = w * 0.9
		v.k = v.h / (v.maxLat - v.minLat)
		v.w = (v.maxLon - v.minLon) * v.cos * v.k
	}
	return v
}

func (r *Report) mapFigure() *Figure {
	areas := r.Areas()
	// The extent: the encounters', with the areas near them (a launch's
	// impact area an ocean away would shrink the encounters to a dot;
	// the table lists every area); every area when there is no encounter.
	var pts [][2]float64
	for _, e := range r.Encounters {
		if !math.IsNaN(e.Lat) && !math.IsNaN(e.Lon) {
			pts = append(pts, [2]float64{e.Lon, e.Lat})
		}
	}
	if len(pts) > 0 {
		b := newView(pts, 1)
		spanLon := math.Max(b.maxLon-b.minLon, 5)
		spanLat := math.Max(b.maxLat-b.minLat, 3)
		near := func(p [2]float64) bool {
			return p[0] > b.minLon-spanLon && p[0] < b.maxLon+spanLon && p[1] > b.minLat-spanLat && p[1] < b.maxLat+spanLat
		}
		for _, a := range areas {
			all := len(a.Ring) > 0
			for _, p := range a.Ring {
				all = all && near(p)
			}
			if all {
				pts = append(pts, a.Ring...)
			}
		}
	} else {
		for _, a := range areas {
			pts = append(pts, a.Ring...)
		}
	}
	v := newView(pts, 520)
	s := &Scene{W: v.w, H: v.h, Clip: true}
	s.rect(0, 0, v.w, v.h, sea, "")
	if len(r.basemap) > 0 {
		if rings, err := basemapRings(r.basemap); err == nil {
			for _, rg := range rings {
				if !intersects(rg, v) {
					continue
				}
				var xy [][2]float64
				for _, p := range rg {
					xy = append(xy, v.xy(p[0], p[1]))
				}
				s.Shapes = append(s.Shapes, Shape{Kind: shapePath, Pts: xy, Closed: true, Fill: cp(land), Stroke: cp(coast), Width: 0.4})
			}
		}
	}
	text := &Table{Caption: "Map content", Head: []string{"What", "Name", "Where"}}
	for _, a := range areas {
		var xy [][2]float64
		for _, p := range a.Ring {
			xy = append(xy, v.xy(p[0], p[1]))
		}
		c := notified
		if a.Kind == "measure-zone" {
			c = zoneCol
		}
		s.Shapes = append(s.Shapes, Shape{Kind: shapePath, Pts: xy, Closed: true, Stroke: cp(c), Width: 1.5, Dash: a.Kind == "measure-zone", Title: a.Kind + " " + a.Name})
		if len(xy) > 0 {
			s.text(xy[0][0]+3, xy[0][1]-3, a.Name, 8, "start", c)
		}
		text.Rows = append(text.Rows, []string{a.Kind + " #" + i64(a.Index), a.Name, extent(a.Ring)})
	}
	for _, e := range r.Encounters {
		if math.IsNaN(e.Lat) || math.IsNaN(e.Lon) {
			continue
		}
		p := v.xy(e.Lon, e.Lat)
		s.circle(p[0], p[1], 5, tierColor(e.Tier), fmt.Sprintf("%s %s %s/%s closest %s", e.Tier, e.Domain, e.A, e.B, meters(e.ClosestM)))
		text.Rows = append(text.Rows, []string{"encounter (" + e.Tier + ")", e.A + " / " + orDash(e.B), fmt.Sprintf("%.4f N %.4f E", e.Lat, e.Lon)})
	}
	// Graticule labels at the corners.
	s.text(4, v.h-4, fmt.Sprintf("%.1f N %.1f E", v.minLat, v.minLon), 7, "start", grey)
	s.text(v.w-4, 10, fmt.Sprintf("%.1f N %.1f E", v.maxLat, v.maxLon), 7, "end", grey)
	tiers, _ := r.EncounterCounts()
	var legend []LegendItem
	for _, t := range tiers {
		legend = append(legend, LegendItem{tierColor(t), "encounter, " + t})
	}
	legend = append(legend, LegendItem{notified, "notified area"}, LegendItem{zoneCol, "measure zone (dashed)"})
	return &Figure{ID: "fig-map", Title: "Map of the period", Scene: s, Legend: legend, Text: text,
		Desc:    fmt.Sprintf("%d encounters at their closest observed points, coloured by tier, %d notified areas and measure zones, on the world map (Natural Earth via world-atlas).", len(r.Encounters), len(areas)),
		Caption: "Basemap: Natural Earth, world-atlas 50m (the console's). Closest points: the midpoint of the two positions at the alert that saw them closest."}
}

func intersects(rg [][2]float64, v *view) bool {
	minLon, maxLon, minLat, maxLat := 180.0, -180.0, 90.0, -90.0
	for _, p := range rg {
		minLon, maxLon = math.Min(minLon, p[0]), math.Max(maxLon, p[0])
		minLat, maxLat = math.Min(minLat, p[1]), math.Max(maxLat, p[1])
	}
	return maxLon >= v.minLon && minLon <= v.maxLon && maxLat >= v.minLat && minLat <= v.maxLat
}

func extent(rg [][2]float64) string {
	if len(rg) == 0 {
		return "-"
	}
	minLon, maxLon, minLat, maxLat := 180.0, -180.0, 90.0, -90.0
	for _, p := range rg {
		minLon, maxLon = math.Min(minLon, p[0]), math.Max(maxLon, p[0])
		minLat, maxLat = math.Min(minLat, p[1]), math.Max(maxLat, p[1])
	}
	return strings.Join([]string{fmt.Sprintf("%.2f-%.2f N", minLat, maxLat), fmt.Sprintf("%.2f-%.2f E", minLon, maxLon)}, " ")
}
