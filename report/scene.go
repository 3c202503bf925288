package report

import (
	"fmt"
	"math"
	"strings"
)

// Color is an sRGB colour.
type Color struct{ R, G, B uint8 }

func (c Color) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Palette.
var (
	black    = Color{0x22, 0x22, 0x22}
	grey     = Color{0x88, 0x88, 0x88}
	light    = Color{0xdd, 0xdd, 0xdd}
	land     = Color{0xe8, 0xe4, 0xd8}
	sea      = Color{0xf2, 0xf7, 0xfb}
	coast    = Color{0xa0, 0x9a, 0x88}
	notified = Color{0x2b, 0x6c, 0xb0}
	zoneCol  = Color{0x7b, 0x3f, 0xa0}
)

// tierColors are the tiers' colours, colour-blind safe (Okabe-Ito).
var tierColors = map[string]Color{
	"advisory":  {0x56, 0xb4, 0xe9},
	"warning":   {0xe6, 0x9f, 0x00},
	"dangerous": {0xd5, 0x5e, 0x00},
	"critical":  {0xcc, 0x33, 0x33},
	"nmac":      {0x88, 0x00, 0x44},
	"intrusion": {0x00, 0x72, 0xb2},
}

func tierColor(t string) Color {
	if c, ok := tierColors[t]; ok {
		return c
	}
	return grey
}

// Shape kinds.
const (
	shapePath = iota
	shapeText
	shapeCircle
)

// Shape is one element of a Scene. Coordinates are points from the
// scene's top left, y downwards.
type Shape struct {
	Kind   int
	Pts    [][2]float64 // path vertices; circle: the centre
	Closed bool
	Fill   *Color
	Stroke *Color
	Width  float64 // stroke width (pt)
	Dash   bool
	R      float64 // circle radius (pt)
	Text   string
	Size   float64 // font size (pt)
	Anchor string  // text: start, middle, end
	Bold   bool
	Title  string // a tooltip and accessible name (SVG <title>)
}

// Scene is a drawing both renderers draw: SVG for the HTML, PDF paths
// for the PDF, so that both show the same figure. Clip clips everything
// drawn to the scene's box.
type Scene struct {
	W, H   float64
	Shapes []Shape
	Clip   bool
}

func cp(c Color) *Color { return &c }

func (s *Scene) rect(x, y, w, h float64, fill Color, title string) {
	s.Shapes = append(s.Shapes, Shape{Kind: shapePath, Pts: [][2]float64{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}}, Closed: true, Fill: cp(fill), Title: title})
}

func (s *Scene) line(x1, y1, x2, y2 float64, c Color, w float64) {
	s.Shapes = append(s.Shapes, Shape{Kind: shapePath, Pts: [][2]float64{{x1, y1}, {x2, y2}}, Stroke: cp(c), Width: w})
}

func (s *Scene) text(x, y float64, t string, size float64, anchor string, c Color) {
	s.Shapes = append(s.Shapes, Shape{Kind: shapeText, Pts: [][2]float64{{x, y}}, Text: t, Size: size, Anchor: anchor, Fill: cp(c)})
}

func (s *Scene) circle(x, y, r float64, fill Color, title string) {
	s.Shapes = append(s.Shapes, Shape{Kind: shapeCircle, Pts: [][2]float64{{x, y}}, R: r, Fill: cp(fill), Stroke: cp(black), Width: 0.5, Title: title})
}

func f2(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// SVG returns the scene as an SVG element with role img, labelled by
// title and described by desc (the figure's text equivalent is beside it
// in the document).
func (s *Scene) SVG(id, title, desc string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s-t %s-d">`, f2(s.W), f2(s.H), id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	if s.Clip {
		fmt.Fprintf(&b, `<defs><clipPath id="%s-c"><rect width="%s" height="%s"/></clipPath></defs><g clip-path="url(#%s-c)">`, id, f2(s.W), f2(s.H), id)
	}
	for _, sh := range s.Shapes {
		attrs := func() string {
			var a strings.Builder
			if sh.Fill != nil {
				fmt.Fprintf(&a, ` fill="%s"`, sh.Fill.hex())
			} else {
				a.WriteString(` fill="none"`)
			}
			if sh.Stroke != nil {
				fmt.Fprintf(&a, ` stroke="%s" stroke-width="%s"`, sh.Stroke.hex(), f2(sh.Width))
				if sh.Dash {
					a.WriteString(` stroke-dasharray="4 2"`)
				}
			}
			return a.String()
		}
		title := ""
		if sh.Title != "" {
			title = "<title>" + esc(sh.Title) + "</title>"
		}
		switch sh.Kind {
		case shapePath:
			var d strings.Builder
			for i, p := range sh.Pts {
				if i == 0 {
					d.WriteString("M")
				} else {
					d.WriteString("L")
				}
				d.WriteString(f2(p[0]) + " " + f2(p[1]))
			}
			if sh.Closed {
				d.WriteString("Z")
			}
			fmt.Fprintf(&b, `<path d="%s"%s>%s</path>`, d.String(), attrs(), title)
		case shapeCircle:
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="%s"%s>%s</circle>`, f2(sh.Pts[0][0]), f2(sh.Pts[0][1]), f2(sh.R), attrs(), title)
		case shapeText:
			weight := ""
			if sh.Bold {
				weight = ` font-weight="bold"`
			}
			fill := black
			if sh.Fill != nil {
				fill = *sh.Fill
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="%s" text-anchor="%s" fill="%s"%s>%s</text>`, f2(sh.Pts[0][0]), f2(sh.Pts[0][1]), f2(sh.Size), sh.Anchor, fill.hex(), weight, esc(sh.Text))
		}
	}
	if s.Clip {
		b.WriteString("</g>")
	}
	b.WriteString("</svg>")
	return b.String()
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// niceMax returns a round axis maximum at or above v (at least 1).
func niceMax(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
