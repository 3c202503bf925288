package geo

import (
	"math"
	"slices"
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

// Overlaps reports whether b and c intersect.
func (b Box) Overlaps(c Box) bool {
	return b.Min.X <= c.Max.X && c.Min.X <= b.Max.X &&
		b.Min.Y <= c.Max.Y && c.Min.Y <= b.Max.Y &&
		b.Min.Z <= c.Max.Z && c.Min.Z <= b.Max.Z
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

// Has reports whether cell (x, y, z) is in r.
func (r CellRange) Has(x, y, z int16) bool {
	return x >= r.X0 && x <= r.X1 && y >= r.Y0 && y <= r.Y1 && z >= r.Z0 && z <= r.Z1
}

// Grid is a spatial hash of ECEF space in cubes of CellM metres: every
// item is registered in each cell its box covers, so two items whose boxes
// overlap share at least one cell. Because the cells tile ECEF space, the
// grid has no poles and no antimeridian. The cost of a query is the number
// of items in the cells it covers (local density), not the number of items.
// A Grid is not safe for concurrent use.
type Grid struct {
	cellM   float64
	inv     float64
	index   map[uint64]int32 // cell key -> bucket
	buckets [][]int32
	free    []int32 // empty buckets, reused

	// The table of Cell: keys+1 (0 empty) and buckets, linear probing.
	tkeys []uint64
	tvals []int32
	tn    int
}

// NewGrid returns an empty grid of cubes of cellM metres (>= 1,000).
func NewGrid(cellM float64) *Grid {
	if !(cellM >= 1000) {
		cellM = 1000
	}
	return &Grid{cellM: cellM, inv: 1 / cellM, index: map[uint64]int32{}}
}

// CellM returns the side of the grid's cells (m).
func (g *Grid) CellM() float64 { return g.cellM }

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

// Move re-registers id from the cells of old to those of r, touching only
// the cells that differ.
func (g *Grid) Move(id int32, old, r CellRange) {
	if old == r {
		return
	}
	for x := old.X0; x <= old.X1; x++ {
		for y := old.Y0; y <= old.Y1; y++ {
			for z := old.Z0; z <= old.Z1; z++ {
				if !r.Has(x, y, z) {
					g.del(key(x, y, z), id)
				}
			}
		}
	}
	for x := r.X0; x <= r.X1; x++ {
		for y := r.Y0; y <= r.Y1; y++ {
			for z := r.Z0; z <= r.Z1; z++ {
				if !old.Has(x, y, z) {
					g.add(key(x, y, z), id)
				}
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

// CapsuleKeys appends to dst the keys of the cells that hold some point
// within rM (m) of the segment from p0 to p1, sorted and without repeats,
// and returns it. It samples the segment every half cell and takes each
// sample's box grown by the half step, so it covers the capsule (and a
// little more).
func (g *Grid) CapsuleKeys(dst []uint64, p0, p1 Vec3, rM float64) []uint64 {
	d := p1.Sub(p0)
	step := g.cellM / 2
	n := int(math.Ceil(d.Norm() / step))
	grow := rM
	if n > 0 {
		grow += d.Norm() / float64(n) / 2
	}
	start := len(dst)
	var prev CellRange
	for k := 0; k <= n; k++ {
		p := p0
		if n > 0 {
			p = p0.Add(d.Scale(float64(k) / float64(n)))
		}
		r := g.Range(Box{p, p}.Inflate(grow))
		for x := r.X0; x <= r.X1; x++ {
			for y := r.Y0; y <= r.Y1; y++ {
				for z := r.Z0; z <= r.Z1; z++ {
					if k > 0 && prev.Has(x, y, z) {
						continue // consecutive samples overlap
					}
					dst = append(dst, key(x, y, z))
				}
			}
		}
		prev = r
	}
	keys := dst[start:]
	slices.Sort(keys)
	return append(dst[:start], slices.Compact(keys)...)
}

// Cell returns the bucket of the cell with key k, creating it when create
// is true (else -1 when absent). Buckets made this way are never freed, so
// callers may keep their numbers. It uses its own open-addressing table
// (a third of the cost of a map lookup) apart from the buckets of Insert.
func (g *Grid) Cell(k uint64, create bool) int32 {
	if len(g.tkeys) == 0 {
		g.tkeys = make([]uint64, 1024)
		g.tvals = make([]int32, 1024)
	}
	mask := uint64(len(g.tkeys) - 1)
	k1 := k + 1 // 0 marks an empty slot
	for i := (k1 * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		switch g.tkeys[i] {
		case k1:
			return g.tvals[i]
		case 0:
			if !create {
				return -1
			}
			b := int32(len(g.buckets))
			g.buckets = append(g.buckets, nil)
			g.tkeys[i], g.tvals[i] = k1, b
			if g.tn++; g.tn*2 > len(g.tkeys) {
				g.grow()
			}
			return b
		}
	}
}

func (g *Grid) grow() {
	keys, vals := g.tkeys, g.tvals
	g.tkeys = make([]uint64, 2*len(keys))
	g.tvals = make([]int32, 2*len(keys))
	mask := uint64(len(g.tkeys) - 1)
	for j, k1 := range keys {
		if k1 == 0 {
			continue
		}
		i := (k1 * 0x9e3779b97f4a7c15) >> 32 & mask
		for g.tkeys[i] != 0 {
			i = (i + 1) & mask
		}
		g.tkeys[i], g.tvals[i] = k1, vals[j]
	}
}

// AddTo registers id in bucket b. The buckets of Cell keep their items in
// increasing order, so that a caller reading per-item data indexed by id
// (numbered in spatial order, see Renumber) walks memory forwards.
func (g *Grid) AddTo(b, id int32) {
	items := g.buckets[b]
	i, found := slices.BinarySearch(items, id)
	if !found {
		g.buckets[b] = slices.Insert(items, i, id)
	}
}

// RemoveFrom unregisters id from bucket b (the bucket stays).
func (g *Grid) RemoveFrom(b, id int32) {
	items := g.buckets[b]
	if i, found := slices.BinarySearch(items, id); found {
		g.buckets[b] = slices.Delete(items, i, i+1)
	}
}

// Items returns the items of bucket b; the caller must not modify it.
func (g *Grid) Items(b int32) []int32 { return g.buckets[b] }

// Renumber replaces every item id in the buckets of Cell (the capsule
// API) by remap[id] and sorts each bucket again.
func (g *Grid) Renumber(remap []int32) {
	for b := range g.buckets {
		items := g.buckets[b]
		for i, id := range items {
			items[i] = remap[id]
		}
		slices.Sort(items)
	}
}

// Morton returns a code of p's cell that keeps cells near each other in
// space mostly near each other in order (bits of x, y, z interleaved).
func (g *Grid) Morton(p Vec3) uint64 {
	spread := func(v int16) uint64 {
		x := uint64(uint16(int32(v)+32768)) & 0xffff
		x = (x | x<<16) & 0x0000ff0000ff
		x = (x | x<<8) & 0x00f00f00f00f
		x = (x | x<<4) & 0x0c30c30c30c3
		x = (x | x<<2) & 0x249249249249
		return x
	}
	return spread(g.cell(p.X)) | spread(g.cell(p.Y))<<1 | spread(g.cell(p.Z))<<2
}
