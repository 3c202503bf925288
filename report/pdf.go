package report

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
)

// The PDF is written by this file alone: PDF 1.4, A4 pages, text, lines
// and filled paths, content streams compressed with zlib (FlateDecode).
// The text is in DejaVu Sans and DejaVu Sans Bold, embedded (fonts/, with
// their licence) as Type0 fonts with a CIDFontType2 descendant in
// Identity-H: a character is written as its glyph id (from the font's
// cmap), each font is subset to the glyphs the report uses, /W gives the
// widths layout measured with, and a /ToUnicode CMap maps the glyphs back
// to the characters so that the text extracts and can be searched. So
// Cyrillic, Greek and accented Latin print as they are. No PDF library is
// among the project's allowed dependencies; this is the least that lays
// out the report's Doc with page numbers and the provenance on every page.

const (
	pageW, pageH = 595.28, 841.89
	marginL      = 42.0
	marginR      = 42.0
	marginT      = 48.0
	footerH      = 58.0
	contentW     = pageW - marginL - marginR
)

//go:embed fonts/DejaVuSans.ttf
var dejaVuSans []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var dejaVuSansBold []byte

var (
	fontsOnce sync.Once
	fonts     [2]*ttfFont // regular, bold
	fontsErr  error
)

// pdfFonts returns the embedded fonts, parsed once.
func pdfFonts() ([2]*ttfFont, error) {
	fontsOnce.Do(func() {
		for i, b := range [][]byte{dejaVuSans, dejaVuSansBold} {
			if fonts[i], fontsErr = parseTTF(b); fontsErr != nil {
				fontsErr = fmt.Errorf("report: embedded font %d: %w", i, fontsErr)
				return
			}
		}
	})
	return fonts, fontsErr
}

func fontOf(bold bool) *ttfFont {
	fs, _ := pdfFonts() // WritePDF returns the error before any layout
	if bold {
		return fs[1]
	}
	return fs[0]
}

func textWidth(s string, size float64, bold bool) float64 {
	f := fontOf(bold)
	if f == nil {
		return float64(len([]rune(s))) * 0.6 * size
	}
	w := 0
	for _, r := range s {
		g, _ := f.runeGlyph(r)
		w += f.advance(g)
	}
	return float64(w) / 1000 * size
}

// wrap breaks s into lines no wider than width at size; a word wider
// than a line is broken where it must be (hashes, signatures).
func wrap(s string, size, width float64, bold bool) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, word := range strings.Fields(para) {
			for textWidth(word, size, bold) > width {
				// Break the word: as many runes as fit.
				rs := []rune(word)
				n := 1
				for n < len(rs) && textWidth(string(rs[:n+1]), size, bold) <= width {
					n++
				}
				if cur != "" {
					lines = append(lines, cur)
					cur = ""
				}
				lines = append(lines, string(rs[:n]))
				word = string(rs[n:])
			}
			if word == "" {
				continue
			}
			if cur == "" {
				cur = word
			} else if textWidth(cur+" "+word, size, bold) <= width {
				cur += " " + word
			} else {
				lines = append(lines, cur)
				cur = word
			}
		}
		lines = append(lines, cur)
	}
	return lines
}

// pdfUTF16 returns s as a PDF text string (UTF-16BE with its byte order
// mark, in hex), for the document information.
func pdfUTF16(s string) string {
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteByte('>')
	return b.String()
}

func rgb(c Color) string {
	return fmt.Sprintf("%s %s %s", f2(float64(c.R)/255), f2(float64(c.G)/255), f2(float64(c.B)/255))
}

// pdfLayout lays a Doc out on pages; y grows downwards from the top.
type pdfLayout struct {
	pages []*strings.Builder
	cur   *strings.Builder
	y     float64
	used  [2]map[uint16]rune // per font, the glyphs shown and the character each stands for
}

func (l *pdfLayout) newPage() {
	l.cur = &strings.Builder{}
	l.pages = append(l.pages, l.cur)
	l.y = marginT
}

func (l *pdfLayout) room(h float64) {
	if l.y+h > pageH-footerH {
		l.newPage()
	}
}

func (l *pdfLayout) text(x, y float64, s string, size float64, bold bool, c Color) {
	font, k := "F1", 0
	if bold {
		font, k = "F2", 1
	}
	if l.used[k] == nil {
		l.used[k] = map[uint16]rune{}
	}
	f := fontOf(bold)
	var hex strings.Builder
	for _, r := range s {
		g, ch := f.runeGlyph(r)
		if _, ok := l.used[k][g]; !ok {
			l.used[k][g] = ch
		}
		fmt.Fprintf(&hex, "%04X", g)
	}
	fmt.Fprintf(l.cur, "BT %s rg /%s %s Tf %s %s Td <%s> Tj ET\n", rgb(c), font, f2(size), f2(x), f2(pageH-y), hex.String())
}

