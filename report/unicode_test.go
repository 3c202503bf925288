package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

// TestPDFUnicode: a report whose tracks, messages and notes are in Russian
// and French prints them as they are: pdftotext (poppler, sharing no code
// with the writer) reads the same text back, with no '?' or replacement
// character where the input had none.
func TestPDFUnicode(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	w := newWorld(t, t0)
	texts := []string{
		"Прошу подтвердить",
		"Адмирал Эссен",
		"Frégate Aconit",
		"Ваш фрегат сближается с нашим эсминцем",
		"Hélicoptère à 300 m, cap nord-est, déjà signalé",
	}
	body, _ := json.Marshal(deconflict.AlertBody{Event: "opened", Incident: "inc-1", Encounter: deconflict.EncounterView{
		ID: "enc-1", Incident: "inc-1", A: "RU:Адмирал Эссен", B: "NATO:Frégate Aconit", PartyA: "RU", PartyB: "NATO", Domain: deconflict.Sea, Severity: "warning", Opened: w.ck.Now(),
		Prediction: deconflict.PredictionView{Time: w.ck.Now(), Severity: "warning", DistanceM: f(900), CPAM: f(900),
			PosA: deconflict.PosView{Lat: f(55.5), Lon: f(19.0)}, PosB: deconflict.PosView{Lat: f(55.504), Lon: f(19.006)}}}})
	w.at(t0.Add(time.Minute))
	al, err := w.tn.Node.SubmitNode(context.Background(), &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindAlert, Precedence: deconflict.Immediate,
		Text: "opened warning enc-1", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	// A FLASH in reply to the alert: the incident's timeline quotes it.
	w.at(t0.Add(90*time.Second)).send("RU", &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: deconflict.Flash, ReplyTo: &al.Index, Text: "Ваш фрегат сближается с нашим эсминцем"})
	inc := json.RawMessage(`{"incident":"inc-1"}`)
	w.at(t0.Add(2*time.Minute)).send("RU", &deconflict.Payload{Kind: deconflict.KindNote, Text: "Прошу подтвердить", Body: inc})
	w.at(t0.Add(3*time.Minute)).send("NATO", &deconflict.Payload{Kind: deconflict.KindNote, Text: "Hélicoptère à 300 m, cap nord-est, déjà signalé", Body: inc})
	w.at(t0.Add(time.Hour))
	r, _ := w.build(t0.Add(-time.Hour), t0.Add(24*time.Hour))

	var pb bytes.Buffer
	if err := r.WritePDF(&pb); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "unicode.pdf")
	if err := os.WriteFile(path, pb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(artifacts(t), "report-unicode.pdf"), pb.Bytes(), 0o644)
	out, err := exec.Command("pdftotext", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	// Table cells wrap: compare with white space collapsed.
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range texts {
		if !strings.Contains(text, s) {
			t.Errorf("PDF text lacks %q:\n%s", s, text)
		}
	}
	// None of the input has a '?'.
	if strings.ContainsAny(text, "?\ufffd") {
		t.Errorf("PDF text has '?' or U+FFFD the input had not:\n%s", text)
	}
	// The fonts are embedded as subsets: the file stays small.
	if pb.Len() > 400<<10 {
		t.Errorf("PDF is %d bytes", pb.Len())
	}
	if !regexp.MustCompile(`/FontFile2 \d+ 0 R`).Match(pb.Bytes()) || !bytes.Contains(pb.Bytes(), []byte("/ToUnicode")) {
		t.Errorf("PDF embeds no font or has no ToUnicode")
	}
	fonts, err := exec.Command("pdffonts", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdffonts: %v\n%s", err, fonts)
	}
	for _, name := range []string{"DejaVuSans ", "DejaVuSans-Bold "} {
		if !regexp.MustCompile(`[A-Z]{6}\+` + name + `\s*CID TrueType\s+Identity-H\s+yes\s+yes\s+yes`).Match(fonts) {
			t.Errorf("pdffonts: %s not an embedded, subset CID TrueType with ToUnicode:\n%s", name, fonts)
		}
	}
	t.Logf("PDF %d bytes", pb.Len())
}
