package ais_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/ais"
)

// rawFields returns the unscaled values of m under gpsd's JSON names (as
// gpsd prints them with scaled=false), for the types whose fields Message
// holds.
func rawFields(m *ais.Message) map[string]any {
	f := map[string]any{"type": m.Type, "repeat": m.Repeat, "mmsi": m.MMSI}
	pos := func() {
		f["accuracy"], f["lon"], f["lat"] = m.Accuracy, m.Lon, m.Lat
	}
	switch m.Type {
	case 1, 2, 3:
		pos()
		f["status"], f["turn"], f["speed"], f["course"], f["heading"] = m.Status, m.Turn, m.Speed, m.Course, m.Heading
		f["second"], f["maneuver"], f["raim"], f["radio"] = m.Second, m.Maneuver, m.RAIM, m.Radio
	case 4, 11:
		pos()
		f["epfd"], f["raim"], f["radio"] = m.EPFD, m.RAIM, m.Radio
	case 5:
		f["imo"], f["ais_version"], f["callsign"], f["shipname"], f["destination"] = m.IMO, m.AISVersion, m.Callsign(), m.ShipName(), m.Destination()
		f["shiptype"], f["to_bow"], f["to_stern"], f["to_port"], f["to_starboard"] = m.ShipType, m.ToBow, m.ToStern, m.ToPort, m.ToStarboard
		f["epfd"], f["draught"], f["dte"] = m.EPFD, m.Draught, m.DTE
	case 9:
		pos()
		f["alt"], f["speed"], f["course"], f["second"], f["regional"], f["dte"], f["raim"], f["radio"] = m.Alt, m.Speed, m.Course, m.Second, m.Regional, m.DTE, m.RAIM, m.Radio
	case 18, 19:
		pos()
		f["reserved"], f["speed"], f["course"], f["heading"], f["second"], f["regional"], f["raim"] = m.Reserved, m.Speed, m.Course, m.Heading, m.Second, m.Regional, m.RAIM
		if m.Type == 18 {
			f["cs"], f["display"], f["dsc"], f["band"], f["msg22"], f["radio"] = m.CS, m.Display, m.DSC, m.Band, m.Msg22, m.Radio
		} else {
			f["shipname"], f["shiptype"], f["to_bow"], f["to_stern"], f["to_port"], f["to_starboard"] = m.ShipName(), m.ShipType, m.ToBow, m.ToStern, m.ToPort, m.ToStarboard
			f["epfd"], f["dte"], f["assigned"] = m.EPFD, m.DTE, m.Assigned
		}
	case 21:
		pos()
		f["aid_type"], f["name"], f["epfd"], f["second"], f["regional"] = m.AidType, m.ShipName(), m.EPFD, m.Second, m.Regional
		f["off_position"], f["raim"], f["virtual_aid"] = m.OffPosition, m.RAIM, m.Virtual
	case 24:
		if m.Part != ais.PartB {
			f["shipname"] = m.ShipName()
		}
		if m.Part != ais.PartA {
			f["shiptype"], f["vendorid"], f["model"], f["serial"], f["callsign"] = m.ShipType, string(m.AppendVendorID(nil)), m.Model, m.Serial, m.Callsign()
		}
	case 27:
		pos()
		f["status"], f["speed"], f["course"], f["raim"], f["gnss"] = m.Status, m.Speed, m.Course, m.RAIM, m.GNSS
	}
	return f
}

// TestCompareWithChk checks the raw (unscaled) values of every message in
// gpsd's own regression outputs (test/daemon/*.log.chk, from a later gpsd
// than the gpsdecode on this machine): each JSON line there follows the
// sentences it was decoded from.
func TestCompareWithChk(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(aisDir, "gpsd", "*.log.chk"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .chk files: %v", err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d := ais.NewDecoder()
		var m ais.Message
		var pending []map[string]any
		var total, matched, repeats int
		last := ""
		for _, line := range strings.Split(string(data), "\n") {
			if line == last {
				// The daemon reports the last AIS message again with the
				// next GPS fix (ais-nmea.log mixes GPS and AIS): not a
				// new message.
				repeats++
				continue
			}
			if strings.HasPrefix(line, `{"class":"AIS"`) {
				last = line
			}
			if !strings.HasPrefix(line, `{"class":"AIS"`) {
				if ok, _ := d.Decode([]byte(line), &m); ok {
					last = "" // a new message: the next JSON line is no repeat
					pending = append(pending, rawFields(&m))
				}
				continue
			}
			total++
			var want map[string]json.RawMessage
			if err := json.Unmarshal([]byte(line), &want); err != nil {
				t.Fatal(err)
			}
			// The message of ours this line belongs to: the first pending
			// one with the same type and MMSI.
			idx := -1
			for i, p := range pending {
				if mustJSON(t, p["type"]) == string(want["type"]) && mustJSON(t, p["mmsi"]) == string(want["mmsi"]) {
					idx = i
					break
				}
			}
			if idx < 0 {
				t.Errorf("%s: no message of ours for %s", filepath.Base(path), line)
				continue
			}
			got := pending[idx]
			pending = append(pending[:idx:idx], pending[idx+1:]...)
			same := true
			for k, v := range got {
				if w, ok := want[k]; ok && mustJSON(t, v) != string(w) {
					t.Errorf("%s: %s=%s, gpsd %s in %s", filepath.Base(path), k, mustJSON(t, v), w, line)
					same = false
				}
			}
			if same {
				matched++
			}
		}
		t.Logf("%-30s gpsd %4d messages (and %d repeats), %4d match in every field", filepath.Base(path), total, repeats, matched)
		if total == 0 || matched != total {
			t.Errorf("%s: %d of %d messages match, want all", filepath.Base(path), matched, total)
		}
	}
}

// mustJSON returns v in JSON as gpsd writes it (no HTML escaping).
func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
