package detect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRuns: inserting and removing entries keeps every cell sorted by
// label then track, with its runs (label and end of each label's entries)
// as computed afresh from the entries, and find finds every entry.
func TestRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	var c cell
	in := map[[2]int32]bool{}
	for step := 0; step < 20000; step++ {
		x := entry{label: uint16(rng.IntN(6)), id: int32(rng.IntN(60))}
		k := [2]int32{int32(x.label), x.id}
		if in[k] {
			if at := c.delete(x.label, x.id); at < 0 {
				t.Fatalf("step %d: %v not found to delete", step, k)
			}
			delete(in, k)
		} else {
			if at := c.delete(x.label, x.id); at >= 0 {
				t.Fatalf("step %d: deleted %v, not in the cell", step, k)
			}
			at := c.insert(x)
			if c.es[at].label != x.label || c.es[at].id != x.id {
				t.Fatalf("step %d: insert says %d, which holds %v", step, at, c.es[at])
			}
			in[k] = true
		}
		var want []run
		for i, y := range c.es {
			if len(want) == 0 || want[len(want)-1].label != y.label {
				want = append(want, run{label: y.label})
			}
			want[len(want)-1].end = int32(i + 1)
		}
		if !slices.IsSortedFunc(c.es, func(a, b entry) int {
			if a.label != b.label {
				return int(a.label) - int(b.label)
			}
			return int(a.id - b.id)
		}) || !slices.Equal(c.runs, want) || len(c.es) != len(in) {
			t.Fatalf("step %d: cell %v runs %v, want runs %v", step, c.es, c.runs, want)
		}
		for key := range in {
			if at, ok := c.find(uint16(key[0]), key[1]); !ok || c.es[at].label != uint16(key[0]) || c.es[at].id != key[1] {
				t.Fatalf("step %d: find(%v) = %d, %v", step, key, at, ok)
			}
		}
		if _, ok := c.find(6, 0); ok {
			t.Fatalf("step %d: found an entry of a label never inserted", step)
		}
	}
}
