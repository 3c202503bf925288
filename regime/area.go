package regime

import (
	"encoding/json"
	"math"

	"github.com/deconflict/deconflict/geo"
)

// Area is a notified or agreed area: a polygon of [lat, lon] vertices
// (degrees) or a circle, with an optional altitude band (m above mean
// sea level, [low, high]).
type Area struct {
	Polygon [][2]float64 `json:"polygon,omitempty"`
	Circle  *Circle      `json:"circle,omitempty"`
	AltM    *[2]float64  `json:"alt_m,omitempty"`
}

// Circle is a centre (degrees) and a radius (m).
type Circle struct {
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	RadiusM float64 `json:"radius_m"`
}

const maxVertices = 1000

func parseArea(o *object) (*Area, error) {
	var a Area
	if v, ok := o.raw("polygon"); ok {
		var pts [][]float64
		if err := json.Unmarshal(v, &pts); err != nil {
			return nil, invalid("%s: want [[lat, lon], ...]", o.at("polygon"))
		}
		if len(pts) < 3 || len(pts) > maxVertices {
			return nil, invalid("%s: %d vertices, want 3 to %d", o.at("polygon"), len(pts), maxVertices)
		}
		for i, p := range pts {
			if len(p) != 2 || !(p[0] >= -90 && p[0] <= 90) || !(p[1] >= -180 && p[1] <= 180) {
				return nil, invalid("%s[%d]: want [lat, lon] with lat -90 to 90 and lon -180 to 180", o.at("polygon"), i)
			}
			a.Polygon = append(a.Polygon, [2]float64{p[0], p[1]})
		}
	}
	c, err := o.child("circle", false)
	if err != nil {
		return nil, err
	}
	if c != nil {
		lat, _, err := c.number("lat", true, -90, 90)
		if err != nil {
			return nil, err
		}
		lon, _, err := c.number("lon", true, -180, 180)
		if err != nil {
			return nil, err
		}
		r, _, err := c.number("radius_m", true, 1, 20_000_000)
		if err != nil {
			return nil, err
		}
		if err := c.done(); err != nil {
			return nil, err
		}
		a.Circle = &Circle{lat, lon, r}
	}
	if a.Polygon != nil {
		if _, err := a.GeoPolygon(); err != nil {
			return nil, invalid("%s: %v", o.at("polygon"), err)
		}
	}
	switch {
	case a.Circle == nil && a.Polygon == nil:
		return nil, invalid("%s: want \"polygon\" or \"circle\"", name(o.path))
	case a.Circle != nil && a.Polygon != nil:
		return nil, invalid("%s: both \"polygon\" and \"circle\", want one", name(o.path))
	}
	if v, ok := o.raw("alt_m"); ok {
		var band []float64
		if err := json.Unmarshal(v, &band); err != nil || len(band) != 2 {
			return nil, invalid("%s: want [low, high] in metres", o.at("alt_m"))
		}
		if !(band[0] >= -12000 && band[0] <= band[1] && band[1] <= 1_000_000) {
			return nil, invalid("%s: [%g, %g], want low <= high within -12000 to 1000000 m", o.at("alt_m"), band[0], band[1])
		}
		a.AltM = &[2]float64{band[0], band[1]}
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return &a, nil
}

func (o *object) area(k string, required bool) (*Area, error) {
	c, err := o.child(k, required)
	if err != nil || c == nil {
		return nil, err
	}
	return parseArea(c)
}

// Contains reports whether the point (degrees; altitude in m, NaN for a
// track without one, which counts as inside the band) lies in the area.
// Polygon edges are great-circle arcs (geo.Polygon).
func (a *Area) Contains(lat, lon, altM float64) bool {
	if a.AltM != nil && !math.IsNaN(altM) && (altM < a.AltM[0] || altM > a.AltM[1]) {
		return false
	}
	p := geo.LatLon{Lat: lat, Lon: lon}
	if a.Circle != nil {
		return geo.Haversine(p, geo.LatLon{Lat: a.Circle.Lat, Lon: a.Circle.Lon}) <= a.Circle.RadiusM
	}
	poly, err := a.GeoPolygon()
	return err == nil && poly.Contains(geo.ECEF(lat, lon))
}

// GeoPolygon returns the polygon as a geo.Polygon (nil for a circle).
func (a *Area) GeoPolygon() (*geo.Polygon, error) {
	if a.Polygon == nil {
		return nil, nil
	}
	vs := make([]geo.LatLon, len(a.Polygon))
	for i, v := range a.Polygon {
		vs[i] = geo.LatLon{Lat: v[0], Lon: v[1]}
	}
	return geo.NewPolygon(vs)
}
