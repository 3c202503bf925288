package ais

import (
	"fmt"
	"time"
)

// Not-available values of the raw fields (ITU-R M.1371). Accessors such as
// LatDeg report them as absent.
const (
	LatNotAvailable     = 91 * 600000  // Lat, 1/10000 minute
	LonNotAvailable     = 181 * 600000 // Lon, 1/10000 minute
	SpeedNotAvailable   = 1023         // Speed, 1/10 knot (knots in type 9)
	CourseNotAvailable  = 3600         // Course, 1/10 degree
	HeadingNotAvailable = 511          // Heading, degrees
	TurnNotAvailable    = -128         // Turn, raw rate-of-turn indicator
	AltNotAvailable     = 4095         // Alt (type 9), metres
)

// Part tells which part of a type 24 static data report a Message holds.
type Part uint8

// Type 24 parts. PartAB is a part B joined with the part A that the same
// station sent before it (gpsd emits only these by default).
const (
	PartA Part = iota + 1
	PartB
	PartAB
)

// Message is one decoded AIS message. Decoding fills a caller-owned
// Message in place without allocating; fields not used by Type are zero.
// Numeric fields hold the raw transmitted values (the units are on each
// field); the methods LatDeg, LonDeg, SpeedKnots, CourseDeg and HeadingDeg
// give scaled values and report not-available sentinels as absent. Text
// fields are read from the payload by methods (ShipName, Callsign, ...).
type Message struct {
	Type   int    // message type, 1-27 (other values are reported with MMSI only)
	Repeat int    // repeat indicator, 0-3
	MMSI   uint32 // source MMSI (9 digits)

	// Time is when the message was received, from the feed (tag block c:,
	// a USCG or epoch prefix/suffix, or the last $PGHP or $GPZDA line);
	// zero when the feed gives none.
	Time time.Time
	// Channel is the radio channel of the (last) sentence: 'A', 'B', or
	// what the feed wrote ('1', '2', 0 when empty).
	Channel byte
	// Own is true for !xxVDO sentences (the receiver's own ship).
	Own bool

	// Position reports (1, 2, 3, 4, 9, 11, 18, 19, 21, 27).
	Status   int    // navigation status 0-15 (1-3, 27)
	Turn     int    // rate-of-turn indicator -128..127, -128 not available (1-3)
	Speed    int    // speed over ground: 1/10 knot (1-3, 18, 19), knots (9, 27); SpeedNotAvailable (63 in 27)
	Accuracy bool   // position accuracy flag: true for < 10 m
	Lon, Lat int    // 1/10000 minute; 1/10 minute in type 27. Sentinels: LonNotAvailable, LatNotAvailable
	Course   int    // course over ground: 1/10 degree (CourseNotAvailable), degrees in type 27 (511)
	Heading  int    // true heading, degrees, 511 not available (1-3, 18, 19)
	Second   int    // UTC second of the fix, 60-63 special (1-3, 9, 18, 19, 21)
	Maneuver int    // special manoeuvre indicator (1-3)
	RAIM     bool   // RAIM in use
	Radio    uint32 // communication state, raw
	Alt      int    // altitude, metres, 4095 not available, 4094 for 4094 or higher (9)
	Regional int    // regional reserved bits (9, 18, 19, 21)
	DTE      int    // data terminal ready flag, 0 ready (5, 9, 19)
	Assigned bool   // assigned mode (9, 18, 19, 21)
	Reserved int    // regional reserved (18, 19)
	CS       bool   // class B carrier-sense unit (18)
	Display  bool   // has a display (18)
	DSC      bool   // has DSC (18)
	Band     bool   // can use the whole marine band (18)
	Msg22    bool   // accepts channel management (18)
	GNSS     bool   // position latency: false if over 5 s (27)

	// Time fields of base station and UTC reports (4, 11).
	Year, Month, Day, Hour, Minute, UTCSecond int
	EPFD                                      int // position fixing device (4, 5, 11, 19, 21)

	// Static and voyage data (5, 19, 21, 24).
	AISVersion           int    // (5)
	IMO                  uint32 // IMO number (5)
	ShipType             int    // ship type code (5, 19, 24 B)
	ToBow, ToStern       int    // metres
	ToPort, ToStarboard  int    // metres
	MothershipMMSI       uint32 // type 24 B from an auxiliary craft (98xxxxxxx)
	Model                int    // type 24 B unit model code
	Serial               uint32 // type 24 B serial number
	ETAMonth, ETADay     int    // (5), 0 not available
	ETAHour, ETAMinute   int    // (5), 24 and 60 not available
	Draught              int    // 1/10 metre (5)
	AidType              int    // aid-to-navigation type (21)
	OffPosition, Virtual bool   // (21)
	Part                 Part   // (24)

	p       payload
	name24  [20]byte // type 24 AB: the ship name from part A
	name24N int
}

