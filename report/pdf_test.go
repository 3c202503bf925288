package report

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/phrase"
)

// TestPDFPhraseTable lays out the phrase table's Russian, French and
// English texts as paragraphs (wrapped at the real widths) and in a
// table, bold and regular, and reads them back with pdftotext: the same
// words, none lost or replaced.
func TestPDFPhraseTable(t *testing.T) {
	if _, err := pdfFonts(); err != nil {
		t.Fatal(err)
	}
	l := &pdfLayout{}
	l.newPage()
	var want []string
	tab := &Table{Caption: "Phrases", Head: []string{"Code", "Русский", "Français"}}
	for _, p := range phrase.All() {
		for _, lang := range phrase.Languages {
			l.para(p.Text[lang], 9, lang == "ru", black)
			want = append(want, p.Text[lang])
		}
		tab.Rows = append(tab.Rows, []string{p.Code, p.Text["ru"], p.Text["fr"]})
	}
	l.table(tab)
	var b bytes.Buffer
	if err := writePDFFile(&b, "Фразы", l.pages, fonts, l.used); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "phrases.pdf")
	os.WriteFile(path, b.Bytes(), 0o644)
	out, err := exec.Command("pdftotext", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("PDF text lacks %q", s)
		}
	}
	if strings.ContainsAny(text, "?\ufffd") {
		t.Errorf("PDF text has '?' or U+FFFD:\n%s", text)
	}
	info, err := exec.Command("pdfinfo", path).CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^Title:\s+Фразы$`).Match(info) {
		t.Errorf("pdfinfo: title not read back (%v):\n%s", err, info)
	}
}
