package report

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// A TrueType font as the PDF writer needs it: the glyph of a character
// (cmap format 4, the BMP), the advance width of a glyph (hmtx), the
// metrics of its font descriptor, and the glyphs themselves (glyf, loca)
// to write a subset holding only the glyphs a report uses. Every read is
// bounds-checked: a malformed font is an error, never a panic.

type ttfFont struct {
	data        []byte
	tables      map[string][]byte
	unitsPerEm  int
	bbox        [4]int // xMin yMin xMax yMax, font units
	ascent      int
	descent     int
	capHeight   int
	numGlyphs   int
	numHMetrics int
	advances    []uint16 // per glyph id
	loca        []uint32 // numGlyphs+1 offsets into glyf
	cmap        map[rune]uint16
}

var errShort = errors.New("truncated")

type ttfReader struct {
	b   []byte
	err error
}

func (r *ttfReader) u16(off int) int {
	if off < 0 || off+2 > len(r.b) {
		if r.err == nil {
			r.err = errShort
		}
		return 0
	}
	return int(binary.BigEndian.Uint16(r.b[off:]))
}

func (r *ttfReader) i16(off int) int { return int(int16(r.u16(off))) }

func (r *ttfReader) u32(off int) uint32 {
	if off < 0 || off+4 > len(r.b) {
		if r.err == nil {
			r.err = errShort
		}
		return 0
	}
	return binary.BigEndian.Uint32(r.b[off:])
}

// parseTTF reads a TrueType font (an sfnt with glyf outlines).
func parseTTF(data []byte) (*ttfFont, error) {
	r := &ttfReader{b: data}
	if v := r.u32(0); r.err == nil && v != 0x00010000 && v != 0x74727565 {
		return nil, fmt.Errorf("ttf: not a TrueType font (version %#x)", v)
	}
	n := r.u16(4)
	if r.err != nil {
		return nil, fmt.Errorf("ttf: table directory: %w", r.err)
	}
	f := &ttfFont{data: data, tables: map[string][]byte{}}
	for i := 0; i < n; i++ {
		rec := 12 + 16*i
		off, length := int64(r.u32(rec+8)), int64(r.u32(rec+12))
		if r.err != nil {
			return nil, fmt.Errorf("ttf: table directory entry %d: %w", i, r.err)
		}
		tag := string(data[rec : rec+4])
		if off+length > int64(len(data)) {
			return nil, fmt.Errorf("ttf: table %q (offset %d, length %d) beyond the file's %d bytes", tag, off, length, len(data))
		}
		f.tables[tag] = data[off : off+length]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "cmap", "loca", "glyf"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("ttf: no %s table", t)
		}
	}
	head := &ttfReader{b: f.tables["head"]}
	f.unitsPerEm = head.u16(18)
	f.bbox = [4]int{head.i16(36), head.i16(38), head.i16(40), head.i16(42)}
	longLoca := head.i16(50) == 1
	if head.err != nil {
		return nil, fmt.Errorf("ttf: head: %w", head.err)
	}
	if f.unitsPerEm < 16 || f.unitsPerEm > 16384 {
		return nil, fmt.Errorf("ttf: head: unitsPerEm %d out of range", f.unitsPerEm)
	}
	maxp := &ttfReader{b: f.tables["maxp"]}
	f.numGlyphs = maxp.u16(4)
	if maxp.err != nil || f.numGlyphs == 0 {
		return nil, fmt.Errorf("ttf: maxp: no glyph count")
	}
	hhea := &ttfReader{b: f.tables["hhea"]}
	f.ascent, f.descent = hhea.i16(4), hhea.i16(6)
	nh := hhea.u16(34)
	if hhea.err != nil {
		return nil, fmt.Errorf("ttf: hhea: %w", hhea.err)
	}
	if nh == 0 || nh > f.numGlyphs {
		return nil, fmt.Errorf("ttf: hhea: %d horizontal metrics for %d glyphs", nh, f.numGlyphs)
	}
	f.numHMetrics = nh
	f.capHeight = f.ascent
	if os2 := f.tables["OS/2"]; os2 != nil {
		o := &ttfReader{b: os2}
		if o.u16(0) >= 2 {
			if c := o.i16(88); o.err == nil && c > 0 {
				f.capHeight = c
			}
		}
	}
	hmtx := &ttfReader{b: f.tables["hmtx"]}
	f.advances = make([]uint16, f.numGlyphs)
	last := 0
	for g := 0; g < f.numGlyphs; g++ {
		if g < nh {
			last = hmtx.u16(4 * g)
		}
		f.advances[g] = uint16(last)
	}
	if hmtx.err != nil {
		return nil, fmt.Errorf("ttf: hmtx shorter than its %d metrics", nh)
	}
	loca := &ttfReader{b: f.tables["loca"]}
	f.loca = make([]uint32, f.numGlyphs+1)
	glyfLen := uint32(len(f.tables["glyf"]))
	for g := 0; g <= f.numGlyphs; g++ {
		if longLoca {
			f.loca[g] = loca.u32(4 * g)
		} else {
			f.loca[g] = uint32(loca.u16(2*g)) * 2
		}
		if loca.err != nil {
			return nil, fmt.Errorf("ttf: loca shorter than its %d glyphs", f.numGlyphs)
		}
		if f.loca[g] > glyfLen || (g > 0 && f.loca[g] < f.loca[g-1]) {
			return nil, fmt.Errorf("ttf: loca: glyph %d at %d, outside glyf's %d bytes or before the glyph before", g, f.loca[g], glyfLen)
		}
	}
	if err := f.parseCmap(); err != nil {
		return nil, err
	}
	return f, nil
}

