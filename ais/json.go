package ais

import (
	"strconv"
)

// The texts below are the legends gpsd 3.22 prints next to codes
// (status_text, epfd_text, shiptype_text, ...), so that output compares
// equal with gpsdecode's.

var navStatusText = [16]string{
	"Under way using engine", "At anchor", "Not under command",
	"Restricted manoeuverability", "Constrained by her draught", "Moored",
	"Aground", "Engaged in fishing", "Under way sailing", "Reserved for HSC",
	"Reserved for WIG", "Reserved", "Reserved", "Reserved", "Reserved",
	"Not defined",
}

var epfdText = [9]string{
	"Undefined", "GPS", "GLONASS", "Combined GPS/GLONASS", "Loran-C",
	"Chayka", "Integrated navigation system", "Surveyed", "Galileo",
}

// shipTypeText holds the ship type legends 0-99.
var shipTypeText = func() (t [100]string) {
	t[0] = "Not available"
	for i := 1; i < 20; i++ {
		t[i] = "Reserved for future use"
	}
	// Decades 20, 40, 60, 70, 80, 90 share one pattern.
	for _, d := range []struct {
		base   int
		prefix string
		last   string // text of x9
	}{
		{20, "Wing in ground (WIG) - ", "Reserved for future use"},
		{40, "High speed craft (HSC) - ", "No additional information"},
		{60, "Passenger - ", "No additional information"},
		{70, "Cargo - ", "No additional information"},
		{80, "Tanker - ", "No additional information"},
		{90, "Other Type - ", "no additional information"},
	} {
		t[d.base] = d.prefix + "all ships of this type"
		for k, c := range "ABCD" {
			t[d.base+1+k] = d.prefix + "Hazardous category " + string(c)
		}
		for k := 5; k < 9; k++ {
			t[d.base+k] = d.prefix + "Reserved for future use"
		}
		t[d.base+9] = d.prefix + d.last
	}
	copy(t[30:40], []string{
		"Fishing", "Towing", "Towing: length exceeds 200m or breadth exceeds 25m",
		"Dredging or underwater ops", "Diving ops", "Military ops", "Sailing",
		"Pleasure Craft", "Reserved", "Reserved",
	})
	copy(t[50:60], []string{
		"Pilot Vessel", "Search and Rescue vessel", "Tug", "Port Tender",
		"Anti-pollution equipment", "Law Enforcement", "Spare - Local Vessel",
		"Spare - Local Vessel", "Medical Transport",
		"Ship according to RR Resolution No. 18",
	})
	return t
}()

var stationTypeText = [16]string{
	"All types of mobiles", "Reserved for future use",
	"All types of Class B mobile stations", "SAR airborne mobile station",
	"Aid to Navigation station", "Class B shipborne mobile station",
	"Regional use and inland waterways", "Regional use and inland waterways",
	"Regional use and inland waterways", "Regional use and inland waterways",
	"Reserved for future use", "Reserved for future use",
	"Reserved for future use", "Reserved for future use",
	"Reserved for future use", "Reserved for future use",
}

var navaidTypeText = [32]string{
	"Unspecified", "Reference point", "RACON", "Fixed offshore structure",
	"Spare, Reserved for future use.", "Light, without sectors",
	"Light, with sectors", "Leading Light Front", "Leading Light Rear",
	"Beacon, Cardinal N", "Beacon, Cardinal E", "Beacon, Cardinal S",
	"Beacon, Cardinal W", "Beacon, Port hand", "Beacon, Starboard hand",
	"Beacon, Preferred Channel port hand",
	"Beacon, Preferred Channel starboard hand", "Beacon, Isolated danger",
	"Beacon, Safe water", "Beacon, Special mark", "Cardinal Mark N",
	"Cardinal Mark E", "Cardinal Mark S", "Cardinal Mark W", "Port hand Mark",
	"Starboard hand Mark", "Preferred Channel Port hand",
	"Preferred Channel Starboard hand", "Isolated danger", "Safe Water",
	"Special Mark", "Light Vessel / LANBY / Rigs",
}

// ShipTypeText returns gpsd's legend for a ship type code.
func ShipTypeText(code int) string {
	if code >= 0 && code < len(shipTypeText) {
		return shipTypeText[code]
	}
	return "INVALID SHIP TYPE"
}

func epfdLegend(n int) string {
	if n >= 0 && n < len(epfdText) {
		return epfdText[n]
	}
	return "INVALID EPFD"
}