// DecodePayload decodes one armoured payload (the sixth field of a
// single-sentence !AIVDM) with fill fill bits into m, without a Decoder:
// no reassembly, no type 24 joining, no time. It does not allocate.
func (m *Message) DecodePayload(armoured []byte, fill int) error {
	if fill < 0 || fill > 5 {
		return fmt.Errorf("ais: fill bits %d, want 0-5", fill)
	}
	if bad := m.p.setArmoured(armoured, fill); bad >= 0 {
		if bad >= len(armoured) {
			return fmt.Errorf("ais: payload of %d characters is over %d bits", len(armoured), MaxPayloadBits)
		}
		return fmt.Errorf("ais: payload character %q at %d is not 6-bit armouring", armoured[bad], bad+1)
	}
	if err := m.decode(); err != nil {
		return fmt.Errorf("ais: %w", err)
	}
	return nil
}

// Bits returns the number of payload bits of the message.
func (m *Message) Bits() int { return m.p.n }

// LatDeg returns the latitude in degrees and false when not available or
// out of range.
func (m *Message) LatDeg() (float64, bool) {
	if m.Type == 27 {
		if m.Lat == 91*600 || m.Lat > 90*600 || m.Lat < -90*600 {
			return 0, false
		}
		return float64(m.Lat) / 600, true
	}
	if m.Lat == LatNotAvailable || m.Lat > 90*600000 || m.Lat < -90*600000 {
		return 0, false
	}
	return float64(m.Lat) / 600000, true
}

// LonDeg returns the longitude in degrees and false when not available or
// out of range.
func (m *Message) LonDeg() (float64, bool) {
	if m.Type == 27 {
		if m.Lon == 181*600 || m.Lon > 180*600 || m.Lon < -180*600 {
			return 0, false
		}
		return float64(m.Lon) / 600, true
	}
	if m.Lon == LonNotAvailable || m.Lon > 180*600000 || m.Lon < -180*600000 {
		return 0, false
	}
	return float64(m.Lon) / 600000, true
}

// SpeedKnots returns the speed over ground in knots and false when not
// available. 102.2 means 102.2 knots or more.
func (m *Message) SpeedKnots() (float64, bool) {
	switch m.Type {
	case 1, 2, 3, 18, 19:
		if m.Speed == SpeedNotAvailable {
			return 0, false
		}
		return float64(m.Speed) / 10, true
	case 9:
		if m.Speed == SpeedNotAvailable {
			return 0, false
		}
		return float64(m.Speed), true
	case 27:
		if m.Speed == 63 {
			return 0, false
		}
		return float64(m.Speed), true
	}
	return 0, false
}

// CourseDeg returns the course over ground in degrees [0, 360) and false
// when not available.
func (m *Message) CourseDeg() (float64, bool) {
	switch m.Type {
	case 1, 2, 3, 9, 18, 19:
		if m.Course >= CourseNotAvailable {
			return 0, false
		}
		return float64(m.Course) / 10, true
	case 27:
		if m.Course >= 360 {
			return 0, false
		}
		return float64(m.Course), true
	}
	return 0, false
}

// HeadingDeg returns the true heading in degrees and false when not
// available.
func (m *Message) HeadingDeg() (int, bool) {
	switch m.Type {
	case 1, 2, 3, 18, 19:
		if m.Heading >= 360 {
			return 0, false
		}
		return m.Heading, true
	}
	return 0, false
}

// AltMetres returns the altitude of a type 9 SAR aircraft in metres and
// false when not available.
func (m *Message) AltMetres() (float64, bool) {
	if m.Type != 9 || m.Alt == AltNotAvailable {
		return 0, false
	}
	return float64(m.Alt), true
}

