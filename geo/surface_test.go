package geo_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/deconflict/deconflict/geo"
)

// TestSurfaceCapsuleKeysCover: every point within r of the segment lies in
// a cell CapsuleKeys lists (the property the engine's index rests on),
// with segments anywhere, and many on the cube's edges and corners, at
// the poles and on the antimeridian, where a capsule spans several faces.
func TestSurfaceCapsuleKeysCover(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// Places where faces meet: edges (lon ±45°, ±135° on the equator;
	// lat ±35.26° on the meridians 0°, ±90°, 180°), corners, poles and the
	// antimeridian.
	special := []geo.LatLon{
		{Lat: 0, Lon: 45}, {Lat: 0, Lon: -135}, {Lat: 35.26439, Lon: 45}, {Lat: -35.26439, Lon: -45},
		{Lat: 45, Lon: 0}, {Lat: -45, Lon: 90}, {Lat: 89.999, Lon: 0}, {Lat: -90, Lon: 0},
		{Lat: 10, Lon: 180}, {Lat: -60, Lon: -179.999}, {Lat: 35.26439, Lon: 135},
	}
	for _, cell := range []float64{5e3, 20e3, 60e3} {
		g := geo.NewSurface(cell)
		for i := 0; i < 600; i++ {
			a := geo.LatLon{Lat: math.Asin(rng.Float64()*2-1) * 180 / math.Pi, Lon: rng.Float64()*360 - 180}
			if i%2 == 0 {
				s := special[rng.IntN(len(special))]
				a = geo.Destination(s, rng.Float64()*360, rng.Float64()*3*cell)
			}
			p0 := geo.ECEF(a.Lat, a.Lon)
			v := geo.Velocity(a.Lat, a.Lon, rng.Float64()*300, rng.Float64()*360)
			p1 := p0.Add(v.Scale(rng.Float64() * 500))
			r := 100 + rng.Float64()*10e3
			if i%7 == 0 {
				r = rng.Float64() * 50 // a point-like capsule
			}
			keys := g.CapsuleKeys(nil, p0, p1, r)
			if !slices.IsSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(keys) {
				t.Fatal("keys not sorted and unique")
			}
			for k := 0; k < 300; k++ {
				// A random point of the capsule, up to 13 km up.
				f := rng.Float64()
				c := p0.Add(p1.Sub(p0).Scale(f))
				d := geo.Vec3{X: rng.NormFloat64(), Y: rng.NormFloat64(), Z: rng.NormFloat64()}.Unit().Scale(r * math.Cbrt(rng.Float64()) * 0.999)
				q := c.Add(d)
				if k%3 == 0 {
					q = q.Add(q.Unit().Scale(rng.Float64() * 13e3))
					if q.Sub(c).Norm() > r {
						continue
					}
				}
				if _, ok := slices.BinarySearch(keys, g.Key(q)); !ok {
					t.Fatalf("cell %d m: point %v (%v) within %v m of segment %v-%v not covered", int(cell), q, geo.ToLatLon(q), r, p0, p1)
				}
			}
		}
	}
}

