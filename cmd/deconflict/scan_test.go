package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the deconflict command line in process.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err = m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

func mustRun(t *testing.T, args ...string) (string, string) {
	t.Helper()
	out, errs, err := runCmd(t, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errs)
	}
	return out, errs
}

// TestScanBaltic simulates the Baltic scenario and scans it: one row per
// scripted pair encounter with its tier, alerted in advance, the same
// bytes every time.
func TestScanBaltic(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "baltic.csv")
	mustRun(t, "simulate", "--scenario", "baltic", "--out", csv)
	out, errs := mustRun(t, "scan", "--format", "csv", csv)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if got, want := lines[0], "a,b,party_a,party_b,domain,severity,first_alert,closest_time,closest_m,closest_vertical_m,kind,closest_lat,closest_lon,name_a,name_b"; got != want {
		t.Fatalf("header %q, want %q", got, want)
	}
	want := map[string]string{
		"NATO:tromp,RU:neustrashimy":      "sea,advisory",
		"NATO:haugesund,RU:soobrazitelny": "sea,dangerous",
		"NATO:karlsruhe,RU:raptor-412":    "sea,critical",
		"NATO:p8-168,RU:su27-24":          "air,advisory",
		"NATO:typhoon-31,RU:su30-41":      "air,warning",
		"NATO:f35-220,RU:il20-11":         "air,critical",
		"NATO:rc135-64,RU:su27-36":        "air,nmac",
		"NATO:donald-cook,RU:su24-07":     "air-sea,critical",
	}
	shadowing := false
	prevClosest := ""
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) != 15 {
			t.Fatalf("row %q: %d fields", l, len(f))
		}
		if f[7] < prevClosest {
			t.Errorf("row %q out of closest_time order", l)
		}
		prevClosest = f[7]
		if f[0] >= f[1] {
			t.Errorf("row %q: a >= b", l)
		}
		if f[10] == "shadowing" {
			// The episode alerts once it lasted 30 min, whenever its
			// least distance was.
			shadowing = shadowing || f[0]+","+f[1] == "NATO:absalon,RU:vasily-tatishchev"
			continue
		}
		if f[6] == "" || f[6] >= f[7] {
			t.Errorf("row %q: first alert not before the closest approach", l)
		}
		if w, ok := want[f[0]+","+f[1]]; ok {
			if got := f[4] + "," + f[5]; got != w {
				t.Errorf("%s,%s: %s, want %s", f[0], f[1], got, w)
			}
			delete(want, f[0]+","+f[1])
		}
	}
	if len(want) > 0 {
		t.Errorf("missing encounters %v in\n%s", want, out)
	}
	if !shadowing {
		t.Errorf("no shadowing row in\n%s", out)
	}
	if !strings.Contains(errs, "scan: 55 tracks, 37200 reports, ") {
		t.Errorf("summary %q", errs)
	}
	again, _ := mustRun(t, "scan", csv, "--format", "csv")
	if again != out {
		t.Error("second scan differs from the first")
	}

	t.Run("JSON", func(t *testing.T) {
		p := filepath.Join(dir, "enc.json")
		mustRun(t, "scan", "--format", "csv", csv, "--out", p)
		var rows []map[string]any
		if err := json.Unmarshal(mustRead(t, p), &rows); err != nil {
			t.Fatal(err)
		}
		if got, want := len(rows), len(lines)-1; got != want {
			t.Fatalf("%d rows, want %d", got, want)
		}
		if rows[0]["a"] == nil || rows[0]["closest_m"] == nil {
			t.Fatalf("row %v", rows[0])
		}
	})
	t.Run("GeoJSON", func(t *testing.T) {
		p := filepath.Join(dir, "enc.geojson")
		mustRun(t, "scan", "--format", "csv", csv, "--out", p)
		var fc struct {
			Type     string
			Features []struct {
				Geometry struct {
					Type        string
					Coordinates json.RawMessage
				}
				Properties map[string]any
			}
		}
		if err := json.Unmarshal(mustRead(t, p), &fc); err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, f := range fc.Features {
			kinds[f.Geometry.Type]++
		}
		if n := len(lines) - 1; fc.Type != "FeatureCollection" || kinds["LineString"] != 2*n || kinds["Point"] != 2*n {
			t.Fatalf("%s with %v, want 2 tracks and 2 points for each of %d encounters", fc.Type, kinds, n)
		}
	})
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScanErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n0,x,,sea,1,2,,,,\n0,y,,sea,100,2,,,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"UnknownFormat", []string{"scan", "--format", "kml", bad}, `unknown --format "kml"`},
		{"NoFile", []string{"scan", "--format", "csv"}, "no input FILE"},
		{"BadOut", []string{"scan", "--format", "csv", bad, "--out", "x.kml"}, "want a .csv, .geojson or .json file"},
		{"Missing", []string{"scan", "--format", "csv", filepath.Join(dir, "nope.csv")}, "no such file"},
		{"BadLine", []string{"scan", "--format", "csv", bad}, `positions: line 3: lat "100": out of range`},
		{"BadParties", []string{"scan", "--format", "csv", bad, "--parties", filepath.Join(dir, "nope.json")}, "--parties"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCmd(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestScanRecordings runs scan over the project's real recordings, every
// reader through the engine: with --all (every pair) as a smoke test, and
// under the default rules, where these recordings of civilian traffic
// give no encounter at all.
func TestScanRecordings(t *testing.T) {
	for _, tc := range []struct {
		format string
		glob   string
	}{
		{"sbs", "../../testdata/adsb/stratux/*.log"},
		{"aircraft-json", "../../testdata/adsb/aircraft-json/*aircraft.json"},
		{"trace", "../../testdata/adsb/traffic/trace_full_ac671b.json"},
		{"ais", "../../testdata/ais/amsa-risky/nmea-timestamped.txt"},
		{"ais", "../../testdata/ais/dma-aislib/stream_example.txt"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			files, err := filepath.Glob(tc.glob)
			if err != nil || len(files) == 0 {
				t.Fatalf("no files for %s: %v", tc.glob, err)
			}
			out, errs := mustRun(t, append([]string{"scan", "--all", "--format", tc.format}, files...)...)
			if !strings.HasPrefix(out, encountersHeader+",kind,") {
				t.Fatalf("output %q", out)
			}
			t.Logf("%s: --all: %s", tc.glob, strings.TrimSpace(errs))
			// Under the default rules (relevance: a state asset in every
			// encounter) the recordings, civilian traffic only, give none.
			out, errs = mustRun(t, append([]string{"scan", "--format", tc.format}, files...)...)
			if strings.Count(out, "\n") != 1 || !strings.Contains(errs, " 0 encounters") {
				t.Fatalf("default rules: %s\n%s", strings.TrimSpace(errs), out)
			}
		})
	}
}

// TestScanNothingUsable: a wrong --format, or AIS without times, is an
// error naming the cause, not "0 encounters".
func TestScanNothingUsable(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"WrongFormat", []string{"scan", "--format", "sbs", "../../testdata/ais/dma-aislib/stream_example.txt"}, "is --format sbs right?"},
		{"Untimed", []string{"scan", "--format", "ais", "../../testdata/ais/gpsd/sample.aivdm"}, "without one: AIS needs tag blocks or receiver times"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCmd(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
