package geo_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/deconflict/deconflict/geo"
)

// TestCapsuleKeysCover: every point within r of the segment lies in a
// cell CapsuleKeys lists (the property the engine's index rests on).
func TestCapsuleKeysCover(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, cell := range []float64{5e3, 20e3, 60e3} {
		g := geo.NewGrid(cell)
		for i := 0; i < 300; i++ {
			a := geo.LatLon{Lat: rng.Float64()*180 - 90, Lon: rng.Float64()*360 - 180}
			p0 := geo.ECEF(a.Lat, a.Lon)
			v := geo.Velocity(a.Lat, a.Lon, rng.Float64()*300, rng.Float64()*360)
			p1 := p0.Add(v.Scale(rng.Float64() * 500))
			r := 100 + rng.Float64()*10e3
			keys := g.CapsuleKeys(nil, p0, p1, r)
			if !slices.IsSorted(keys) {
				t.Fatal("keys not sorted")
			}
			for k := 0; k < 200; k++ {
				// A random point of the capsule.
				f := rng.Float64()
				c := p0.Add(p1.Sub(p0).Scale(f))
				d := geo.Vec3{X: rng.NormFloat64(), Y: rng.NormFloat64(), Z: rng.NormFloat64()}.Unit().Scale(r * math.Cbrt(rng.Float64()) * 0.999)
				q := c.Add(d)
				rq := g.Range(geo.Box{Min: q, Max: q})
				want := g.CapsuleKeys(nil, q, q, 0)
				if len(want) != 1 || rq.Len() != 1 {
					t.Fatalf("point key: %v", want)
				}
				if _, ok := slices.BinarySearch(keys, want[0]); !ok {
					t.Fatalf("cell %d m: point %v within %v m of segment %v-%v not covered", int(cell), q, r, p0, p1)
				}
			}
		}
	}
}

func TestGridInsertMove(t *testing.T) {
	g := geo.NewGrid(10e3)
	p := geo.ECEF(56, 19)
	a := g.Range(geo.Box{Min: p, Max: p}.Inflate(5e3))
	b := g.Range(geo.Box{Min: p, Max: p}.Inflate(25e3))
	g.Insert(1, a)
	g.Insert(2, b)
	count := func(r geo.CellRange) map[int32]int {
		m := map[int32]int{}
		g.Each(r, func(items []int32) {
			for _, id := range items {
				m[id]++
			}
		})
		return m
	}
	if got := count(b); got[1] != a.Len() || got[2] != b.Len() {
		t.Fatalf("counts %v, want 1:%d 2:%d", got, a.Len(), b.Len())
	}
	g.Move(1, a, b)
	if got := count(b); got[1] != b.Len() {
		t.Fatalf("after Move: %v", got)
	}
	g.Remove(1, b)
	g.Remove(2, b)
	if got := g.Cells(); got != 0 {
		t.Fatalf("%d cells left, want 0", got)
	}
}
