package adsb

import (
	"math"
	"time"

	"github.com/deconflict/deconflict"
)

// FormatBeast names raw Mode S frames in the Beast binary format
// (dump1090 and readsb port 30005, Mode-S Beast receivers).
const FormatBeast = "beast"

// BeastTicksPerSecond is the rate of the Beast timestamp counter (12 MHz).
const BeastTicksPerSecond = 12_000_000

// cprMaxPairAge is how far apart (s) the even and odd position messages
// used for a global CPR decode may be: 10 s, as in "The 1090 Megahertz
// Riddle" (J. Sun), beyond which an airliner may have moved to another
// latitude zone.
const cprMaxPairAge = 10 * BeastTicksPerSecond

// BeastFrame is one frame of a Beast stream.
type BeastFrame struct {
	Type      byte   // '1' Mode A/C (2 bytes), '2' Mode S short (7 bytes), '3' Mode S long (14 bytes)
	Timestamp uint64 // receiver's 12 MHz counter (48 bits); 0 when the receiver has none
	Signal    byte   // signal level, receiver units
	Data      []byte // the message, escapes removed; it aliases nothing the caller passed
}

// ParseBeast splits a Beast stream into frames: 0x1a, a type byte ('1',
// '2' or '3'), a 6-byte timestamp, a signal byte and the message, every
// 0x1a inside doubled. It returns the complete frames, the number of
// bytes consumed (a frame cut at the end of data is left for the next
// call) and the number of bytes skipped as garbage between frames.
func ParseBeast(data []byte) (frames []BeastFrame, consumed, skipped int) {
	i := 0
	for i < len(data) {
		if data[i] != 0x1a {
			i++
			skipped++
			continue
		}
		if i+1 >= len(data) {
			break
		}
		var n int
		switch data[i+1] {
		case '1':
			n = 2
		case '2':
			n = 7
		case '3':
			n = 14
		default:
			i++ // not a frame start (or an escaped byte out of sync)
			skipped++
			continue
		}
		body := make([]byte, 0, 7+n)
		j := i + 2
		cut := false
		for len(body) < 7+n {
			if j >= len(data) {
				cut = true
				break
			}
			b := data[j]
			if b == 0x1a {
				if j+1 >= len(data) {
					cut = true
					break
				}
				if data[j+1] != 0x1a {
					break // a new frame starts: this one is short
				}
				j++
			}
			body = append(body, b)
			j++
		}
		if cut {
			break
		}
		if len(body) < 7+n {
			skipped += j - i
			i = j
			continue
		}
		var ts uint64
		for _, b := range body[:6] {
			ts = ts<<8 | uint64(b)
		}
		frames = append(frames, BeastFrame{Type: data[i+1], Timestamp: ts, Signal: body[6], Data: body[7:]})
		i = j
	}
	return frames, i, skipped
}

// crcTable is the Mode S CRC-24 (generator 0x1FFF409) by byte.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 16
		for k := 0; k < 8; k++ {
			if c&0x800000 != 0 {
				c = c<<1 ^ 0xfff409
			} else {
				c <<= 1
			}
		}
		t[i] = c & 0xffffff
	}
	return t
}()

// modeSCRC returns the CRC-24 remainder of msg: 0 for an ADS-B message
// (DF 17, 18) received without error.
func modeSCRC(msg []byte) uint32 {
	var c uint32
	for _, b := range msg[:len(msg)-3] {
		c = (c<<8 ^ crcTable[byte(c>>16)^b]) & 0xffffff
	}
	return c ^ (uint32(msg[len(msg)-3])<<16 | uint32(msg[len(msg)-2])<<8 | uint32(msg[len(msg)-1]))
}

// ModeSDecoder decodes ADS-B extended squitters (DF 17, and DF 18 with
// CF 0 or 1) from raw Mode S messages: identification (TC 1-4), airborne
// position with barometric (TC 9-18) or GNSS (TC 20-22) altitude, and
// airborne velocity over ground (TC 19 subtypes 1 and 2). Positions are
// decoded globally from an even and an odd message of the same aircraft
// no more than 10 s apart (by the Beast counter when there is one), so
// the first position message of an aircraft gives no position. Other
// messages (surveillance replies, surface positions, airspeed velocity,
// status) decode to ok false without error. It embeds a Merger. The zero
// value is ready to use; it is not safe for concurrent use.
type ModeSDecoder struct {
	// Now, when not nil, gives the time of messages (Beast frames carry
	// a relative counter only). When nil they have a zero Time.
	Now func() time.Time
	cpr map[uint32]*cprState
	Merger
}

