package geo

import (
	"math"
	"slices"
)

// Surface is a grid of the Earth's surface for indexing tracks: the six
// faces of a cube around the Earth, each projected from the centre
// (gnomonic) and cut into n×n cells whose sides are equal in angle along
// the face's axes (the "tangent" projection of S2), so that every cell is
// between about 0.7 and 1.0 times cellM on a side. Unlike ECEF cubes, the
// cells are columns: a track's path along the surface covers about half as
// many of them, and altitude plays no part in the index. Like them, the
// grid has no poles and no antimeridian.
//
// A cell's key is face<<40 | i<<20 | j. Keys of the cells near a
// segment come from CapsuleKeys; Cell numbers them densely. A Surface is
// not safe for concurrent use.
type Surface struct {
	cellM float64
	n     int     // cells per face side
	scale float64 // n/2: cell index = (s+1)·scale
	// bounds[i] is the gnomonic coordinate where cell index i begins
	// (bound), for i in 0..n: index reads it instead of an arctangent.
	bounds []float64
	keyTable
}

// NewSurface returns a surface grid whose cells are about cellM metres
// (>= 1,000) on a side at the faces' centres.
func NewSurface(cellM float64) *Surface {
	if !(cellM >= 1000) {
		cellM = 1000
	}
	n := max(1, int(math.Round(math.Pi/2*WGS84A/cellM)))
	g := &Surface{cellM: cellM, n: n, scale: float64(n) / 2, bounds: make([]float64, n+1)}
	for i := range g.bounds {
		g.bounds[i] = math.Tan((float64(i)/g.scale - 1) * (math.Pi / 4))
	}
	return g
}

// face returns the face of direction (x, y, z) (any length, not zero) and
// its gnomonic coordinates there: axis a = face/2 is the largest
// component, with sign; u and v are the next two components divided by
// it, in [-1, 1].
func face(x, y, z float64) (f int, u, v float64) {
	ax, ay, az := math.Abs(x), math.Abs(y), math.Abs(z)
	switch {
	case ax >= ay && ax >= az:
		f, u, v = 0, y/ax, z/ax
		if x < 0 {
			f = 1
		}
	case ay >= az:
		f, u, v = 2, z/ay, x/ay
		if y < 0 {
			f = 3
		}
	default:
		f, u, v = 4, x/az, y/az
		if z < 0 {
			f = 5
		}
	}
	return f, u, v
}

// onFace returns direction d's component along face f's axis and its
// gnomonic coordinates on that face (meaningful when the component is
// positive), with the same axes as face.
func onFace(f int, x, y, z float64) (c, u, v float64) {
	switch f >> 1 {
	case 0:
		c, u, v = x, y, z
	case 1:
		c, u, v = y, z, x
	default:
		c, u, v = z, x, y
	}
	if f&1 == 1 {
		c = -c
	}
	return c, u / c, v / c
}

// index returns the cell index along a face axis of gnomonic coordinate
// u: the last cell of the axis whose bound is at or below u (0 below the
// first, or for NaN; n-1 beyond the last). It guesses the index by an
// arctangent within 0.0015 rad (Rajan et al. 2006), then steps to it in
// the bounds: the cells are exactly those of bound, and the answer does
// not depend on the guess.
func (g *Surface) index(u float64) int {
	a := math.Abs(u)
	if a > 1 {
		a = 1 // u is within [-1, 1] on a face; beyond, the guess is clamped
	}
	s := math.Copysign(a*(1+(1-a)*(0.3116+0.0844*a)), u) // atan(u)·4/π
	i := min(max(int((s+1)*g.scale), 0), g.n-1)
	b := g.bounds
	for i > 0 && b[i] > u {
		i--
	}
	for i < g.n-1 && b[i+1] <= u {
		i++
	}
	return i
}

func surfaceKey(f, i, j int) uint64 { return uint64(f)<<40 | uint64(i)<<20 | uint64(j) }

// Key returns the key of the cell that holds p (ECEF, m; not the origin).
func (g *Surface) Key(p Vec3) uint64 {
	f, u, v := face(p.X, p.Y, p.Z)
	return surfaceKey(f, g.index(u), g.index(v))
}

// The angle between a face's axis and the corners of the face (no
// direction of the face is further from its axis) is acos(1/√3).
var cosCorner, sinCorner = 1 / math.Sqrt(3), math.Sqrt(2.0 / 3)

