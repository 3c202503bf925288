package adsb_test

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/deconflict/deconflict/adsb"
)

// FuzzSBS feeds lines (and short line sequences, split on newlines) to
// one decoder: no panic, and a decoded message with a position must
// merge into a report with that position and a valid identity.
func FuzzSBS(f *testing.F) {
	seeds := []string{
		"MSG,3,1,1,4CA2D6,1,2024/03/01,12:00:01.500,2024/03/01,12:00:01.520,,37000,,,51.12345,-1.5,,,0,0,0,0",
		"MSG,4,1,1,A1B2C3,1,2024/03/01,12:00:02.000,2024/03/01,12:00:02.000,,,420.5,271.3,,,-1088,,,,,0",
		"MSG,1,1,1,40621D,1,2024/03/01,12:00:03.000,2024/03/01,12:00:03.000,BAW123  ,,,,,,,,-1,0,-1,-1",
		"START,Wed Sep 2 04:23:37 +0000 UTC 2015\n68280751067,MSG,3,,,AA6A76,,,,,,,35000,,,42.67905,-83.94497,,,0,0,0,0",
		"2673298051428,MSG,5,,,AB9B13,START,Wed Sep 2 04:25:25 +0000 UTC 2015",
		"MSG,5,,,~0A1B2C,,,,,,,1200,,,,,,,,,,",
		"\x00\x00START,Wed Sep 2 04:25:25 +0000 UTC 2015",
		"STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d adsb.SBSDecoder
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			m, ok, err := d.Decode(sc.Bytes())
			if err != nil || !ok {
				continue
			}
			_ = m.AppendJSON(nil)
			r, ok := d.Merge(&m)
			if ok && m.HasPosition() && (r.Lat != m.Lat || r.Lon != m.Lon || len(r.ID) < 11) {
				t.Fatalf("report %+v of message %+v", r, m)
			}
		}
	})
}

// FuzzAircraftJSON: no panic; every aircraft returned is in range and
// renders as JSON.
func FuzzAircraftJSON(f *testing.F) {
	f.Add(mustRead(f, "../testdata/adsb/aircraft-json/dump1090-exporter_aircraft.json"))
	f.Add([]byte(`{"now":1700000000,"aircraft":[{"hex":"ae1234","flight":"RCH123  ","alt_baro":"ground","alt_geom":150,"gs":12,"lat":36.1,"lon":-115.2,"seen_pos":0.5,"dbFlags":1,"r":"05-5140","t":"C17"},{"hex":"~abc123","altitude":3000,"speed":250,"vert_rate":-640}]}`))
	f.Add([]byte(`{"now":1,"aircraft":[{"hex":"zz"},{"hex":"abcdef","lat":"x"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := adsb.ParseAircraftJSON(data)
		if err != nil {
			return
		}
		for i := range s.Aircraft {
			m := &s.Aircraft[i]
			if m.HasPosition() && (m.Lat < -90 || m.Lat > 90 || m.Lon < -180 || m.Lon > 180) {
				t.Fatalf("position out of range: %+v", m)
			}
			_ = m.AppendJSON(nil)
			_ = m.Report()
		}
	})
}

// FuzzTrace: no panic; every point returned is in range.
func FuzzTrace(f *testing.F) {
	f.Add([]byte(`{"icao":"ac671b","r":"N899DN","t":"B739","dbFlags":0,"timestamp":1738703622.619,"trace":[
[0.00,16.777359,-88.036868,32000,478.6,327.8,1,0,null,"adsb_icao",33825,32,280,0.0],
[26.89,16.833336,-88.059981,32000,483.3,340.7,0,0,{"type":"adsb_icao","flight":"DAL1812 ","alt_geom":33825},"adsb_icao",33825,32,279,-0.9],
[81655.47,39.877403,-104.63974,"ground",58.5,270.0,0,-64,null,"adsb_icao",5250,null,null,null]]}`))
	f.Add([]byte(`{"icao":"~ac671b","timestamp":1700000000,"trace":[[0,1,2,1000,100,90,12,500,{"flight":"ABC1"}],[1,1,2],{"a":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := adsb.ParseTrace(data)
		if err != nil {
			return
		}
		for i := range tr.Points {
			m := &tr.Points[i]
			if m.HasPosition() && (m.Lat < -90 || m.Lat > 90 || m.Lon < -180 || m.Lon > 180) {
				t.Fatalf("position out of range: %+v", m)
			}
			_ = m.AppendJSON(nil)
		}
	})
}

// FuzzTrafficJSON: no panic; every point returned is in range.
func FuzzTrafficJSON(f *testing.F) {
	f.Add([]byte(`[{"altitude":null,"callsign":"PSWRD35","groundspeed":125.0,"icao24":"ae0455","latitude":null,"longitude":null,"onground":false,"timestamp":1600120071000,"track":302.29,"vertical_rate":384.0},
{"altitude":0.0,"callsign":"PSWRD35","groundspeed":125.0,"icao24":"ae0455","latitude":32.6959642313,"longitude":-117.2091550243,"onground":true,"timestamp":1600120072000,"track":-2,"vertical_rate":384.0}]`))
	f.Add([]byte(`[{"icao24":"ae0455","timestamp":1},{"icao24":"x"},{"icao24":"~3b7777","timestamp":1593547585000,"altitude":2550.0,"TAS":null}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := adsb.ParseTrafficJSON(data)
		if err != nil {
			return
		}
		for i := range tr.Points {
			m := &tr.Points[i]
			if m.HasPosition() && (m.Lat < -90 || m.Lat > 90 || m.Lon < -180 || m.Lon > 180) {
				t.Fatalf("position out of range: %+v", m)
			}
			if m.TrackDeg < 0 || m.TrackDeg > 360 {
				t.Fatalf("track out of range: %+v", m)
			}
			_ = m.AppendJSON(nil)
		}
	})
}

// FuzzBeast: frames split from any bytes decode without panic, and the
// decoder's positions are on the globe.
func FuzzBeast(f *testing.F) {
	f.Add(mustRead(f, "../testdata/adsb/traffic/sample_dump1090.bin")[:600])
	f.Add([]byte("\x1a3\x00\x00\x00\x00\x00\x01\x10\x8d\x40\x62\x1d\x58\xc3\x86\x43\x5c\xc4\x12\x69\x2a\xd6" +
		"\x1a3\x00\x00\x00\x00\x00\x02\x10\x8d\x40\x62\x1d\x58\xc3\x82\xd6\x90\xc8\xac\x28\x63\xa7\x1a\x1a\x1a2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, consumed, skipped := adsb.ParseBeast(data)
		if consumed > len(data) || skipped > consumed {
			t.Fatalf("consumed %d skipped %d of %d", consumed, skipped, len(data))
		}
		var d adsb.ModeSDecoder
		for _, fr := range frames {
			m, ok, err := d.Decode(fr.Data, fr.Timestamp)
			if err != nil || !ok {
				continue
			}
			if m.HasPosition() && (m.Lat < -90 || m.Lat > 90 || m.Lon < -180 || m.Lon > 180) {
				t.Fatalf("position out of range: %+v", m)
			}
			_ = m.AppendJSON(nil)
			d.Merge(&m)
		}
		// Mode S messages of random content: most fail the CRC, some not.
		if len(data) >= 14 {
			d.Decode(data[:14], 0)
		}
	})
}
