package ais_test

import (
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
	"sync"
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

// gpsdecodeVersion is what 'gpsdecode -V' said, asked once.
var gpsdecodeVersion struct {
	sync.Once
	v   string
	err error
}

// gpsdecode runs 'gpsdecode -j' on data and returns its AIS JSON lines.
func gpsdecode(tb testing.TB, data []byte) []string {
	tb.Helper()
	bin, err := exec.LookPath("gpsdecode")
	if err != nil {
		tb.Fatalf("gpsdecode (Debian package gpsd-clients) is needed to compare with gpsd: %v", err)
	}
	// The JSON formats changed after 3.22 (7 decimals for positions,
	// "n/a" for "nan", a signed string turn): the comparison is with the
	// gpsd of Debian 12.
	gpsdecodeVersion.Do(func() {
		v, err := exec.Command(bin, "-V").CombinedOutput()
		gpsdecodeVersion.v, gpsdecodeVersion.err = strings.TrimSpace(string(v)), err
	})
	if v := gpsdecodeVersion.v; gpsdecodeVersion.err != nil || !strings.Contains(v, "revision 3.22") {
		tb.Fatalf("gpsdecode -V says %q (%v), want revision 3.22 (Debian 12's gpsd-clients)", v, gpsdecodeVersion.err)
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

// decoded is one of our messages with where it came from.
type decoded struct {
	json    string
	line    int    // number of the message's last line
	text    string // that line
	prev    string // the line before it
	lastNL  bool   // the line ends with a newline
	channel byte
	typ     int
	mmsi    uint32
}

// oursDecoded decodes data as 'deconflict decode --format ais' does (type
// 24 only when joined, device "stdin").
func oursDecoded(tb testing.TB, data []byte) []decoded {
	tb.Helper()
	lines := strings.SplitAfter(string(data), "\n")
	rd := ais.NewReader(bytes.NewReader(data))
	var m ais.Message
	var out []decoded
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
		n := rd.Decoder().Stats().Lines
		d := decoded{json: string(m.AppendJSON(nil, "stdin")), line: n, text: lines[n-1], channel: m.Channel, typ: m.Type, mmsi: m.MMSI}
		d.lastNL = strings.HasSuffix(d.text, "\n")
		if n >= 2 {
			d.prev = lines[n-2]
		}
		out = append(out, d)
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
	matched     int            // gpsd messages found in ours with the same fields, values and order
	known       map[string]int // explained differences: reason -> messages
	unexplained []string       // differences no rule explains
}

// gpsdTalkers are the talker ids gpsd 3.22's packet lexer accepts.
var gpsdTalkers = map[string]bool{"AB": true, "AD": true, "AI": true, "AN": true, "AR": true, "AS": true, "AT": true, "AX": true, "BS": true, "SA": true}

// The known differences between our output and gpsdecode's, each with
// the reason. TestCompareWithGpsdecode asserts how many messages each
// explains in each recording.
const (
	// Messages we decode and gpsd does not print:
	diffTalker      = "talker not accepted by gpsd (it knows 10 AIS talkers; we take any, e.g. !BYVDM, !SSVDM, !--VDM, !=IVDM)"
	diffChannel     = "radio channel other than A, B, 1, 2 or empty (C, 0): gpsd drops the sentence"
	diffType        = "message type 0 or 28-63: gpsd prints nothing, we print type and MMSI"
	diffNoNewline   = "last line of the file has no newline: gpsd's lexer waits for one"
	diffAfterBroken = "follows a truncated sentence without checksum: gpsd's lexer loses the next sentence while resynchronising"
	diffJoin24      = "type 24 part B joined with a part A gpsd no longer holds (gpsd keeps 8 part A names per radio channel; we keep 64 for both channels)"
	// Messages both print with different values:
	diffMMSI0Join24 = "type 24 of the invalid MMSI 0, sent by several ships: which part A joins depends on the queue layout"
)

// explainExtra says why gpsd did not print our message d, or "".
func explainExtra(d decoded) string {
	text := strings.TrimSpace(d.text)
	if i := strings.Index(text, "!"); i >= 0 {
		text = text[i:]
	}
	switch {
	case len(text) > 3 && !gpsdTalkers[text[1:3]]:
		return diffTalker
	case d.channel != 0 && d.channel != 'A' && d.channel != 'B' && d.channel != '1' && d.channel != '2':
		return diffChannel
	case d.typ == 0 || d.typ > 27:
		return diffType
	case !d.lastNL:
		return diffNoNewline
	case d.prev != "" && strings.HasPrefix(d.prev, "!") && !strings.Contains(d.prev, "*"):
		return diffAfterBroken
	case d.typ == 24:
		return diffJoin24
	}
	return ""
}

// compareWithGpsd aligns both outputs (both are in input order: each gpsd
// message is looked up among the next ones of ours with the same type and
// MMSI) and compares every field both print.
func compareWithGpsd(tb testing.TB, gpsdLines []string, oursMsgs []decoded) comparison {
	const window = 64
	c := comparison{gpsd: len(gpsdLines), ours: len(oursMsgs), known: map[string]int{}}
	ours := make([]object, len(oursMsgs))
	for i, d := range oursMsgs {
		ours[i] = parseObject(tb, d.json)
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
			c.unexplained = append(c.unexplained, "only gpsd: "+gl)
			continue
		}
		used[found] = true
		if found >= j {
			j = found + 1
		}
		o := ours[found]
		switch diff := fieldDiff(g, o); {
		case diff == "":
			c.matched++
		case g.fields["type"] == "24" && g.fields["mmsi"] == "0":
			c.known[diffMMSI0Join24]++
		default:
			c.unexplained = append(c.unexplained, fmt.Sprintf("%s:\n  gpsd %s\n  ours %s", diff, gl, oursMsgs[found].json))
		}
	}
	for i, u := range used {
		if u {
			continue
		}
		if why := explainExtra(oursMsgs[i]); why != "" {
			c.known[why]++
		} else {
			c.unexplained = append(c.unexplained, fmt.Sprintf("only ours (line %d %q): %s", oursMsgs[i].line, oursMsgs[i].text, oursMsgs[i].json))
		}
	}
	return c
}

// fieldDiff compares gpsd's object g with ours o as a tool reading
// gpsd's output would see them: the same field names in the same order,
// each with the same raw JSON value. It returns "" when they are the
// same, else what differs.
func fieldDiff(g, o object) string {
	var missing, extra, differ []string
	for _, k := range g.keys {
		ov, ok := o.fields[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case ov != g.fields[k]:
			differ = append(differ, k)
		}
	}
	for _, k := range o.keys {
		if _, ok := g.fields[k]; !ok {
			extra = append(extra, k)
		}
	}
	var out []string
	if len(missing) > 0 {
		out = append(out, fmt.Sprintf("fields only gpsd prints %v", missing))
	}
	if len(extra) > 0 {
		out = append(out, fmt.Sprintf("fields only we print %v", extra))
	}
	if len(differ) > 0 {
		out = append(out, fmt.Sprintf("fields %v differ", differ))
	}
	if len(out) == 0 && strings.Join(g.keys, ",") != strings.Join(o.keys, ",") {
		out = append(out, fmt.Sprintf("field order differs: gpsd %v, ours %v", g.keys, o.keys))
	}
	return strings.Join(out, "; ")
}

// knownDiffs is, per recording, how many messages each known difference
// explains. A change in these numbers is a change of behaviour to look at.
var knownDiffs = map[string]map[string]int{
	"amsa-risky/ais.txt.gz":                     {diffAfterBroken: 2, diffChannel: 62, diffJoin24: 10, diffMMSI0Join24: 1, diffTalker: 1450, diffType: 1},
	"amsa-risky/exact-earth-with-tag-block.txt": {diffNoNewline: 1},
	"amsa-risky/nmea-timestamped.txt":           {diffNoNewline: 1},
	"dma-aislib/small_cb_example.txt":           {diffChannel: 2, diffTalker: 1},
	"dma-aislib/stream_example.txt":             {diffTalker: 33},
	"gpsd/ais-nmea-type6-fid55.log":             {diffJoin24: 1},
	"libais/test.aivdm":                         {diffType: 17},
	"pyais/ais_test_messages":                   {diffNoNewline: 1},
	"pyais/messages.ais":                        {diffNoNewline: 1},
	"pyais/nmea_data_sample.txt":                {diffNoNewline: 1},
}

// TestCompareWithGpsdecode decodes every recording with gpsdecode -j and
// with this package and compares the messages as a tool reading gpsd's
// output sees them: the same fields, in the same order, with the same
// values; a field gpsd prints that we omit, or one we print that gpsd
// does not, is a difference. At least 99.9% of the messages gpsd prints
// must match in every recording; every other difference must be a known
// one, in the numbers knownDiffs says.
func TestCompareWithGpsdecode(t *testing.T) {
	var totalG, totalM int
	got := map[string]map[string]int{}
	for _, path := range recordings(t) {
		name := strings.TrimPrefix(filepath.ToSlash(path), aisDir+"/")
		data := MustReadRecording(t, path)
		c := compareWithGpsd(t, gpsdecode(t, data), oursDecoded(t, data))
		totalG += c.gpsd
		totalM += c.matched
		rate := 100.0
		if c.gpsd > 0 {
			rate = 100 * float64(c.matched) / float64(c.gpsd)
		}
		t.Logf("%-42s gpsd %6d ours %6d matched %6d = %7.3f%%", name, c.gpsd, c.ours, c.matched, rate)
		if rate < 99.9 {
			t.Errorf("%s: %.3f%% of gpsd's messages match, want >= 99.9%%", name, rate)
		}
		for _, u := range c.unexplained {
			t.Errorf("%s: unexplained difference: %s", name, u)
		}
		if len(c.known) > 0 {
			got[name] = c.known
		}
		for why, n := range c.known {
			t.Logf("    %5d %s", n, why)
		}
	}
	t.Logf("all recordings: gpsd %d messages, %d match (%.4f%%)", totalG, totalM, 100*float64(totalM)/float64(totalG))
	for name := range merge(got, knownDiffs) {
		for why := range merge(got[name], knownDiffs[name]) {
			if g, w := got[name][why], knownDiffs[name][why]; g != w {
				t.Errorf("%s: %d messages differ because %s, want %d", name, g, why, w)
			}
		}
	}
}

// merge returns the union of the keys of a and b.
func merge[V any](a, b map[string]V) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}