// capKeys appends the keys of the cells that hold a point within gM
// (m) of p: every direction within asin(gM/|p|) of p's. Keys may repeat.
func (g *Surface) capKeys(dst []uint64, p Vec3, gM float64) []uint64 {
	r := p.Norm()
	if !(r > gM) || r == 0 {
		// The ball holds the centre of the Earth: every cell.
		for f := range 6 {
			dst = g.rect(dst, f, 0, g.n-1, 0, g.n-1)
		}
		return dst
	}
	// The cap's angular radius alpha: sin alpha = gM/r; tan alpha bounds
	// alpha from above.
	sa := gM / r
	ca := math.Sqrt(1 - sa*sa)
	alpha := sa / ca
	x, y, z := p.X/r, p.Y/r, p.Z/r
	far := cosCorner*ca - sinCorner*sa // cos(corner + alpha), alpha < 90°
	for f := range 6 {
		c, u, v := onFace(f, x, y, z)
		if c < far {
			continue // the cap cannot reach this face
		}
		// The least component along the face's axis over the cap: the
		// gnomonic coordinates of a unit vector move by at most
		// angle/x_a² for a move of angle along the sphere.
		cmin := c*ca - math.Sqrt(math.Max(0, 1-c*c))*sa
		if cmin < 0.25 {
			// A cap this large (over ~20°): the whole face.
			dst = g.rect(dst, f, 0, g.n-1, 0, g.n-1)
			continue
		}
		// Per axis, the move is at most angle·hypot(x_a, x_b)/x_a², and
		// hypot(x_a, x_b) moves at most by the angle.
		k := alpha / (cmin * cmin) * (1 + 1e-9)
		du := k * math.Min(1, c*math.Sqrt(1+u*u)+alpha)
		dv := k * math.Min(1, c*math.Sqrt(1+v*v)+alpha)
		u0, u1 := math.Max(u-du, -1), math.Min(u+du, 1)
		v0, v1 := math.Max(v-dv, -1), math.Min(v+dv, 1)
		if u0 > u1 || v0 > v1 {
			continue
		}
		dst = g.rect(dst, f, g.index(u0), g.index(u1), g.index(v0), g.index(v1))
	}
	return dst
}

func (g *Surface) rect(dst []uint64, f, i0, i1, j0, j1 int) []uint64 {
	for i := i0; i <= i1; i++ {
		for j := j0; j <= j1; j++ {
			dst = append(dst, surfaceKey(f, i, j))
		}
	}
	return dst
}

// CapsuleKeys appends to dst the keys of the cells that hold some point
// within rM (m) of the segment from p0 to p1 (ECEF, m), sorted and without
// repeats, and returns it.
//
// Within one face, away from its edges, it draws the segment on the face:
// the chord's directions lie on a great circle, which the gnomonic
// projection maps to a straight line, and every point of the capsule lies
// within a bounded distance of that line on the face. Elsewhere it samples
// the segment every quarter cell and covers each sample's ball grown by
// the half step.
func (g *Surface) CapsuleKeys(dst []uint64, p0, p1 Vec3, rM float64) []uint64 {
	if out, ok := g.drawCapsule(dst, p0, p1, rM); ok {
		return out
	}
	d := p1.Sub(p0)
	l := d.Norm()
	n := int(math.Ceil(l / (g.cellM / 4)))
	grow := rM
	if n > 0 {
		grow += l / float64(n) / 2
	}
	start := len(dst)
	for k := 0; k <= n; k++ {
		p := p0
		if n > 0 {
			p = p0.Add(d.Scale(float64(k) / float64(n)))
		}
		dst = g.capKeys(dst, p, grow)
	}
	keys := dst[start:]
	slices.Sort(keys)
	return append(dst[:start], slices.Compact(keys)...)
}

// drawCapsule is CapsuleKeys within one face, away from its edges; it
// reports false (appending nothing) elsewhere.
func (g *Surface) drawCapsule(dst []uint64, p0, p1 Vec3, rM float64) ([]uint64, bool) {
	// The least distance from the Earth's centre to the chord.
	d := p1.Sub(p0)
	f := 0.0
	if l2 := d.Dot(d); l2 > 0 {
		f = math.Max(0, math.Min(1, -p0.Dot(d)/l2))
	}
	rmin := p0.Add(d.Scale(f)).Norm()
	if !(rmin > 4*rM) {
		return dst, false
	}
	sa := rM / rmin
	ca := math.Sqrt(1 - sa*sa)
	alpha := sa / ca // bounds the angular radius of every ball of the capsule
	fa, u0, v0 := face(p0.X, p0.Y, p0.Z)
	fb, u1, v1 := face(p1.X, p1.Y, p1.Z)
	if fa != fb {
		return dst, false
	}
	// Along the great circle, the component along the face's axis is
	// least at an end.
	c := math.Min(axial(fa, p0), axial(fa, p1))
	cmin := c*ca - math.Sqrt(math.Max(0, 1-c*c))*sa
	if cmin < 0.5 {
		return dst, false
	}
	w := alpha / (cmin * cmin) * (1 + 1e-9) // half width of the line on the face
	ulo, uhi := math.Min(u0, u1)-w, math.Max(u0, u1)+w
	vlo, vhi := math.Min(v0, v1)-w, math.Max(v0, v1)+w
	if ulo < -1 || uhi > 1 || vlo < -1 || vhi > 1 {
		return dst, false
	}
	i0, i1 := g.index(ulo), g.index(uhi)
	for i := i0; i <= i1; i++ {
		// The column's u interval within the line's, then the v interval
		// of the line over it (widened by w both ways).
		a := math.Max(ulo, g.bound(i))
		b := math.Min(uhi, g.bound(i+1))
		va, vb := vlo, vhi
		if du := u1 - u0; math.Abs(du) > 1e-12 {
			ta := math.Max(0, math.Min(1, (a-w-1e-12-u0)/du))
			tb := math.Max(0, math.Min(1, (b+w+1e-12-u0)/du))
			ya, yb := v0+(v1-v0)*ta, v0+(v1-v0)*tb
			va, vb = math.Min(ya, yb)-w, math.Max(ya, yb)+w
		}
		for j, jb := g.index(va), g.index(vb); j <= jb; j++ {
			dst = append(dst, surfaceKey(fa, i, j))
		}
	}
	return dst, true
}