// parseCmap reads the Unicode BMP subtable (format 4) of cmap.
func (f *ttfFont) parseCmap() error {
	c := &ttfReader{b: f.tables["cmap"]}
	n := c.u16(2)
	sub := -1
	for i := 0; i < n && c.err == nil; i++ {
		pid, eid, off := c.u16(4+8*i), c.u16(6+8*i), int(c.u32(8+8*i))
		if (pid == 3 && eid == 1) || pid == 0 {
			if c.u16(off) == 4 {
				sub = off
				break
			}
		}
	}
	if c.err != nil {
		return fmt.Errorf("ttf: cmap: %w", c.err)
	}
	if sub < 0 {
		return errors.New("ttf: cmap: no Unicode format 4 subtable")
	}
	segX2 := c.u16(sub + 6)
	if c.err != nil || segX2%2 != 0 {
		return errors.New("ttf: cmap: bad format 4 header")
	}
	ends, starts, deltas, ranges := sub+14, sub+16+segX2, sub+16+2*segX2, sub+16+3*segX2
	f.cmap = map[rune]uint16{}
	prevEnd := -1
	for s := 0; s < segX2/2; s++ {
		end, start := c.u16(ends+2*s), c.u16(starts+2*s)
		delta, ro := c.u16(deltas+2*s), c.u16(ranges+2*s)
		if c.err != nil {
			return fmt.Errorf("ttf: cmap: segment %d: %w", s, c.err)
		}
		// Segments are sorted and apart (which also bounds the work to
		// the 65,536 code points).
		if start > end || start <= prevEnd {
			return fmt.Errorf("ttf: cmap: segment %d (%#x-%#x) out of order", s, start, end)
		}
		prevEnd = end
		for ch := start; ch <= end && ch != 0xffff; ch++ {
			var g int
			if ro == 0 {
				g = (ch + delta) & 0xffff
			} else {
				g = c.u16(ranges + 2*s + ro + 2*(ch-start))
				if c.err != nil {
					return fmt.Errorf("ttf: cmap: segment %d: glyph index array: %w", s, c.err)
				}
				if g != 0 {
					g = (g + delta) & 0xffff
				}
			}
			if g != 0 && g < f.numGlyphs {
				f.cmap[rune(ch)] = uint16(g)
			}
		}
	}
	return nil
}

// advance returns the advance width of glyph g in whole 1/1000 em, as
// the PDF's /W array gives it.
func (f *ttfFont) advance(g uint16) int {
	if int(g) >= len(f.advances) {
		return 0
	}
	return int(math.Round(float64(f.advances[g]) * 1000 / float64(f.unitsPerEm)))
}

// runeGlyph returns the glyph that prints r and the character it stands
// for: white space as a space, a character the font lacks as U+FFFD.
func (f *ttfFont) runeGlyph(r rune) (uint16, rune) {
	if r < 32 || r == 0x7f {
		r = ' '
	}
	if g, ok := f.cmap[r]; ok {
		return g, r
	}
	if g, ok := f.cmap[0xfffd]; ok {
		return g, 0xfffd
	}
	return 0, 0xfffd
}

func (f *ttfFont) glyphData(g int) []byte {
	return f.tables["glyf"][f.loca[g]:f.loca[g+1]]
}

