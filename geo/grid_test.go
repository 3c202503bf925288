package geo_test

import (
	"testing"

	"github.com/deconflict/deconflict/geo"
)

// TestGridInsertMove: the box API that zones use.
func TestGridInsertRemove(t *testing.T) {
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
	g.Remove(1, a)
	g.Insert(1, b)
	if got := count(b); got[1] != b.Len() {
		t.Fatalf("after moving: %v", got)
	}
	g.Remove(1, b)
	g.Remove(2, b)
	if got := g.Cells(); got != 0 {
		t.Fatalf("%d cells left, want 0", got)
	}
}