type cprFrame struct {
	lat, lon float64 // CPR values / 2^17
	ticks    uint64
	valid    bool
}

type cprState struct{ even, odd cprFrame }

// Decode decodes one Mode S message (7 or 14 bytes) received at ticks
// (the Beast counter; 0 when unknown). The Message's MsgType is that of
// the SBS message with the same content: 1 identification, 3 airborne
// position, 4 velocity. An error names the reason (length, CRC).
func (d *ModeSDecoder) Decode(msg []byte, ticks uint64) (m Message, ok bool, err error) {
	if len(msg) != 7 && len(msg) != 14 {
		return m, false, invalid("beast: Mode S message of %d bytes, want 7 or 14", len(msg))
	}
	df := msg[0] >> 3
	if df != 17 && df != 18 {
		return m, false, nil
	}
	if len(msg) != 14 {
		return m, false, invalid("beast: DF %d in a 7-byte message", df)
	}
	if c := modeSCRC(msg); c != 0 {
		return m, false, invalid("beast: DF %d %x: CRC remainder %06x, want 0", df, msg, c)
	}
	if df == 18 && msg[0]&7 > 1 {
		return m, false, nil // TIS-B, ADS-R and others: not the aircraft's own report
	}
	m = newMessage(FormatBeast)
	m.ICAO = uint32(msg[1])<<16 | uint32(msg[2])<<8 | uint32(msg[3])
	m.NonICAO = df == 18 && msg[0]&7 == 1
	if d.Now != nil {
		m.Time = d.Now().UTC()
	}
	me := msg[4:11]
	tc := me[0] >> 3
	switch {
	case tc >= 1 && tc <= 4:
		const charset = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"
		bits := uint64(0)
		for _, b := range me[1:7] {
			bits = bits<<8 | uint64(b)
		}
		var cs [8]byte
		for i := range cs {
			cs[i] = charset[bits>>(42-6*uint(i))&0x3f]
		}
		m.MsgType = 1
		m.Flight = cleanText(trimHash(string(cs[:])))
		m.Category = string([]byte{'E' - tc, '0' + me[0]&7}) // TC 4: A, 3: B, 2: C, 1: D
		return m, true, nil
	case tc >= 9 && tc <= 18 || tc >= 20 && tc <= 22:
		m.MsgType = 3
		alt := uint32(me[1])<<4 | uint32(me[2])>>4
		if tc <= 18 {
			if alt&0x10 != 0 { // Q bit: 25 ft steps
				n := (alt>>5)<<4 | alt&0xf
				m.AltBaroFt = float64(n)*25 - 1000
			} // Q = 0 (Gillham code, 100 ft steps) is left unknown
		} else if alt != 0 {
			m.AltGeomFt = float64(alt) / deconflict.MetresPerFoot // GNSS height in metres
		}
		odd := me[2]&0x04 != 0
		latCPR := float64(uint32(me[2]&3)<<15|uint32(me[3])<<7|uint32(me[4])>>1) / 131072
		lonCPR := float64(uint32(me[4]&1)<<16|uint32(me[5])<<8|uint32(me[6])) / 131072
		if lat, lon, ok := d.position(m.ICAO, odd, latCPR, lonCPR, ticks); ok {
			m.Lat, m.Lon = lat, lon
		}
		return m, true, nil
	case tc == 19:
		sub := me[0] & 7
		if sub != 1 && sub != 2 {
			return m, false, nil // airspeed and heading, not over ground
		}
		m.MsgType = 4
		scale := 1.0
		if sub == 2 {
			scale = 4 // supersonic
		}
		dew := me[1]&0x04 != 0
		vew := uint32(me[1]&3)<<8 | uint32(me[2])
		dns := me[3]&0x80 != 0
		vns := uint32(me[3]&0x7f)<<3 | uint32(me[4])>>5
		if vew != 0 && vns != 0 {
			e := (float64(vew) - 1) * scale
			n := (float64(vns) - 1) * scale
			if dew {
				e = -e
			}
			if dns {
				n = -n
			}
			m.SpeedKt = math.Hypot(e, n)
			m.TrackDeg = math.Mod(math.Atan2(e, n)*180/math.Pi+360, 360)
		}
		if vr := uint32(me[4]&7)<<6 | uint32(me[5])>>2; vr != 0 {
			rate := (float64(vr) - 1) * 64
			if me[4]&0x08 != 0 {
				rate = -rate
			}
			if me[4]&0x10 != 0 {
				m.BaroRateFPM = rate
			} else {
				m.GeomRateFPM = rate
			}
		}
		return m, true, nil
	}
	return m, false, nil
}

