package regime_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the conformance table of docs/regimes.md from the cases")

const (
	docsPath   = "../docs/regimes.md"
	tableBegin = "<!-- conformance table: generated from regime/conformance_test.go by `go test ./regime -run TestConformanceDoc -update-docs`; do not edit by hand -->"
	tableEnd   = "<!-- end of the conformance table -->"
)

// conformanceTable renders the cases as the Markdown table of
// docs/regimes.md: one row per case, its clause, its forms (regime and
// time of receipt) and what is expected.
func conformanceTable() string {
	var b strings.Builder
	b.WriteString("| case | clause | forms received | expected |\n|---|---|---|---|\n")
	for _, c := range conformance {
		var forms []string
		for _, n := range c.forms {
			forms = append(forms, fmt.Sprintf("%s at %s", formRegime(n.form), n.received))
		}
		for _, r := range c.responses {
			forms = append(forms, fmt.Sprintf("%s by %s to #%d at %s", r.kind, r.author, r.to, r.received))
		}
		if c.since != "" {
			forms = append(forms, "channel created "+c.since)
		}
		var exp []string
		switch {
		case c.invalid != "":
			exp = append(exp, fmt.Sprintf("refused (`invalid`: %q)", c.invalid))
		default:
			for _, x := range []struct {
				on   bool
				what string
			}{{c.notifiable, "notifiable"}, {c.observable, "observable"}, {c.obsRequired, "observation required"}, {c.late, "late"}} {
				if x.on {
					exp = append(exp, x.what)
				}
			}
			if c.deadline != "" {
				exp = append(exp, "deadline "+c.deadline)
			}
			if c.replyDue != "" {
				exp = append(exp, "reply due "+c.replyDue)
			}
			if c.obligation != "" {
				exp = append(exp, fmt.Sprintf("obligation %q", c.obligation))
			}
			if len(c.findings) == 0 {
				exp = append(exp, "at "+c.at+": no finding")
			} else {
				var fs []string
				for i, f := range c.findings {
					s := "`" + f + "`"
					if c.times != nil {
						s += " at " + c.times[i]
					}
					fs = append(fs, s)
				}
				exp = append(exp, "at "+c.at+": "+strings.Join(fs, ", "))
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.name, strings.ReplaceAll(c.clause, "|", `\|`), strings.Join(forms, "; "), strings.Join(exp, "; "))
	}
	return b.String()
}

// formRegime returns the "regime" of a form's JSON, read plainly (the
// cases' forms are the test's own).
func formRegime(form string) string {
	_, rest, ok := strings.Cut(form, `"regime":"`)
	if !ok {
		return "?"
	}
	r, _, _ := strings.Cut(rest, `"`)
	return r
}

// TestConformanceDoc: the conformance table of docs/regimes.md is the
// cases of TestConformance, so the two cannot drift.
func TestConformanceDoc(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s: no conformance table between the markers %q and %q", docsPath, tableBegin, tableEnd)
	}
	got := s[i+len(tableBegin)+1 : j]
	want := conformanceTable()
	if got == want {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(docsPath, []byte(s[:i+len(tableBegin)+1]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for k := 0; k < max(len(gl), len(wl)); k++ {
		var g, w string
		if k < len(gl) {
			g = gl[k]
		}
		if k < len(wl) {
			w = wl[k]
		}
		if g != w {
			t.Fatalf("%s's conformance table differs from the cases at its line %d:\n doc: %s\nwant: %s\n(go test ./regime -run TestConformanceDoc -update-docs rewrites it)", docsPath, k+1, g, w)
		}
	}
}

// TestFigureCases: every figure of docs/regimes.md's "Where each figure
// comes from" table names, in its last column, conformance cases that
// exist.
func TestFigureCases(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range conformance {
		names[c.name] = true
	}
	_, rest, ok := strings.Cut(string(doc), "| figure | value in the code |")
	if !ok {
		t.Fatalf("%s: no table of figures", docsPath)
	}
	rows := 0
	for _, l := range strings.Split(rest, "\n")[2:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		last := strings.TrimSpace(cells[len(cells)-1])
		var cases []string
		for _, part := range strings.Split(last, ",") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			if name != "" && name[0] >= 'A' && name[0] <= 'Z' {
				cases = append(cases, name)
			}
		}
		if len(cases) == 0 {
			t.Errorf("figure %q: no conformance case named", strings.TrimSpace(cells[0]))
		}
		for _, c := range cases {
			if !names[c] {
				t.Errorf("figure %q: no conformance case %q", strings.TrimSpace(cells[0]), c)
			}
		}
		rows++
	}
	if rows < 24 {
		t.Errorf("%d figures in the table, want at least 24", rows)
	}
}
