package detect

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDMap: random sets, adds, gets and deletes agree with a Go map, across
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
		switch rng.IntN(4) {
		case 0:
			v := int32(rng.IntN(1 << 20))
			m.set(id, v)
			ref[id] = v
		case 3:
			v := int32(rng.IntN(1 << 20))
			_, had := ref[id]
			if m.add(id, v) == had {
				t.Fatalf("step %d: add(%q) with it there: %v, got new", step, id, had)
			}
			if !had {
				ref[id] = v
			}
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

// TestIDMapChains: many IDs of one home bucket, so that they spill over
// several buckets (and wrap around the table's end), set, deleted, added
// again and looked up, against a Go map; add keeps an index already there.
func TestIDMapChains(t *testing.T) {
	m := newIDMap(0)
	last := len(m.b) - 1
	var ids []string
	for i := 0; len(ids) < 40; i++ {
		id := fmt.Sprintf("mmsi:%09d", i)
		if k, _ := shortKey(id); m.home(k) == last {
			ids = append(ids, id)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	ref := map[string]int32{}
	for step := 0; step < 20000; step++ {
		id := ids[rng.IntN(len(ids))]
		v := int32(rng.IntN(1 << 20))
		switch rng.IntN(4) {
		case 0:
			m.set(id, v)
			ref[id] = v
		case 1:
			_, had := ref[id]
			if m.add(id, v) == had {
				t.Fatalf("step %d: add(%q) = %v with %q there: %v", step, id, !had, id, had)
			}
			if !had {
				ref[id] = v
			}
		case 2:
			m.del(id)
			delete(ref, id)
		}
		if len(m.b) != 64 {
			t.Fatalf("step %d: table grew to %d buckets with %d IDs", step, len(m.b), m.len())
		}
		for _, id := range ids {
			got, ok := m.get(id)
			want, wok := ref[id]
			if ok != wok || got != want {
				t.Fatalf("step %d: get(%q) = %d, %v; want %d, %v", step, id, got, ok, want, wok)
			}
		}
		if m.len() != len(ref) {
			t.Fatalf("step %d: len %d, want %d", step, m.len(), len(ref))
		}
	}
	r := make([]int32, 1<<20)
	for i := range r {
		r[i] = int32(len(r) - 1 - i)
	}
	m.remap(r)
	for id, want := range ref {
		if got, ok := m.get(id); !ok || got != r[want] {
			t.Fatalf("after remap: get(%q) = %d, %v; want %d", id, got, ok, r[want])
		}
	}
}

// TestIDMapChurn: at a steady number of IDs, tracks that go and come
// (new IDs) would in time mark every bucket overflowed, and a lookup of
// an absent ID would never end: the table is rebuilt first (not at every
// insertion), and lookups stay right.
func TestIDMapChurn(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := newIDMap(0)
	ref := map[string]int32{}
	var live []string
	next, rebuilds := 0, 0
	for step := 0; step < 100000; step++ {
		if len(live) < 120 {
			id := fmt.Sprintf("icao:%06x", next)
			next++
			before := m.b
			m.set(id, int32(next))
			if &m.b[0] != &before[0] {
				rebuilds++
			}
			ref[id] = int32(next)
			live = append(live, id)
		} else {
			i := rng.IntN(len(live))
			m.del(live[i])
			delete(ref, live[i])
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		}
		if m.marks > m.limit || 4*m.marks > 3*len(m.b) {
			t.Fatalf("step %d: %d of %d buckets marked, limit %d", step, m.marks, len(m.b), m.limit)
		}
		marked := 0
		for i := range m.b {
			if m.b[i].over != 0 {
				marked++
			}
		}
		if marked != m.marks {
			t.Fatalf("step %d: %d buckets marked, counted %d", step, marked, m.marks)
		}
		if _, ok := m.get(fmt.Sprintf("absent-%d", step%100)); ok {
			t.Fatalf("step %d: absent ID found", step)
		}
	}
	if len(m.b) != 64 {
		t.Fatalf("%d buckets for %d IDs", len(m.b), m.len())
	}
	if rebuilds == 0 || rebuilds > 50000/8 {
		t.Fatalf("%d rebuilds in 50,000 insertions (want some, not many)", rebuilds)
	}
	for id, want := range ref {
		if got, ok := m.get(id); !ok || got != want {
			t.Fatalf("get(%q) = %d, %v; want %d", id, got, ok, want)
		}
	}
}

// TestShortKey: the key is the ID's bytes, then zeros, then its length
// with the top bit, read as two little-endian words.
func TestShortKey(t *testing.T) {
	for n := 0; n <= 16; n++ {
		id := "abcdefghijklmnop"[:n]
		k, ok := shortKey(id)
		if ok != (n <= 15) {
			t.Fatalf("%q: ok %v", id, ok)
		}
		if !ok {
			continue
		}
		var b [16]byte
		copy(b[:], id)
		b[15] = byte(n) | 0x80
		want := [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}
		if k != want {
			t.Fatalf("%q: key %x, want %x", id, k, want)
		}
	}
}