// components returns the glyphs a composite glyph is made of.
func (f *ttfFont) components(g int) ([]int, error) {
	d := &ttfReader{b: f.glyphData(g)}
	if len(d.b) == 0 || d.i16(0) >= 0 {
		return nil, d.err
	}
	var out []int
	off := 10
	for {
		flags, comp := d.u16(off), d.u16(off+2)
		if d.err != nil {
			return nil, fmt.Errorf("ttf: glyph %d: composite: %w", g, d.err)
		}
		if comp >= f.numGlyphs {
			return nil, fmt.Errorf("ttf: glyph %d: component %d beyond the %d glyphs", g, comp, f.numGlyphs)
		}
		out = append(out, comp)
		off += 4
		if flags&1 != 0 { // ARG_1_AND_2_ARE_WORDS
			off += 4
		} else {
			off += 2
		}
		switch {
		case flags&0x08 != 0: // WE_HAVE_A_SCALE
			off += 2
		case flags&0x40 != 0: // X_AND_Y_SCALE
			off += 4
		case flags&0x80 != 0: // TWO_BY_TWO
			off += 8
		}
		if flags&0x20 == 0 { // MORE_COMPONENTS
			return out, nil
		}
	}
}

// subset returns a TrueType font with the same glyph ids in which only the
// glyphs used (and glyph 0, and the components of composite glyphs) keep
// their outlines: the glyf and loca tables are rebuilt, and the tables a
// PDF reader needs for a CIDFontType2 are kept.
func (f *ttfFont) subset(used []uint16) ([]byte, error) {
	keep := map[int]bool{0: true}
	todo := []int{0}
	for _, g := range used {
		if int(g) < f.numGlyphs && !keep[int(g)] {
			keep[int(g)] = true
			todo = append(todo, int(g))
		}
	}
	for len(todo) > 0 {
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		comps, err := f.components(g)
		if err != nil {
			return nil, err
		}
		for _, c := range comps {
			if !keep[c] {
				keep[c] = true
				todo = append(todo, c)
			}
		}
	}
	var glyf []byte
	loca := make([]byte, 4*(f.numGlyphs+1))
	for g := 0; g < f.numGlyphs; g++ {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(len(glyf)))
		if keep[g] {
			glyf = append(glyf, f.glyphData(g)...)
			for len(glyf)%4 != 0 {
				glyf = append(glyf, 0)
			}
		}
	}
	binary.BigEndian.PutUint32(loca[4*f.numGlyphs:], uint32(len(glyf)))
	head := slices.Clone(f.tables["head"])
	if len(head) < 54 {
		return nil, errors.New("ttf: head shorter than 54 bytes")
	}
	binary.BigEndian.PutUint32(head[8:], 0)  // checksumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1) // long loca
	// The metrics of glyphs left out are zeroed (the PDF's /W gives the
	// widths), which compresses them to almost nothing.
	hmtx := slices.Clone(f.tables["hmtx"])
	for i := range hmtx {
		g := i / 4
		if g >= f.numHMetrics { // the left side bearings after the last metric
			g = f.numHMetrics + (i-4*f.numHMetrics)/2
		}
		if g != 0 && !keep[g] {
			hmtx[i] = 0
		}
	}
	tables := map[string][]byte{"head": head, "hhea": f.tables["hhea"], "maxp": f.tables["maxp"], "hmtx": hmtx, "loca": loca, "glyf": glyf}
	for _, t := range []string{"cvt ", "fpgm", "prep"} {
		if b := f.tables[t]; b != nil {
			tables[t] = b
		}
	}
	return writeSfnt(tables), nil
}

func ttfChecksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

// writeSfnt writes tables as a TrueType file, with their checksums and the
// head's checksumAdjustment.
func writeSfnt(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	out := make([]byte, 12+16*n)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(n))
	binary.BigEndian.PutUint16(out[6:], uint16(16<<es))
	binary.BigEndian.PutUint16(out[8:], uint16(es))
	binary.BigEndian.PutUint16(out[10:], uint16(16*n-16<<es))
	headAt := -1
	for i, t := range tags {
		b := tables[t]
		rec := out[12+16*i:]
		copy(rec, t)
		binary.BigEndian.PutUint32(rec[4:], ttfChecksum(b))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(b)))
		if t == "head" {
			headAt = len(out)
		}
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	if headAt >= 0 {
		binary.BigEndian.PutUint32(out[headAt+8:], 0xB1B0AFBA-ttfChecksum(out))
	}
	return out
}
