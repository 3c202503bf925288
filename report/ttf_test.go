package report

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tinyFont builds a three-glyph TrueType font by hand: .notdef, 'A'
// (a simple glyph) and 'Б' (a composite of 'A'), with a format 4 cmap.
func tinyFont() []byte {
	be16 := func(v ...int) []byte {
		b := make([]byte, 2*len(v))
		for i, x := range v {
			binary.BigEndian.PutUint16(b[2*i:], uint16(x))
		}
		return b
	}
	head := make([]byte, 54)
	binary.BigEndian.PutUint32(head, 0x00010000)
	binary.BigEndian.PutUint32(head[12:], 0x5F0F3CF5)
	copy(head[18:], be16(1000))
	copy(head[36:], be16(0, 0xff38, 600, 800)) // bbox 0 -200 600 800
	copy(head[50:], be16(0))                   // short loca
	hhea := make([]byte, 36)
	copy(hhea[4:], be16(800, 0xff38))
	copy(hhea[34:], be16(2)) // two metrics; glyph 2 takes the last
	maxp := make([]byte, 6)
	copy(maxp, be16(0, 0x5000, 3))
	hmtx := be16(500, 0, 600, 10)
	// Glyph 1: one contour, one point. Glyph 2: composite of glyph 1.
	g1 := append(be16(1, 0, 0, 600, 700, 0, 0), 1, 0, 0) // end pt 0, no instructions, flag on-curve+short-less, x, y (16-bit zeros)
	g1 = append(g1, 0, 0, 0)
	for len(g1)%2 != 0 {
		g1 = append(g1, 0)
	}
	g2 := append(be16(0xffff, 0, 0, 600, 700), be16(0x0001, 1, 0, 0)...) // ARG_1_AND_2_ARE_WORDS, glyph 1, dx dy
	glyf := append(append([]byte{}, g1...), g2...)
	loca := be16(0, 0, len(g1)/2, len(glyf)/2)
	// cmap: one format 4 subtable for U+0041 -> 1 and U+0411 -> 2.
	sub := be16(4, 0, 0, 6, 4, 1, 2, // format, length (set below), language, segX2 (3 segments), ...
		0x41, 0x411, 0xffff, // ends
		0,                   // reserved pad
		0x41, 0x411, 0xffff, // starts
		1-0x41, 2-0x411, 1, // deltas
		0, 0, 0) // range offsets
	binary.BigEndian.PutUint16(sub[2:], uint16(len(sub)))
	cmap := append(be16(0, 1, 3, 1), 0, 0, 0, 12)
	cmap = append(cmap, sub...)
	return writeSfnt(map[string][]byte{"head": head, "hhea": hhea, "maxp": maxp, "hmtx": hmtx, "glyf": glyf, "loca": loca, "cmap": cmap})
}

func TestParseTTF(t *testing.T) {
	f, err := parseTTF(tinyFont())
	if err != nil {
		t.Fatal(err)
	}
	for r, want := range map[rune]uint16{'A': 1, 'Б': 2} {
		if g, ch := f.runeGlyph(r); g != want || ch != r {
			t.Errorf("glyph of %q = %d (%q), want %d", r, g, ch, want)
		}
	}
	if g, ch := f.runeGlyph('Ж'); g != 0 || ch != 0xfffd {
		t.Errorf("a character the font lacks: glyph %d (%q), want 0 and U+FFFD", g, ch)
	}
	if f.advance(0) != 500 || f.advance(1) != 600 || f.advance(2) != 600 {
		t.Errorf("advances %d %d %d, want 500 600 600 (the last metric repeats)", f.advance(0), f.advance(1), f.advance(2))
	}
	// Subsetting to 'Б' keeps the component 'A' it is drawn from.
	sub, err := f.subset([]uint16{2})
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseSfntNoCmap(t, sub)
	if err != nil {
		t.Fatal(err)
	}
	for g := 0; g < 3; g++ {
		if got := s.glyphData(g); !bytes.HasPrefix(got, f.glyphData(g)) || len(got) > len(f.glyphData(g))+3 {
			t.Errorf("subset glyph %d differs", g)
		}
	}
	sub, _ = f.subset(nil)
	s, _ = parseSfntNoCmap(t, sub)
	if len(s.glyphData(1)) != 0 || len(s.glyphData(2)) != 0 {
		t.Errorf("subset to nothing keeps glyphs 1 and 2")
	}
	if ttfChecksum(sub) != 0xB1B0AFBA {
		t.Errorf("subset's checksum adjustment wrong")
	}
}

