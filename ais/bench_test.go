package ais_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/ais"
)

// benchLines are real position reports (types 1, 3 and 18) from the
// recordings.
var benchLines = [][]byte{
	[]byte("!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\n"),
	[]byte("!AIVDM,1,1,,B,37P1hU0OhT:l;sad`II5hTR20000,0*2C\n"),
	[]byte("!AIVDM,1,1,,A,B3KLehP0B@LTN6`Vl;rrBE063P06,0*5A\n"),
	[]byte("!ABVDM,1,1,6,B,1G7lQJ001PbomTie:ms2sR@40000,0*34\n"),
}

// BenchmarkDecodePosition decodes single-sentence position reports from
// lines into a reused Message.
func BenchmarkDecodePosition(b *testing.B) {
	d := ais.NewDecoder()
	var m ais.Message
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, err := d.Decode(benchLines[i&3], &m); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDecodePositionJSON adds the gpsd-style JSON of each message.
func BenchmarkDecodePositionJSON(b *testing.B) {
	d := ais.NewDecoder()
	var m ais.Message
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, err := d.Decode(benchLines[i&3], &m); !ok || err != nil {
			b.Fatal(ok, err)
		}
		buf = m.AppendJSON(buf[:0], "stdin")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDecodeStatic decodes two-sentence type 5 static reports.
func BenchmarkDecodeStatic(b *testing.B) {
	lines := [][]byte{
		[]byte("!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E\n"),
		[]byte("!AIVDM,2,2,3,B,1@0000000000000,2*55\n"),
	}
	d := ais.NewDecoder()
	var m ais.Message
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(lines[0], &m); err != nil {
			b.Fatal(err)
		}
		if ok, err := d.Decode(lines[1], &m); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkReadReportsAMSA streams the AMSA recording (44,687 lines) into
// deconflict.Reports.
func BenchmarkReadReportsAMSA(b *testing.B) {
	data := MustReadRecording(b, "../testdata/ais/amsa-risky/ais.txt.gz")
	n := 0
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := ais.ReadReports(bytes.NewReader(data), func(deconflict.Report) error { n++; return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkReaderAMSA decodes the AMSA recording with a Reader.
func BenchmarkReaderAMSA(b *testing.B) {
	data := MustReadRecording(b, "../testdata/ais/amsa-risky/ais.txt.gz")
	var m ais.Message
	n := 0
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rd := ais.NewReader(bytes.NewReader(data))
		for {
			err := rd.Read(&m)
			if err == io.EOF {
				break
			}
			if err == nil {
				n++
			}
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
