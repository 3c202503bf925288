package geo

import (
	"fmt"
	"math"
	"sort"
)

// Area is a region of the Earth's surface: a Polygon or a Circle.
type Area interface {
	// Contains reports whether the surface point below p (ECEF) is inside.
	Contains(p Vec3) bool
	// Inside calls fn with each time interval [in, out] (s) within
	// [t0, t1] during which the path p0 + v·t is inside the area, in order.
	Inside(p0, v Vec3, t0, t1 float64, fn func(in, out float64))
	// OutsideM returns how far (m, approximately, for hysteresis) the
	// surface point below p is outside the area; 0 when inside.
	OutsideM(p Vec3) float64
	// Bounds returns an ECEF box containing the area.
	Bounds() Box
}

// Polygon is a spherical polygon: its edges are arcs of the great
// ellipses through consecutive vertices (the planes through the Earth's
// centre), so it needs no special case at the antimeridian or the poles.
// It must fit within a hemisphere (every vertex less than 80° from the
// vertices' centroid) and not cross itself.
type Polygon struct {
	v      []Vec3    // vertices, ECEF surface points
	m      []Vec3    // m[i] = v[i] × v[i+1]: normal of edge i's plane
	c      Vec3      // unit centroid direction (gnomonic centre)
	e, n   Vec3      // gnomonic plane basis at c
	xy     []float64 // gnomonic coordinates (units of Earth radii), x0,y0,x1,y1,...
	bounds Box
}

// NewPolygon returns the polygon with the given vertices (degrees; the
// closing edge from the last vertex back to the first is implied; a
// repeated first vertex at the end is dropped). It fails when there are
// fewer than three distinct vertices or the polygon does not fit within a
// hemisphere.
func NewPolygon(vertices []LatLon) (*Polygon, error) {
	if len(vertices) > 1 && vertices[0] == vertices[len(vertices)-1] {
		vertices = vertices[:len(vertices)-1]
	}
	if len(vertices) < 3 {
		return nil, fmt.Errorf("polygon: %d vertices, need at least 3", len(vertices))
	}
	p := &Polygon{}
	var sum Vec3
	for i, ll := range vertices {
		if !(ll.Lat >= -90 && ll.Lat <= 90) || !(ll.Lon >= -360 && ll.Lon <= 360) {
			return nil, fmt.Errorf("polygon: vertex %d: position %v,%v out of range", i, ll.Lat, ll.Lon)
		}
		q := ECEF(ll.Lat, ll.Lon)
		p.v = append(p.v, q)
		sum = sum.Add(q.Unit())
	}
	p.c = sum.Unit()
	if p.c.Norm() == 0 {
		return nil, fmt.Errorf("polygon: vertices have no centroid")
	}
	for i, q := range p.v {
		if q.Unit().Dot(p.c) < math.Cos(80*degRad) {
			return nil, fmt.Errorf("polygon: vertex %d is more than 80° from the centroid", i)
		}
		next := p.v[(i+1)%len(p.v)]
		p.m = append(p.m, q.Cross(next))
	}
	// Gnomonic basis: east and north at the centroid direction.
	ll := ToLatLon(p.c.Scale(WGS84A))
	f := FrameAt(ll.Lat, ll.Lon)
	p.e, p.n = f.East, f.North
	for _, q := range p.v {
		x, y, _ := p.gnomonic(q)
		p.xy = append(p.xy, x, y)
	}
	p.bounds = boxOf(p.v)
	// Edges bulge outwards from the chords between vertices, and the
	// surface between them bulges above the chords: widen the box by the
	// sagitta of the longest edge.
	var maxEdge float64
	for i, q := range p.v {
		maxEdge = math.Max(maxEdge, q.Sub(p.v[(i+1)%len(p.v)]).Norm())
	}
	p.bounds = p.bounds.Inflate(maxEdge*maxEdge/(8*WGS84B) + 1)
	return p, nil
}

// gnomonic returns the central projection of q on the plane tangent to
// the unit sphere at p.c; ok is false for points in the far hemisphere.
func (p *Polygon) gnomonic(q Vec3) (x, y float64, ok bool) {
	u := q.Unit()
	d := u.Dot(p.c)
	if d <= 1e-9 {
		return 0, 0, false
	}
	return u.Dot(p.e) / d, u.Dot(p.n) / d, true
}

// Vertices returns the polygon's vertices (degrees).
func (p *Polygon) Vertices() []LatLon {
	out := make([]LatLon, len(p.v))
	for i, q := range p.v {
		out[i] = ToLatLon(q)
	}
	return out
}

