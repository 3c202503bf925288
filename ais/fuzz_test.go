package ais_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/ais"
)

// The seed corpora under testdata/fuzz hold lines and payloads taken from
// the recordings (every talker, tag block and suffix form seen there).

func FuzzParseSentence(f *testing.F) {
	f.Add([]byte(moored))
	f.Add([]byte(everDiadem1))
	f.Fuzz(func(t *testing.T, line []byte) {
		var s ais.Sentence
		if err := ais.ParseSentence(line, &s); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if s.Total < 1 || s.Total > 9 || s.Num < 1 || s.Num > s.Total || s.Fill < 0 || s.Fill > 5 || s.SeqID < -1 || s.SeqID > 9 {
			t.Fatalf("out of range: Total %d Num %d Fill %d SeqID %d", s.Total, s.Num, s.Fill, s.SeqID)
		}
		if bytes.ContainsAny(s.Payload, ",*") {
			t.Fatalf("payload %q holds a field separator", s.Payload)
		}
	})
}

func FuzzTagBlock(f *testing.F) {
	f.Add("s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55")
	f.Add("g:1-2-3985,s:rEV02,c:1334337317*2D")
	f.Add("1G2:0125,c:1354719387*0D")
	f.Fuzz(func(t *testing.T, tag string) {
		line := []byte(`\` + tag + `\` + sar)
		var s ais.Sentence
		if err := ais.ParseSentence(line, &s); err != nil {
			return
		}
		if s.Tag.GroupNum < 0 || s.Tag.GroupNum > s.Tag.GroupTotal || s.Tag.GroupTotal > 9 {
			t.Fatalf("group %d of %d", s.Tag.GroupNum, s.Tag.GroupTotal)
		}
		// The tag block must not change how the sentence itself parses.
		var plain ais.Sentence
		if err := ais.ParseSentence([]byte(sar), &plain); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain.Payload, s.Payload) && bytes.IndexByte([]byte(tag), '\\') < 0 {
			t.Fatalf("payload %q, want %q", s.Payload, plain.Payload)
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte("13HOI:0P0000VOHLCnHQKwvL05Ip"), uint8(0))
	f.Add([]byte("91b55wi;hbOS@OdQAC062Ch2089h"), uint8(0))
	f.Fuzz(func(t *testing.T, payload []byte, fill uint8) {
		var m ais.Message
		if err := m.DecodePayload(payload, int(fill)); err != nil {
			return
		}
		out := m.AppendJSON(nil, "stdin")
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %s", out)
		}
		var r deconflict.Report
		if m.Report(&r) {
			if r.HasPosition() && (r.Lat < -90 || r.Lat > 90 || r.Lon < -180 || r.Lon > 180) {
				t.Fatalf("position %v,%v out of range", r.Lat, r.Lon)
			}
			if deconflict.Known(r.CourseDeg) && (r.CourseDeg < 0 || r.CourseDeg >= 360) {
				t.Fatalf("course %v out of range", r.CourseDeg)
			}
		}
	})
}

// FuzzDecoder feeds whole feeds, several lines at a time, through one
// Decoder with a small pending table.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte(everDiadem1 + "\n" + sar + "\n" + everDiadem2 + "\n" + arionA + "\n" + arionB + "\n"))
	f.Fuzz(func(t *testing.T, feed []byte) {
		d := ais.NewDecoder()
		d.MaxPending = 4
		var m ais.Message
		for _, line := range bytes.Split(feed, []byte("\n")) {
			ok, err := d.Decode(line, &m)
			if ok && err != nil {
				t.Fatal("message and error at once")
			}
			if ok && !json.Valid(m.AppendJSON(nil, "stdin")) {
				t.Fatalf("invalid JSON for %q", line)
			}
		}
	})
}
