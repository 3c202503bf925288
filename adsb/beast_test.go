package adsb_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/adsb"
)

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// TestModeSDecoder_Textbook decodes the worked examples of J. Sun, "The
// 1090 Megahertz Riddle" (2nd ed.), chapters on identification, airborne
// position and airborne velocity.
func TestModeSDecoder_Textbook(t *testing.T) {
	t.Run("Identification", func(t *testing.T) {
		var d adsb.ModeSDecoder
		m, ok, err := d.Decode(mustHex(t, "8D4840D6202CC371C32CE0576098"), 0)
		if err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if m.ICAO != 0x4840d6 || m.Flight != "KLM1023" || m.MsgType != 1 || m.Category != "A0" {
			t.Fatalf("got %+v", m)
		}
	})
	t.Run("PositionGlobal", func(t *testing.T) {
		var d adsb.ModeSDecoder
		// The odd message first, then the even one (the newer): lat 52.2572, lon 3.9194, 38,000 ft.
		odd, ok, err := d.Decode(mustHex(t, "8D40621D58C386435CC412692AD6"), 1000)
		if err != nil || !ok || odd.HasPosition() {
			t.Fatalf("odd alone: ok=%v err=%v position=%v", ok, err, odd.HasPosition())
		}
		even, ok, err := d.Decode(mustHex(t, "8D40621D58C382D690C8AC2863A7"), 2000)
		if err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if !near(even.Lat, 52.2572, 1e-4) || !near(even.Lon, 3.9194, 1e-4) || even.AltBaroFt != 38000 {
			t.Fatalf("lat %v lon %v alt %v, want 52.2572 3.9194 38000", even.Lat, even.Lon, even.AltBaroFt)
		}
	})
	t.Run("PairTooFarApart", func(t *testing.T) {
		var d adsb.ModeSDecoder
		d.Decode(mustHex(t, "8D40621D58C386435CC412692AD6"), 1)
		m, _, _ := d.Decode(mustHex(t, "8D40621D58C382D690C8AC2863A7"), 1+11*adsb.BeastTicksPerSecond)
		if m.HasPosition() {
			t.Fatal("position from a pair 11 s apart")
		}
	})
	t.Run("Velocity", func(t *testing.T) {
		var d adsb.ModeSDecoder
		m, ok, err := d.Decode(mustHex(t, "8D485020994409940838175B284F"), 0)
		if err != nil || !ok {
			t.Fatalf("ok=%v err=%v", ok, err)
		}
		if !near(m.SpeedKt, 159.20, 0.01) || !near(m.TrackDeg, 182.88, 0.01) || m.GeomRateFPM != -832 || m.MsgType != 4 {
			t.Fatalf("gs %v track %v rate %v/%v, want 159.20 182.88 -832", m.SpeedKt, m.TrackDeg, m.BaroRateFPM, m.GeomRateFPM)
		}
	})
	t.Run("Err", func(t *testing.T) {
		var d adsb.ModeSDecoder
		for _, tt := range []struct{ msg, want string }{
			{"8D485020994409940838175B284E", "CRC remainder"},
			{"8D4850", "3 bytes"},
			{"8D485020994409", "DF 17 in a 7-byte message"},
		} {
			_, _, err := d.Decode(mustHex(t, tt.msg), 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode(%s): %v, want %q", tt.msg, err, tt.want)
			}
		}
		// A surveillance reply is not ADS-B: skipped, no error.
		if _, ok, err := d.Decode(mustHex(t, "5D4840D6A1C2E1"), 0); ok || err != nil {
			t.Errorf("DF 11: ok=%v err=%v", ok, err)
		}
	})
}

// TestParseBeast decodes testdata/adsb/traffic/sample_dump1090.bin: 239
// frames (185 short, 54 long), 23 extended squitters, all from 48520a
// (a Dutch address), 4 airborne positions and 8 velocities among them.
func TestParseBeast(t *testing.T) {
	data := mustRead(t, "../testdata/adsb/traffic/sample_dump1090.bin")
	frames, consumed, skipped := adsb.ParseBeast(data)
	if len(frames) != 239 || consumed != len(data) || skipped != 0 {
		t.Fatalf("%d frames, consumed %d of %d, skipped %d", len(frames), consumed, len(data), skipped)
	}
	var d adsb.ModeSDecoder
	var positions, velocities, ids int
	var last adsb.Message
	for _, f := range frames {
		if f.Type == '1' {
			continue
		}
		m, ok, err := d.Decode(f.Data, f.Timestamp)
		if err != nil {
			t.Fatalf("frame at %d: %v", f.Timestamp, err)
		}
		if !ok {
			continue
		}
		if m.ICAO != 0x48520a {
			t.Fatalf("ICAO %06x, want 48520a", m.ICAO)
		}
		switch m.MsgType {
		case 1:
			ids++
		case 3:
			if m.HasPosition() {
				positions++
				last = m
			}
		case 4:
			velocities++
		}
	}
	// 4 position messages: the first has no partner yet.
	if positions != 3 || velocities != 8 || ids != 1 {
		t.Fatalf("positions %d velocities %d identifications %d, want 3 8 1", positions, velocities, ids)
	}
	// An independent decode of the same frames (a Python script following
	// the textbook's bit positions and formulas, not this code) gives
	// 43.656646728515625, 1.2296383879905524 (near Toulouse) at 38,000 ft
	// for the last pair, 5.9 s apart.
	if !near(last.Lat, 43.656646728515625, 1e-12) || !near(last.Lon, 1.2296383879905524, 1e-12) || last.AltBaroFt != 38000 {
		t.Fatalf("last position %v %v %v", last.Lat, last.Lon, last.AltBaroFt)
	}
}
