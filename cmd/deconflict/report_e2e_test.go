package main_test

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestReportEndToEnd makes a report through the real binary against a
// real node: a FLASH, a late notification and its finding, both outputs
// and the exports beside them, the PDF read back with poppler's
// pdftotext, and the usage errors (exit 2) for a bad date and a bad name.
func TestReportEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	for _, p := range []string{"RU", "NATO"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-nato", "--members", "RU,NATO", "--data", data)
	c.run(false, "send", "--channel", "ru-nato", "--precedence", "flash", "--key", "nato.key", "Alter course")
	c.run(false, "ack", "--channel", "ru-nato", "0", "--key", "ru.key")
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
	form := `{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":"` + day(10) + `","end":"` + day(12) +
		`","troops":9500,"area":{"polygon":[[54.0,20.0],[54.0,23.0],[55.5,23.0],[55.5,20.0]]}}`
	if err := os.WriteFile(filepath.Join(dir, "ladoga.json"), []byte(form), 0o644); err != nil {
		t.Fatal(err)
	}
	c.run(false, "notify", "--channel", "ru-nato", "ladoga.json", "--key", "ru.key")

	out := c.run(false, "report", "--channel", "ru-nato", "--from", day(-1), "--to", day(0), "--out", "council.pdf", "--key", "nato.key")
	if !strings.Contains(out, "built from checkpoint size") {
		t.Fatalf("report: %q", out)
	}
	c.run(false, "report", "--channel", "ru-nato", "--from", day(-1), "--to", day(0), "--out", "council.html", "--key", "ru.key", "--no-exports")
	for _, f := range []string{"council.pdf", "council.html", "council.incidents.csv", "council.findings.csv", "council.acks.csv", "council.missed-acks.csv", "council.officers.csv", "council.availability.csv", "council.geojson", "council.kml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	text, err := exec.Command("pdftotext", "-layout", filepath.Join(dir, "council.pdf"), "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, text)
	}
	for _, re := range []string{`Hotline messages\s+1\s+1 flash`, `Findings\s+1\s+1 vd11-prior`, `LADOGA`, `page 1 of \d+`} {
		if !regexp.MustCompile(re).Match(text) {
			t.Errorf("PDF text has no %s:\n%s", re, text)
		}
	}
	fb, _ := os.ReadFile(filepath.Join(dir, "council.findings.csv"))
	rows, err := csv.NewReader(strings.NewReader(string(fb))).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][1] != "late" {
		t.Errorf("findings.csv: %v %q", err, rows)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "council.html"))
	if !strings.Contains(string(html), "Read with the key of RU") {
		t.Errorf("the HTML does not say whose key read the log")
	}

	for _, args := range [][]string{
		{"--from", "yesterday", "--to", day(0), "--out", "x.pdf"},
		{"--from", day(-1), "--to", day(0), "--out", "x.docx"},
		{"--from", day(0), "--to", day(-2), "--out", "x.pdf"},
	} {
		_, stderr, code := c.runCode("", append([]string{"report", "--channel", "ru-nato", "--key", "nato.key"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "report: ") {
			t.Errorf("report %v: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}
