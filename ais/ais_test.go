package ais_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/ais"
)

// withChecksum returns "!"+body+"*HH" with the right NMEA checksum.
func withChecksum(lead, body string) string {
	var sum byte
	for i := 0; i < len(body); i++ {
		sum ^= body[i]
	}
	return fmt.Sprintf("%s%s*%02X", lead, body, sum)
}

func TestParseSentence(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for _, tt := range []struct {
			name, line  string
			talker      string
			own         bool
			total, num  int
			seq         int
			channel     byte
			payload     string
			fill        int
			time        time.Time
			station     string
			tagChecksum bool
		}{
			{name: "Plain", line: "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\r\n",
				talker: "AI", total: 1, num: 1, seq: -1, channel: 'A', payload: "13HOI:0P0000VOHLCnHQKwvL05Ip"},
			{name: "OwnShip", line: "!AIVDO,1,1,,,B000000002EgKjv=lCL03wQ5wP06,0*0F",
				talker: "AI", own: true, total: 1, num: 1, seq: -1, payload: "B000000002EgKjv=lCL03wQ5wP06"},
			{name: "Fragment", line: "!AIVDM,2,2,9,B,00,4*18",
				talker: "AI", total: 2, num: 2, seq: 9, channel: 'B', payload: "00", fill: 4},
			{name: "AnyTalker", line: "!=IVDM,1,1,,A,18JSmJ001D8FqSClKd51JAD20D0W,0*2E",
				talker: "=I", total: 1, num: 1, seq: -1, channel: 'A', payload: "18JSmJ001D8FqSClKd51JAD20D0W"},
			{name: "TagBlock", line: `\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep` + "`" + `iToV0<00,0*78`,
				talker: "AI", total: 1, num: 1, seq: -1, channel: 'B', payload: "13F?Vv700<DJuLEtvep`iToV0<00",
				time: time.Date(2014, 12, 10, 0, 41, 53, 0, time.UTC), station: "rORBCOMM104", tagChecksum: true},
			{name: "TagBlockBadChecksumKept", line: `\c:1420030798*00\!ABVDM,1,1,4,B,17P;HV?P008F98Il;EC1mOwL0@KP,0*22`,
				talker: "AB", total: 1, num: 1, seq: 4, channel: 'B', payload: "17P;HV?P008F98Il;EC1mOwL0@KP",
				time: time.Unix(1420030798, 0).UTC()},
			{name: "USCGSuffix", line: "!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794,1272412827",
				talker: "AI", total: 1, num: 1, seq: -1, channel: 'A', payload: "15B4FT5000JRP>PE6E68Nbkl0PS5",
				time: time.Unix(1272412827, 0).UTC(), station: "b003669794"},
			{name: "MillisecondSuffix", line: "!AIVDM,1,1,,A,144gjIP0085KKPQHMPjT81Sb1PSL,0*22,1328133720087",
				talker: "AI", total: 1, num: 1, seq: -1, channel: 'A', payload: "144gjIP0085KKPQHMPjT81Sb1PSL",
				time: time.UnixMilli(1328133720087).UTC()},
			{name: "EpochPrefix", line: "1272412827.25 !AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
				talker: "AI", total: 1, num: 1, seq: -1, channel: 'A', payload: "13HOI:0P0000VOHLCnHQKwvL05Ip",
				time: time.Unix(1272412827, 250e6).UTC()},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var s ais.Sentence
				if err := ais.ParseSentence([]byte(tt.line), &s); err != nil {
					t.Fatal(err)
				}
				if got, want := string(s.Talker[:]), tt.talker; got != want {
					t.Errorf("Talker=%q, want %q", got, want)
				}
				if got, want := s.Own, tt.own; got != want {
					t.Errorf("Own=%v, want %v", got, want)
				}
				if s.Total != tt.total || s.Num != tt.num || s.SeqID != tt.seq || s.Channel != tt.channel || s.Fill != tt.fill {
					t.Errorf("Total,Num,SeqID,Channel,Fill=%d,%d,%d,%q,%d, want %d,%d,%d,%q,%d",
						s.Total, s.Num, s.SeqID, s.Channel, s.Fill, tt.total, tt.num, tt.seq, tt.channel, tt.fill)
				}
				if got, want := string(s.Payload), tt.payload; got != want {
					t.Errorf("Payload=%q, want %q", got, want)
				}
				if got, want := s.Time, tt.time; !got.Equal(want) {
					t.Errorf("Time=%v, want %v", got, want)
				}
				if got, want := string(s.Station), tt.station; got != want {
					t.Errorf("Station=%q, want %q", got, want)
				}
				if s.Tag.Present && s.Tag.ChecksumOK != tt.tagChecksum {
					t.Errorf("Tag.ChecksumOK=%v, want %v", s.Tag.ChecksumOK, tt.tagChecksum)
				}
			})
		}
	})

	for _, tt := range []struct {
		name, line, want string
	}{
		{"ErrBadChecksum", "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*24", "ais: checksum 24, computed 23"},
		{"ErrNoChecksum", "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0", "ais: sentence without checksum"},
		{"ErrChecksumNotHex", "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*G3", `ais: bad checksum field "*G3"`},
		{"ErrTooFewFields", withChecksum("!", "AIVDM,1,1,A,13HOI"), "ais: sentence has 5 fields, want 7"},
		{"ErrTooManyFields", withChecksum("!", "AIVDM,1,1,,A,13HOI,0,0"), "ais: sentence has more than 7 fields"},
		{"ErrCount", withChecksum("!", "AIVDM,0,1,,A,13HOI,0"), `ais: sentence count "0", want 1-9`},
		{"ErrNumber", withChecksum("!", "AIVDM,2,3,,A,13HOI,0"), `ais: sentence number "3", want 1-2`},
		{"ErrSequence", withChecksum("!", "AIVDM,2,1,x,A,13HOI,0"), `ais: sequence id "x", want 0-9 or empty`},
		{"ErrChannel", withChecksum("!", "AIVDM,1,1,,AB,13HOI,0"), `ais: radio channel "AB", want A, B, 1, 2 or empty`},
		{"ErrFill", withChecksum("!", "AIVDM,1,1,,A,13HOI,7"), `ais: fill bits "7", want 0-5`},
		{"ErrTagBlockUnclosed", `\c:1420030798*00!AIVDM`, "ais: tag block without its closing backslash"},
		{"ErrTagBlockTime", `\c:soon*00\!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23`, `ais: tag block time "soon", want Unix seconds`},
		{"ErrNotNMEA", "hello", "ais: not an NMEA sentence"},
		{"ErrOtherNMEA", "$GPGGA,1*00", "ais: not an AIS sentence (!xxVDM or !xxVDO)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var s ais.Sentence
			err := ais.ParseSentence([]byte(tt.line), &s)
			if err == nil {
				t.Fatalf("ParseSentence(%q) succeeded, want error %q", tt.line, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
		})
	}
}

