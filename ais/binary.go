package ais

// Application-specific payloads of types 6 (addressed) and 8 (broadcast)
// that gpsd 3.22 decodes into named fields instead of "data", printed with
// gpsd's names, order and scaling. Bit offsets are from the start of the
// message; the layouts are those of IMO SN.1/Circ.236 and 289, the Inland
// AIS standard (DAC 200) and the GLA AtoN monitoring message (DAC 235,
// 250). Reads past the end of a short payload give zero bits, as in gpsd.
// Payloads not listed here print as "data".

// appendApp6 appends the fields of a type 6 payload with a structure
// gpsd decodes and reports whether it did.
func appendApp6(dst []byte, p *payload, dac, fid uint64) ([]byte, bool) {
	switch {
	case dac == 200 && fid == 55 && p.n == 168: // Inland: persons on board
		dst = appendU(dst, `,"crew":`, p.u(88, 8))
		dst = appendU(dst, `,"passengers":`, p.u(96, 13))
		return appendU(dst, `,"personnel":`, p.u(109, 8)), true
	case (dac == 235 || dac == 250) && fid == 10 && p.n == 136: // GLA AtoN monitoring
		dst = appendBool(dst, `,"off_pos":`, p.u(131, 1) != 0)
		dst = appendBool(dst, `,"alarm":`, p.u(122, 1) != 0)
		dst = appendU(dst, `,"stat_ext":`, p.u(123, 8))
		for _, a := range [3]struct {
			key   string
			start int
		}{{`,"ana_int":`, 88}, {`,"ana_ext1":`, 98}, {`,"ana_ext2":`, 108}} {
			// Volts in 0.05 V, printed raw when 0.
			if v := p.u(a.start, 10); v != 0 {
				dst = appendFloat(dst, a.key, float64(v)*0.05, 2)
			} else {
				dst = appendU(dst, a.key, 0)
			}
		}
		racon, light := p.u(118, 2), p.u(120, 2)
		dst = appendU(dst, `,"racon":`, racon)
		dst = appendStr(dst, `,"racon_text":`, raconText[racon])
		dst = appendU(dst, `,"light":`, light)
		return appendStr(dst, `,"light_text":`, lightText[light]), true
	case dac == 1 && fid == 12: // IMO236 dangerous cargo indication
		dst = appendSixbit(dst, `,"lastport":`, p, 88, 5)
		dst = appendMonthDayTime(dst, `,"departure":`, p.u(118, 4), p.u(122, 5), p.u(127, 5), p.u(132, 6))
		dst = appendSixbit(dst, `,"nextport":`, p, 138, 5)
		dst = appendMonthDayTime(dst, `,"eta":`, p.u(168, 4), p.u(172, 5), p.u(177, 5), p.u(182, 6))
		dst = appendSixbit(dst, `,"dangerous":`, p, 188, 20)
		dst = appendSixbit(dst, `,"imdcat":`, p, 308, 4)
		dst = appendU(dst, `,"unid":`, p.u(332, 13))
		dst = appendU(dst, `,"amount":`, p.u(345, 10))
		return appendU(dst, `,"unit":`, p.u(355, 2)), true
	case dac == 1 && fid == 14: // IMO236 tidal window: 93-bit entries
		return appendTidals(dst, p, 93, func(a int) (lat, lon int64, rest int) {
			return p.s(a, 27), p.s(a+27, 28), a + 55
		}, 7), true
	case dac == 1 && fid == 18: // IMO289 clearance time to enter port
		dst = appendU(dst, `,"linkage":`, p.u(88, 10))
		dst = appendMonthDayTime(dst, `,"arrival":`, p.u(98, 4), p.u(102, 5), p.u(107, 5), p.u(112, 6))
		dst = appendSixbit(dst, `,"portname":`, p, 118, 20)
		dst = appendSixbit(dst, `,"destination":`, p, 238, 5)
		dst = appendMinutes(dst, `,"lon":`, p.s(268, 25))
		return appendMinutes(dst, `,"lat":`, p.s(293, 24)), true
	case dac == 1 && fid == 30: // IMO289 text description, addressed
		dst = appendU(dst, `,"linkage":`, p.u(88, 10))
		return appendSixbit(dst, `,"text":`, p, 98, max(p.n-98, 0)/6), true
	case dac == 1 && fid == 32: // IMO289 tidal window: 88-bit entries
		return appendTidals(dst, p, 88, func(a int) (lat, lon int64, rest int) {
			return p.s(a+25, 24), p.s(a, 25), a + 49
		}, 8), true
	}
	return dst, false
}