// parseSfntNoCmap parses a subset (which has no cmap) by lending it the
// tiny font's.
func parseSfntNoCmap(t *testing.T, b []byte) (*ttfFont, error) {
	t.Helper()
	tf, _ := parseTTF(tinyFont())
	if _, err := parseTTF(b); err == nil || !strings.Contains(err.Error(), "no cmap") {
		t.Fatalf("subset parsed without cmap: %v", err)
	}
	p, err := parseTables(b)
	if err != nil {
		return nil, err
	}
	p["cmap"] = tf.tables["cmap"]
	return parseTTF(writeSfnt(p))
}

func parseTables(b []byte) (map[string][]byte, error) {
	r := &ttfReader{b: b}
	out := map[string][]byte{}
	for i := 0; i < r.u16(4); i++ {
		rec := 12 + 16*i
		off, n := int(r.u32(rec+8)), int(r.u32(rec+12))
		out[string(b[rec:rec+4])] = b[off : off+n]
	}
	return out, r.err
}

// The embedded fonts: Cyrillic and accented Latin have glyphs of their
// own, and every truncation of a font is an error, not a panic.
func TestEmbeddedFonts(t *testing.T) {
	fs, err := pdfFonts()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		q, _ := f.runeGlyph('?')
		for _, r := range "Адмирал Эссен Frégate ÀÉÈÇàéèçœ ЁЖЩЪЫЬЮЯ" {
			if g, ch := f.runeGlyph(r); g == 0 || (r != '?' && g == q) || ch != r {
				t.Errorf("%q: glyph %d (%q)", r, g, ch)
			}
		}
	}
	// DejaVu Sans: 2048 units per em; the space is 651 units (318/1000).
	if fs[0].unitsPerEm != 2048 {
		t.Errorf("units per em %d", fs[0].unitsPerEm)
	}
	if g, _ := fs[0].runeGlyph(' '); fs[0].advance(g) != 318 {
		t.Errorf("space %d/1000 em, want 318", fs[0].advance(g))
	}
	for _, n := range []int{0, 5, 12, 100, 400, 1000, 20000, len(dejaVuSans) / 2, len(dejaVuSans) - 1} {
		if _, err := parseTTF(dejaVuSans[:n]); err == nil {
			t.Errorf("font cut at %d bytes parsed", n)
		}
	}
}

// FuzzParseTTF: any bytes give a font or an error, never a panic; what
// parses can be measured and subset.
func FuzzParseTTF(f *testing.F) {
	f.Add(tinyFont())
	f.Add([]byte("\x00\x01\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ft, err := parseTTF(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ttf: ") {
				t.Fatalf("error %q does not say it is about the font", err)
			}
			return
		}
		var used []uint16
		for _, r := range "AБЖ ?\ufffd" {
			g, _ := ft.runeGlyph(r)
			ft.advance(g)
			used = append(used, g)
		}
		for g := 0; g < ft.numGlyphs && g < 64; g++ {
			used = append(used, uint16(g))
		}
		if _, err := ft.subset(used); err != nil && !strings.HasPrefix(err.Error(), "ttf: ") {
			t.Fatalf("subset error %q", err)
		}
	})
}

// TestWriteFuzzSeeds keeps the committed seed corpus the tiny font's:
// with DECONFLICT_WRITE_SEEDS=1 it writes it.
func TestWriteFuzzSeeds(t *testing.T) {
	path := filepath.Join("testdata", "fuzz", "FuzzParseTTF", "seed01")
	want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(tinyFont())) + ")\n"
	if os.Getenv("DECONFLICT_WRITE_SEEDS") == "1" {
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, []byte(want), 0o644)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s is not the tiny font (err %v)", path, err)
	}
}

// The subset's hmtx keeps the metrics of the glyphs kept and zeroes the rest.
func TestSubsetMetrics(t *testing.T) {
	fs, err := pdfFonts()
	if err != nil {
		t.Fatal(err)
	}
	f := fs[0]
	g, _ := f.runeGlyph('Э')
	sub, err := f.subset([]uint16{g})
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseTables(sub)
	if err != nil {
		t.Fatal(err)
	}
	p["cmap"] = f.tables["cmap"]
	s, err := parseTTF(writeSfnt(p))
	if err != nil {
		t.Fatal(err)
	}
	if s.advance(g) != f.advance(g) || s.advance(0) != f.advance(0) || s.numGlyphs != f.numGlyphs {
		t.Errorf("kept glyphs' advances %d %d, want %d %d", s.advance(g), s.advance(0), f.advance(g), f.advance(0))
	}
	a, _ := f.runeGlyph('a')
	if s.advance(a) != 0 || len(s.glyphData(int(a))) != 0 || len(s.glyphData(int(g))) == 0 {
		t.Errorf("glyph 'a' left out keeps advance %d, outline %d bytes; 'Э' has %d bytes", s.advance(a), len(s.glyphData(int(a))), len(s.glyphData(int(g))))
	}
}
