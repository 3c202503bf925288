package adsb_test

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/adsb"
)

const (
	cyoungLog = "../testdata/adsb/stratux/cyoung-09062015-noproblem-stratux-es.log"
	gmsLog    = "../testdata/adsb/stratux/gms5002-09072015-problem-stratux-es.log"
)

func mustRead(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestSBSDecoder_Decode(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		tests := []struct {
			name string
			line string
			want adsb.Message
		}{
			{"Dump1090Position",
				"MSG,3,1,1,4CA2D6,1,2024/03/01,12:00:01.500,2024/03/01,12:00:01.520,,37000,,,51.12345,-1.5,,,0,0,0,0",
				adsb.Message{MsgType: 3, ICAO: 0x4ca2d6, Time: time.Date(2024, 3, 1, 12, 0, 1, 500e6, time.UTC), AltBaroFt: 37000, Lat: 51.12345, Lon: -1.5}},
			{"Velocity",
				"MSG,4,1,1,A1B2C3,1,2024/03/01,12:00:02.000,2024/03/01,12:00:02.000,,,420.5,271.3,,,-1088,,,,,0",
				adsb.Message{MsgType: 4, ICAO: 0xa1b2c3, Time: time.Date(2024, 3, 1, 12, 0, 2, 0, time.UTC), SpeedKt: 420.5, TrackDeg: 271.3, BaroRateFPM: -1088}},
			{"CallsignAndFlags",
				"MSG,1,1,1,40621D,1,2024/03/01,12:00:03.000,2024/03/01,12:00:03.000,BAW123  ,,,,,,,,-1,0,-1,-1",
				adsb.Message{MsgType: 1, ICAO: 0x40621d, Time: time.Date(2024, 3, 1, 12, 0, 3, 0, time.UTC), Flight: "BAW123", Alert: true, SPI: true, Ground: true}},
			{"SquawkCRLF",
				"MSG,6,,,AB5361,,,,,,,,,,,,,7700,0,-1,0,0\r\n",
				adsb.Message{MsgType: 6, ICAO: 0xab5361, Squawk: "7700", Emergency: true}},
			{"ExtraFields",
				"MSG,5,1,1,AB5361,1,2024/03/01,12:00:03.000,2024/03/01,12:00:03.000,,1200,,,,,,,0,0,0,0,extra,1",
				adsb.Message{MsgType: 5, ICAO: 0xab5361, Time: time.Date(2024, 3, 1, 12, 0, 3, 0, time.UTC), AltBaroFt: 1200}},
			{"ShortLine",
				"MSG,8,,,AB5361",
				adsb.Message{MsgType: 8, ICAO: 0xab5361}},
			{"NonICAO",
				"MSG,5,,,~0A1B2C,,,,,,,1200,,,,,,,,,,",
				adsb.Message{MsgType: 5, ICAO: 0x0a1b2c, NonICAO: true, AltBaroFt: 1200}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var d adsb.SBSDecoder
				got, ok, err := d.Decode([]byte(tt.line))
				if err != nil || !ok {
					t.Fatalf("Decode: ok=%v err=%v", ok, err)
				}
				compareMessage(t, got, tt.want)
			})
		}
	})
	t.Run("Skipped", func(t *testing.T) {
		for _, line := range []string{"", "   ", "\x00\x00", "STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM",
			"AIR,,333,1,4CA2D6,10057,2008/11/28,14:53:49.980,2008/11/28,14:53:49.980", "CLK,,,,,,,,,,"} {
			var d adsb.SBSDecoder
			if _, ok, err := d.Decode([]byte(line)); ok || err != nil {
				t.Errorf("Decode(%q): ok=%v err=%v, want no message and no error", line, ok, err)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		tests := []struct {
			name, line, want string
		}{
			{"RecordType", "XYZ,3,,,AB5361", `record type "XYZ"`},
			{"TransmissionType", "MSG,9,,,AB5361", `transmission type "9"`},
			{"Hex", "MSG,3,,,AB53G1", `hex ident "AB53G1"`},
			{"HexShort", "MSG,3,,,AB53", `hex ident "AB53"`},
			{"Latitude", "MSG,3,,,AB5361,,,,,,,35000,,,4x.1,-83.9,,,0,0,0,0", `latitude "4x.1": not a number`},
			{"LatitudeRange", "MSG,3,,,AB5361,,,,,,,35000,,,91.5,-83.9,,,0,0,0,0", `latitude 91.5: out of range`},
			{"LatWithoutLon", "MSG,3,,,AB5361,,,,,,,35000,,,41.5,,,,0,0,0,0", "one without the other"},
			{"Flag", "MSG,3,,,AB5361,,,,,,,,,,,,,,X,0,0,0", `alert flag "X"`},
			{"Date", "MSG,3,,,AB5361,,2024/13/01,12:00:00.000,,,,,,,,,,,,,,", "date and time"},
			{"TooManyFields", "MSG,3,,,AB5361" + strings.Repeat(",", 40), "more than 32 fields"},
			{"StartHeader", "START,yesterday", "START header date"},
			{"CutBeforeStart", "2673298051428,MSG,5,,,AB9B13,START,Wed Sep 2 04:25:25 +0000 UTC 2015", "cut short"},
			{"NaN", "MSG,5,,,AB5361,,,,,,,NaN,,,,,,,,,,", "not a number"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var d adsb.SBSDecoder
				_, ok, err := d.Decode([]byte(tt.line))
				if err == nil || ok {
					t.Fatalf("Decode(%q): ok=%v err=nil, want error", tt.line, ok)
				}
				if got := err.Error(); !strings.Contains(got, tt.want) {
					t.Fatalf("error %q, want it to contain %q", got, tt.want)
				}
				if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
					t.Fatalf("code %q, want %q", got, want)
				}
			})
		}
	})
	t.Run("StratuxTime", func(t *testing.T) {
		var d adsb.SBSDecoder
		if _, ok, err := d.Decode([]byte("START,Wed Sep 2 04:23:37 +0000 UTC 2015")); ok || err != nil {
			t.Fatalf("header: ok=%v err=%v", ok, err)
		}
		m, ok, err := d.Decode([]byte("68280751067,MSG,3,,,AA6A76,,,,,,,35000,,,42.67905,-83.94497,,,0,0,0,0"))
		if err != nil || !ok {
			t.Fatalf("Decode: ok=%v err=%v", ok, err)
		}
		if got, want := m.Time, time.Date(2015, 9, 2, 4, 24, 45, 280751067, time.UTC); !got.Equal(want) {
			t.Fatalf("Time=%v, want %v", got, want)
		}
		// A header cut into a line still sets the base time.
		if _, _, err := d.Decode([]byte("2673298051428,MSG,5,,,AB9B13,START,Wed Sep 2 05:00:00 +0000 UTC 2015")); err == nil {
			t.Fatal("want error for the cut line")
		}
		m, _, _ = d.Decode([]byte("1000000000,MSG,8,,,AA649C,,,,,,,,,,,,,,,,,"))
		if got, want := m.Time, time.Date(2015, 9, 2, 5, 0, 1, 0, time.UTC); !got.Equal(want) {
			t.Fatalf("Time after restart=%v, want %v", got, want)
		}
	})
	t.Run("Location", func(t *testing.T) {
		d := adsb.SBSDecoder{Location: time.FixedZone("CEST", 2*3600)}
		m, _, err := d.Decode([]byte("MSG,8,1,1,AB5361,1,2024/07/01,14:00:00.250,2024/07/01,14:00:00.250,,,,,,,,,,,,"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Time, time.Date(2024, 7, 1, 12, 0, 0, 250e6, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("Time=%v, want %v", got, want)
		}
	})
	t.Run("Now", func(t *testing.T) {
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		d := adsb.SBSDecoder{Now: func() time.Time { return now }}
		m, _, _ := d.Decode([]byte("MSG,8,,,AB5361,,,,,,,,,,,,,,,,,"))
		if got, want := m.Time, now; !got.Equal(want) {
			t.Fatalf("Time=%v, want %v", got, want)
		}
	})
}

// compareMessage compares the fields tests set; numbers absent from want
// (0) must be NaN in got unless set.
func compareMessage(t *testing.T, got, want adsb.Message) {
	t.Helper()
	if got.MsgType != want.MsgType || got.ICAO != want.ICAO || got.NonICAO != want.NonICAO || !got.Time.Equal(want.Time) ||
		got.Flight != want.Flight || got.Squawk != want.Squawk || got.Alert != want.Alert || got.Emergency != want.Emergency ||
		got.SPI != want.SPI || got.Ground != want.Ground {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	nums := []struct {
		name      string
		got, want float64
	}{
		{"AltBaroFt", got.AltBaroFt, want.AltBaroFt}, {"SpeedKt", got.SpeedKt, want.SpeedKt},
		{"TrackDeg", got.TrackDeg, want.TrackDeg}, {"BaroRateFPM", got.BaroRateFPM, want.BaroRateFPM},
		{"Lat", got.Lat, want.Lat}, {"Lon", got.Lon, want.Lon},
	}
	for _, n := range nums {
		if n.want == 0 {
			if !math.IsNaN(n.got) {
				t.Errorf("%s=%v, want NaN", n.name, n.got)
			}
		} else if n.got != n.want {
			t.Errorf("%s=%v, want %v", n.name, n.got, n.want)
		}
	}
}

// decodeFile runs every line of a recording through Decode and Merge.
func decodeFile(t *testing.T, path string) (reports []deconflict.Report, decoded, failed int) {
	t.Helper()
	var d adsb.SBSDecoder
	sc := bufio.NewScanner(bytes.NewReader(mustRead(t, path)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m, ok, err := d.Decode(sc.Bytes())
		if err != nil {
			failed++
			continue
		}
		if !ok {
			continue
		}
		decoded++
		if r, ok := d.Merge(&m); ok {
			reports = append(reports, r)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return reports, decoded, failed
}

func TestSBSDecoder_Stratux(t *testing.T) {
	reports, decoded, failed := decodeFile(t, cyoungLog)
	// 44481 lines: 3 START headers, one line cut short by a restart
	// (line 20543), the rest MSG lines (counted with awk).
	if got, want := decoded, 44481-3-1; got != want {
		t.Errorf("decoded=%d, want %d", got, want)
	}
	if got, want := failed, 1; got != want {
		t.Errorf("failed=%d, want %d", got, want)
	}
	var pos int
	var first *deconflict.Report
	for i := range reports {
		if reports[i].HasPosition() {
			pos++
			if first == nil && reports[i].ID == "icao:aa6a76" {
				first = &reports[i]
			}
		}
	}
	// MSG 3 lines with a position (awk -F, '$3==3 && $16!=""').
	if got, want := pos, 2104; got != want {
		t.Errorf("position reports=%d, want %d", got, want)
	}
	if first == nil {
		t.Fatal("no report of aa6a76")
	}
	// Line 254: 68280751067,MSG,3,,,AA6A76,...,35000,,,42.67905,-83.94497; the
	// velocity from line 231 (MSG 4: 468 kt, 89 deg, -64 ft/min) and the
	// callsign EJA770 (MSG 1 just before) merged in.
	want := deconflict.Report{
		Time: time.Date(2015, 9, 2, 4, 24, 45, 280751067, time.UTC), ID: "icao:aa6a76", Domain: deconflict.Air, Source: "sbs",
		Lat: 42.67905, Lon: -83.94497, AltM: 35000 * 0.3048, SpeedMS: 468 * 1852.0 / 3600, CourseDeg: 89, ClimbMS: -64 * 0.3048 / 60,
		Callsign: "EJA770",
	}
	compareReport(t, *first, want)
}

func compareReport(t *testing.T, got, want deconflict.Report) {
	t.Helper()
	if got.ID != want.ID || !got.Time.Equal(want.Time) || got.Domain != want.Domain || got.Source != want.Source ||
		got.Callsign != want.Callsign || got.Name != want.Name || got.Type != want.Type || got.Military != want.Military {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	for _, n := range []struct {
		name      string
		got, want float64
	}{{"Lat", got.Lat, want.Lat}, {"Lon", got.Lon, want.Lon}, {"AltM", got.AltM, want.AltM}, {"SpeedMS", got.SpeedMS, want.SpeedMS},
		{"CourseDeg", got.CourseDeg, want.CourseDeg}, {"ClimbMS", got.ClimbMS, want.ClimbMS}} {
		if math.IsNaN(n.want) != math.IsNaN(n.got) || (!math.IsNaN(n.want) && !near(n.got, n.want, 1e-9)) {
			t.Errorf("%s=%v, want %v", n.name, n.got, n.want)
		}
	}
}

func TestSBSDecoder_Merge(t *testing.T) {
	lines := []string{
		"MSG,1,,,AB5361,,2024/03/01,12:00:00.000,,,SWA123  ,,,,,,,,,,,",
		"MSG,4,,,AB5361,,2024/03/01,12:00:01.000,,,,,450,90.5,,,1024,,,,,",
		"MSG,5,,,AB5361,,2024/03/01,12:00:02.000,,,,36000,,,,,,,,,,",
		"MSG,3,,,AB5361,,2024/03/01,12:00:03.000,,,,,,,40.5,-80.25,,,,,,",
		// 2 minutes later: velocity and altitude too old to merge.
		"MSG,3,,,AB5361,,2024/03/01,12:02:03.000,,,,,,,40.6,-80.35,,,,,,",
	}
	var d adsb.SBSDecoder
	var got []deconflict.Report
	for _, l := range lines {
		m, ok, err := d.Decode([]byte(l))
		if err != nil || !ok {
			t.Fatalf("Decode(%q): ok=%v err=%v", l, ok, err)
		}
		if r, ok := d.Merge(&m); ok {
			got = append(got, r)
		}
	}
	nan := math.NaN()
	want := []deconflict.Report{
		{Time: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), ID: "icao:ab5361", Domain: "air", Source: "sbs", Callsign: "SWA123",
			Lat: nan, Lon: nan, AltM: nan, SpeedMS: nan, CourseDeg: nan, ClimbMS: nan},
		{Time: time.Date(2024, 3, 1, 12, 0, 3, 0, time.UTC), ID: "icao:ab5361", Domain: "air", Source: "sbs", Callsign: "SWA123",
			Lat: 40.5, Lon: -80.25, AltM: 36000 * 0.3048, SpeedMS: 450 * deconflict.KnotMS, CourseDeg: 90.5, ClimbMS: 1024 * deconflict.FPMMS},
		{Time: time.Date(2024, 3, 1, 12, 2, 3, 0, time.UTC), ID: "icao:ab5361", Domain: "air", Source: "sbs",
			Lat: 40.6, Lon: -80.35, AltM: nan, SpeedMS: nan, CourseDeg: nan, ClimbMS: nan},
	}
	if len(got) != len(want) {
		t.Fatalf("%d reports, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		compareReport(t, got[i], want[i])
	}
}

func TestMessage_AppendJSON(t *testing.T) {
	var d adsb.SBSDecoder
	d.Decode([]byte("START,Wed Sep 2 04:23:37 +0000 UTC 2015"))
	m, _, err := d.Decode([]byte("68280751067,MSG,3,,,AA6A76,,,,,,,35000,,,42.67905,-83.94497,,,0,0,0,0"))
	if err != nil {
		t.Fatal(err)
	}
	got := string(m.AppendJSON(nil))
	want := `{"format":"sbs","type":3,"hex":"aa6a76","time":"2015-09-02T04:24:45.280751067Z","alt_baro":35000,"lat":42.67905,"lon":-83.94497}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