// AppendShipName appends the ship name (5, 19, 24 A and AB) or the
// aid-to-navigation name (21), trimmed, to dst.
func (m *Message) AppendShipName(dst []byte) []byte {
	switch m.Type {
	case 5:
		return m.p.appendText(dst, 112, 20)
	case 19:
		return m.p.appendText(dst, 143, 20)
	case 21:
		n0 := len(dst)
		dst = m.p.appendText(dst, 43, 20)
		if len(dst)-n0 == 20 && m.p.n > 272 {
			dst = m.p.appendText(dst, 272, (m.p.n-272)/6)
		}
		return dst
	case 24:
		switch m.Part {
		case PartA:
			return m.p.appendText(dst, 40, 20)
		case PartAB:
			return append(dst, m.name24[:m.name24N]...)
		}
	}
	return dst
}

// ShipName returns AppendShipName's text as a string.
func (m *Message) ShipName() string { return string(m.AppendShipName(nil)) }

// AppendCallsign appends the callsign (5, 24 B and AB) to dst.
func (m *Message) AppendCallsign(dst []byte) []byte {
	switch {
	case m.Type == 5:
		return m.p.appendText(dst, 70, 7)
	case m.Type == 24 && m.Part != PartA:
		return m.p.appendText(dst, 90, 7)
	}
	return dst
}

// Callsign returns AppendCallsign's text as a string.
func (m *Message) Callsign() string { return string(m.AppendCallsign(nil)) }

// AppendDestination appends the destination (5) to dst.
func (m *Message) AppendDestination(dst []byte) []byte {
	if m.Type == 5 {
		return m.p.appendText(dst, 302, 20)
	}
	return dst
}

// Destination returns AppendDestination's text as a string.
func (m *Message) Destination() string { return string(m.AppendDestination(nil)) }

// AppendVendorID appends the vendor id (24 B and AB) to dst.
func (m *Message) AppendVendorID(dst []byte) []byte {
	if m.Type == 24 && m.Part != PartA {
		return m.p.appendText(dst, 48, 7)
	}
	return dst
}

// AppendText appends the text of a safety message (12, 14) to dst.
func (m *Message) AppendText(dst []byte) []byte {
	switch m.Type {
	case 12:
		return m.p.appendText(dst, 72, (m.p.n-72)/6)
	case 14:
		return m.p.appendText(dst, 40, (m.p.n-40)/6)
	}
	return dst
}

// lengthError reports a payload of the wrong size for its type.
func lengthError(typ, bits int, want string) error {
	return fmt.Errorf("type %d message of %d bits, want %s", typ, bits, want)
}

// lengths are gpsd's payload length rules, in bits, by message type: at
// least min, at most max (0: no limit), and the length to name in the
// error. Types 24 and 27 have rules of their own in decode.
var lengths = [...]struct {
	min, max int
	want     string
}{
	1: {163, 0, "168"}, 2: {163, 0, "168"}, 3: {163, 0, "168"},
	4: {168, 0, "168"}, 11: {168, 0, "168"},
	5: {420, 0, "424"}, // gpsd accepts 420-423 bits too: many transmitters send them
	6: {88, 1008, "88-1008"}, 7: {72, 168, "72-168"}, 13: {72, 168, "72-168"},
	8: {56, 1008, "56-1008"}, 9: {168, 0, "168"}, 10: {72, 0, "72"},
	12: {72, 1008, "72-1008"}, 14: {40, 1008, "40-1008"}, 15: {88, 168, "88-168"},
	16: {96, 168, "96-168"}, 17: {80, 816, "80-816"}, 18: {168, 0, "168"},
	19: {312, 0, "312"}, 20: {72, 186, "72-186"}, 21: {272, 368, "272-368"},
	22: {168, 0, "168"}, 23: {160, 0, "160"}, 25: {40, 168, "40-168"},
	26: {60, 1004, "60-1004"},
}