func (l *pdfLayout) para(s string, size float64, bold bool, c Color) {
	lead := size * 1.3
	for _, line := range wrap(s, size, contentW, bold) {
		l.room(lead)
		l.text(marginL, l.y+size, line, size, bold, c)
		l.y += lead
	}
	l.y += size * 0.5
}

func (l *pdfLayout) table(t *Table) {
	const size, pad = 7.5, 2.5
	lead := size * 1.25
	n := len(t.Head)
	nat := make([]float64, n)
	for i, h := range t.Head {
		nat[i] = math.Min(textWidth(h, size, true), 160)
	}
	for _, row := range t.Rows {
		for i, c := range row {
			if i < n {
				nat[i] = math.Max(nat[i], math.Min(textWidth(c, size, false), 220))
			}
		}
	}
	// Each column gets at least its header's longest word (so that header
	// words stay whole); what is left is shared in proportion to what the
	// columns would take beyond that.
	widths := make([]float64, n)
	mins := make([]float64, n)
	sum, sumMin := 0.0, 0.0
	for i := range nat {
		nat[i] += 2*pad + 0.5 // and a little, so that a word as wide as its column stays whole
		for _, w := range strings.Fields(t.Head[i]) {
			mins[i] = math.Max(mins[i], math.Min(textWidth(w, size, true)+2*pad+0.5, 80))
		}
		for _, row := range t.Rows {
			if i < len(row) {
				for _, w := range strings.Fields(row[i]) {
					mins[i] = math.Max(mins[i], math.Min(textWidth(w, size, false)+2*pad+0.5, 56))
				}
			}
		}
		mins[i] = math.Min(math.Max(mins[i], math.Min(nat[i], 30)), nat[i])
		sum += nat[i]
		sumMin += mins[i]
	}
	for i := range nat {
		switch {
		case sum <= contentW:
			widths[i] = nat[i]
		case sumMin < contentW:
			widths[i] = mins[i] + (nat[i]-mins[i])*(contentW-sumMin)/(sum-sumMin)
		default:
			widths[i] = nat[i] * contentW / sum
		}
	}
	cells := func(row []string, bold bool) ([][]string, float64) {
		out := make([][]string, n)
		h := 0.0
		for i := 0; i < n; i++ {
			c := ""
			if i < len(row) {
				c = row[i]
			}
			out[i] = wrap(c, size, widths[i]-2*pad, bold)
			h = math.Max(h, float64(len(out[i]))*lead+2*pad)
		}
		return out, h
	}
	drawRow := func(cs [][]string, h float64, bold bool) {
		x := marginL
		if bold {
			tw := 0.0
			for _, w := range widths {
				tw += w
			}
			fmt.Fprintf(l.cur, "%s rg %s %s %s %s re f\n", rgb(Color{0xee, 0xee, 0xee}), f2(x), f2(pageH-l.y-h), f2(tw), f2(h))
		}
		for i, lines := range cs {
			for j, line := range lines {
				tx := x + pad
				if !bold && i < len(t.Numeric) && t.Numeric[i] {
					tx = x + widths[i] - pad - textWidth(line, size, false)
				}
				l.text(tx, l.y+pad+size+float64(j)*lead, line, size, bold, black)
			}
			fmt.Fprintf(l.cur, "%s RG 0.4 w %s %s %s %s re S\n", rgb(Color{0xaa, 0xaa, 0xaa}), f2(x), f2(pageH-l.y-h), f2(widths[i]), f2(h))
			x += widths[i]
		}
		l.y += h
	}
	head, hh := cells(t.Head, true)
	maxH := pageH - footerH - marginT - hh - 4
	// The caption and header stay with the first row.
	first := 0.0
	if len(t.Rows) > 0 {
		_, first = cells(t.Rows[0], false)
	}
	l.room((size+1)*1.6 + hh + math.Min(first, maxH/2))
	l.text(marginL, l.y+size+1, t.Caption, size+1, true, black)
	l.y += (size + 1) * 1.6
	drawRow(head, hh, true)
	for _, row := range t.Rows {
		cs, h := cells(row, false)
		if h > maxH { // a cell longer than a page: cut it
			keep := int((maxH - 2*pad) / lead)
			for i := range cs {
				if len(cs[i]) > keep {
					cs[i] = append(cs[i][:keep-1], "[continued in the HTML and CSV]")
				}
			}
			h = maxH
		}
		if l.y+h > pageH-footerH {
			l.newPage()
			drawRow(head, hh, true)
		}
		drawRow(cs, h, false)
	}
	l.y += 8
}