// appendTidals appends the month, day and tidal window entries of DAC 1
// FID 14 and 32 (entries of size bits from bit 97, as many as start
// within the payload); at returns an entry's position and where its times
// begin; the current speed has speedBits bits.
func appendTidals(dst []byte, p *payload, size int, at func(a int) (lat, lon int64, rest int), speedBits int) []byte {
	dst = appendU(dst, `,"month":`, p.u(88, 4))
	dst = appendU(dst, `,"day":`, p.u(92, 5))
	dst = append(dst, `,"tidals":[`...)
	for a := 97; a <= p.n; a += size {
		if a > 97 {
			dst = append(dst, ',')
		}
		lat, lon, r := at(a)
		dst = appendMinutes(dst, `{"lon":`, lon)
		dst = appendMinutes(dst, `,"lat":`, lat)
		dst = appendU(dst, `,"from_hour":`, p.u(r, 5))
		dst = appendU(dst, `,"from_min":`, p.u(r+5, 6))
		dst = appendU(dst, `,"to_hour":`, p.u(r+11, 5))
		dst = appendU(dst, `,"to_min":`, p.u(r+16, 6))
		dst = appendU(dst, `,"cdir":`, p.u(r+22, 9))
		dst = appendFloat(dst, `,"cspeed":`, float64(p.u(r+31, speedBits))/10, 1)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendApp8 appends the fields of a type 8 payload with a structure
// gpsd decodes and reports whether it did.
func appendApp8(dst []byte, p *payload, dac, fid uint64) ([]byte, bool) {
	switch {
	case dac == 1 && fid == 11: // IMO236 meteorological and hydrological data
		dst = appendMinutes(dst, `,"lat":`, p.s(56, 24))
		dst = appendMinutes(dst, `,"lon":`, p.s(80, 25))
		dst = appendDayTime(dst, `,"timestamp":`, p.u(105, 5), p.u(110, 5), p.u(115, 6))
		dst = appendU(dst, `,"wspeed":`, p.u(121, 7))
		dst = appendU(dst, `,"wgust":`, p.u(128, 7))
		dst = appendU(dst, `,"wdir":`, p.u(135, 9))
		dst = appendU(dst, `,"wgustdir":`, p.u(144, 9))
		dst = appendU(dst, `,"humidity":`, p.u(164, 7))
		dst = appendFloat(dst, `,"airtemp":`, float64(int64(p.u(153, 11))-600)/10, 1)
		dst = appendFloat(dst, `,"dewpoint":`, float64(int64(p.u(171, 10))-200)/10, 1)
		dst = appendU(dst, `,"pressure":`, p.u(181, 9)+800)
		dst = appendStr(dst, `,"pressuretend":`, trendText[p.u(190, 2)])
		dst = appendFloat(dst, `,"visibility":`, float64(p.u(192, 8))/10, 1)
		dst = appendFloat(dst, `,"waterlevel":`, float64(int64(p.u(200, 9))-100)/10, 1)
		dst = appendStr(dst, `,"leveltrend":`, trendText[p.u(209, 2)])
		dst = appendCurrents(dst, p, 211, 5)
		dst = appendWaves(dst, p, 272)
		dst = appendU(dst, `,"seastate":`, p.u(318, 4))
		dst = appendFloat(dst, `,"watertemp":`, float64(int64(p.u(322, 10))-100)/10, 1)
		precip := p.u(332, 3)
		dst = appendU(dst, `,"preciptype":`, precip)
		dst = appendStr(dst, `,"preciptype_text":`, precipText[precip])
		dst = appendFloat(dst, `,"salinity":`, float64(p.u(335, 9))/10, 1)
		ice := p.u(344, 2)
		dst = appendU(dst, `,"ice":`, ice)
		return appendStr(dst, `,"ice_text":`, iceText[ice]), true
	case dac == 1 && fid == 31: // IMO289 meteorological and hydrological data
		dst = appendMinutes(dst, `,"lat":`, p.s(81, 24))
		dst = appendMinutes(dst, `,"lon":`, p.s(56, 25))
		dst = appendBool(dst, `,"accuracy":`, p.u(105, 1) != 0)
		dst = appendDayTime(dst, `,"timestamp":`, p.u(106, 5), p.u(111, 5), p.u(116, 6))
		dst = appendU(dst, `,"wspeed":`, p.u(122, 7))
		dst = appendU(dst, `,"wgust":`, p.u(129, 7))
		dst = appendU(dst, `,"wdir":`, p.u(136, 9))
		dst = appendU(dst, `,"wgustdir":`, p.u(145, 9))
		dst = appendU(dst, `,"humidity":`, p.u(165, 7))
		dst = appendFloat(dst, `,"airtemp":`, float64(p.s(154, 11))/10, 1)
		dst = appendFloat(dst, `,"dewpoint":`, float64(p.s(172, 10))/10, 1)
		dst = appendU(dst, `,"pressure":`, p.u(182, 9)+799)
		dst = appendStr(dst, `,"pressuretend":`, trendText[p.u(191, 2)])
		dst = appendBool(dst, `,"visgreater":`, p.u(193, 1) != 0)
		dst = appendFloat(dst, `,"visibility":`, float64(p.u(194, 7))/10, 1)
		// gpsd subtracts the offset in unsigned arithmetic: levels under
		// the offset wrap around 2^32.
		dst = appendFloat(dst, `,"waterlevel":`, float64(uint32(p.u(201, 12))-1000)/100, 1)
		dst = appendStr(dst, `,"leveltrend":`, trendText[p.u(213, 2)])
		dst = appendCurrents(dst, p, 215, 5)
		dst = appendWaves(dst, p, 276)
		dst = appendU(dst, `,"seastate":`, p.u(322, 4))
		dst = appendFloat(dst, `,"watertemp":`, float64(p.s(326, 10))/10, 1)
		dst = appendStr(dst, `,"preciptype":`, precipText[p.u(336, 3)])
		dst = appendFloat(dst, `,"salinity":`, float64(p.u(339, 9))/10, 1)
		return appendStr(dst, `,"ice":`, iceText[p.u(348, 2)]), true
	case dac == 200 && fid == 10 && p.n == 168: // Inland ship static and voyage data
		hazard := p.u(141, 3)
		if hazard > 5 { // gpsd's guard against other payloads under this FID
			return dst, false
		}
		dst = appendSixbit(dst, `,"vin":`, p, 56, 8)
		dst = appendU(dst, `,"length":`, p.u(104, 13))
		dst = appendU(dst, `,"beam":`, p.u(117, 10))
		st := p.u(127, 14)
		dst = appendU(dst, `,"shiptype":`, st)
		dst = appendStr(dst, `,"shiptype_text":`, inlandShipTypeText(st))
		dst = appendU(dst, `,"hazard":`, hazard)
		dst = appendStr(dst, `,"hazard_text":`, hazardText[hazard])
		dst = appendU(dst, `,"draught":`, p.u(144, 11))
		loaded := p.u(155, 2)
		dst = appendU(dst, `,"loaded":`, loaded)
		if loaded < 3 {
			dst = appendStr(dst, `,"loaded_text":`, loadedText[loaded])
		} else {
			dst = appendStr(dst, `,"loaded_text":`, "INVALID LOAD STATUS")
		}
		dst = appendBool(dst, `,"speed_q":`, p.u(157, 1) != 0)
		dst = appendBool(dst, `,"course_q":`, p.u(158, 1) != 0)
		return appendBool(dst, `,"heading_q":`, p.u(159, 1) != 0), true
	}
	return dst, false
}

// appendCurrents appends the three current measurements of the
// meteorological messages from bit start: speed (0.1 kn) and direction of
// the surface current, then speed, direction and depth (m) of two more;
// depthBits is the width of a depth.
func appendCurrents(dst []byte, p *payload, start, depthBits int) []byte {
	dst = appendFloat(dst, `,"cspeed":`, float64(p.u(start, 8))/10, 1)
	dst = appendU(dst, `,"cdir":`, p.u(start+8, 9))
	a := start + 17
	for i, keys := range [2][3]string{{`,"cspeed2":`, `,"cdir2":`, `,"cdepth2":`}, {`,"cspeed3":`, `,"cdir3":`, `,"cdepth3":`}} {
		b := a + i*(17+depthBits)
		dst = appendFloat(dst, keys[0], float64(p.u(b, 8))/10, 1)
		dst = appendU(dst, keys[1], p.u(b+8, 9))
		dst = appendU(dst, keys[2], p.u(b+17, depthBits))
	}
	return dst
}

// appendWaves appends wave and swell height (0.1 m), period (s) and
// direction of the meteorological messages from bit start.
func appendWaves(dst []byte, p *payload, start int) []byte {
	dst = appendFloat(dst, `,"waveheight":`, float64(p.u(start, 8))/10, 1)
	dst = appendU(dst, `,"waveperiod":`, p.u(start+8, 6))
	dst = appendU(dst, `,"wavedir":`, p.u(start+14, 9))
	dst = appendFloat(dst, `,"swellheight":`, float64(p.u(start+23, 8))/10, 1)
	dst = appendU(dst, `,"swellperiod":`, p.u(start+31, 6))
	return appendU(dst, `,"swelldir":`, p.u(start+37, 9))
}

// appendMinutes appends a position in 1/1000 minute as degrees with four
// decimals (printf "%.4f" of v/60000.0).
func appendMinutes(dst []byte, key string, v int64) []byte {
	return appendFloat(dst, key, float64(v)/60000, 4)
}

// appendSixbit appends count 6-bit characters from bit start as a JSON
// string, trimmed as gpsd trims them.
func appendSixbit(dst []byte, key string, p *payload, start, count int) []byte {
	dst = append(dst, key...)
	return appendQuoted(dst, func(b []byte) []byte { return p.appendText(b, start, count) })
}

// appendDayTime appends "DDTHH:MMZ".
func appendDayTime(dst []byte, key string, day, hour, minute uint64) []byte {
	dst = append(dst, key...)
	dst = append(dst, '"')
	dst = appendPad(dst, int(day), 2)
	dst = append(dst, 'T')
	dst = appendPad(dst, int(hour), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, int(minute), 2)
	return append(dst, 'Z', '"')
}

// appendMonthDayTime appends "MM-DDTHH:MMZ".
func appendMonthDayTime(dst []byte, key string, month, day, hour, minute uint64) []byte {
	dst = append(dst, key...)
	dst = append(dst, '"')
	dst = appendPad(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendPad(dst, int(day), 2)
	dst = append(dst, 'T')
	dst = appendPad(dst, int(hour), 2)
	dst = append(dst, ':')
	dst = appendPad(dst, int(minute), 2)
	return append(dst, 'Z', '"')
}

var (
	raconText  = [4]string{"No RACON installed", "RACON not monitored", "RACON operational", "RACON ERROR"}
	lightText  = [4]string{"No light or no monitoring", "Light ON", "Light OFF", "Light ERROR"}
	trendText  = [4]string{"steady", "increasing", "decreasing", "N/A"}
	precipText = [8]string{"reserved", "rain", "thunderstorm", "freezing rain", "mixed/ice", "snow", "reserved", "N/A"}
	iceText    = [4]string{"no", "yes", "reserved", "N/A"}
	hazardText = [6]string{"0 blue cones/lights", "1 blue cone/light", "2 blue cones/lights", "3 blue cones/lights", "4 B-Flag", "Unknown"}
	loadedText = [3]string{"N/A (default)", "Unloaded", "Loaded"}
)

// inlandShipTypes are the ERI ship types of the Inland AIS standard with
// the AIS ship type each corresponds to; gpsd matches a code against
// either number.
var inlandShipTypes = []struct {
	code, ais uint64
	text      string
}{
	{8000, 99, "Vessel, type unknown"},
	{8010, 79, "Motor freighter"},
	{8020, 89, "Motor tanker"},
	{8021, 80, "Motor tanker, liquid cargo, type N"},
	{8022, 80, "Motor tanker, liquid cargo, type C"},
	{8023, 89, "Motor tanker, dry cargo as if liquid (e.g. cement)"},
	{8030, 79, "Container vessel"},
	{8040, 80, "Gas tanker"},
	{8050, 79, "Motor freighter, tug"},
	{8060, 89, "Motor tanker, tug"},
	{8070, 79, "Motor freighter with one or more ships alongside"},
	{8080, 89, "Motor freighter with tanker"},
	{8090, 79, "Motor freighter pushing one or more freighters"},
	{8100, 89, "Motor freighter pushing at least one tank-ship"},
	{8110, 79, "Tug, freighter"},
	{8120, 89, "Tug, tanker"},
	{8130, 31, "Tug freighter, coupled"},
	{8140, 31, "Tug, freighter/tanker, coupled"},
	{8150, 99, "Freightbarge"},
	{8160, 99, "Tankbarge"},
	{8161, 90, "Tankbarge, liquid cargo, type N"},
	{8162, 90, "Tankbarge, liquid cargo, type C"},
	{8163, 99, "Tankbarge, dry cargo as if liquid (e.g. cement)"},
	{8170, 99, "Freightbarge with containers"},
	{8180, 90, "Tankbarge, gas"},
	{8210, 79, "Pushtow, one cargo barge"},
	{8220, 79, "Pushtow, two cargo barges"},
	{8230, 79, "Pushtow, three cargo barges"},
	{8240, 79, "Pushtow, four cargo barges"},
	{8250, 79, "Pushtow, five cargo barges"},
	{8260, 79, "Pushtow, six cargo barges"},
	{8270, 79, "Pushtow, seven cargo barges"},
	{8280, 79, "Pushtow, eigth cargo barges"},
	{8290, 79, "Pushtow, nine or more barges"},
	{8310, 80, "Pushtow, one tank/gas barge"},
	{8320, 80, "Pushtow, two barges at least one tanker or gas barge"},
	{8330, 80, "Pushtow, three barges at least one tanker or gas barge"},
	{8340, 80, "Pushtow, four barges at least one tanker or gas barge"},
	{8350, 80, "Pushtow, five barges at least one tanker or gas barge"},
	{8360, 80, "Pushtow, six barges at least one tanker or gas barge"},
	{8370, 80, "Pushtow, seven barges at least one tanker or gas barg"},
}

// inlandShipTypeText returns gpsd's legend of an inland ship type: the
// first entry whose ERI code or AIS type is code.
func inlandShipTypeText(code uint64) string {
	for _, t := range inlandShipTypes {
		if t.code == code || t.ais == code {
			return t.text
		}
	}
	return "Illegal ship type value."
}