// AppendJSON appends m as one gpsd-style JSON object (the fields, order
// and scaling of 'gpsdecode -j' in gpsd 3.22), without a newline. device
// is the "device" value; gpsdecode writes "stdin". gpsd prints the
// not-available sentinels rather than omitting them (lat 91, lon 181,
// course 360, heading 511, speed and turn "nan"); so does AppendJSON.
func (m *Message) AppendJSON(dst []byte, device string) []byte {
	p := &m.p
	dst = append(dst, `{"class":"AIS"`...)
	if device != "" {
		dst = append(dst, `,"device":`...)
		dst = appendString(dst, device)
	}
	dst = append(dst, `,"type":`...)
	dst = strconv.AppendInt(dst, int64(m.Type), 10)
	dst = append(dst, `,"repeat":`...)
	dst = strconv.AppendInt(dst, int64(m.Repeat), 10)
	dst = append(dst, `,"mmsi":`...)
	dst = strconv.AppendUint(dst, uint64(m.MMSI), 10)
	dst = append(dst, `,"scaled":true`...)
	switch m.Type {
	case 1, 2, 3:
		dst = appendUint(dst, `,"status":`, m.Status)
		dst = appendStr(dst, `,"status_text":`, navStatusText[m.Status&15])
		dst = append(dst, `,"turn":`...)
		switch m.Turn {
		case -128:
			dst = append(dst, `"nan"`...)
		case -127:
			dst = append(dst, `"fastleft"`...)
		case 127:
			dst = append(dst, `"fastright"`...)
		default:
			// gpsd 3.22 prints the square of ROT/4.733 and so drops the
			// sign (fixed in gpsd 3.26, which prints a string); kept for
			// compatibility. Message.Turn keeps the signed raw value.
			dst = append(dst, turnText[(m.Turn+128)&255]...)
		}
		dst = append(dst, `,"speed":`...)
		switch m.Speed {
		case 1023:
			dst = append(dst, `"nan"`...)
		case 1022:
			dst = append(dst, `"fast"`...)
		default:
			dst = appendTenths(dst, "", m.Speed)
		}
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m.Lon, m.Lat)
		dst = appendTenths(dst, `,"course":`, m.Course)
		dst = appendUint(dst, `,"heading":`, m.Heading)
		dst = appendUint(dst, `,"second":`, m.Second)
		dst = appendUint(dst, `,"maneuver":`, m.Maneuver)
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendUint(dst, `,"radio":`, int(m.Radio))
	case 4, 11:
		dst = append(dst, `,"timestamp":"`...)
		dst = appendPad(dst, m.Year, 4)
		dst = append(dst, '-')
		dst = appendPad(dst, m.Month, 2)
		dst = append(dst, '-')
		dst = appendPad(dst, m.Day, 2)
		dst = append(dst, 'T')
		dst = appendPad(dst, m.Hour, 2)
		dst = append(dst, ':')
		dst = appendPad(dst, m.Minute, 2)
		dst = append(dst, ':')
		dst = appendPad(dst, m.UTCSecond, 2)
		dst = append(dst, `Z"`...)
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m.Lon, m.Lat)
		dst = appendUint(dst, `,"epfd":`, m.EPFD)
		dst = appendStr(dst, `,"epfd_text":`, epfdLegend(m.EPFD))
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendUint(dst, `,"radio":`, int(m.Radio))
	case 5:
		dst = appendUint(dst, `,"imo":`, int(m.IMO))
		dst = appendUint(dst, `,"ais_version":`, m.AISVersion)
		dst = append(dst, `,"callsign":`...)
		dst = appendQuoted(dst, m.AppendCallsign)
		dst = append(dst, `,"shipname":`...)
		dst = appendQuoted(dst, m.AppendShipName)
		dst = appendShipType(dst, m.ShipType)
		dst = appendDims(dst, m)
		dst = appendUint(dst, `,"epfd":`, m.EPFD)
		dst = appendStr(dst, `,"epfd_text":`, epfdLegend(m.EPFD))
		dst = append(dst, `,"eta":"`...)
		dst = appendPad(dst, m.ETAMonth, 2)
		dst = append(dst, '-')
		dst = appendPad(dst, m.ETADay, 2)
		dst = append(dst, 'T')
		dst = appendPad(dst, m.ETAHour, 2)
		dst = append(dst, ':')
		dst = appendPad(dst, m.ETAMinute, 2)
		dst = append(dst, `Z"`...)
		dst = appendTenths(dst, `,"draught":`, m.Draught)
		dst = append(dst, `,"destination":`...)
		dst = appendQuoted(dst, m.AppendDestination)
		dst = appendUint(dst, `,"dte":`, m.DTE)
	case 6:
		dst = appendU(dst, `,"seqno":`, p.u(38, 2))
		dst = appendU(dst, `,"dest_mmsi":`, p.u(40, 30))
		dst = appendBool(dst, `,"retransmit":`, p.u(70, 1) != 0)
		dac, fid := p.u(72, 10), p.u(82, 6)
		dst = appendU(dst, `,"dac":`, dac)
		dst = appendU(dst, `,"fid":`, fid)
		var ok bool
		if dst, ok = appendApp6(dst, p, dac, fid); !ok {
			dst = appendData(dst, p, 88, p.n-88, false)
		}
	case 7, 13:
		for i := 0; i < 4; i++ {
			dst = append(dst, `,"mmsi`...)
			dst = append(dst, byte('1'+i), '"', ':')
			if p.n > 40+32*i {
				dst = strconv.AppendUint(dst, p.u(40+32*i, 30), 10)
			} else {
				dst = append(dst, '0')
			}
		}
	case 8:
		dac, fid := p.u(40, 10), p.u(50, 6)
		dst = appendU(dst, `,"dac":`, dac)
		dst = appendU(dst, `,"fid":`, fid)
		var ok bool
		if dst, ok = appendApp8(dst, p, dac, fid); !ok {
			dst = appendData(dst, p, 56, p.n-56, true)
		}
	case 9:
		dst = append(dst, `,"alt":`...)
		switch m.Alt {
		case 4095:
			dst = append(dst, `"nan"`...)
		case 4094:
			dst = append(dst, `"high"`...)
		default:
			dst = strconv.AppendInt(dst, int64(m.Alt), 10)
		}
		dst = append(dst, `,"speed":`...)
		switch m.Speed {
		case 1023:
			dst = append(dst, `"nan"`...)
		case 1022:
			dst = append(dst, `"fast"`...)
		default:
			dst = strconv.AppendInt(dst, int64(m.Speed), 10)
		}
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m.Lon, m.Lat)
		dst = appendTenths(dst, `,"course":`, m.Course)
		dst = appendUint(dst, `,"second":`, m.Second)
		dst = appendUint(dst, `,"regional":`, m.Regional)
		dst = appendUint(dst, `,"dte":`, m.DTE)
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendUint(dst, `,"radio":`, int(m.Radio))
	case 10:
		dst = appendU(dst, `,"dest_mmsi":`, p.u(40, 30))
	case 12:
		dst = appendU(dst, `,"seqno":`, p.u(38, 2))
		dst = appendU(dst, `,"dest_mmsi":`, p.u(40, 30))
		dst = appendBool(dst, `,"retransmit":`, p.u(70, 1) != 0)
		dst = append(dst, `,"text":`...)
		dst = appendQuoted(dst, m.AppendText)
	case 14:
		dst = append(dst, `,"text":`...)
		dst = appendQuoted(dst, m.AppendText)
	case 15:
		var t12, o12, m2, t21, o21 uint64
		if p.n > 90 {
			t12, o12 = p.u(90, 6), p.u(96, 12)
			if p.n > 110 {
				m2, t21, o21 = p.u(110, 30), p.u(140, 6), p.u(146, 12)
			}
		}
		dst = appendU(dst, `,"mmsi1":`, p.u(40, 30))
		dst = appendU(dst, `,"type1_1":`, p.u(70, 6))
		dst = appendU(dst, `,"offset1_1":`, p.u(76, 12))
		dst = appendU(dst, `,"type1_2":`, t12)
		dst = appendU(dst, `,"offset1_2":`, o12)
		dst = appendU(dst, `,"mmsi2":`, m2)
		dst = appendU(dst, `,"type2_1":`, t21)
		dst = appendU(dst, `,"offset2_1":`, o21)
	case 16:
		var m2, o2, i2 uint64
		if p.n >= 144 {
			m2, o2, i2 = p.u(92, 30), p.u(122, 12), p.u(134, 10)
		}
		dst = appendU(dst, `,"mmsi1":`, p.u(40, 30))
		dst = appendU(dst, `,"offset1":`, p.u(70, 12))
		dst = appendU(dst, `,"increment1":`, p.u(82, 10))
		dst = appendU(dst, `,"mmsi2":`, m2)
		dst = appendU(dst, `,"offset2":`, o2)
		dst = appendU(dst, `,"increment2":`, i2)
	case 17:
		dst = appendFloat(dst, `,"lon":`, float64(p.s(40, 18))/600, 1)
		dst = appendFloat(dst, `,"lat":`, float64(p.s(58, 17))/600, 1)
		dst = appendData(dst, p, 80, p.n-80, false)
	case 18, 19:
		dst = appendUint(dst, `,"reserved":`, m.Reserved)
		dst = appendTenths(dst, `,"speed":`, m.Speed)
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendLonLat(dst, m.Lon, m.Lat)
		dst = appendTenths(dst, `,"course":`, m.Course)
		dst = appendUint(dst, `,"heading":`, m.Heading)
		dst = appendUint(dst, `,"second":`, m.Second)
		dst = appendUint(dst, `,"regional":`, m.Regional)
		if m.Type == 18 {
			dst = appendBool(dst, `,"cs":`, m.CS)
			dst = appendBool(dst, `,"display":`, m.Display)
			dst = appendBool(dst, `,"dsc":`, m.DSC)
			dst = appendBool(dst, `,"band":`, m.Band)
			dst = appendBool(dst, `,"msg22":`, m.Msg22)
			dst = appendBool(dst, `,"raim":`, m.RAIM)
			dst = appendUint(dst, `,"radio":`, int(m.Radio))
			break
		}
		dst = append(dst, `,"shipname":`...)
		dst = appendQuoted(dst, m.AppendShipName)
		dst = appendShipType(dst, m.ShipType)
		dst = appendDims(dst, m)
		dst = appendUint(dst, `,"epfd":`, m.EPFD)
		dst = appendStr(dst, `,"epfd_text":`, epfdLegend(m.EPFD))
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendUint(dst, `,"dte":`, m.DTE)
		dst = appendBool(dst, `,"assigned":`, m.Assigned)
	case 20:
		for i, off := range [4]int{40, 70, 100, 130} {
			k := type20Keys[i]
			dst = appendU(dst, k[0], p.u(off, 12))
			dst = appendU(dst, k[1], p.u(off+12, 4))
			dst = appendU(dst, k[2], p.u(off+16, 3))
			dst = appendU(dst, k[3], p.u(off+19, 11))
		}
	case 21:
		dst = appendUint(dst, `,"aid_type":`, m.AidType)
		dst = appendStr(dst, `,"aid_type_text":`, navaidTypeText[m.AidType&31])
		dst = append(dst, `,"name":`...)
		dst = appendQuoted(dst, m.AppendShipName)
		dst = appendLonLat(dst, m.Lon, m.Lat)
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendDims(dst, m)
		dst = appendUint(dst, `,"epfd":`, m.EPFD)
		dst = appendStr(dst, `,"epfd_text":`, epfdLegend(m.EPFD))
		dst = appendUint(dst, `,"second":`, m.Second)
		dst = appendUint(dst, `,"regional":`, m.Regional)
		dst = appendBool(dst, `,"off_position":`, m.OffPosition)
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendBool(dst, `,"virtual_aid":`, m.Virtual)
	case 22:
		dst = appendU(dst, `,"channel_a":`, p.u(40, 12))
		dst = appendU(dst, `,"channel_b":`, p.u(52, 12))
		dst = appendU(dst, `,"txrx":`, p.u(64, 4))
		dst = appendBool(dst, `,"power":`, p.u(68, 1) != 0)
		addressed := p.u(139, 1) != 0
		if addressed {
			dst = appendU(dst, `,"dest1":`, p.u(69, 30))
			dst = appendU(dst, `,"dest2":`, p.u(104, 30))
		} else {
			dst = appendCorners(dst, p.s(69, 18), p.s(87, 17), p.s(104, 18), p.s(122, 17))
		}
		dst = appendBool(dst, `,"addressed":`, addressed)
		dst = appendBool(dst, `,"band_a":`, p.u(140, 1) != 0)
		dst = appendBool(dst, `,"band_b":`, p.u(141, 1) != 0)
		dst = appendU(dst, `,"zonesize":`, p.u(142, 3))
	case 23:
		dst = appendCorners(dst, p.s(40, 18), p.s(58, 17), p.s(75, 18), p.s(93, 17))
		st := p.u(110, 4)
		dst = appendU(dst, `,"stationtype":`, st)
		dst = appendStr(dst, `,"stationtype_text":`, stationTypeText[st])
		dst = appendShipType(dst, int(p.u(114, 8)))
		dst = appendU(dst, `,"interval":`, p.u(146, 4))
		dst = appendU(dst, `,"quiet":`, p.u(150, 4))
	case 24:
		switch m.Part {
		case PartA:
			dst = append(dst, `,"part":"A"`...)
		case PartB:
			dst = append(dst, `,"part":"B"`...)
		}
		if m.Part != PartB {
			dst = append(dst, `,"shipname":`...)
			dst = appendQuoted(dst, m.AppendShipName)
		}
		if m.Part != PartA {
			dst = appendShipType(dst, m.ShipType)
			dst = append(dst, `,"vendorid":`...)
			dst = appendQuoted(dst, m.AppendVendorID)
			dst = appendUint(dst, `,"model":`, m.Model)
			dst = appendUint(dst, `,"serial":`, int(m.Serial))
			dst = append(dst, `,"callsign":`...)
			dst = appendQuoted(dst, m.AppendCallsign)
			if m.MMSI/10000000 == 98 {
				dst = appendUint(dst, `,"mothership_mmsi":`, int(m.MothershipMMSI))
			} else {
				dst = appendDims(dst, m)
			}
		}
	case 25, 26:
		addressed, structured := p.u(38, 1) != 0, p.u(39, 1) != 0
		var dest, app uint64
		start := 40
		if addressed {
			dest = p.u(40, 30)
			start += 30
		}
		if structured {
			app = p.u(start, 16)
			start += 16
		}
		count := p.n - start
		if m.Type == 26 {
			count -= 20 // the radio status at the end
		}
		dst = appendBool(dst, `,"addressed":`, addressed)
		dst = appendBool(dst, `,"structured":`, structured)
		dst = appendU(dst, `,"dest_mmsi":`, dest)
		dst = appendU(dst, `,"app_id":`, app)
		dst = appendData(dst, p, start, count, false)
		if m.Type == 26 {
			// gpsd 3.22 never decodes the radio field of type 26.
			dst = append(dst, `,"radio":0`...)
		}
	case 27:
		dst = appendStr(dst, `,"status":`, navStatusText[m.Status&15])
		dst = appendBool(dst, `,"accuracy":`, m.Accuracy)
		dst = appendFloat(dst, `,"lon":`, float64(m.Lon)/600, 1)
		dst = appendFloat(dst, `,"lat":`, float64(m.Lat)/600, 1)
		dst = appendUint(dst, `,"speed":`, m.Speed)
		dst = appendUint(dst, `,"course":`, m.Course)
		dst = appendBool(dst, `,"raim":`, m.RAIM)
		dst = appendBool(dst, `,"gnss":`, m.GNSS)
	}
	return append(dst, '}')
}

