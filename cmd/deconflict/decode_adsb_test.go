package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
)

func runMain(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err = m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

func TestDecodeADSB(t *testing.T) {
	t.Run("SBS", func(t *testing.T) {
		out, errs, err := runMain(t, "", "decode", "--format", "sbs", "../../testdata/adsb/stratux/cyoung-09062015-noproblem-stratux-es.log", "--errors")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if got, want := len(lines), 44477; got != want {
			t.Fatalf("%d lines, want %d", got, want)
		}
		var first map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
			t.Fatal(err)
		}
		if got, want := first["hex"], "abdf3f"; got != want {
			t.Fatalf("hex=%v, want %v", got, want)
		}
		if !strings.Contains(errs, "cyoung-09062015-noproblem-stratux-es.log:20543: sbs: line cut short") ||
			!strings.Contains(errs, "44477 messages decoded, 1 lines could not be decoded") {
			t.Fatalf("stderr: %s", errs)
		}
	})
	t.Run("AircraftJSONStdinGzip", func(t *testing.T) {
		raw, err := os.ReadFile("../../testdata/adsb/aircraft-json/dump1090mqtt_aircraft.json")
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(raw)
		zw.Write(raw) // two snapshots one after the other
		zw.Close()
		out, _, err := runMain(t, gz.String(), "decode", "--format", "aircraft-json")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(out, "\n"), 88; got != want {
			t.Fatalf("%d lines, want %d", got, want)
		}
		if !strings.Contains(out, `"hex":"3c71a1","time":"2026-07-29T18:28:35.6Z","flight":"BCS361"`) {
			t.Fatalf("no 3c71a1 in output")
		}
	})
	t.Run("AircraftJSONBad", func(t *testing.T) {
		in := `{"now":1,"aircraft":[{"hex":"abc123","lat":1,"lon":2},{"hex":"nothex"}]}` + "\n" + `{"now":2,"aircraft":[`
		out, errs, err := runMain(t, in, "decode", "--format", "aircraft-json", "--errors")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(out, "\n"), 1; got != want {
			t.Fatalf("%d lines, want %d", got, want)
		}
		for _, w := range []string{`-: document 1: aircraft-json: aircraft[1]: hex "nothex"`, "-: document 2: line 2: not a complete JSON document", "1 messages decoded, 2 lines could not be decoded"} {
			if !strings.Contains(errs, w) {
				t.Errorf("stderr %q, want it to contain %q", errs, w)
			}
		}
	})
	t.Run("AircraftJSONPrettyTruncated", func(t *testing.T) {
		raw, err := os.ReadFile("../../testdata/adsb/aircraft-json/dump1090-exporter_aircraft.json")
		if err != nil {
			t.Fatal(err)
		}
		in := string(raw) + string(raw[:len(raw)/2])
		out, errs, err := runMain(t, in, "decode", "--format", "aircraft-json", "--errors")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(out, "\n"), 2; got != want {
			t.Fatalf("%d lines, want %d", got, want)
		}
		if !strings.Contains(errs, "-: document 2: offset") || !strings.Contains(errs, "rest of input skipped") {
			t.Fatalf("stderr %q", errs)
		}
	})
	t.Run("AircraftJSONLines", func(t *testing.T) {
		in := `{"now":1,"aircraft":[{"hex":"abc123","lat":1,"lon":2}]}` + "\n" +
			`{"now":2,"aircraft":[{"hex":"abc1` + "\n\n" +
			`{"now":3,"aircraft":[{"hex":"abc123","lat":1.5,"lon":2}]}`
		out, errs, err := runMain(t, in, "decode", "--format", "aircraft-json", "--errors")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(out, "\n"), 2; got != want {
			t.Fatalf("%d lines, want %d", got, want)
		}
		if !strings.Contains(errs, "-: document 2: line 2: not a complete JSON document; skipped") {
			t.Fatalf("stderr %q", errs)
		}
	})
	t.Run("Beast", func(t *testing.T) {
		out, errs, err := runMain(t, "", "decode", "--format", "beast", "--errors", "../../testdata/adsb/traffic/sample_dump1090.bin")
		if err != nil {
			t.Fatal(err)
		}
		// 23 extended squitters: 1 identification, 4 positions, 8
		// velocities decode; 10 status and operational messages are not
		// decoded (TC 28, 29, 31).
		if got, want := strings.Count(out, "\n"), 13; got != want {
			t.Fatalf("%d lines, want %d; stderr %s", got, want, errs)
		}
		if errs != "" {
			t.Fatalf("stderr %q", errs)
		}
		if !strings.Contains(out, `"hex":"48520a","alt_baro":38000,"lat":43.656646728515625,"lon":1.2296383879905524}`) {
			t.Fatalf("no last position in %s", out)
		}
	})
	t.Run("Trace", func(t *testing.T) {
		out, _, err := runMain(t, "", "decode", "--format", "trace", "../../testdata/adsb/traffic/trace_full_ac671b.json")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Count(out, "\n"), 2500; got != want {
			t.Fatalf("%d lines, want %d", got, want)
		}
	})
}

func TestReportFormatsADSB(t *testing.T) {
	tests := []struct {
		format, file string
		reports      int
		id           string
	}{
		// 2,104 MSG 3 lines with a position (awk -F, '$3==3 && $16!=""'),
		// 45 MSG 1 lines giving an aircraft a new callsign.
		{"sbs", "../../testdata/adsb/stratux/cyoung-09062015-noproblem-stratux-es.log", 2104 + 45, "icao:"},
		{"aircraft-json", "../../testdata/adsb/aircraft-json/dump1090mqtt_aircraft.json", 44, "icao:"},
		{"trace", "../../testdata/adsb/traffic/trace_full_ac671b.json", 2500, "icao:ac671b"},
		{"traffic-json", "../../testdata/adsb/traffic/inflight_refuelling.json.gz", 10397, "icao:3b7777"},
		// 3 positions and the identification (a new callsign) of 48520a.
		{"beast", "../../testdata/adsb/traffic/sample_dump1090.bin", 4, "icao:48520a"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			m := &Main{}
			f, err := m.openInput(filepath.FromSlash(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got []deconflict.Report
			err = reportFormats[tt.format](f, func(r deconflict.Report) error {
				got = append(got, r)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tt.reports {
				t.Fatalf("%d reports, want %d", len(got), tt.reports)
			}
			for _, r := range got {
				if !strings.HasPrefix(r.ID, tt.id) || r.Domain != deconflict.Air || (r.Time.IsZero() && tt.format != "beast") {
					t.Fatalf("report %+v", r)
				}
			}
		})
	}
}