// TestSurfaceCells: cells are about CellM on a side everywhere (so that
// the index's cost does not depend on where traffic is), and a point
// capsule in the middle of a cell covers that cell alone.
func TestSurfaceCells(t *testing.T) {
	g := geo.NewSurface(20e3)
	rng := rand.New(rand.NewPCG(7, 8))
	lo, hi := math.Inf(1), 0.0
	for i := 0; i < 20000; i++ {
		a := geo.LatLon{Lat: math.Asin(rng.Float64()*2-1) * 180 / math.Pi, Lon: rng.Float64()*360 - 180}
		k := g.Key(geo.ECEF(a.Lat, a.Lon))
		// Walk east and north until the key changes: a lower bound of
		// the cell's extent through a, measured on each side.
		ext := 0.0
		for _, brg := range []float64{0, 90, 180, 270} {
			d := 0.0
			for d < 80e3 && g.Key(geo.ECEF(geo.Destination(a, brg, d).Lat, geo.Destination(a, brg, d).Lon)) == k {
				d += 250
			}
			if brg == 0 || brg == 180 {
				ext += d
			}
		}
		if ext > 0 {
			lo, hi = math.Min(lo, ext), math.Max(hi, ext)
		}
	}
	// North-south extents through random points span 0 to the cell's
	// full height; the largest is the cell's size there.
	// (A cell turned 45° from north near a face's edge spans its
	// diagonal.)
	if hi < 15e3 || hi > 29e3 {
		t.Errorf("largest north-south extent of a 20 km cell: %.0f m", hi)
	}
	p := geo.ECEF(12.3, 10.6)
	keys := g.CapsuleKeys(nil, p, p, 0)
	if len(keys) != 1 || keys[0] != g.Key(p) {
		t.Errorf("point capsule: %v, want [%v]", keys, g.Key(p))
	}
	if n := len(g.CapsuleKeys(nil, p, p, 30e3)); n < 9 || n > 20 {
		t.Errorf("30 km ball covers %d cells of 20 km", n)
	}
}

// TestKeyTable: Cell numbers keys densely in order of first use and finds
// them again after the table grows.
func TestKeyTable(t *testing.T) {
	g := geo.NewSurface(20e3)
	for k := uint64(0); k < 5000; k++ {
		if got := g.Cell(k*7919, true); got != int32(k) {
			t.Fatalf("Cell(%d) = %d, want %d", k*7919, got, k)
		}
	}
	for k := uint64(0); k < 5000; k++ {
		if got := g.Cell(k*7919, false); got != int32(k) {
			t.Fatalf("Cell(%d) after growth = %d, want %d", k*7919, got, k)
		}
	}
	if g.Cell(1, false) != -1 || g.Cells() != 5000 {
		t.Fatalf("absent key: %d, cells %d", g.Cell(1, false), g.Cells())
	}
}

// TestSurfaceIndex: along a face axis, index(u) is the cell whose bounds
// hold u (the first cell below the first bound, the last beyond the
// last), whatever its guess, and it is the arctangent's cell,
// floor((atan(u)·4/π + 1)·n/2), except within 1e-12 of a bound.
func TestSurfaceIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 5))
	for _, cellM := range []float64{1000, 7777, 30e3, 90e3, 2000e3, 1e9} {
		g := geo.NewSurface(cellM)
		n := g.PerSide()
		us := []float64{-1, 1, 0, -0.0, math.Nextafter(1, 2), -1.5, 2, math.Inf(1), math.Inf(-1)}
		for i := 0; i <= n; i++ {
			b := g.Bound(i)
			us = append(us, b, math.Nextafter(b, 2), math.Nextafter(b, -2))
		}
		for range 20_000 {
			us = append(us, rng.Float64()*2-1)
		}
		for _, u := range us {
			i := g.Index(u)
			if i < 0 || i >= n {
				t.Fatalf("cell %g m: index(%g) = %d, out of 0..%d", cellM, u, i, n-1)
			}
			if i > 0 && g.Bound(i) > u || i < n-1 && g.Bound(i+1) <= u {
				t.Fatalf("cell %g m: index(%g) = %d, bounds %g..%g", cellM, u, i, g.Bound(i), g.Bound(i+1))
			}
			want := min(max(int((math.Atan(u)*4/math.Pi+1)*float64(n)/2), 0), n-1)
			if i != want && math.Abs(u-g.Bound(max(i, want))) > 1e-12 {
				t.Fatalf("cell %g m: index(%g) = %d, the arctangent's %d", cellM, u, i, want)
			}
		}
		if i := g.Index(math.NaN()); i != 0 {
			t.Fatalf("index(NaN) = %d", i)
		}
	}
}