// MustDecode feeds lines to d and returns the messages, as JSON, and the
// errors.
func MustDecode(tb testing.TB, d *ais.Decoder, lines ...string) (msgs []string, errs []string) {
	tb.Helper()
	var m ais.Message
	for _, l := range lines {
		ok, err := d.Decode([]byte(l), &m)
		if err != nil {
			errs = append(errs, err.Error())
		}
		if ok {
			msgs = append(msgs, string(m.AppendJSON(nil, "stdin")))
		}
	}
	return msgs, errs
}

// The expected JSON below is what gpsdecode -j (gpsd 3.22) prints for the
// same sentences.
const (
	everDiademJSON = `{"class":"AIS","device":"stdin","type":5,"repeat":0,"mmsi":351759000,"scaled":true,"imo":9134270,"ais_version":0,"callsign":"3FOF8","shipname":"EVER DIADEM","shiptype":70,"shiptype_text":"Cargo - all ships of this type","to_bow":225,"to_stern":70,"to_port":1,"to_starboard":31,"epfd":1,"epfd_text":"GPS","eta":"05-15T14:00Z","draught":12.2,"destination":"NEW YORK","dte":0}`
	arionJSON      = `{"class":"AIS","device":"stdin","type":24,"repeat":0,"mmsi":503623000,"scaled":true,"shipname":"ARION","shiptype":52,"shiptype_text":"Tug","vendorid":"7STAR","model":0,"serial":335872,"callsign":"VHHT","to_bow":9,"to_stern":22,"to_port":6,"to_starboard":3}`
	sarJSON        = `{"class":"AIS","device":"stdin","type":9,"repeat":0,"mmsi":111232511,"scaled":true,"alt":303,"speed":42,"accuracy":false,"lon":-6.278843,"lat":58.144000,"course":154.5,"second":15,"regional":0,"dte":1,"raim":false,"radio":33392}`
	mooredJSON     = `{"class":"AIS","device":"stdin","type":1,"repeat":0,"mmsi":354490000,"scaled":true,"status":5,"status_text":"Moored","turn":0,"speed":0.0,"accuracy":false,"lon":-76.348667,"lat":36.873000,"course":217.0,"heading":345,"second":58,"maneuver":0,"raim":false,"radio":133317}`
	baseJSON       = `{"class":"AIS","device":"stdin","type":4,"repeat":0,"mmsi":3669141,"scaled":true,"timestamp":"2017-10-30T21:43:41Z","accuracy":true,"lon":-119.065052,"lat":34.107302,"epfd":15,"epfd_text":"INVALID EPFD","raim":true,"radio":34343}`
)

