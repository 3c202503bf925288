package geo

import (
	"math"
)

// Box is an axis-aligned box in ECEF (m).
type Box struct{ Min, Max Vec3 }

// Extend returns the smallest box containing b and p.
func (b Box) Extend(p Vec3) Box {
	return Box{
		Vec3{math.Min(b.Min.X, p.X), math.Min(b.Min.Y, p.Y), math.Min(b.Min.Z, p.Z)},
		Vec3{math.Max(b.Max.X, p.X), math.Max(b.Max.Y, p.Y), math.Max(b.Max.Z, p.Z)},
	}
}

// Inflate returns b grown by m (m) on every side.
func (b Box) Inflate(m float64) Box {
	d := Vec3{m, m, m}
	return Box{b.Min.Sub(d), b.Max.Add(d)}
}

// SegmentBox returns the box around the straight path from p to p+v·dtS,
// inflated by m (m).
func SegmentBox(p, v Vec3, dtS, m float64) Box {
	return Box{p, p}.Extend(p.Add(v.Scale(dtS))).Inflate(m)
}

// CellRange is the range of grid cells [X0, X1]×[Y0, Y1]×[Z0, Z1] that a
// box covers. The zero CellRange is empty only by convention of its user;
// use Grid.Range to build one.
type CellRange struct{ X0, Y0, Z0, X1, Y1, Z1 int16 }

// Len returns the number of cells in r.
func (r CellRange) Len() int {
	return (int(r.X1) - int(r.X0) + 1) * (int(r.Y1) - int(r.Y0) + 1) * (int(r.Z1) - int(r.Z0) + 1)
}

// Grid is a spatial hash of ECEF space in cubes of cellM metres: every
// item is registered in each cell its box covers, so two items whose boxes
// overlap share at least one cell. Because the cells tile ECEF space, the
// grid has no poles and no antimeridian. The cost of a query is the number
// of items in the cells it covers (local density), not the number of items.
// The engine indexes zones (boxes) with it and tracks with Surface.
// A Grid is not safe for concurrent use.
type Grid struct {
	cellM   float64
	inv     float64
	index   map[uint64]int32 // cell key -> bucket
	buckets [][]int32
	free    []int32 // empty buckets, reused
}

// NewGrid returns an empty grid of cubes of cellM metres (>= 1,000).
func NewGrid(cellM float64) *Grid {
	if !(cellM >= 1000) {
		cellM = 1000
	}
	return &Grid{cellM: cellM, inv: 1 / cellM, index: map[uint64]int32{}}
}

func (g *Grid) cell(x float64) int16 {
	c := math.Floor(x * g.inv)
	if c < -32000 {
		return -32000
	} else if c > 32000 {
		return 32000
	}
	return int16(c)
}

// Range returns the cells that b covers.
func (g *Grid) Range(b Box) CellRange {
	return CellRange{
		g.cell(b.Min.X), g.cell(b.Min.Y), g.cell(b.Min.Z),
		g.cell(b.Max.X), g.cell(b.Max.Y), g.cell(b.Max.Z),
	}
}

func key(x, y, z int16) uint64 {
	return uint64(uint16(x))<<32 | uint64(uint16(y))<<16 | uint64(uint16(z))
}

// Insert registers id in every cell of r.
func (g *Grid) Insert(id int32, r CellRange) {
	for x := r.X0; x <= r.X1; x++ {
		for y := r.Y0; y <= r.Y1; y++ {
			for z := r.Z0; z <= r.Z1; z++ {
				g.add(key(x, y, z), id)
			}
		}
	}
}

// Remove unregisters id from every cell of r.
func (g *Grid) Remove(id int32, r CellRange) {
	for x := r.X0; x <= r.X1; x++ {
		for y := r.Y0; y <= r.Y1; y++ {
			for z := r.Z0; z <= r.Z1; z++ {
				g.del(key(x, y, z), id)
			}
		}
	}
}

// Each calls fn with the items of every cell of r. An item registered in
// several of those cells is passed once per cell: callers deduplicate.
func (g *Grid) Each(r CellRange, fn func(items []int32)) {
	for x := r.X0; x <= r.X1; x++ {
		for y := r.Y0; y <= r.Y1; y++ {
			for z := r.Z0; z <= r.Z1; z++ {
				if b, ok := g.index[key(x, y, z)]; ok {
					fn(g.buckets[b])
				}
			}
		}
	}
}

// Cells returns the number of non-empty cells.
func (g *Grid) Cells() int { return len(g.index) }

func (g *Grid) add(k uint64, id int32) {
	b, ok := g.index[k]
	if !ok {
		if n := len(g.free); n > 0 {
			b = g.free[n-1]
			g.free = g.free[:n-1]
		} else {
			b = int32(len(g.buckets))
			g.buckets = append(g.buckets, nil)
		}
		g.index[k] = b
	}
	g.buckets[b] = append(g.buckets[b], id)
}

func (g *Grid) del(k uint64, id int32) {
	b, ok := g.index[k]
	if !ok {
		return
	}
	items := g.buckets[b]
	for i, v := range items {
		if v == id {
			items[i] = items[len(items)-1]
			items = items[:len(items)-1]
			break
		}
	}
	g.buckets[b] = items
	if len(items) == 0 {
		delete(g.index, k)
		g.free = append(g.free, b)
	}
}