func trimHash(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '#' || s[len(s)-1] == ' ') {
		s = s[:len(s)-1]
	}
	return s
}

// position records a CPR position message and decodes it globally with
// the last message of the other parity from the same aircraft.
func (d *ModeSDecoder) position(icao uint32, odd bool, lat, lon float64, ticks uint64) (float64, float64, bool) {
	if d.cpr == nil {
		d.cpr = make(map[uint32]*cprState)
	}
	s := d.cpr[icao]
	if s == nil {
		if len(d.cpr) >= 1<<16 { // bound the state of a long feed
			clear(d.cpr)
		}
		s = &cprState{}
		d.cpr[icao] = s
	}
	f := cprFrame{lat: lat, lon: lon, ticks: ticks, valid: true}
	other := s.even
	if odd {
		s.odd = f
	} else {
		s.even = f
		other = s.odd
	}
	if !other.valid {
		return 0, 0, false
	}
	if ticks != 0 && other.ticks != 0 {
		dt := int64(ticks - other.ticks)
		if dt < 0 {
			dt = -dt
		}
		if dt > cprMaxPairAge {
			return 0, 0, false
		}
	}
	even, oddF := s.even, s.odd
	return cprGlobal(even.lat, even.lon, oddF.lat, oddF.lon, odd)
}

// cprGlobal decodes an airborne position from an even and an odd CPR
// pair (values divided by 2^17), the position of the newer one (odd when
// newerOdd). ICAO Doc 9871, C.2.6.7.
func cprGlobal(latE, lonE, latO, lonO float64, newerOdd bool) (lat, lon float64, ok bool) {
	const dLatE, dLatO = 360.0 / 60, 360.0 / 59
	j := math.Floor(59*latE - 60*latO + 0.5)
	rlatE := dLatE * (pmod(j, 60) + latE)
	rlatO := dLatO * (pmod(j, 59) + latO)
	if rlatE >= 270 {
		rlatE -= 360
	}
	if rlatO >= 270 {
		rlatO -= 360
	}
	if rlatE < -90 || rlatE > 90 || rlatO < -90 || rlatO > 90 || cprNL(rlatE) != cprNL(rlatO) {
		return 0, 0, false // the pair straddles a latitude zone boundary
	}
	nl := cprNL(rlatE)
	if newerOdd {
		lat = rlatO
		ni := max(nl-1, 1)
		m := math.Floor(lonE*float64(nl-1) - lonO*float64(nl) + 0.5)
		lon = 360 / float64(ni) * (pmod(m, float64(ni)) + lonO)
	} else {
		lat = rlatE
		ni := max(nl, 1)
		m := math.Floor(lonE*float64(nl-1) - lonO*float64(nl) + 0.5)
		lon = 360 / float64(ni) * (pmod(m, float64(ni)) + lonE)
	}
	if lon >= 180 {
		lon -= 360
	}
	return lat, lon, true
}

func pmod(a, b float64) float64 {
	r := math.Mod(a, b)
	if r < 0 {
		r += b
	}
	return r
}

// cprNL is the number of longitude zones at a latitude (degrees).
func cprNL(lat float64) int {
	switch {
	case lat == 0:
		return 59
	case math.Abs(lat) == 87:
		return 2
	case math.Abs(lat) > 87:
		return 1
	}
	const nz = 15
	a := 1 - math.Cos(math.Pi/(2*nz))
	b := math.Pow(math.Cos(math.Pi/180*math.Abs(lat)), 2)
	return int(math.Floor(2 * math.Pi / math.Acos(1-a/b)))
}