var type20Keys = func() (k [4][4]string) {
	for i := range k {
		n := string(rune('1' + i))
		k[i] = [4]string{`,"offset` + n + `":`, `,"number` + n + `":`, `,"timeout` + n + `":`, `,"increment` + n + `":`}
	}
	return k
}()

// turnText holds gpsd 3.22's "turn" for each raw value + 128: the square
// of ROT/4.733 printed with %.0f.
var turnText = func() (t [256]string) {
	for v := -128; v < 128; v++ {
		r := float64(v) / 4.733
		t[v+128] = strconv.FormatFloat(r*r, 'f', 0, 64)
	}
	return t
}()

func appendUint(dst []byte, key string, v int) []byte {
	dst = append(dst, key...)
	return strconv.AppendInt(dst, int64(v), 10)
}

func appendU(dst []byte, key string, v uint64) []byte {
	dst = append(dst, key...)
	return strconv.AppendUint(dst, v, 10)
}

func appendBool(dst []byte, key string, v bool) []byte {
	dst = append(dst, key...)
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

func appendFloat(dst []byte, key string, v float64, prec int) []byte {
	dst = append(dst, key...)
	return strconv.AppendFloat(dst, v, 'f', prec, 64)
}

// appendStr appends key and a string known to need no escaping.
func appendStr(dst []byte, key, v string) []byte {
	dst = append(dst, key...)
	dst = append(dst, '"')
	dst = append(dst, v...)
	return append(dst, '"')
}

func appendLonLat(dst []byte, lon, lat int) []byte {
	dst = append(dst, `,"lon":`...)
	dst = appendMicroDeg(dst, lon)
	dst = append(dst, `,"lat":`...)
	return appendMicroDeg(dst, lat)
}

// appendMicroDeg appends v/600000 (1/10000 minute in degrees) with six
// decimals, as printf("%.6f", v/600000.0) does. Integer arithmetic gives
// the same digits: v*10/6 is never exactly halfway between two integers
// (v*10 is even), and the double's error is far below the 1/6 unit that
// separates it from the halfway point.
func appendMicroDeg(dst []byte, v int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	q := (v*10 + 3) / 6 // round(v/0.6), in millionths of a degree
	dst = strconv.AppendInt(dst, int64(q/1000000), 10)
	f := q % 1000000
	return append(dst, '.',
		byte('0'+f/100000), byte('0'+f/10000%10), byte('0'+f/1000%10),
		byte('0'+f/100%10), byte('0'+f/10%10), byte('0'+f%10))
}

// appendTenths appends v/10 with one decimal, as printf("%.1f", v/10.0)
// does for v >= 0 (exact in integers).
func appendTenths(dst []byte, key string, v int) []byte {
	dst = append(dst, key...)
	if v < 0 {
		return strconv.AppendFloat(dst, float64(v)/10, 'f', 1, 64)
	}
	dst = strconv.AppendInt(dst, int64(v/10), 10)
	return append(dst, '.', byte('0'+v%10))
}

func appendShipType(dst []byte, code int) []byte {
	dst = appendUint(dst, `,"shiptype":`, code)
	return appendStr(dst, `,"shiptype_text":`, ShipTypeText(code))
}

func appendDims(dst []byte, m *Message) []byte {
	dst = appendUint(dst, `,"to_bow":`, m.ToBow)
	dst = appendUint(dst, `,"to_stern":`, m.ToStern)
	dst = appendUint(dst, `,"to_port":`, m.ToPort)
	return appendUint(dst, `,"to_starboard":`, m.ToStarboard)
}

// appendCorners appends the area of types 22 and 23 as gpsd does: strings
// of 1/10 minute values in degrees with six decimals.
func appendCorners(dst []byte, neLon, neLat, swLon, swLat int64) []byte {
	for i, v := range [4]int64{neLon, neLat, swLon, swLat} {
		dst = append(dst, [4]string{`,"ne_lon":"`, `,"ne_lat":"`, `,"sw_lon":"`, `,"sw_lat":"`}[i]...)
		dst = strconv.AppendFloat(dst, float64(v)/600, 'f', 6, 64)
		dst = append(dst, '"')
	}
	return dst
}

// appendPad appends v in decimal with at least width digits.
func appendPad(dst []byte, v, width int) []byte {
	var buf [20]byte
	b := strconv.AppendInt(buf[:0], int64(v), 10)
	for i := len(b); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, b...)
}