// axial returns the component of p's direction along face f's axis.
func axial(f int, p Vec3) float64 {
	c, _, _ := onFace(f, p.X, p.Y, p.Z)
	return c / p.Norm()
}

// bound returns the gnomonic coordinate where cell index i begins.
func (g *Surface) bound(i int) float64 {
	if i >= 0 && i < len(g.bounds) {
		return g.bounds[i]
	}
	return math.Tan((float64(i)/g.scale - 1) * (math.Pi / 4))
}

// Morton returns a code of p's cell that keeps cells near each other on
// the surface mostly near each other in order (face, then the bits of i
// and j interleaved).
func (g *Surface) Morton(p Vec3) uint64 {
	k := g.Key(p)
	spread := func(v uint64) uint64 {
		v &= 0xfffff
		v = (v | v<<16) & 0x0000ffff0000ffff
		v = (v | v<<8) & 0x00ff00ff00ff00ff
		v = (v | v<<4) & 0x0f0f0f0f0f0f0f0f
		v = (v | v<<2) & 0x3333333333333333
		v = (v | v<<1) & 0x5555555555555555
		return v
	}
	return k>>40<<60 | spread(k>>20)<<1 | spread(k)
}

// keyTable numbers cell keys densely (Cell): an open-addressing table, a
// third of the cost of a map lookup.
type keyTable struct {
	tkeys []uint64 // keys+1, 0 empty
	tvals []int32
	tn    int
}

// Cell returns the number of the cell with key k, numbering it when
// create is true (else -1 when absent). Numbers start at 0, follow the
// order of first use and are never reused, so callers may keep them and
// index their own per-cell data by them.
func (t *keyTable) Cell(k uint64, create bool) int32 {
	if len(t.tkeys) == 0 {
		t.tkeys = make([]uint64, 1024)
		t.tvals = make([]int32, 1024)
	}
	mask := uint64(len(t.tkeys) - 1)
	k1 := k + 1
	for i := (k1 * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		switch t.tkeys[i] {
		case k1:
			return t.tvals[i]
		case 0:
			if !create {
				return -1
			}
			b := int32(t.tn)
			t.tkeys[i], t.tvals[i] = k1, b
			if t.tn++; t.tn*2 > len(t.tkeys) {
				t.grow()
			}
			return b
		}
	}
}

// Reserve sizes the table for n cells.
func (t *keyTable) Reserve(n int) {
	size := 1024
	for size < 2*n {
		size *= 2
	}
	if size > len(t.tkeys) {
		keys, vals := t.tkeys, t.tvals
		t.tkeys, t.tvals = make([]uint64, size), make([]int32, size)
		t.rehash(keys, vals)
	}
}

// Cells returns how many cells have been numbered.
func (t *keyTable) Cells() int { return t.tn }

func (t *keyTable) grow() {
	keys, vals := t.tkeys, t.tvals
	t.tkeys = make([]uint64, 2*len(keys))
	t.tvals = make([]int32, 2*len(keys))
	t.rehash(keys, vals)
}

func (t *keyTable) rehash(keys []uint64, vals []int32) {
	mask := uint64(len(t.tkeys) - 1)
	for j, k1 := range keys {
		if k1 == 0 {
			continue
		}
		i := (k1 * 0x9e3779b97f4a7c15) >> 32 & mask
		for t.tkeys[i] != 0 {
			i = (i + 1) & mask
		}
		t.tkeys[i], t.tvals[i] = k1, vals[j]
	}
}