// decode fills m's fields from m.p. It applies gpsd's length rules so
// that both decoders accept the same messages.
func (m *Message) decode() error {
	p := &m.p
	n := p.n
	if n < 38 {
		return fmt.Errorf("payload of %d bits, too short for a message header", n)
	}
	m.reset()
	m.Type = int(p.u(0, 6))
	m.Repeat = int(p.u(6, 2))
	m.MMSI = uint32(p.u(8, 30))
	if m.Type < len(lengths) {
		if r := lengths[m.Type]; r.want != "" && (n < r.min || r.max > 0 && n > r.max) {
			return lengthError(m.Type, n, r.want)
		}
	}
	switch m.Type {
	case 1, 2, 3:
		m.Status = int(p.u(38, 4))
		m.Turn = int(p.s(42, 8))
		m.Speed = int(p.u(50, 10))
		m.Accuracy = p.u(60, 1) != 0
		m.Lon = int(p.s(61, 28))
		m.Lat = int(p.s(89, 27))
		m.Course = int(p.u(116, 12))
		m.Heading = int(p.u(128, 9))
		m.Second = int(p.u(137, 6))
		m.Maneuver = int(p.u(143, 2))
		m.RAIM = p.u(148, 1) != 0
		if n >= 168 {
			m.Radio = uint32(p.u(149, 19))
		} else {
			m.Radio = uint32(p.u(149, n-149))
		}
	case 4, 11:
		m.Year = int(p.u(38, 14))
		m.Month = int(p.u(52, 4))
		m.Day = int(p.u(56, 5))
		m.Hour = int(p.u(61, 5))
		m.Minute = int(p.u(66, 6))
		m.UTCSecond = int(p.u(72, 6))
		m.Accuracy = p.u(78, 1) != 0
		m.Lon = int(p.s(79, 28))
		m.Lat = int(p.s(107, 27))
		m.EPFD = int(p.u(134, 4))
		m.RAIM = p.u(148, 1) != 0
		m.Radio = uint32(p.u(149, 19))
	case 5:
		m.AISVersion = int(p.u(38, 2))
		m.IMO = uint32(p.u(40, 30))
		m.ShipType = int(p.u(232, 8))
		m.ToBow = int(p.u(240, 9))
		m.ToStern = int(p.u(249, 9))
		m.ToPort = int(p.u(258, 6))
		m.ToStarboard = int(p.u(264, 6))
		m.EPFD = int(p.u(270, 4))
		m.ETAMonth = int(p.u(274, 4))
		m.ETADay = int(p.u(278, 5))
		m.ETAHour = int(p.u(283, 5))
		m.ETAMinute = int(p.u(288, 6))
		m.Draught = int(p.u(294, 8))
		m.DTE = 0
		if n >= 423 {
			m.DTE = int(p.u(422, 1))
		}
	case 9:
		m.Alt = int(p.u(38, 12))
		m.Speed = int(p.u(50, 10))
		m.Accuracy = p.u(60, 1) != 0
		m.Lon = int(p.s(61, 28))
		m.Lat = int(p.s(89, 27))
		m.Course = int(p.u(116, 12))
		m.Second = int(p.u(128, 6))
		m.Regional = int(p.u(134, 8))
		m.DTE = int(p.u(142, 1))
		m.Assigned = p.u(146, 1) != 0
		m.RAIM = p.u(147, 1) != 0
		m.Radio = uint32(p.u(148, 20))
	case 18:
		m.Reserved = int(p.u(38, 8))
		m.Speed = int(p.u(46, 10))
		m.Accuracy = p.u(56, 1) != 0
		m.Lon = int(p.s(57, 28))
		m.Lat = int(p.s(85, 27))
		m.Course = int(p.u(112, 12))
		m.Heading = int(p.u(124, 9))
		m.Second = int(p.u(133, 6))
		m.Regional = int(p.u(139, 2))
		m.CS = p.u(141, 1) != 0
		m.Display = p.u(142, 1) != 0
		m.DSC = p.u(143, 1) != 0
		m.Band = p.u(144, 1) != 0
		m.Msg22 = p.u(145, 1) != 0
		m.Assigned = p.u(146, 1) != 0
		m.RAIM = p.u(147, 1) != 0
		m.Radio = uint32(p.u(148, 20))
	case 19:
		m.Reserved = int(p.u(38, 8))
		m.Speed = int(p.u(46, 10))
		m.Accuracy = p.u(56, 1) != 0
		m.Lon = int(p.s(57, 28))
		m.Lat = int(p.s(85, 27))
		m.Course = int(p.u(112, 12))
		m.Heading = int(p.u(124, 9))
		m.Second = int(p.u(133, 6))
		m.Regional = int(p.u(139, 4))
		m.ShipType = int(p.u(263, 8))
		m.ToBow = int(p.u(271, 9))
		m.ToStern = int(p.u(280, 9))
		m.ToPort = int(p.u(289, 6))
		m.ToStarboard = int(p.u(295, 6))
		m.EPFD = int(p.u(301, 4))
		m.RAIM = p.u(305, 1) != 0
		m.DTE = int(p.u(306, 1))
		m.Assigned = p.u(307, 1) != 0
	case 21:
		m.AidType = int(p.u(38, 5))
		m.Accuracy = p.u(163, 1) != 0
		m.Lon = int(p.s(164, 28))
		m.Lat = int(p.s(192, 27))
		m.ToBow = int(p.u(219, 9))
		m.ToStern = int(p.u(228, 9))
		m.ToPort = int(p.u(237, 6))
		m.ToStarboard = int(p.u(243, 6))
		m.EPFD = int(p.u(249, 4))
		m.Second = int(p.u(253, 6))
		m.OffPosition = p.u(259, 1) != 0
		m.Regional = int(p.u(260, 8))
		m.RAIM = p.u(268, 1) != 0
		m.Virtual = p.u(269, 1) != 0
		m.Assigned = p.u(270, 1) != 0
	case 24:
		switch p.u(38, 2) {
		case 0:
			if n < 160 || n > 168 {
				return lengthError(m.Type, n, "160-168 (part A)")
			}
			m.Part = PartA
		case 1:
			if n < 168 {
				return lengthError(m.Type, n, "168 (part B)")
			}
			m.Part = PartB
			m.ShipType = int(p.u(40, 8))
			m.Model = int(p.u(66, 4))
			m.Serial = uint32(p.u(70, 20))
			if m.MMSI/10000000 == 98 {
				m.MothershipMMSI = uint32(p.u(132, 30))
			} else {
				m.ToBow = int(p.u(132, 9))
				m.ToStern = int(p.u(141, 9))
				m.ToPort = int(p.u(150, 6))
				m.ToStarboard = int(p.u(156, 6))
			}
		default:
			return fmt.Errorf("type 24 message with part number %d, want 0 (A) or 1 (B)", p.u(38, 2))
		}
	case 25:
		addressed, structured := p.u(38, 1), p.u(39, 1)
		if n < int(40+16*structured+30*addressed) {
			return lengthError(m.Type, n, "more for its addressing mode")
		}
	case 26:
		addressed, structured := p.u(38, 1), p.u(39, 1)
		if n < int(40+16*structured+30*addressed+20) {
			return lengthError(m.Type, n, "more for its addressing mode")
		}
	case 27:
		if n != 96 && n != 168 {
			return lengthError(m.Type, n, "96 (or 168)")
		}
		m.Accuracy = p.u(38, 1) != 0
		m.RAIM = p.u(39, 1) != 0
		m.Status = int(p.u(40, 4))
		m.Lon = int(p.s(44, 18))
		m.Lat = int(p.s(62, 17))
		m.Speed = int(p.u(79, 6))
		m.Course = int(p.u(85, 9))
		m.GNSS = p.u(94, 1) != 0
	}
	return nil
}

