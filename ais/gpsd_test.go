package ais_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/ais"
)

// aisDir holds the recordings (copied from public repositories, see
// testdata/README.md).
const aisDir = "../testdata/ais"

// recordings lists the AIS recordings under aisDir: every file except
// licences, gpsd's .chk outputs and JSON.
func recordings(tb testing.TB) []string {
	tb.Helper()
	var files []string
	err := filepath.WalkDir(aisDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		switch {
		case strings.HasPrefix(base, "LICENSE"), base == "COPYING", base == "NOTICE.txt",
			strings.HasSuffix(base, ".chk"), strings.HasSuffix(base, ".json"), strings.HasSuffix(base, ".md"):
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(files) == 0 {
		tb.Fatalf("no recordings in %s", aisDir)
	}
	sort.Strings(files)
	return files
}

// MustReadRecording returns the contents of path, decompressed if gzip.
func MustReadRecording(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
	}
	return b
}

// gpsdecode runs 'gpsdecode -j' on data and returns its AIS JSON lines.
func gpsdecode(tb testing.TB, data []byte) []string {
	tb.Helper()
	bin, err := exec.LookPath("gpsdecode")
	if err != nil {
		tb.Fatalf("gpsdecode (Debian package gpsd-clients) is needed to compare with gpsd: %v", err)
	}
	cmd := exec.Command(bin, "-j")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("gpsdecode -j: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, `{"class":"AIS"`) {
			lines = append(lines, l)
		}
	}
	return lines
}

// oursJSON decodes data as 'deconflict decode --format ais' does (type 24
// only when joined, device "stdin").
func oursJSON(tb testing.TB, data []byte) []string {
	tb.Helper()
	rd := ais.NewReader(bytes.NewReader(data))
	var m ais.Message
	var out []string
	for {
		err := rd.Read(&m)
		if err == io.EOF {
			return out
		}
		var le *ais.Error
		if errors.As(err, &le) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if m.Type == 24 && m.Part != ais.PartAB {
			continue
		}
		out = append(out, string(m.AppendJSON(nil, "stdin")))
	}
}

// object is one JSON object with its fields in order.
type object struct {
	keys   []string
	fields map[string]string // raw JSON values
}

func parseObject(tb testing.TB, s string) object {
	tb.Helper()
	o := object{fields: map[string]string{}}
	dec := json.NewDecoder(strings.NewReader(s))
	if _, err := dec.Token(); err != nil {
		tb.Fatalf("%s: %v", s, err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
		o.keys = append(o.keys, k.(string))
		o.fields[k.(string)] = string(v)
	}
	return o
}

// comparison is the result of comparing one recording with gpsd.
type comparison struct {
	gpsd, ours  int
	matched     int               // gpsd messages found in ours with every common field equal
	order       int               // of those, messages whose common fields come in gpsd's order
	missing     []string          // gpsd messages not found in ours
	differing   map[string]int    // field -> messages differing in it
	examples    map[string]string // field -> one example
	extra       int               // our messages that gpsd did not print
	extraByType map[string]int
}

// compareWithGpsd aligns both outputs (both are in input order: each gpsd
// message is looked up among the next ones of ours with the same type and
// MMSI) and compares every field both print.
func compareWithGpsd(tb testing.TB, gpsdLines, oursLines []string) comparison {
	const window = 64
	c := comparison{gpsd: len(gpsdLines), ours: len(oursLines), differing: map[string]int{}, examples: map[string]string{}, extraByType: map[string]int{}}
	ours := make([]object, len(oursLines))
	for i, l := range oursLines {
		ours[i] = parseObject(tb, l)
	}
	used := make([]bool, len(ours))
	j := 0
	for _, gl := range gpsdLines {
		g := parseObject(tb, gl)
		found := -1
		for k := j; k < len(ours) && k < j+window; k++ {
			if !used[k] && ours[k].fields["type"] == g.fields["type"] && ours[k].fields["mmsi"] == g.fields["mmsi"] {
				found = k
				break
			}
		}
		if found < 0 {
			c.missing = append(c.missing, gl)
			continue
		}
		used[found] = true
		if found >= j {
			j = found + 1
		}
		o := ours[found]
		same := true
		for _, k := range g.keys {
			ov, ok := o.fields[k]
			if !ok {
				continue
			}
			if ov != g.fields[k] {
				same = false
				c.differing[k]++
				if _, ok := c.examples[k]; !ok {
					c.examples[k] = fmt.Sprintf("gpsd %s\n   ours %s", gl, oursLines[found])
				}
			}
		}
		if same {
			c.matched++
			if sameOrder(g, o) {
				c.order++
			}
		}
	}
	for i, u := range used {
		if !u {
			c.extra++
			c.extraByType[ours[i].fields["type"]]++
		}
	}
	return c
}

// sameOrder reports whether the fields common to a and b come in the same
// order.
func sameOrder(a, b object) bool {
	var ka, kb []string
	for _, k := range a.keys {
		if _, ok := b.fields[k]; ok {
			ka = append(ka, k)
		}
	}
	for _, k := range b.keys {
		if _, ok := a.fields[k]; ok {
			kb = append(kb, k)
		}
	}
	return strings.Join(ka, ",") == strings.Join(kb, ",")
}

func TestCompareWithGpsdecode(t *testing.T) {
	var totalG, totalM int
	for _, path := range recordings(t) {
		data := MustReadRecording(t, path)
		c := compareWithGpsd(t, gpsdecode(t, data), oursJSON(t, data))
		totalG += c.gpsd
		totalM += c.matched
		rate := 100.0
		if c.gpsd > 0 {
			rate = 100 * float64(c.matched) / float64(c.gpsd)
		}
		t.Logf("%-45s gpsd %6d ours %6d matched %6d (%.3f%%) order %d missing %d extra %d %v differing %v",
			strings.TrimPrefix(path, aisDir+"/"), c.gpsd, c.ours, c.matched, rate, c.order, len(c.missing), c.extra, c.extraByType, c.differing)
		for k, ex := range c.examples {
			t.Logf("  %s: %s", k, ex)
		}
		for i, m := range c.missing {
			if i < 5 {
				t.Logf("  missing: %s", m)
			}
		}
	}
	t.Logf("all: gpsd %d matched %d (%.4f%%)", totalG, totalM, 100*float64(totalM)/float64(totalG))
	_ = bufio.NewReader
}
