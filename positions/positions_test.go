package positions_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/positions"
)

func readAll(t testing.TB, s string) ([]deconflict.Report, error) {
	t.Helper()
	var out []deconflict.Report
	err := positions.ReadAll(strings.NewReader(s), func(r deconflict.Report) error {
		out = append(out, r)
		return nil
	})
	return out, err
}

const header = "time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n"

func TestRead(t *testing.T) {
	got, err := readAll(t, header+
		"2026-06-01T10:00:00Z,RU:frigate,RU,sea,55.5,19.05,,8.01,179.75,\n"+
		"1780308000.5,icao:4ca123,,air,56,15.2,9100,158.5,19.6,-2.5\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(got), 2; got != want {
		t.Fatalf("%d reports, want %d", got, want)
	}
	s := got[0]
	if s.ID != "RU:frigate" || s.Party != "RU" || s.Domain != deconflict.Sea || s.Lat != 55.5 || s.Lon != 19.05 ||
		deconflict.Known(s.AltM) || s.SpeedMS != 8.01 || s.CourseDeg != 179.75 || deconflict.Known(s.ClimbMS) || s.Source != "csv" ||
		!s.Time.Equal(time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("sea report %+v", s)
	}
	a := got[1]
	if a.AltM != 9100 || a.ClimbMS != -2.5 || a.Party != "" || !a.Time.Equal(time.Unix(1780308000, 5e8)) {
		t.Errorf("air report %+v", a)
	}
}

func TestReadColumnsInAnyOrder(t *testing.T) {
	got, err := readAll(t, "lat,lon,id,domain,time\n1,2,x,sea,0\n")
	if err != nil {
		t.Fatal(err)
	}
	if r := got[0]; r.Lat != 1 || r.Lon != 2 || r.ID != "x" || deconflict.Known(r.SpeedMS) {
		t.Fatalf("report %+v", r)
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"Empty", "", "positions: empty input"},
		{"UnknownColumn", "time,id,wind\n", `positions: line 1: unknown column "wind"`},
		{"MissingColumn", "time,id,domain,lat\n", `positions: line 1: header lacks column "lon"`},
		{"BadTime", header + "yesterday,x,,sea,1,2,,,,\n", `positions: line 2: time "yesterday": not RFC 3339 or Unix seconds`},
		{"BadDomain", header + "0,x,,space,1,2,,,,\n", `positions: line 2: domain "space": want air or sea`},
		{"BadLat", header + "0,x,,sea,1,2,,,,\n0,x,,sea,91,2,,,,\n", `positions: line 3: lat "91": out of range [-90, 90]`},
		{"NotANumber", header + "0,x,,sea,1,east,,,,\n", `positions: line 2: lon "east": not a number`},
		{"NaN", header + "0,x,,sea,NaN,2,,,,\n", `positions: line 2: lat "NaN": not a number`},
		{"EmptyID", header + "0,,,sea,1,2,,,,\n", `positions: line 2: empty id`},
		{"Quote", header + "0,\"x,,sea,1,2,,,,\n", `positions: line 2: extraneous or missing " in quoted-field`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readAll(t, tc.in)
			if err == nil || !strings.HasPrefix(deconflict.ErrorMessage(err), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if got := deconflict.ErrorCode(err); got != deconflict.EINVALID {
				t.Errorf("code %q, want %q", got, deconflict.EINVALID)
			}
		})
	}
}

func TestWriteRoundTrip(t *testing.T) {
	in := []deconflict.Report{
		{Time: time.Date(2026, 6, 1, 10, 0, 0, 123456789, time.UTC), ID: "a,b", Party: "RU", Domain: deconflict.Air,
			Lat: -33.1234567, Lon: 179.9999999, AltM: 10972.8, SpeedMS: 250.25, CourseDeg: 359.99, ClimbMS: -7.5},
		{Time: time.Date(2026, 6, 1, 10, 0, 1, 0, time.UTC), ID: "mmsi:219000001", Domain: deconflict.Sea,
			Lat: 89.9, Lon: -180, AltM: math.NaN(), SpeedMS: math.NaN(), CourseDeg: math.NaN(), ClimbMS: math.NaN()},
	}
	var buf bytes.Buffer
	w := positions.NewWriter(&buf)
	for _, r := range in {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, buf.String())
	if err != nil {
		t.Fatalf("%v in\n%s", err, buf.String())
	}
	for i := range in {
		in[i].Source = "csv"
		if !same(got[i], in[i]) {
			t.Errorf("round trip %d: %+v, want %+v", i, got[i], in[i])
		}
	}
}

func TestWriteEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := positions.NewWriter(&buf).Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), header; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

func same(a, b deconflict.Report) bool {
	eq := func(x, y float64) bool { return x == y || x != x && y != y }
	return a.Time.Equal(b.Time) && a.ID == b.ID && a.Party == b.Party && a.Domain == b.Domain && a.Source == b.Source &&
		eq(a.Lat, b.Lat) && eq(a.Lon, b.Lon) && eq(a.AltM, b.AltM) && eq(a.SpeedMS, b.SpeedMS) && eq(a.CourseDeg, b.CourseDeg) && eq(a.ClimbMS, b.ClimbMS)
}

// FuzzReader: the reader never panics, every error is an EINVALID naming a
// line, and whatever it reads survives a write and a read unchanged.
func FuzzReader(f *testing.F) {
	f.Add(header + "2026-06-01T10:00:00Z,RU:frigate,RU,sea,55.5,19.05,,8.01,179.75,\n")
	f.Add(header + "1780308000.5,icao:4ca123,,air,56,15.2,9100,158.5,19.6,-2.5\n")
	f.Add("lat,lon,id,domain,time\n1,2,x,sea,0\n")
	f.Add(header + "0,\"a \"\"b\"\"\",P,air,-90,180,-1000,0,360,500\n")
	f.Fuzz(func(t *testing.T, in string) {
		rd := positions.NewReader(strings.NewReader(in))
		var buf bytes.Buffer
		w := positions.NewWriter(&buf)
		var read []deconflict.Report
		for {
			r, err := rd.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				var de *deconflict.Error
				if !errors.As(err, &de) || de.Code != deconflict.EINVALID || !strings.HasPrefix(de.Message, "positions: ") {
					t.Fatalf("error %v (%T), want an EINVALID *deconflict.Error", err, err)
				}
				break
			}
			read = append(read, r)
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, err := readAll(t, buf.String())
		if err != nil {
			t.Fatalf("re-reading %q: %v", buf.String(), err)
		}
		if len(again) != len(read) {
			t.Fatalf("%d reports re-read, want %d", len(again), len(read))
		}
		for i := range read {
			if !same(again[i], read[i]) {
				t.Fatalf("report %d: %+v re-read as %+v", i, read[i], again[i])
			}
		}
	})
}
