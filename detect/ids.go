package detect

// idMap maps track IDs to track indices. IDs of up to 15 bytes (MMSIs,
// ICAO addresses, most callsigns) are kept as two words in an
// open-addressing table of buckets, each one cache line (64 bytes) of
// three keys and their indices, so that a lookup nearly always reads one
// line: on a large picture, where every lookup misses the cache, that is
// a third of the cost of a Go map, which reads its table, a control word
// and the key's bytes. Longer IDs go to a map.
//
// A key lives in its home bucket or, when that is full, in the next one
// with room (linear probing by bucket). A bucket that an insertion had to
// pass is marked as overflowed, and stays so until the table is rebuilt
// (when it grows, or when the marks have grown by an eighth of the
// buckets, as deletions and insertions over time would mark them all): a
// lookup goes on to the next bucket only past an overflowed one. Three
// quarters of the buckets at most are marked, so a lookup ends.
type idMap struct {
	b     []idBucket // len a power of two; at most idPerBucket keys per bucket on average
	n     int
	marks int // buckets marked overflowed
	limit int // rebuild above that many marks
	long  map[string]int32
}

const (
	idSlots     = 3 // keys per bucket
	idPerBucket = 2 // average load at which the table grows
)

// idBucket is 64 bytes; the table is allocated aligned (its size is a
// power of two of at least 4 KiB: a size class or whole pages), so a
// bucket is one cache line.
type idBucket struct {
	k    [idSlots][2]uint64 // the IDs' bytes and length (see shortKey); zero: empty
	v    [idSlots]int32
	over uint32 // nonzero: an insertion passed this bucket full
}

func newIDMap(n int) idMap {
	size := 64
	for size*idPerBucket < n {
		size *= 2
	}
	return idMap{b: make([]idBucket, size), limit: size / 8, long: map[string]int32{}}
}

// shortKey packs an ID of up to 15 bytes with its length: never zero.
func shortKey(id string) ([2]uint64, bool) {
	lo, hi, ok := shortWords(id)
	return [2]uint64{lo, hi}, ok
}

// shortWords is shortKey as two words, which are passed in registers (an
// array is not): the key's bytes are gathered in registers and never
// stored in narrow pieces then read back wide, which the store buffer
// cannot forward.
func shortWords(id string) (lo, hi uint64, ok bool) {
	if len(id) > 15 {
		return 0, 0, false
	}
	// The bytes as copy and binary.LittleEndian would pack them, without
	// the call to memmove.
	hi = uint64(len(id)|0x80) << 56
	i := 0
	if len(id) >= 8 {
		lo = uint64(id[0]) | uint64(id[1])<<8 | uint64(id[2])<<16 | uint64(id[3])<<24 |
			uint64(id[4])<<32 | uint64(id[5])<<40 | uint64(id[6])<<48 | uint64(id[7])<<56
		i = 8
	}
	var w uint64
	for j := i; j < len(id); j++ {
		w |= uint64(id[j]) << (8 * (j & 7))
	}
	if i == 8 {
		hi |= w
	} else {
		lo = w
	}
	return lo, hi, true
}

func (m *idMap) home(k [2]uint64) int { return m.homeWords(k[0], k[1]) }

func (m *idMap) homeWords(lo, hi uint64) int {
	h := (lo*0x9e3779b97f4a7c15 ^ hi*0xc2b2ae3d27d4eb4f) * 0x165667b19e3779f9
	return int(h>>32) & (len(m.b) - 1)
}

// find returns the bucket and slot of k, or -1. (A table has unmarked
// buckets: see rebuild.)
func (m *idMap) find(k [2]uint64) (int, int) { return m.findWords(k[0], k[1]) }

// findWords is find of the key lo, hi (see shortWords).
func (m *idMap) findWords(lo, hi uint64) (int, int) {
	mask := len(m.b) - 1
	for i := m.homeWords(lo, hi); ; i = (i + 1) & mask {
		b := &m.b[i]
		for j := range b.k {
			if b.k[j][0] == lo && b.k[j][1] == hi {
				return i, j
			}
		}
		if b.over == 0 {
			return -1, -1
		}
	}
}

func (m *idMap) get(id string) (int32, bool) {
	lo, hi, ok := shortWords(id)
	if !ok {
		v, found := m.long[id]
		return v, found
	}
	if i, j := m.findWords(lo, hi); i >= 0 {
		return m.b[i].v[j], true
	}
	return 0, false
}

func (m *idMap) set(id string, v int32) {
	m.put(id, v, true)
}

// add maps id to v unless id is there already (false: nothing changed).
func (m *idMap) add(id string, v int32) bool {
	return m.put(id, v, false)
}

// put maps id to v, or when id is there already sets it if replace; it
// tells whether id was new.
func (m *idMap) put(id string, v int32, replace bool) bool {
	k, ok := shortKey(id)
	if !ok {
		_, found := m.long[id]
		if !found || replace {
			m.long[id] = v
		}
		return !found
	}
	if i, j := m.find(k); i >= 0 {
		if replace {
			m.b[i].v[j] = v
		}
		return false
	}
	m.insert(k, v)
	if m.n++; m.n > idPerBucket*len(m.b) {
		m.rebuild(2 * len(m.b))
	} else if m.marks > m.limit {
		m.rebuild(len(m.b))
	}
	return true
}

// insert puts k, known to be absent, in the first bucket with room.
func (m *idMap) insert(k [2]uint64, v int32) {
	mask := len(m.b) - 1
	for i := m.home(k); ; i = (i + 1) & mask {
		b := &m.b[i]
		for j := range b.k {
			if b.k[j] == ([2]uint64{}) {
				b.k[j], b.v[j] = k, v
				return
			}
		}
		if b.over == 0 {
			b.over = 1
			m.marks++
		}
	}
}

// rebuild puts every key in a new table of size buckets, unmarked.
func (m *idMap) rebuild(size int) {
	old := m.b
	m.b, m.marks = make([]idBucket, size), 0
	for i := range old {
		for j, k := range old[i].k {
			if k != ([2]uint64{}) {
				m.insert(k, old[i].v[j])
			}
		}
	}
	// At most two thirds are marked now: a marked bucket was full, and
	// there are two keys per bucket at most.
	m.limit = min(2*m.marks+size/8, size*3/4)
}

func (m *idMap) del(id string) {
	k, ok := shortKey(id)
	if !ok {
		delete(m.long, id)
		return
	}
	if i, j := m.find(k); i >= 0 {
		m.b[i].k[j], m.b[i].v[j] = [2]uint64{}, 0
		m.n--
	}
}

func (m *idMap) len() int { return m.n + len(m.long) }

// remap replaces every index v by r[v].
func (m *idMap) remap(r []int32) {
	for i := range m.b {
		for j, k := range m.b[i].k {
			if k != ([2]uint64{}) {
				m.b[i].v[j] = r[m.b[i].v[j]]
			}
		}
	}
	for k, v := range m.long {
		m.long[k] = r[v]
	}
}