func (l *pdfLayout) figure(f *Figure) {
	s := f.Scene
	scale := math.Min(1, contentW/s.W)
	h := s.H * scale
	l.room(h + 40)
	l.text(marginL, l.y+10, f.Title, 10, true, black)
	l.y += 16
	x0, y0 := marginL, l.y
	P := func(p [2]float64) string { return f2(x0+p[0]*scale) + " " + f2(pageH-(y0+p[1]*scale)) }
	b := l.cur
	b.WriteString("q\n")
	if s.Clip {
		fmt.Fprintf(b, "%s %s %s %s re W n\n", f2(x0), f2(pageH-y0-h), f2(s.W*scale), f2(h))
	}
	for _, sh := range s.Shapes {
		switch sh.Kind {
		case shapePath:
			if len(sh.Pts) == 0 {
				continue
			}
			for i, p := range sh.Pts {
				op := "l"
				if i == 0 {
					op = "m"
				}
				fmt.Fprintf(b, "%s %s ", P(p), op)
			}
			if sh.Closed {
				b.WriteString("h ")
			}
			l.paint(sh)
		case shapeCircle:
			c, r := sh.Pts[0], sh.R*scale
			cx, cy := x0+c[0]*scale, pageH-(y0+c[1]*scale)
			k := 0.5523 * r
			fmt.Fprintf(b, "%s %s m %s %s %s %s %s %s c %s %s %s %s %s %s c %s %s %s %s %s %s c %s %s %s %s %s %s c h ",
				f2(cx+r), f2(cy),
				f2(cx+r), f2(cy+k), f2(cx+k), f2(cy+r), f2(cx), f2(cy+r),
				f2(cx-k), f2(cy+r), f2(cx-r), f2(cy+k), f2(cx-r), f2(cy),
				f2(cx-r), f2(cy-k), f2(cx-k), f2(cy-r), f2(cx), f2(cy-r),
				f2(cx+k), f2(cy-r), f2(cx+r), f2(cy-k), f2(cx+r), f2(cy))
			l.paint(sh)
		case shapeText:
			size := sh.Size * scale
			x := x0 + sh.Pts[0][0]*scale
			switch sh.Anchor {
			case "middle":
				x -= textWidth(sh.Text, size, sh.Bold) / 2
			case "end":
				x -= textWidth(sh.Text, size, sh.Bold)
			}
			fill := black
			if sh.Fill != nil {
				fill = *sh.Fill
			}
			l.text(x, y0+sh.Pts[0][1]*scale, sh.Text, size, sh.Bold, fill)
		}
	}
	b.WriteString("Q\n")
	fmt.Fprintf(b, "%s RG 0.5 w %s %s %s %s re S\n", rgb(light), f2(x0), f2(pageH-y0-h), f2(s.W*scale), f2(h))
	l.y += h + 6
	if len(f.Legend) > 0 {
		x := marginL
		l.room(14)
		for _, it := range f.Legend {
			w := 12 + textWidth(it.Label, 8, false) + 12
			if x+w > marginL+contentW {
				x = marginL
				l.y += 12
			}
			fmt.Fprintf(b, "%s rg %s %s 8 8 re f\n", rgb(it.Color), f2(x), f2(pageH-l.y-9))
			l.text(x+11, l.y+8, it.Label, 8, false, black)
			x += w
		}
		l.y += 16
	}
	if f.Caption != "" {
		l.para(f.Caption, 8, false, grey)
	}
	if f.Text != nil {
		l.table(f.Text)
	}
}

func (l *pdfLayout) paint(sh Shape) {
	b := l.cur
	dash := ""
	if sh.Dash {
		dash = "[4 2] 0 d "
	}
	switch {
	case sh.Fill != nil && sh.Stroke != nil:
		fmt.Fprintf(b, "%s rg %s RG %s w %sB [] 0 d\n", rgb(*sh.Fill), rgb(*sh.Stroke), f2(sh.Width), dash)
	case sh.Fill != nil:
		fmt.Fprintf(b, "%s rg f\n", rgb(*sh.Fill))
	case sh.Stroke != nil:
		fmt.Fprintf(b, "%s RG %s w %sS [] 0 d\n", rgb(*sh.Stroke), f2(sh.Width), dash)
	default:
		b.WriteString("n\n")
	}
}

