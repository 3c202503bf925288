package report

import (
	"fmt"
	"io"
	"strings"
)

const css = `
:root { color-scheme: light; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10.5pt; color: #222; margin: 2em auto; max-width: 60em; padding: 0 1em 4em; }
h1 { font-size: 18pt; margin-bottom: .2em; }
h2 { font-size: 14pt; border-bottom: 1px solid #888; padding-bottom: .2em; margin-top: 2em; }
p.sub { color: #444; margin-top: 0; }
table { border-collapse: collapse; margin: .8em 0 1.2em; width: 100%; font-size: 9pt; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
th, td { border: 1px solid #bbb; padding: .25em .4em; vertical-align: top; text-align: left; overflow-wrap: break-word; }
th { background: #eee; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 1.5em; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: .3em; }
figure svg { max-width: 40em; display: block; border: 1px solid #ccc; font-family: Helvetica, Arial, sans-serif; }
ul.legend { list-style: none; padding: 0; margin: .3em 0; font-size: 9pt; }
ul.legend li { display: inline-block; margin-right: 1.2em; }
ul.legend span { -webkit-print-color-adjust: exact; print-color-adjust: exact; display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -0.1em; border: 1px solid #444; }
details { margin: .3em 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 8.5pt; background: #f6f6f6; padding: .5em; }
footer.prov { font-size: 7.5pt; color: #555; border-top: 1px solid #aaa; margin-top: 2em; padding-top: .3em; overflow-wrap: anywhere; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
  section + section { break-before: page; page-break-before: always; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  details > summary { display: none; }
  footer.prov { display: none; }
}
`

// WriteHTML writes the report as one self-contained HTML page: no
// external fonts, scripts, images or tiles; charts are inline SVG with
// a text equivalent; a print stylesheet breaks pages between sections,
// repeats table headers and puts the provenance at the foot of every
// printed page.
func (r *Report) WriteHTML(w io.Writer) error {
	d := r.Doc()
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">`)
	// The page's margin boxes carry the provenance and the page number
	// on every printed page.
	page := fmt.Sprintf(`@page { size: A4; margin: 16mm 14mm 24mm;
  @bottom-left { content: "Built from %s"; font: 6.5pt Helvetica, Arial, sans-serif; color: #555; vertical-align: top; padding-top: 3mm; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt Helvetica, Arial, sans-serif; vertical-align: top; padding-top: 3mm; width: 25mm; }
}`, cssString(d.Provenance))
	fmt.Fprintf(&b, "<title>%s</title><style>%s%s</style></head><body>\n", esc(d.Title), css, page)
	fmt.Fprintf(&b, "<header><h1>%s</h1><p class=\"sub\">%s</p></header>\n<main>\n", esc(d.Title), esc(d.Subtitle))
	for _, s := range d.Sections {
		fmt.Fprintf(&b, "<section id=\"%s\" aria-labelledby=\"%s-h\"><h2 id=\"%s-h\">%s</h2>\n", s.ID, s.ID, s.ID, esc(s.Title))
		for _, bl := range s.Blocks {
			switch x := bl.(type) {
			case *Para:
				if strings.Contains(x.Text, "\n") {
					fmt.Fprintf(&b, "<pre>%s</pre>\n", esc(x.Text))
				} else {
					fmt.Fprintf(&b, "<p>%s</p>\n", esc(x.Text))
				}
			case *Table:
				writeTable(&b, x)
			case *Figure:
				fmt.Fprintf(&b, "<figure id=\"%s\" aria-labelledby=\"%s-cap\"><figcaption id=\"%s-cap\">%s</figcaption>\n", x.ID, x.ID, x.ID, esc(x.Title))
				b.WriteString(x.Scene.SVG(x.ID+"-svg", x.Title, x.Desc))
				if len(x.Legend) > 0 {
					b.WriteString(`<ul class="legend" aria-label="legend">`)
					for _, l := range x.Legend {
						fmt.Fprintf(&b, `<li><span style="background:%s"></span>%s</li>`, l.Color.hex(), esc(l.Label))
					}
					b.WriteString("</ul>")
				}
				if x.Caption != "" {
					fmt.Fprintf(&b, "<p>%s</p>", esc(x.Caption))
				}
				if x.Text != nil {
					b.WriteString("<details open><summary>Text equivalent</summary>")
					writeTable(&b, x.Text)
					b.WriteString("</details>")
				}
				b.WriteString("</figure>\n")
			}
		}
		b.WriteString("</section>\n")
	}
	fmt.Fprintf(&b, "</main>\n<footer class=\"prov\" role=\"contentinfo\">Built from %s</footer>\n</body></html>\n", esc(d.Provenance))
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTable(b *strings.Builder, t *Table) {
	fmt.Fprintf(b, "<table><caption>%s</caption><thead><tr>", esc(t.Caption))
	for _, h := range t.Head {
		fmt.Fprintf(b, "<th scope=\"col\">%s</th>", esc(h))
	}
	b.WriteString("</tr></thead><tbody>")
	for _, row := range t.Rows {
		b.WriteString("<tr>")
		for i, c := range row {
			switch {
			case i == 0:
				fmt.Fprintf(b, "<th scope=\"row\">%s</th>", esc(c))
			case i < len(t.Numeric) && t.Numeric[i]:
				fmt.Fprintf(b, "<td class=\"n\">%s</td>", esc(c))
			default:
				fmt.Fprintf(b, "<td>%s</td>", esc(c))
			}
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>\n")
}

// cssString escapes s for a CSS string in double quotes inside a <style>
// element: quotes, backslashes and line breaks as CSS escapes, and "<" so
// that no "</style>" can end the element.
func cssString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '<' || r < 0x20:
			fmt.Fprintf(&b, "\\%x ", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
