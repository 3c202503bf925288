package report_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/report"
)

// TestReportAttachments: the report lists the files the period's messages
// attach, as their signed payloads name them (hash, name, type, size, who
// signed), and none from outside the period.
func TestReportAttachments(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	w := newWorld(t, t0)
	ctx := context.Background()
	attach := func(party, name string, data []byte) deconflict.Attachment {
		t.Helper()
		if _, err := w.clients[party].PutBlob(ctx, "ru-nato", "image/png", data); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(data)
		return deconflict.Attachment{SHA256: hex.EncodeToString(h[:]), Name: name, Type: "image/png", Size: int64(len(data))}
	}
	before := attach("NATO", "before.png", []byte("\x89PNG before the period"))
	w.send("NATO", &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "earlier", Attachments: []deconflict.Attachment{before}})
	w.clients["RU"].Officer = "ru-duty-2"
	radar := attach("RU", "radar-1410Z.png", []byte("\x89PNG radar screen at 1410Z"))
	idx := w.at(t0.Add(2*time.Hour)).send("RU", &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: deconflict.Immediate, Text: "our radar picture", Attachments: []deconflict.Attachment{radar}}).Index

	r, _ := w.build(t0.Add(time.Hour), t0.Add(24*time.Hour))
	want := report.Attached{Index: idx, Author: "RU", Officer: "ru-duty-2", Attachment: radar}
	if len(r.Attachments) != 1 || r.Attachments[0] != want {
		t.Fatalf("Attachments=%+v, want [%+v]", r.Attachments, want)
	}
	var html bytes.Buffer
	if err := r.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Files attached", "radar-1410Z.png", radar.SHA256, "ru-duty-2"} {
		if !strings.Contains(html.String(), s) {
			t.Errorf("the HTML report does not show %q", s)
		}
	}
	if strings.Contains(html.String(), "before.png") {
		t.Error("the report lists a file attached before its period")
	}
	// The PDF carries the whole hash, legible (pdftotext, an independent reader).
	pdfPath := filepath.Join(t.TempDir(), "r.pdf")
	var pdf bytes.Buffer
	if err := r.WritePDF(&pdf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pdfPath, pdf.Bytes(), 0o644)
	out, err := exec.Command("pdftotext", "-layout", pdfPath, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	text := strings.Join(strings.Fields(string(out)), "")
	if !strings.Contains(text, radar.SHA256) || !strings.Contains(text, "radar-1410Z.png") {
		t.Fatalf("the PDF report does not show the file and its whole hash:\n%s", out)
	}
}