// reset zeroes the decoded fields (not the payload, time or channel).
func (m *Message) reset() {
	m.Status = 0
	m.Turn = 0
	m.Speed = 0
	m.Accuracy = false
	m.Lon = 0
	m.Lat = 0
	m.Course = 0
	m.Heading = 0
	m.Second = 0
	m.Maneuver = 0
	m.RAIM = false
	m.Radio = 0
	m.Alt = 0
	m.Regional = 0
	m.DTE = 0
	m.Assigned = false
	m.Reserved = 0
	m.CS = false
	m.Display = false
	m.DSC = false
	m.Band = false
	m.Msg22 = false
	m.GNSS = false
	m.Year = 0
	m.Month = 0
	m.Day = 0
	m.Hour = 0
	m.Minute = 0
	m.UTCSecond = 0
	m.EPFD = 0
	m.AISVersion = 0
	m.IMO = 0
	m.ShipType = 0
	m.ToBow = 0
	m.ToStern = 0
	m.ToPort = 0
	m.ToStarboard = 0
	m.MothershipMMSI = 0
	m.Model = 0
	m.Serial = 0
	m.ETAMonth = 0
	m.ETADay = 0
	m.ETAHour = 0
	m.ETAMinute = 0
	m.Draught = 0
	m.AidType = 0
	m.OffPosition = false
	m.Virtual = false
	m.Part = 0
	m.name24N = 0
}
