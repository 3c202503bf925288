package detect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRuns: inserting and removing entries keeps every cell sorted by
// party then track, with each party's run length on its first entry, as
// computed afresh.
func TestRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	var es []entry
	in := map[[2]int32]bool{}
	for step := 0; step < 20000; step++ {
		x := entry{label: uint16(rng.IntN(4)), id: int32(rng.IntN(60))}
		k := [2]int32{int32(x.label), x.id}
		if in[k] {
			es, _ = deleteEntry(es, x.label, x.id)
			delete(in, k)
		} else {
			es, _ = insertEntry(es, x)
			in[k] = true
		}
		want := slices.Clone(es)
		for i := range want {
			want[i].run = 0
		}
		for i := 0; i < len(want); {
			end := runEnd(want, i)
			want[i].run = uint16(end - i)
			i = end
		}
		if !slices.IsSortedFunc(es, func(a, b entry) int {
			if a.label != b.label {
				return int(a.label) - int(b.label)
			}
			return int(a.id - b.id)
		}) || !slices.Equal(es, want) || len(es) != len(in) {
			t.Fatalf("step %d: cell %v, want %v", step, es, want)
		}
	}
}