const (
	everDiadem1 = "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
	everDiadem2 = "!AIVDM,2,2,1,A,88888888880,2*25"
	arionA      = "!AIVDM,1,1,,A,H7PBeF058Ttp000000000000000,2*37"
	arionB      = "!AIVDM,1,1,,A,H7PBeF4loCD1B00F88D00018F630,0*63"
	sar         = "!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30"
	moored      = "!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794,1272412827"
	base        = "!AIVDM,1,1,,A,403OtUAv6gEcaoNubBCQ2wO028HW,0*17"
)

func TestDecoder(t *testing.T) {
	t.Run("SingleSentences", func(t *testing.T) {
		got, errs := MustDecode(t, ais.NewDecoder(), sar, moored, base)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want := []string{sarJSON, mooredJSON, baseJSON}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("TwoSentences", func(t *testing.T) {
		got, errs := MustDecode(t, ais.NewDecoder(), everDiadem1, everDiadem2)
		if len(errs) > 0 || len(got) != 1 || got[0] != everDiademJSON {
			t.Errorf("got %q, errors %q, want %q", got, errs, everDiademJSON)
		}
	})
	t.Run("Interleaved", func(t *testing.T) {
		// Two messages on the same channel with different sequence ids,
		// and one on the other channel with the same id, interleaved.
		other1 := strings.Replace(everDiadem1, ",1,A,", ",2,A,", 1)
		other2 := strings.Replace(everDiadem2, ",1,A,", ",2,A,", 1)
		chanB1 := strings.Replace(everDiadem1, ",1,A,", ",1,B,", 1)
		chanB2 := strings.Replace(everDiadem2, ",1,A,", ",1,B,", 1)
		lines := []string{everDiadem1, fix(other1), fix(chanB1), sar, fix(other2), everDiadem2, fix(chanB2)}
		got, errs := MustDecode(t, ais.NewDecoder(), lines...)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if len(got) != 4 {
			t.Fatalf("%d messages, want 4: %q", len(got), got)
		}
		for _, i := range []int{1, 2, 3} {
			if got[i] != everDiademJSON {
				t.Errorf("message %d = %s, want %s", i, got[i], everDiademJSON)
			}
		}
	})
	t.Run("ErrMissingFirst", func(t *testing.T) {
		d := ais.NewDecoder()
		_, errs := MustDecode(t, d, sar, everDiadem2)
		want := []string{"ais: line 2: sentence 2 of 2 (sequence id 1) without the sentences before it"}
		if strings.Join(errs, "|") != strings.Join(want, "|") {
			t.Errorf("errors %q, want %q", errs, want)
		}
		if got, want := d.Stats().Errors, 1; got != want {
			t.Errorf("Stats().Errors=%d, want %d", got, want)
		}
	})
	t.Run("WindowTimeout", func(t *testing.T) {
		d := ais.NewDecoder()
		d.FragmentWindow = 2
		got, errs := MustDecode(t, d, everDiadem1, sar, sar, sar, everDiadem2)
		if len(got) != 3 || len(errs) != 1 {
			t.Errorf("%d messages and errors %q, want 3 messages and 1 error", len(got), errs)
		}
		if got, want := d.Stats().Dropped, 1; got != want {
			t.Errorf("Stats().Dropped=%d, want %d", got, want)
		}
	})
	t.Run("TimeTimeout", func(t *testing.T) {
		d := ais.NewDecoder()
		first := `\g:1-2-7,c:1000000000*00\` + everDiadem1
		late := `\g:2-2-7,c:1000000031*00\` + everDiadem2
		onTime := `\g:2-2-7,c:1000000029*00\` + everDiadem2
		if got, errs := MustDecode(t, d, first, late); len(got) != 0 || len(errs) != 1 {
			t.Errorf("31 s apart: %q %q, want no message and an error", got, errs)
		}
		if got, errs := MustDecode(t, d, first, onTime); len(got) != 1 || len(errs) != 0 {
			t.Errorf("29 s apart: %q %q, want one message", got, errs)
		}
	})
	t.Run("TagBlockGroup", func(t *testing.T) {
		// exactEarth: only the first sentence names the source and time.
		lines := []string{
			`\g:1-2-3985,s:rEV02,c:1334337317*2D\!AIVDM,2,1,9,B,58KvN<42ACikUKW77F1H4hF0<PTp622222222216` + "`" + `0` + "`" + `cF5BF0RT13H0T,0*70`,
			`\g:2-2-3985*5A\!AIVDM,2,2,9,B,PFRC88888888880,2*29`,
		}
		d := ais.NewDecoder()
		var m ais.Message
		if ok, err := d.Decode([]byte(lines[0]), &m); ok || err != nil {
			t.Fatal(ok, err)
		}
		if ok, err := d.Decode([]byte(lines[1]), &m); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if got, want := m.Type, 5; got != want {
			t.Errorf("Type=%d, want %d", got, want)
		}
		if got, want := m.Time, time.Unix(1334337317, 0).UTC(); !got.Equal(want) {
			t.Errorf("Time=%v, want %v (the first sentence's)", got, want)
		}
	})
	t.Run("FloodIsBounded", func(t *testing.T) {
		// First sentences that never get their second: each takes a
		// pending slot; the oldest is evicted, nothing grows.
		d := ais.NewDecoder()
		var m ais.Message
		line := func(i int) []byte {
			return []byte(fmt.Sprintf(`\g:1-2-%d*00\%s`, i, everDiadem1))
		}
		for i := 0; i < 1000; i++ {
			if _, err := d.Decode(line(i), &m); err != nil {
				t.Fatal(err)
			}
		}
		lines := make([][]byte, 1000)
		for i := range lines {
			lines[i] = line(1000 + i)
		}
		i := 0
		allocs := testing.AllocsPerRun(1000, func() {
			d.Decode(lines[i%len(lines)], &m)
			i++
		})
		if allocs != 0 {
			t.Errorf("%.1f allocations per unfinished message, want 0", allocs)
		}
		if got, min := d.Stats().Dropped, 1900; got < min {
			t.Errorf("Stats().Dropped=%d, want at least %d", got, min)
		}
	})
	t.Run("FeedTimes", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			lines []string
			want  time.Time
		}{
			{"PGHP", []string{"$PGHP,1,2013,3,18,9,19,9,499,219,,2190048,1,28*23", sar}, time.Date(2013, 3, 18, 9, 19, 9, 499e6, time.UTC)},
			{"ZDA", []string{"$GPZDA,114702.51,27,01,2012,,*66", sar}, time.Date(2012, 1, 27, 11, 47, 2, 510e6, time.UTC)},
			{"TagBlockAlone", []string{`\c:1354719388*56\`, sar}, time.Unix(1354719388, 0).UTC()},
			{"LineTimeWins", []string{"$GPZDA,114702.51,27,01,2012,,*66", moored}, time.Unix(1272412827, 0).UTC()},
			{"None", []string{sar}, time.Time{}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				d := ais.NewDecoder()
				var m ais.Message
				for _, l := range tt.lines {
					if _, err := d.Decode([]byte(l), &m); err != nil {
						t.Fatal(err)
					}
				}
				if got := m.Time; !got.Equal(tt.want) {
					t.Errorf("Time=%v, want %v", got, tt.want)
				}
			})
		}
	})
	t.Run("Type24Joined", func(t *testing.T) {
		d := ais.NewDecoder()
		var m ais.Message
		if ok, err := d.Decode([]byte(arionA), &m); !ok || err != nil || m.Part != ais.PartA {
			t.Fatalf("part A: %v %v Part=%d", ok, err, m.Part)
		}
		if got, want := m.ShipName(), "ARION"; got != want {
			t.Errorf("part A ShipName()=%q, want %q", got, want)
		}
		if ok, err := d.Decode([]byte(arionB), &m); !ok || err != nil || m.Part != ais.PartAB {
			t.Fatalf("part B: %v %v Part=%d", ok, err, m.Part)
		}
		if got := string(m.AppendJSON(nil, "stdin")); got != arionJSON {
			t.Errorf("got %s, want %s", got, arionJSON)
		}
		// The name is used once: a repeated part B stands alone.
		if ok, err := d.Decode([]byte(arionB), &m); !ok || err != nil || m.Part != ais.PartB {
			t.Fatalf("repeated part B: %v %v Part=%d", ok, err, m.Part)
		}
	})
	t.Run("OtherTypes", func(t *testing.T) {
		// A type 28 message (undefined): reported with type and MMSI.
		line := withChecksum("!", "AIVDM,1,1,,A,L5B4FT5000JRP>PE6E68Nbkl0PS5,0")
		got, errs := MustDecode(t, ais.NewDecoder(), line)
		want := `{"class":"AIS","device":"stdin","type":28,"repeat":0,"mmsi":354490000,"scaled":true}`
		if len(errs) > 0 || len(got) != 1 || got[0] != want {
			t.Errorf("got %q %q, want %q", got, errs, want)
		}
	})
	t.Run("LengthRules", func(t *testing.T) {
		// gpsd's payload lengths by type (driver_ais.c): a payload one bit
		// short of the least, or one bit over the most, is rejected with
		// the length gpsd names; the least is accepted.
		payload := func(typ, bits int) string {
			c := byte(typ + 48)
			if typ >= 40 {
				c = byte(typ + 56)
			}
			chars := (bits + 5) / 6
			return withChecksum("!", fmt.Sprintf("AIVDM,1,1,,A,%c%s,%d", c, strings.Repeat("0", chars-1), chars*6-bits))
		}
		for _, r := range []struct {
			typ, min, max int
			want          string
		}{
			{1, 163, 0, "168"}, {3, 163, 0, "168"}, {4, 168, 0, "168"}, {5, 420, 0, "424"},
			{6, 88, 1008, "88-1008"}, {7, 72, 168, "72-168"}, {8, 56, 1008, "56-1008"}, {9, 168, 0, "168"},
			{10, 72, 0, "72"}, {11, 168, 0, "168"}, {12, 72, 1008, "72-1008"}, {13, 72, 168, "72-168"},
			{14, 40, 1008, "40-1008"}, {15, 88, 168, "88-168"}, {16, 96, 168, "96-168"}, {17, 80, 816, "80-816"},
			{18, 168, 0, "168"}, {19, 312, 0, "312"}, {20, 72, 186, "72-186"}, {21, 272, 368, "272-368"},
			{22, 168, 0, "168"}, {23, 160, 0, "160"}, {25, 40, 168, "40-168"}, {26, 60, 1004, "60-1004"},
		} {
			bad := []int{r.min - 1}
			if r.max > 0 && r.max < 400 {
				bad = append(bad, r.max+1)
			}
			for _, n := range bad {
				_, errs := MustDecode(t, ais.NewDecoder(), payload(r.typ, n))
				want := fmt.Sprintf("ais: line 1: type %d message of %d bits, want %s", r.typ, n, r.want)
				if len(errs) != 1 || errs[0] != want {
					t.Errorf("type %d, %d bits: errors %q, want %q", r.typ, n, errs, want)
				}
			}
			if got, errs := MustDecode(t, ais.NewDecoder(), payload(r.typ, r.min)); len(errs) != 0 || len(got) != 1 {
				t.Errorf("type %d, %d bits: %q %q, want it decoded", r.typ, r.min, got, errs)
			}
		}
	})
	t.Run("ErrBadPayload", func(t *testing.T) {
		for _, tt := range []struct{ line, want string }{
			{withChecksum("!", "AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS~,0"), `ais: line 1: payload character '~' at 28 is not 6-bit armouring`},
			{withChecksum("!", "AIVDM,1,1,,A,15B4FT5000,0"), `ais: line 1: type 1 message of 60 bits, want 168`},
			{withChecksum("!", "AIVDM,1,1,,A,15B4,0"), `ais: line 1: payload of 24 bits, too short for a message header`},
		} {
			_, errs := MustDecode(t, ais.NewDecoder(), tt.line)
			if len(errs) != 1 || errs[0] != tt.want {
				t.Errorf("%s: errors %q, want %q", tt.line, errs, tt.want)
			}
		}
	})
}

// fix recomputes the checksum of an edited sentence.
func fix(line string) string {
	star := strings.LastIndexByte(line, '*')
	return withChecksum("!", line[1:star])
}

func TestMessageValues(t *testing.T) {
	t.Run("Unavailable", func(t *testing.T) {
		// A real type 1 report with every value not available: lat 91,
		// lon 181, speed 1023, course 3600, heading 511, turn -128.
		var m ais.Message
		if err := m.DecodePayload([]byte("13cc3o?P?w<tSF0l4Q@>4?wv0PRr"), 0); err != nil {
			t.Fatal(err)
		}
		if m.Lat != ais.LatNotAvailable || m.Lon != ais.LonNotAvailable || m.Speed != ais.SpeedNotAvailable ||
			m.Course != ais.CourseNotAvailable || m.Heading != ais.HeadingNotAvailable || m.Turn != ais.TurnNotAvailable {
			t.Fatalf("raw values %d %d %d %d %d %d, want the not-available sentinels", m.Lat, m.Lon, m.Speed, m.Course, m.Heading, m.Turn)
		}
		if _, ok := m.LatDeg(); ok {
			t.Error("LatDeg ok for lat 91")
		}
		if _, ok := m.LonDeg(); ok {
			t.Error("LonDeg ok for lon 181")
		}
		if _, ok := m.SpeedKnots(); ok {
			t.Error("SpeedKnots ok for 102.3")
		}
		if _, ok := m.CourseDeg(); ok {
			t.Error("CourseDeg ok for 360")
		}
		if _, ok := m.HeadingDeg(); ok {
			t.Error("HeadingDeg ok for 511")
		}
		var r deconflict.Report
		if !m.Report(&r) {
			t.Fatal("Report false for a type 1 message")
		}
		for name, v := range map[string]float64{"Lat": r.Lat, "Lon": r.Lon, "SpeedMS": r.SpeedMS, "CourseDeg": r.CourseDeg, "AltM": r.AltM, "ClimbMS": r.ClimbMS} {
			if deconflict.Known(v) {
				t.Errorf("%s=%v, want Unknown", name, v)
			}
		}
		// gpsd prints the sentinels; so do we.
		want := `{"class":"AIS","device":"stdin","type":1,"repeat":0,"mmsi":247120860,"scaled":true,"status":15,"status_text":"Not defined","turn":"nan","speed":"nan","accuracy":false,"lon":181.000000,"lat":91.000000,"course":360.0,"heading":511,"second":63,"maneuver":0,"raim":false,"radio":133306}`
		if got := string(m.AppendJSON(nil, "stdin")); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("ShipReport", func(t *testing.T) {
		var m ais.Message
		if err := m.DecodePayload([]byte("13HOI:0P0000VOHLCnHQKwvL05Ip"), 0); err != nil {
			t.Fatal(err)
		}
		var r deconflict.Report
		if !m.Report(&r) {
			t.Fatal("Report false")
		}
		if got, want := r.ID, "mmsi:227006760"; got != want {
			t.Errorf("ID=%q, want %q", got, want)
		}
		if got, want := r.Domain, deconflict.Sea; got != want {
			t.Errorf("Domain=%q, want %q", got, want)
		}
		if got, want := r.SpeedMS, 0.0; got != want {
			t.Errorf("SpeedMS=%v, want %v", got, want)
		}
		if math.Abs(r.Lat-49.475577) > 1e-6 || math.Abs(r.Lon-0.131380) > 1e-6 {
			t.Errorf("Lat,Lon=%v,%v, want 49.475577,0.131380", r.Lat, r.Lon)
		}
		if got, want := r.CourseDeg, 36.7; got != want {
			t.Errorf("CourseDeg=%v, want %v", got, want)
		}
	})
	t.Run("SARAircraft", func(t *testing.T) {
		var m ais.Message
		if err := m.DecodePayload([]byte("91b55wi;hbOS@OdQAC062Ch2089h"), 0); err != nil {
			t.Fatal(err)
		}
		var r deconflict.Report
		if !m.Report(&r) {
			t.Fatal("Report false")
		}
		if r.Domain != deconflict.Air || r.AltM != 303 || r.ID != "mmsi:111232511" {
			t.Errorf("Domain,AltM,ID=%q,%v,%q, want air,303,mmsi:111232511", r.Domain, r.AltM, r.ID)
		}
		if got, want := r.SpeedMS, 42*deconflict.KnotMS; math.Abs(got-want) > 1e-9 {
			t.Errorf("SpeedMS=%v, want %v (42 knots)", got, want)
		}
		if got, want := r.CourseDeg, 154.5; got != want {
			t.Errorf("CourseDeg=%v, want %v", got, want)
		}
	})
	t.Run("TextTrimmed", func(t *testing.T) {
		// Name "SEPIK  COAST" padded with spaces and '@': inner spaces kept.
		var m ais.Message
		if err := m.DecodePayload([]byte("58?O>Fh21vLe38p<001<E0Tf20<t5=@00000001?8h8854MV0:S0A@00000000000000000"), 2); err != nil {
			t.Fatal(err)
		}
		if got, want := m.ShipName(), "SEPIK  COAST"; got != want {
			t.Errorf("ShipName()=%q, want %q", got, want)
		}
		if got, want := m.Callsign(), "P2NC"; got != want {
			t.Errorf("Callsign()=%q, want %q", got, want)
		}
		var r deconflict.Report
		if !m.Report(&r) || r.Name != "SEPIK  COAST" || r.Callsign != "P2NC" || r.HasPosition() {
			t.Errorf("Report Name,Callsign,HasPosition=%q,%q,%v, want static data only", r.Name, r.Callsign, r.HasPosition())
		}
	})
	t.Run("Destination", func(t *testing.T) {
		// A type 5 report carries the destination gpsdecode prints for
		// the same sentences (everDiademJSON).
		var got []deconflict.Report
		err := ais.ReadReports(strings.NewReader(everDiadem1+"\n"+everDiadem2+"\n"), func(r deconflict.Report) error {
			got = append(got, r)
			return nil
		})
		if err != nil || len(got) != 1 {
			t.Fatalf("ReadReports: %d reports, %v; want 1", len(got), err)
		}
		if r := got[0]; r.Destination != "NEW YORK" || r.Name != "EVER DIADEM" || r.HasPosition() {
			t.Errorf("Destination, Name = %q, %q; want NEW YORK, EVER DIADEM and no position", r.Destination, r.Name)
		}
	})
	t.Run("IDs", func(t *testing.T) {
		for _, tt := range []struct{ payload, want string }{
			{"1000>=gP?w<tSF0l4Q@>4?wp0h44", "mmsi:000003638"},  // zero-padded to 9 digits
			{"1wwwwwwP?w<tSF0l4Q@>4?wp0h44", "mmsi:1073741823"}, // 30 bits: 10 digits, invalid but kept
		} {
			var m ais.Message
			if err := m.DecodePayload([]byte(tt.payload), 0); err != nil {
				t.Fatal(err)
			}
			var r deconflict.Report
			if !m.Report(&r) || r.ID != tt.want {
				t.Errorf("%s: ID=%q, want %q", tt.payload, r.ID, tt.want)
			}
		}
	})
	t.Run("NotTracks", func(t *testing.T) {
		var m ais.Message
		if err := m.DecodePayload([]byte("403OtUAv6gEcaoNubBCQ2wO028HW"), 0); err != nil {
			t.Fatal(err)
		}
		var r deconflict.Report
		if m.Report(&r) {
			t.Error("Report true for a base station")
		}
	})
}

func TestReadReports(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		feed := strings.Join([]string{"# comment", "$GPZDA,114702.51,27,01,2012,,*66", sar, "garbage", everDiadem1, everDiadem2, base, arionA, arionB, ""}, "\n")
		var got []deconflict.Report
		err := ais.ReadReports(strings.NewReader(feed), func(r deconflict.Report) error {
			got = append(got, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// sar, type 5, part A, part B (joined): the base station is no track.
		if len(got) != 4 {
			t.Fatalf("%d reports, want 4: %+v", len(got), got)
		}
		if got, want := got[1].Name, "EVER DIADEM"; got != want {
			t.Errorf("Name=%q, want %q", got, want)
		}
		if got, want := got[3].Callsign, "VHHT"; got != want {
			t.Errorf("Callsign=%q, want %q", got, want)
		}
		if got, want := got[0].Time, time.Date(2012, 1, 27, 11, 47, 2, 510e6, time.UTC); !got.Equal(want) {
			t.Errorf("Time=%v, want %v", got, want)
		}
	})
	t.Run("ErrFromEmit", func(t *testing.T) {
		stop := errors.New("stop")
		err := ais.ReadReports(strings.NewReader(sar+"\n"+sar+"\n"), func(deconflict.Report) error { return stop })
		if !errors.Is(err, stop) {
			t.Errorf("err=%v, want %v", err, stop)
		}
	})
	t.Run("ErrLongLine", func(t *testing.T) {
		rd := ais.NewReader(strings.NewReader(strings.Repeat("x", 100000) + "\n" + sar + "\n"))
		var m ais.Message
		err := rd.Read(&m)
		var le *ais.Error
		if !errors.As(err, &le) || le.Line != 1 {
			t.Fatalf("err=%v, want a line 1 error", err)
		}
		if err := rd.Read(&m); err != nil || m.Type != 9 {
			t.Fatalf("after a long line: %v, type %d, want the type 9 message", err, m.Type)
		}
		if err := rd.Read(&m); err != io.EOF {
			t.Fatalf("err=%v, want EOF", err)
		}
	})
}

func TestDecodeAllocations(t *testing.T) {
	d := ais.NewDecoder()
	var m ais.Message
	buf := make([]byte, 0, 1024)
	for _, tt := range []struct {
		name  string
		lines []string
	}{
		{"Position", []string{moored}},
		{"TwoSentences", []string{everDiadem1, everDiadem2}},
		{"TagBlock", []string{`\s:rEV02,c:1334337317*58\!AIVDM,1,1,,B,19NWuLhuRb5QHfCpPcwj` + "`" + `26B0<02,0*5F`}},
	} {
		lines := make([][]byte, len(tt.lines))
		for i, l := range tt.lines {
			lines[i] = []byte(l)
		}
		allocs := testing.AllocsPerRun(100, func() {
			for _, l := range lines {
				if ok, _ := d.Decode(l, &m); ok {
					buf = m.AppendJSON(buf[:0], "stdin")
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations, want 0", tt.name, allocs)
		}
	}
	_ = bytes.MinRead
}
