package detect

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDMap: random sets, gets and deletes agree with a Go map, across
// growth and with long IDs.
func TestIDMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := newIDMap(0)
	ref := map[string]int32{}
	ids := make([]string, 3000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%d", rng.IntN(1e9))
		if i%10 == 0 {
			ids[i] = fmt.Sprintf("a-long-identifier-%d", i)
		}
		if i%17 == 0 {
			ids[i] = ""
		}
	}
	for step := 0; step < 200000; step++ {
		id := ids[rng.IntN(len(ids))]
		switch rng.IntN(3) {
		case 0:
			v := int32(rng.IntN(1 << 20))
			m.set(id, v)
			ref[id] = v
		case 1:
			m.del(id)
			delete(ref, id)
		}
		got, ok := m.get(id)
		want, wok := ref[id]
		if ok != wok || got != want {
			t.Fatalf("step %d: get(%q) = %d, %v; want %d, %v", step, id, got, ok, want, wok)
		}
		if m.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, m.len(), len(ref))
		}
	}
	for id, want := range ref {
		if got, ok := m.get(id); !ok || got != want {
			t.Fatalf("get(%q) = %d, %v; want %d", id, got, ok, want)
		}
	}
}