// appendData appends "data":"BITS:HEX" for count bits from bit start, as
// gpsd does: whole bytes, the last one masked to the valid bits only when
// mask is set (gpsd masks type 8 only).
func appendData(dst []byte, p *payload, start, count int, mask bool) []byte {
	const hexDigits = "0123456789abcdef"
	if count < 0 {
		count = 0
	}
	dst = append(dst, `,"data":"`...)
	dst = strconv.AppendInt(dst, int64(count), 10)
	dst = append(dst, ':')
	nbytes := (count + 7) / 8
	for i := 0; i < nbytes; i++ {
		b := byte(p.u(start+8*i, 8))
		if mask && i == nbytes-1 && count%8 != 0 {
			b &= 0xff << uint(8-count%8)
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
	}
	return append(dst, '"')
}

// appendQuoted appends the text produced by fn as a JSON string.
func appendQuoted(dst []byte, fn func([]byte) []byte) []byte {
	dst = append(dst, '"')
	n0 := len(dst)
	dst = fn(dst)
	// 6-bit text holds no control characters: only '"' and '\' need
	// escaping, which is rare; shift in place when it happens.
	for i := n0; i < len(dst); i++ {
		if c := dst[i]; c == '"' || c == '\\' {
			dst = append(dst, 0)
			copy(dst[i+1:], dst[i:])
			dst[i] = '\\'
			i++
		}
	}
	return append(dst, '"')
}

// appendString appends s as a JSON string, escaping as gpsd does.
func appendString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