// Contains reports whether the surface point below q is inside p (even-odd
// rule on the gnomonic projection, where the edges are straight lines).
func (p *Polygon) Contains(q Vec3) bool {
	x, y, ok := p.gnomonic(q)
	if !ok {
		return false
	}
	in := false
	n := len(p.xy) / 2
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		xi, yi, xj, yj := p.xy[2*i], p.xy[2*i+1], p.xy[2*j], p.xy[2*j+1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// Inside implements Area. Crossing times are exact for a straight ECEF
// path: the path meets edge i's plane where m·(p0+v·t) = 0.
func (p *Polygon) Inside(p0, v Vec3, t0, t1 float64, fn func(in, out float64)) {
	if !(t1 >= t0) {
		return
	}
	var ts [16]float64
	cross := append(ts[:0], t0)
	for i, m := range p.m {
		den := m.Dot(v)
		if den == 0 {
			continue
		}
		t := -m.Dot(p0) / den
		if !(t > t0 && t < t1) {
			continue
		}
		q := p0.Add(v.Scale(t))
		a, b := p.v[i], p.v[(i+1)%len(p.v)]
		if a.Cross(q).Dot(m) >= 0 && q.Cross(b).Dot(m) >= 0 {
			cross = append(cross, t)
		}
	}
	cross = append(cross, t1)
	sort.Float64s(cross)
	open := math.NaN()
	for i := 0; i+1 < len(cross); i++ {
		a, b := cross[i], cross[i+1]
		mid := p0.Add(v.Scale((a + b) / 2))
		if b > a && p.Contains(mid) {
			if open != open {
				open = a
			}
			continue
		}
		if open == open && b > a {
			fn(open, a)
			open = math.NaN()
		}
	}
	if open == open {
		fn(open, t1)
	}
}

// OutsideM implements Area: the distance to the nearest edge measured on
// the gnomonic plane scaled by the Earth's radius (exact at the centroid,
// overestimated by 1/cos² of the angle from it).
func (p *Polygon) OutsideM(q Vec3) float64 {
	if p.Contains(q) {
		return 0
	}
	x, y, ok := p.gnomonic(q)
	if !ok {
		return math.Inf(1)
	}
	best := math.Inf(1)
	n := len(p.xy) / 2
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		best = math.Min(best, segDist(x, y, p.xy[2*j], p.xy[2*j+1], p.xy[2*i], p.xy[2*i+1]))
	}
	return best * MeanEarthRadiusM
}

func segDist(x, y, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((x-ax)*dx+(y-ay)*dy)/l2))
	}
	return math.Hypot(x-ax-t*dx, y-ay-t*dy)
}

// Bounds implements Area.
func (p *Polygon) Bounds() Box { return p.bounds }

// Circle is the set of surface points within RadiusM (m, along the
// surface) of Center; it is measured by chord, which is good to 0.1% up to
// 500 km.
type Circle struct {
	Center  LatLon
	RadiusM float64
	c       Vec3
	chord2  float64
}

// NewCircle returns the circle of radiusM (m, > 0) around center.
func NewCircle(center LatLon, radiusM float64) (*Circle, error) {
	if !(radiusM > 0 && radiusM < 5e6) {
		return nil, fmt.Errorf("circle: radius %v m out of range (0, 5,000 km)", radiusM)
	}
	if !(center.Lat >= -90 && center.Lat <= 90) || !(center.Lon >= -360 && center.Lon <= 360) {
		return nil, fmt.Errorf("circle: centre %v,%v out of range", center.Lat, center.Lon)
	}
	ch := ChordM(radiusM)
	return &Circle{Center: center, RadiusM: radiusM, c: ECEF(center.Lat, center.Lon), chord2: ch * ch}, nil
}

// Contains implements Area.
func (c *Circle) Contains(q Vec3) bool { return q.Sub(c.c).Dot(q.Sub(c.c)) < c.chord2 }

// Inside implements Area: the path is inside while |p0 + v·t - centre| is
// under the chord of the radius, a quadratic in t.
func (c *Circle) Inside(p0, v Vec3, t0, t1 float64, fn func(in, out float64)) {
	if !(t1 >= t0) {
		return
	}
	d := p0.Sub(c.c)
	a := v.Dot(v)
	b := 2 * d.Dot(v)
	k := d.Dot(d) - c.chord2
	if a == 0 {
		if k < 0 {
			fn(t0, t1)
		}
		return
	}
	disc := b*b - 4*a*k
	if disc <= 0 {
		return
	}
	s := math.Sqrt(disc)
	in, out := (-b-s)/(2*a), (-b+s)/(2*a)
	in, out = math.Max(in, t0), math.Min(out, t1)
	if in < out {
		fn(in, out)
	}
}

// OutsideM implements Area.
func (c *Circle) OutsideM(q Vec3) float64 {
	return math.Max(0, q.Sub(c.c).Norm()-math.Sqrt(c.chord2))
}

// Bounds implements Area.
func (c *Circle) Bounds() Box {
	r := math.Sqrt(c.chord2)
	return Box{c.c, c.c}.Inflate(r + r*r/WGS84B + 1)
}

func boxOf(ps []Vec3) Box {
	b := Box{ps[0], ps[0]}
	for _, q := range ps[1:] {
		b = b.Extend(q)
	}
	return b
}
