package adsb_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/adsb"
)

func TestParseAircraftJSON(t *testing.T) {
	t.Run("Readsb", func(t *testing.T) {
		s, err := adsb.ParseAircraftJSON(mustRead(t, "../testdata/adsb/aircraft-json/dump1090mqtt_aircraft.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(s.Aircraft), 44; got != want {
			t.Fatalf("%d aircraft, want %d (errors %v)", got, want, s.Errors)
		}
		if got, want := s.Now, time.Unix(1785349721, 5e8).UTC(); !got.Equal(want) {
			t.Fatalf("Now=%v, want %v", got, want)
		}
		// {"hex":"3c71a1","flight":"BCS361  ","alt_baro":41000,"alt_geom":42600,"gs":533.7,
		//  "track":79.6,"baro_rate":0,"geom_rate":-32,...,"lat":51.345256,"lon":-2.052231,"seen_pos":5.9}
		m := find(t, s.Aircraft, 0x3c71a1)
		r := m.Report()
		want := deconflict.Report{Time: time.Unix(1785349715, 6e8).UTC(), ID: "icao:3c71a1", Domain: deconflict.Air,
			Source: "aircraft-json", Lat: 51.345256, Lon: -2.052231, AltM: 41000 * 0.3048, SpeedMS: 533.7 * 1852.0 / 3600,
			CourseDeg: 79.6, ClimbMS: 0, Callsign: "BCS361"}
		compareReport(t, r, want)
		if got, want := m.AltGeomFt, 42600.0; got != want {
			t.Fatalf("AltGeomFt=%v, want %v", got, want)
		}
	})
	t.Run("GeomRateOnly", func(t *testing.T) {
		s, err := adsb.ParseAircraftJSON(mustRead(t, "../testdata/adsb/aircraft-json/dump1090-exporter_aircraft.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(s.Aircraft), 2; got != want {
			t.Fatalf("%d aircraft, want %d", got, want)
		}
		// {"hex":"75025b",...,"seen":102.4}: no position, time is now - seen.
		noPos := find(t, s.Aircraft, 0x75025b)
		if noPos.HasPosition() {
			t.Fatal("75025b has a position")
		}
		if got, want := noPos.Time, time.Unix(1633214709, 0).Add(-102400*time.Millisecond).UTC(); !got.Equal(want) {
			t.Fatalf("Time=%v, want %v", got, want)
		}
		// {"hex":"7c495b","flight":"RXA4362 ","alt_baro":7650,"alt_geom":7300,"gs":156.0,
		//  "track":269.6,"geom_rate":1024,"category":"A2","lat":-34.909653,"lon":138.264509,"seen_pos":2.4}
		r := find(t, s.Aircraft, 0x7c495b).Report()
		want := deconflict.Report{Time: time.Unix(1633214706, 6e8).UTC(), ID: "icao:7c495b", Domain: deconflict.Air,
			Source: "aircraft-json", Lat: -34.909653, Lon: 138.264509, AltM: 7650 * 0.3048, SpeedMS: 156 * 1852.0 / 3600,
			CourseDeg: 269.6, ClimbMS: 1024 * 0.3048 / 60, Callsign: "RXA4362", Type: "A2"}
		compareReport(t, r, want)
	})
	t.Run("GroundMilitaryAndBadAircraft", func(t *testing.T) {
		doc := `{"now":1700000000,"aircraft":[
			{"hex":"ae1234","flight":"RCH123  ","alt_baro":"ground","alt_geom":150,"gs":12,"lat":36.1,"lon":-115.2,"seen_pos":0.5,"dbFlags":1,"r":"05-5140","t":"C17"},
			{"hex":"zz1234","lat":1,"lon":2},
			{"hex":"ae1235","lat":"north","lon":2},
			{"hex":"ae1236","lat":95,"lon":2},
			{"hex":"ae1237","alt_baro":"high"},
			{"hex":"~abc123","altitude":3000,"speed":250,"vert_rate":-640}
		]}`
		s, err := adsb.ParseAircraftJSON([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(s.Aircraft), 2; got != want {
			t.Fatalf("%d aircraft, want %d", got, want)
		}
		r := s.Aircraft[0].Report()
		if !s.Aircraft[0].Ground || !r.Military || r.Name != "05-5140" || r.Type != "C17" || r.AltM != 150*0.3048 {
			t.Fatalf("ground military aircraft: %+v", r)
		}
		old := s.Aircraft[1].Report()
		if got, want := old.ID, "nonicao:abc123"; got != want {
			t.Fatalf("ID=%q, want %q", got, want)
		}
		if got, want := old.ClimbMS, -640*deconflict.FPMMS; !near(got, want, 1e-12) {
			t.Fatalf("ClimbMS=%v, want %v", got, want)
		}
		wantErrs := []string{`aircraft[1]: hex "zz1234"`, "aircraft[2]: lat: string", "aircraft[3]: hex ae1236: lat 95: out of range", `aircraft[4]: hex ae1237: alt_baro: "high"`}
		if len(s.Errors) != len(wantErrs) {
			t.Fatalf("errors %v, want %d", s.Errors, len(wantErrs))
		}
		for i, w := range wantErrs {
			if got := s.Errors[i].Error(); !strings.Contains(got, w) {
				t.Errorf("error %d %q, want it to contain %q", i, got, w)
			}
		}
	})
	t.Run("Err", func(t *testing.T) {
		for _, tt := range []struct{ name, doc, want string }{
			{"NotJSON", `{"now":1,"aircraft":[`, "aircraft-json: offset"},
			{"NoAircraft", `{"now":1}`, `no "aircraft" array`},
			{"BadNow", `{"now":-5,"aircraft":[]}`, "now: -5"},
			{"Array", `[1,2]`, "aircraft-json:"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := adsb.ParseAircraftJSON([]byte(tt.doc))
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err=%v, want it to contain %q", err, tt.want)
				}
			})
		}
	})
}

func find(t *testing.T, ms []adsb.Message, icao uint32) *adsb.Message {
	t.Helper()
	for i := range ms {
		if ms[i].ICAO == icao {
			return &ms[i]
		}
	}
	t.Fatalf("no aircraft %06x", icao)
	return nil
}

func TestParseTrace(t *testing.T) {
	tr, err := adsb.ParseTrace(mustRead(t, "../testdata/adsb/traffic/trace_full_ac671b.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Errors) != 0 {
		t.Fatalf("errors: %v", tr.Errors[:1])
	}
	if got, want := len(tr.Points), 2500; got != want {
		t.Fatalf("%d points, want %d", got, want)
	}
	if tr.Reg != "N899DN" || tr.TypeCode != "B739" || tr.Military {
		t.Fatalf("trace header %+v", tr)
	}
	start := time.Unix(1738703622, 619e6).UTC()
	// [0.00,16.777359,-88.036868,32000,478.6,327.8,1,0,null,"adsb_icao",33825,32,280,0.0]
	first := tr.Points[0].Report()
	compareReport(t, first, deconflict.Report{Time: start, ID: "icao:ac671b", Domain: deconflict.Air, Source: "trace",
		Lat: 16.777359, Lon: -88.036868, AltM: 32000 * 0.3048, SpeedMS: 478.6 * deconflict.KnotMS, CourseDeg: 327.8, ClimbMS: 0,
		Name: "N899DN", Type: "B739"})
	// The callsign DAL1812 comes with point 3's details and is carried on.
	if got, want := tr.Points[4].Flight, "DAL1812"; got != want {
		t.Fatalf("point 4 Flight=%q, want %q", got, want)
	}
	// [81655.47,39.877403,-104.63974,"ground",58.5,270.0,0,-64,{"flight":"DAL2927 ",...},"adsb_icao",5250,null,null,null]
	last := tr.Points[len(tr.Points)-1]
	if !last.Ground {
		t.Fatal("last point not on the ground")
	}
	compareReport(t, last.Report(), deconflict.Report{Time: start.Add(81655470 * time.Millisecond), ID: "icao:ac671b", Domain: deconflict.Air,
		Source: "trace", Lat: 39.877403, Lon: -104.63974, AltM: 5250 * 0.3048, SpeedMS: 58.5 * deconflict.KnotMS, CourseDeg: 270,
		ClimbMS: -64 * deconflict.FPMMS, Callsign: "DAL2927", Name: "N899DN", Type: "B739"})

	t.Run("Err", func(t *testing.T) {
		for _, tt := range []struct{ name, doc, want string }{
			{"NotJSON", `{"icao":`, "trace: offset"},
			{"Icao", `{"icao":"xyz","timestamp":1,"trace":[]}`, `icao "xyz"`},
			{"NoTimestamp", `{"icao":"ac671b","trace":[]}`, `no "timestamp"`},
			{"NoTrace", `{"icao":"ac671b","timestamp":1}`, `no "trace"`},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := adsb.ParseTrace([]byte(tt.doc))
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err=%v, want it to contain %q", err, tt.want)
				}
			})
		}
	})
	t.Run("BadPoints", func(t *testing.T) {
		doc := `{"icao":"ac671b","timestamp":1700000000,"trace":[
			[0,1,2,1000,100,90,0,0,null],
			[1,1,2],
			[2,"x",2,1000,100,90,0,0,null],
			[3,1,2,"up",100,90,0,0,null],
			[4,1,2,1000,100,90,12,500,{"flight":"ABC1"}],
			[-5,1,2,1000,100,90,0,0,null],
			{"a":1}
		]}`
		tr, err := adsb.ParseTrace([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(tr.Points), 2; got != want {
			t.Fatalf("%d points, want %d", got, want)
		}
		// flags 12: altitude and rate geometric.
		p := tr.Points[1]
		if !math.IsNaN(p.AltBaroFt) || p.AltGeomFt != 1000 || p.GeomRateFPM != 500 || !math.IsNaN(p.BaroRateFPM) || p.Flight != "ABC1" {
			t.Fatalf("point 4: %+v", p)
		}
		wantErrs := []string{"point 1: 3 fields", "point 2: lat", "point 3: altitude", "point 5: seconds after timestamp -5", "point 6:"}
		if len(tr.Errors) != len(wantErrs) {
			t.Fatalf("errors %v, want %d", tr.Errors, len(wantErrs))
		}
		for i, w := range wantErrs {
			if got := tr.Errors[i].Error(); !strings.Contains(got, w) {
				t.Errorf("error %d %q, want it to contain %q", i, got, w)
			}
		}
	})
}

func TestParseTrafficJSON(t *testing.T) {
	tests := []struct {
		file    string
		records int
		first   deconflict.Report // the first record with a position, checked by hand in the file
	}{
		// {"altitude":0.0,"callsign":"PSWRD35","groundspeed":125.0,"icao24":"ae0455",
		//  "latitude":32.6959642313,"longitude":-117.2091550243,"onground":false,
		//  "timestamp":1600120072000,"track":302.2959763859,"vertical_rate":384.0}
		{"../testdata/adsb/traffic/aircraft_carrier.json.gz", 9024, deconflict.Report{
			Time: time.UnixMilli(1600120072000).UTC(), ID: "icao:ae0455", Domain: deconflict.Air, Source: "traffic-json",
			Lat: 32.6959642313, Lon: -117.2091550243, AltM: 0, SpeedMS: 125 * deconflict.KnotMS, CourseDeg: 302.2959763859,
			ClimbMS: 384 * deconflict.FPMMS, Callsign: "PSWRD35"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tr, err := adsb.ParseTrafficJSON(gunzip(t, mustRead(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Errors) != 0 || len(tr.Points) != tt.records {
				t.Fatalf("%d points, errors %v; want %d points", len(tr.Points), tr.Errors, tt.records)
			}
			for i := range tr.Points {
				if tr.Points[i].HasPosition() {
					compareReport(t, tr.Points[i].Report(), tt.first)
					return
				}
			}
			t.Fatal("no position")
		})
	}
	t.Run("Refuelling", func(t *testing.T) {
		tr, err := adsb.ParseTrafficJSON(gunzip(t, mustRead(t, "../testdata/adsb/traffic/inflight_refuelling.json.gz")))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(tr.Points), 10397; got != want {
			t.Fatalf("%d points, want %d", got, want)
		}
		// {"timestamp":1593547585000,"icao24":"3b7777","callsign":"FAF4011","altitude":2550.0,...}
		p := tr.Points[0]
		if p.ICAO != 0x3b7777 || p.Flight != "FAF4011" || p.AltBaroFt != 2550 || p.HasPosition() {
			t.Fatalf("first point %+v", p)
		}
	})
	t.Run("Err", func(t *testing.T) {
		if _, err := adsb.ParseTrafficJSON([]byte(`{"icao24":"ae0455"}`)); err == nil {
			t.Fatal("want error for an object")
		}
		tr, err := adsb.ParseTrafficJSON([]byte(`[{"icao24":"ae0455","timestamp":1},{"icao24":"ae0455"},{"icao24":"x","timestamp":1},{"icao24":"ae0455","timestamp":1,"latitude":100,"longitude":1}]`))
		if err != nil {
			t.Fatal(err)
		}
		wantErrs := []string{"record 1: icao24 ae0455: timestamp NaN", `record 2: icao24 "x"`, "record 3: icao24 ae0455: lat 100"}
		if len(tr.Points) != 1 || len(tr.Errors) != len(wantErrs) {
			t.Fatalf("%d points, errors %v", len(tr.Points), tr.Errors)
		}
		for i, w := range wantErrs {
			if got := tr.Errors[i].Error(); !strings.Contains(got, w) {
				t.Errorf("error %d %q, want it to contain %q", i, got, w)
			}
		}
	})
}

func gunzip(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
