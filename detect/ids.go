package detect

import "encoding/binary"

// idMap maps track IDs to track indices. IDs of up to 15 bytes (MMSIs,
// ICAO addresses, most callsigns) are kept as two words in an
// open-addressing table, key and index side by side, so that a lookup
// reads one place in memory: on a large picture, where every lookup
// misses the cache, that is a third of the cost of a Go map, which reads
// its table, a control word and the key's bytes. Longer IDs go to a map.
type idMap struct {
	slots []idSlot // linear probing; len a power of two, at most half full
	n     int
	long  map[string]int32
}

type idSlot struct {
	k [2]uint64 // the ID's bytes and length (see shortKey); zero: empty
	v int32
}

func newIDMap(n int) idMap {
	size := 64
	for size < 2*n {
		size *= 2
	}
	return idMap{slots: make([]idSlot, size), long: map[string]int32{}}
}

// shortKey packs an ID of up to 15 bytes with its length: never zero.
func shortKey(id string) ([2]uint64, bool) {
	if len(id) > 15 {
		return [2]uint64{}, false
	}
	var b [16]byte
	copy(b[:], id)
	b[15] = byte(len(id)) | 0x80
	return [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])}, true
}

func (m *idMap) home(k [2]uint64) int {
	h := (k[0]*0x9e3779b97f4a7c15 ^ k[1]*0xc2b2ae3d27d4eb4f) * 0x165667b19e3779f9
	return int(h>>32) & (len(m.slots) - 1)
}

func (m *idMap) get(id string) (int32, bool) {
	k, ok := shortKey(id)
	if !ok {
		v, found := m.long[id]
		return v, found
	}
	mask := len(m.slots) - 1
	for i := m.home(k); ; i = (i + 1) & mask {
		switch s := &m.slots[i]; s.k {
		case k:
			return s.v, true
		case [2]uint64{}:
			return 0, false
		}
	}
}

func (m *idMap) set(id string, v int32) {
	k, ok := shortKey(id)
	if !ok {
		m.long[id] = v
		return
	}
	mask := len(m.slots) - 1
	for i := m.home(k); ; i = (i + 1) & mask {
		switch s := &m.slots[i]; s.k {
		case k:
			s.v = v
			return
		case [2]uint64{}:
			s.k, s.v = k, v
			if m.n++; 2*m.n > len(m.slots) {
				m.grow()
			}
			return
		}
	}
}

func (m *idMap) grow() {
	old := m.slots
	m.slots = make([]idSlot, 2*len(old))
	mask := len(m.slots) - 1
	for _, s := range old {
		if s.k == ([2]uint64{}) {
			continue
		}
		i := m.home(s.k)
		for m.slots[i].k != ([2]uint64{}) {
			i = (i + 1) & mask
		}
		m.slots[i] = s
	}
}

func (m *idMap) del(id string) {
	k, ok := shortKey(id)
	if !ok {
		delete(m.long, id)
		return
	}
	mask := len(m.slots) - 1
	i := m.home(k)
	for m.slots[i].k != k {
		if m.slots[i].k == ([2]uint64{}) {
			return
		}
		i = (i + 1) & mask
	}
	// Backward shift: move up every later entry of the cluster whose home
	// is not between the hole and it.
	m.slots[i] = idSlot{}
	m.n--
	for j := (i + 1) & mask; m.slots[j].k != ([2]uint64{}); j = (j + 1) & mask {
		h := m.home(m.slots[j].k)
		if (j-h)&mask >= (j-i)&mask {
			m.slots[i], m.slots[j] = m.slots[j], idSlot{}
			i = j
		}
	}
}

func (m *idMap) len() int { return m.n + len(m.long) }

// remap replaces every index v by r[v].
func (m *idMap) remap(r []int32) {
	for i := range m.slots {
		if m.slots[i].k != ([2]uint64{}) {
			m.slots[i].v = r[m.slots[i].v]
		}
	}
	for k, v := range m.long {
		m.long[k] = r[v]
	}
}