// WritePDF writes the report as a PDF made from the same Doc as the
// HTML, with the page number and the provenance at the foot of every page.
func (r *Report) WritePDF(w io.Writer) error {
	fs, err := pdfFonts()
	if err != nil {
		return err
	}
	d := r.Doc()
	l := &pdfLayout{}
	l.newPage()
	l.para(d.Title, 18, true, black)
	l.para(d.Subtitle, 9, false, black)
	for i, s := range d.Sections {
		if i > 0 {
			l.newPage()
		}
		l.para(s.Title, 14, true, black)
		for _, bl := range s.Blocks {
			switch x := bl.(type) {
			case *Para:
				l.para(x.Text, 9, false, black)
			case *Table:
				l.table(x)
			case *Figure:
				l.figure(x)
			}
		}
	}
	// Footers, now that the number of pages is known.
	for i, p := range l.pages {
		l.cur = p
		y := pageH - footerH + 14
		fmt.Fprintf(p, "%s RG 0.5 w %s %s m %s %s l S\n", rgb(grey), f2(marginL), f2(pageH-y), f2(pageW-marginR), f2(pageH-y))
		num := fmt.Sprintf("page %d of %d", i+1, len(l.pages))
		l.text(pageW-marginR-textWidth(num, 8, false), y+10, num, 8, false, black)
		for j, line := range wrap("Built from "+d.Provenance, 6.5, contentW-70, false) {
			if j > 3 {
				break
			}
			l.text(marginL, y+9+float64(j)*8, line, 6.5, false, grey)
		}
	}
	return writePDFFile(w, d.Title, l.pages, fs, l.used)
}

func writePDFFile(w io.Writer, title string, pages []*strings.Builder, fs [2]*ttfFont, used [2]map[uint16]rune) error {
	var out bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	stream := func(dict string, data []byte) {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n<< /Length %d /Filter /FlateDecode%s >>\nstream\n", len(offsets), z.Len(), dict)
		out.Write(z.Bytes())
		out.WriteString("\nendstream\nendobj\n")
	}
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// 1 catalog, 2 pages, 3 and 4 fonts, 5 info; then page i at 6+2i and
	// its content at 7+2i; then each font's CIDFont, descriptor, font
	// file and ToUnicode CMap.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 6+2*i)
	}
	fontBase := 6 + 2*len(pages)
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	names := [2]string{"DejaVuSans", "DejaVuSans-Bold"}
	tags := [2]string{}
	glyphs := [2][]uint16{}
	for k := range fs {
		for g := range used[k] {
			glyphs[k] = append(glyphs[k], g)
		}
		slices.Sort(glyphs[k])
		// The subset's tag: six capitals derived from the glyphs it holds.
		h := sha256.New()
		fmt.Fprint(h, names[k], glyphs[k])
		sum := h.Sum(nil)
		t := make([]byte, 6)
		for i := range t {
			t[i] = 'A' + sum[i]%26
		}
		tags[k] = string(t) + "+" + names[k]
		obj(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", tags[k], fontBase+4*k, fontBase+4*k+3))
	}
	obj(fmt.Sprintf("<< /Title %s /Producer (deconflict report) >>", pdfUTF16(title)))
	for i, p := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>", f2(pageW), f2(pageH), 7+2*i))
		stream("", []byte(p.String()))
	}
	for k, f := range fs {
		var wd strings.Builder
		for _, g := range glyphs[k] {
			fmt.Fprintf(&wd, "%d [%d] ", g, f.advance(g))
		}
		scale := func(v int) string { return strconv.Itoa(int(math.Round(float64(v) * 1000 / float64(f.unitsPerEm)))) }
		obj(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW %d /W [%s] /CIDToGIDMap /Identity >>",
			tags[k], fontBase+4*k+1, f.advance(0), strings.TrimSpace(wd.String())))
		stemV := 80
		if k == 1 {
			stemV = 140
		}
		obj(fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%s %s %s %s] /ItalicAngle 0 /Ascent %s /Descent %s /CapHeight %s /StemV %d /FontFile2 %d 0 R >>",
			tags[k], scale(f.bbox[0]), scale(f.bbox[1]), scale(f.bbox[2]), scale(f.bbox[3]), scale(f.ascent), scale(f.descent), scale(f.capHeight), stemV, fontBase+4*k+2))
		sub, err := f.subset(glyphs[k])
		if err != nil {
			return fmt.Errorf("report: subsetting %s: %w", names[k], err)
		}
		stream(fmt.Sprintf(" /Length1 %d", len(sub)), sub)
		stream("", toUnicode(used[k], glyphs[k]))
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	_, err := w.Write(out.Bytes())
	return err
}

// toUnicode returns the CMap mapping each glyph shown to its character
// (UTF-16BE), in blocks of at most 100 as the CMap format asks.
func toUnicode(used map[uint16]rune, glyphs []uint16) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(glyphs); i += 100 {
		block := glyphs[i:min(i+100, len(glyphs))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(block))
		for _, g := range block {
			fmt.Fprintf(&b, "<%04X> <", g)
			for _, u := range utf16.Encode([]rune{used[g]}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}
