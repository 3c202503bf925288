package adsb_test

import (
	"bytes"
	"testing"

	"github.com/deconflict/deconflict/adsb"
)

// BenchmarkSBS decodes and merges the cyoung stratux recording (44,481
// lines) line by line and reports lines/s.
func BenchmarkSBS(b *testing.B) {
	data := mustRead(b, cyoungLog)
	lines := bytes.Split(data, []byte("\n"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		var d adsb.SBSDecoder
		for _, l := range lines {
			m, ok, err := d.Decode(l)
			if err == nil && ok {
				d.Merge(&m)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkSBSPosition decodes one MSG 3 line with a date and time, the
// common case of a live dump1090 feed.
func BenchmarkSBSPosition(b *testing.B) {
	line := []byte("MSG,3,1,1,4CA2D6,1,2024/03/01,12:00:01.500,2024/03/01,12:00:01.520,,37000,,,51.12345,-1.5,,,0,0,0,0")
	var d adsb.SBSDecoder
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		m, _, _ := d.Decode(line)
		d.Merge(&m)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkAircraftJSON decodes the 44-aircraft readsb snapshot and
// reports aircraft/s.
func BenchmarkAircraftJSON(b *testing.B) {
	data := mustRead(b, "../testdata/adsb/aircraft-json/dump1090mqtt_aircraft.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s, err := adsb.ParseAircraftJSON(data)
		if err != nil {
			b.Fatal(err)
		}
		n += len(s.Aircraft)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "aircraft/s")
}

// BenchmarkTrace decodes the 2,500-point trace_full file, points/s.
func BenchmarkTrace(b *testing.B) {
	data := mustRead(b, "../testdata/adsb/traffic/trace_full_ac671b.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		tr, err := adsb.ParseTrace(data)
		if err != nil {
			b.Fatal(err)
		}
		n += len(tr.Points)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkBeast splits the Beast sample (239 frames) and decodes its
// Mode S messages, frames/s.
func BenchmarkBeast(b *testing.B) {
	data := mustRead(b, "../testdata/adsb/traffic/sample_dump1090.bin")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		frames, _, _ := adsb.ParseBeast(data)
		var d adsb.ModeSDecoder
		for _, f := range frames {
			if m, ok, err := d.Decode(f.Data, f.Timestamp); err == nil && ok {
				d.Merge(&m)
			}
		}
		n += len(frames)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "frames/s")
}
